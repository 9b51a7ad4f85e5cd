/*
 * MSI Hub dashboard: Region overview (`#/region?region=&month=&kind=&kpi=`), for regional
 * managers, the OEM and BI readers.
 *
 * Three queries, sent together:
 *   - `submissionStatus` of the month: counts, and the first 100 missing, late and
 *     draft dealers (with the total of each list);
 *   - the heat map: one `ranking` per key KPI (aliases in one operation, scope the
 *     region, 500 lines a page; further pages only for a region of more than 500
 *     dealers), each dealer's value coloured by the nation's quartiles (p25 / median /
 *     p75 of the same answer) and framed when outside the catalog's guideline band;
 *   - `benchmarks` of the chosen KPI: the region against the nation and the other regions.
 */

import { gql, catalog, regions as loadRegions, ownDealer, comparisonMonth, KEY_KPIS } from './api.js';
import { t } from './i18n.js';
import { esc, raw, fmtKpi, fmtInt, fmtDateTime, isMonth } from './format.js';
import { kpiSelect, periodSelect, monthInput, regionSelect, bindParams, kpiName, withheldNote, hashOf, guidelineStatus } from './ui.js';
import { heatmap, groupBars } from './charts.js';

const STATUS = `query RegionStatus($month: Month!, $region: String) {
  submissionStatus(month: $month, regionCode: $region) {
    month deadline
    counts { total missing draft accepted acceptedWithWarnings late }
    missing: entries(status: MISSING, first: 100) { totalCount nodes { dealerCode dealerName } }
    late: entries(status: LATE, first: 100) { totalCount nodes { dealerCode dealerName firstSubmittedAt } }
    draft: entries(status: DRAFT, first: 100) { totalCount nodes { dealerCode dealerName } }
  }
}`;

const BENCH = `query RegionBenchmarks($kpi: String!, $period: ReportingPeriod!) {
  benchmarks(kpi: $kpi, period: $period) {
    period { from to kind }
    nation { pooled median dealersWithValue withheld disclosure }
    regions { regionCode regionName aggregate { pooled median dealersWithValue withheld disclosure } }
  }
}`;

const HEAT_PAGE = 500;

/** One operation: a `ranking` per KPI, aliased `k0`, `k1`...; `after` per alias. */
function heatQuery(codes) {
  // Names come with the first KPI only (the same dealers, for a smaller answer).
  const vars = codes.map((_, i) => '$a' + i + ': String').join(', ');
  const fields = codes
    .map(
      (code, i) =>
        '  k' + i + ': ranking(kpi: ' + JSON.stringify(code) + ', period: $period, scope: $scope, first: ' + HEAT_PAGE + ', after: $a' + i + ') {\n' +
        '    nation { p25 median p75 withheld }\n' +
        '    entries { pageInfo { hasNextPage endCursor } nodes { dealerCode ' + (i === 0 ? 'dealerName ' : '') + 'value } }\n  }',
    )
    .join('\n');
  return 'query RegionHeatmap($period: ReportingPeriod!, $scope: ScopeInput!, ' + vars + ') {\n' + fields + '\n}';
}

async function loadHeat(period, regionCode, codes, signal) {
  const result = codes.map(() => ({ nation: null, nodes: [] }));
  let pending = codes.map((code, i) => ({ code, i, after: null }));
  while (pending.length) {
    const vars = { period, scope: { kind: 'REGION', regionCode } };
    pending.forEach((p, j) => (vars['a' + j] = p.after));
    const d = await gql(heatQuery(pending.map((p) => p.code)), vars, { signal });
    const next = [];
    pending.forEach((p, j) => {
      const r = d['k' + j];
      result[p.i].nation = r.nation;
      result[p.i].nodes = result[p.i].nodes.concat(r.entries.nodes);
      if (r.entries.pageInfo.hasNextPage) next.push({ code: p.code, i: p.i, after: r.entries.pageInfo.endCursor });
    });
    pending = next;
  }
  return result;
}

/** 1 (top 25 % of the nation, in the KPI's good direction) to 4; 0 without a value. */
function quartileOf(v, nation, direction) {
  if (v === null || v === undefined || !nation || nation.withheld || nation.p25 === null || nation.p75 === null) return 0;
  const q = v >= nation.p75 ? 1 : v >= nation.median ? 2 : v >= nation.p25 ? 3 : 4;
  return direction === 'LOWER_IS_BETTER' ? 5 - q : q;
}

export async function render(ctx) {
  const { me, params, root } = ctx;
  const [cat, regs, own, defMonth] = await Promise.all([catalog(), loadRegions(), ownDealer(), comparisonMonth()]);
  const mine = me.regions && me.regions.length ? regs.filter((r) => me.regions.includes(r.code)) : own ? regs.filter((r) => r.code === own.regionCode) : regs;
  const regionCode = params.region || (mine[0] && mine[0].code) || '';
  const month = isMonth(params.month) ? params.month : defMonth;
  const kind = params.kind || 'MONTH';
  const kpiCode = cat.byCode.has(params.kpi) ? params.kpi : 'first_time_fix';
  const period = { kind, month };
  const keyKpis = KEY_KPIS.filter((c) => cat.byCode.has(c)).map((c) => cat.byCode.get(c));

  root.innerHTML =
    '<header class="view-head"><h2>' + esc(t('nav.region')) + '</h2><div class="controls">' +
    regionSelect('region', mine.length ? mine : regs, regionCode) +
    monthInput('month', month) +
    periodSelect('kind', kind) +
    '</div></header>' +
    '<section class="panel" data-part="status"><h3>' + esc(t('region.status', { month })) + '</h3><p class="loading">' + esc(t('loading')) + '</p></section>' +
    '<section class="panel" data-part="heat"><h3>' + esc(t('region.heat')) + '</h3><p class="hint">' + esc(t('region.heatHint')) + '</p><div class="chart" data-part="heat-chart"></div><div data-part="heat-table"></div></section>' +
    '<section class="panel" data-part="bench"><h3>' + esc(t('region.bench')) + '</h3><div class="controls">' + kpiSelect('kpi', cat, kpiCode) + '</div>' +
    '<div class="chart" data-part="bench-chart"></div><div data-part="bench-table"></div></section>';
  bindParams(root, ctx);

  const [status, heat, bench] = await Promise.all([
    gql(STATUS, { month, region: regionCode || null }, { signal: ctx.signal }),
    regionCode ? loadHeat(period, regionCode, keyKpis.map((k) => k.code), ctx.signal) : Promise.resolve(null),
    gql(BENCH, { kpi: kpiCode, period }, { signal: ctx.signal }),
  ]);
  if (!ctx.isCurrent()) return;

  drawStatus(root.querySelector('[data-part=status]'), status.submissionStatus, month);
  if (heat) drawHeat(root, keyKpis, heat);
  drawBench(root, cat.byCode.get(kpiCode), bench.benchmarks, regionCode);
}

function drawStatus(el, s, month) {
  const c = s.counts;
  const reported = c.accepted + c.acceptedWithWarnings;
  const count = (key, label, v, cls) =>
    '<div class="fig ' + (cls || '') + '"><span>' + esc(label) + '</span><b data-count="' + key + '" data-value="' + raw(v) + '">' + esc(fmtInt(v)) + '</b></div>';
  const list = (key, conn, extra) => {
    if (!conn.nodes.length) return '<p class="empty">' + esc(t('region.none')) + '</p>';
    let h = '<ul class="dealer-list" data-list="' + key + '">';
    for (const n of conn.nodes) {
      h +=
        '<li data-dealer="' + esc(n.dealerCode) + '"><a href="' + esc(hashOf('dealer', n.dealerCode, { month })) + '">' + esc(n.dealerCode) + '</a> ' +
        esc(n.dealerName) + (extra ? ' <small>' + esc(extra(n)) + '</small>' : '') + '</li>';
    }
    h += '</ul>';
    if (conn.totalCount > conn.nodes.length) h += '<p class="hint">' + esc(t('region.more', { n: fmtInt(conn.totalCount - conn.nodes.length) })) + '</p>';
    return h;
  };
  el.innerHTML =
    '<h3>' + esc(t('region.status', { month: s.month })) + '</h3>' +
    '<p class="hint">' + esc(t('region.deadline', { at: fmtDateTime(s.deadline) })) + '</p>' +
    '<div class="figs">' +
    count('total', t('status.total'), c.total) +
    count('reported', t('status.reported'), reported, 'good') +
    count('accepted', t('SubmissionState.ACCEPTED'), c.accepted) +
    count('acceptedWithWarnings', t('SubmissionState.ACCEPTED_WITH_WARNINGS'), c.acceptedWithWarnings) +
    count('late', t('SubmissionState.LATE'), c.late, c.late ? 'warn' : '') +
    count('draft', t('SubmissionState.DRAFT'), c.draft, c.draft ? 'warn' : '') +
    count('missing', t('SubmissionState.MISSING'), c.missing, c.missing ? 'bad' : '') +
    '</div><div class="columns">' +
    '<div><h4>' + esc(t('SubmissionState.MISSING')) + ' (' + esc(fmtInt(s.missing.totalCount)) + ')</h4>' + list('missing', s.missing) + '</div>' +
    '<div><h4>' + esc(t('SubmissionState.LATE')) + ' (' + esc(fmtInt(s.late.totalCount)) + ')</h4>' + list('late', s.late, (n) => fmtDateTime(n.firstSubmittedAt)) + '</div>' +
    '<div><h4>' + esc(t('SubmissionState.DRAFT')) + ' (' + esc(fmtInt(s.draft.totalCount)) + ')</h4>' + list('draft', s.draft) + '</div>' +
    '</div>';
}

function drawHeat(root, kpis, heat) {
  const names = new Map();
  const values = kpis.map(() => new Map());
  heat.forEach((h, j) => {
    for (const n of h.nodes) {
      if (n.dealerName !== undefined || !names.has(n.dealerCode)) names.set(n.dealerCode, n.dealerName || names.get(n.dealerCode) || '');
      values[j].set(n.dealerCode, n.value);
    }
  });
  const codes = [...names.keys()].sort();
  const rows = codes.map((c) => c + ' ' + (names.get(c) || ''));
  const cols = kpis.map((k) => kpiName(k));
  const cells = [];
  let table =
    '<details><summary>' + esc(t('region.heatTable')) + '</summary><div class="table-wrap"><table class="grid heat"><thead><tr><th>' + esc(t('col.dealer')) + '</th>' +
    kpis.map((k) => '<th class="num" data-kpi="' + esc(k.code) + '">' + esc(kpiName(k)) + '</th>').join('') +
    '</tr></thead><tbody>';
  codes.forEach((code, y) => {
    table += '<tr data-dealer="' + esc(code) + '"><td><a href="' + esc(hashOf('dealer', code)) + '">' + esc(code) + '</a> ' + esc(names.get(code)) + '</td>';
    kpis.forEach((k, x) => {
      const v = values[x].has(code) ? values[x].get(code) : null;
      const q = quartileOf(v, heat[x].nation, k.direction);
      const g = guidelineStatus(v, k.guideline);
      const outside = g === 'ABOVE' || g === 'BELOW' ? g : null;
      const text = fmtKpi(v, k.unit);
      cells.push({
        x,
        y,
        quartile: q,
        text: v === null ? '' : text,
        outside,
        tip:
          esc(code + ' ' + (names.get(code) || '')) + '<br>' + esc(kpiName(k)) + ': <b>' + esc(text) + '</b><br>' +
          esc(q ? t('chart.q' + q) : t('chart.noValue')) + (g ? ' · ' + esc(t('guideline.' + g)) : ''),
      });
      table +=
        '<td class="num q' + q + (outside ? ' outside' : '') + '" data-dealer="' + esc(code) + '" data-kpi="' + esc(k.code) + '" data-value="' + raw(v) + '" data-quartile="' + q + '"' +
        (g ? ' data-guideline="' + g + '"' : '') + '>' + esc(text) + '</td>';
    });
    table += '</tr>';
  });
  table += '</tbody></table></div></details>';
  const chartEl = root.querySelector('[data-part=heat-chart]');
  if (codes.length) heatmap(chartEl, { rows, cols, cells });
  else chartEl.innerHTML = '<p class="empty">' + esc(t('region.noValues')) + '</p>';
  root.querySelector('[data-part=heat-table]').innerHTML = table;
}

function drawBench(root, kpi, b, regionCode) {
  const u = kpi.unit;
  const regs = b.regions;
  groupBars(root.querySelector('[data-part=bench-chart]'), {
    names: regs.map((r) => r.regionCode + ' ' + r.regionName),
    values: regs.map((r) => (r.aggregate.withheld ? null : r.aggregate.pooled)),
    highlight: regs.findIndex((r) => r.regionCode === regionCode),
    line: { name: t('agg.nation'), value: b.nation.withheld ? null : b.nation.pooled },
    fmt: (v) => fmtKpi(v, u),
  });
  let h =
    '<p class="kpi-note">' + esc(kpiName(kpi)) + ' · ' + esc(b.period.from === b.period.to ? b.period.from : b.period.from + ' – ' + b.period.to) + '</p>' +
    '<div class="table-wrap"><table class="grid bench" data-kpi="' + esc(kpi.code) + '"><thead><tr><th>' + esc(t('col.region')) + '</th><th class="num">' + esc(t('agg.pooled')) +
    '</th><th class="num">' + esc(t('agg.median')) + '</th><th class="num">' + esc(t('agg.dealers')) + '</th></tr></thead><tbody>';
  const row = (key, label, a, cls) =>
    '<tr data-region="' + esc(key) + '"' + (cls ? ' class="' + cls + '"' : '') + '><td>' + esc(label) + (a.withheld ? ' <small>' + esc(withheldNote(a)) + '</small>' : '') + '</td>' +
    '<td class="num" data-kpi="' + esc(kpi.code) + '" data-value="' + raw(a.pooled) + '">' + esc(fmtKpi(a.pooled, u)) + '</td>' +
    '<td class="num" data-median="' + raw(a.median) + '">' + esc(fmtKpi(a.median, u)) + '</td>' +
    '<td class="num">' + esc(fmtInt(a.dealersWithValue)) + '</td></tr>';
  h += row('NATION', t('scope.NATION'), b.nation, 'nation');
  for (const r of regs) h += row(r.regionCode, r.regionCode + ' ' + r.regionName, r.aggregate, r.regionCode === regionCode ? 'mine' : '');
  h += '</tbody></table></div>';
  root.querySelector('[data-part=bench-table]').innerHTML = h;
}
