/*
 * MSI Hub dashboard: Dealer (`#/dealer/D00001?kind=&month=&kpi=`).
 *
 * - `dealer` + `scorecard` for the period: a radar chart of the key KPIs against the
 *   region and the nation (each axis an index: the nation's pooled value = 100, in the
 *   KPI's good direction), with the raw values in a table under it; then every KPI with
 *   its guideline status, ranks, and change vs the previous period and a year ago.
 * - `kpiTrend` of one KPI over the 24 months ending with the period's month, with the
 *   region's and the nation's lines (changing the KPI reloads this part only).
 * - The dealer's reports of the latest 12 months (`report` per month, aliased) with their
 *   revisions.
 * Without a dealer code (managers), a search over `dealers`.
 */

import { gql, catalog, comparisonMonth, KEY_KPIS } from './api.js';
import { t } from './i18n.js';
import { esc, raw, fmtKpi, fmtDelta, fmtPct, fmtInt, fmtDateTime, isMonth, addMonths, defaultMonth } from './format.js';
import { kpiSelect, periodSelect, monthInput, bindParams, kpiName, withheldNote, hashOf, guidelineText, statusBadge } from './ui.js';
import { radar, trend, COLORS } from './charts.js';

const SCORECARD = `query DealerScorecard($code: String!, $period: ReportingPeriod!) {
  dealer(code: $code) { code name brand province city sizeTier openedMonth closedMonth regionCode }
  scorecard(dealerCode: $code, period: $period) {
    dealerCode dealerName regionCode
    period { from to kind }
    kpis {
      kpi { code }
      value hidden unavailableReason guidelineStatus
      rankInRegion regionDealers rankInNation nationDealers percentileInNation radarScore
      previousValue changeVsPrevious yearAgoValue changeVsYearAgo
      region { pooled withheld disclosure }
      nation { pooled withheld disclosure }
    }
  }
}`;

const TREND = `query DealerTrend($code: String!, $kpi: String!, $from: Month!, $to: Month!) {
  kpiTrend(dealerCode: $code, kpi: $kpi, from: $from, to: $to) {
    month value hidden unavailableReason regionCode regionValue regionDisclosure nationValue nationDisclosure
  }
}`;

const SEARCH = `query DealerSearch($search: String, $first: Int) {
  dealers(search: $search, first: $first) { totalCount edges { node { code name city regionCode sizeTier brand } } }
}`;

const REPORT_FIELDS = 'month status revision late firstSubmittedAt updatedAt updatedBy revisions { revision author reason createdAt status }';

function reportsQuery(months) {
  return (
    'query DealerReports($code: String!) {\n' +
    months.map((m, i) => '  r' + i + ': report(dealerCode: $code, month: ' + JSON.stringify(m) + ') { ' + REPORT_FIELDS + ' }').join('\n') +
    '\n}'
  );
}

const TREND_MONTHS = 24;
const REPORT_MONTHS = 12;

export async function render(ctx) {
  const { me, params, root } = ctx;
  const code = ctx.arg || '';
  if (!code) {
    if (me.role === 'dealer' && me.dealerCode) {
      ctx.go('dealer', me.dealerCode, params);
      return;
    }
    return renderSearch(ctx);
  }
  const [cat, defMonth] = await Promise.all([catalog(), comparisonMonth()]);
  const kind = params.kind || 'MONTH';
  const month = isMonth(params.month) ? params.month : defMonth;
  const trendKpi = cat.byCode.has(params.kpi) ? params.kpi : 'first_time_fix';
  const period = { kind, month };
  // Its latest reports: the 12 months ending with the data's latest month (or the chosen
  // month, if later).
  const lastReport = month > defaultMonth() ? month : defaultMonth();
  const months = [];
  for (let i = 0; i < REPORT_MONTHS; i++) months.push(addMonths(lastReport, -i));

  root.innerHTML =
    '<header class="view-head"><h2 data-part="title">' + esc(t('nav.dealer')) + ' ' + esc(code) + '</h2><div class="controls">' +
    (me.role !== 'dealer' ? '<a class="ctl-link" href="' + esc(hashOf('dealer', '', {})) + '">' + esc(t('dealer.search')) + '</a>' : '') +
    periodSelect('kind', kind) + monthInput('month', month) +
    '</div></header>' +
    '<p class="kpi-note" data-part="facts"></p>' +
    '<div class="columns two"><section class="panel" data-part="radar"><h3>' + esc(t('dealer.radar')) + '</h3><div class="chart" data-part="radar-chart"></div><div data-part="radar-table"></div></section>' +
    '<section class="panel" data-part="trend"><h3>' + esc(t('dealer.trend')) + '</h3><div class="controls">' + kpiSelect('kpi', cat, trendKpi) + '</div>' +
    '<div class="chart" data-part="trend-chart"></div><div data-part="trend-table"></div></section></div>' +
    '<section class="panel" data-part="scorecard"><h3>' + esc(t('dealer.scorecard')) + '</h3><div data-part="scorecard-table"></div></section>' +
    '<section class="panel" data-part="reports"><h3>' + esc(t('dealer.reports')) + '</h3><div data-part="reports-table"></div></section>';

  async function loadTrend(kpiCode) {
    const d = await gql(TREND, { code, kpi: kpiCode, from: addMonths(month, -(TREND_MONTHS - 1)), to: month }, { signal: ctx.signal });
    if (ctx.isCurrent()) drawTrend(root, cat.byCode.get(kpiCode), d.kpiTrend);
  }
  bindParams(root, ctx, {
    kpi: (v) => {
      ctx.replaceParams({ kpi: v });
      ctx.run(() => loadTrend(v));
    },
  });

  const [sc, , reports] = await Promise.all([
    gql(SCORECARD, { code, period }, { signal: ctx.signal }),
    loadTrend(trendKpi),
    gql(reportsQuery(months), { code }, { signal: ctx.signal }),
  ]);
  if (!ctx.isCurrent()) return;
  const dealer = sc.dealer;
  const card = sc.scorecard;
  root.querySelector('[data-part=title]').textContent = t('nav.dealer') + ' ' + card.dealerCode + ' ' + card.dealerName;
  root.querySelector('[data-part=facts]').innerHTML = dealer
    ? esc([dealer.brand, dealer.province + ' ' + dealer.city, t('tier.' + dealer.sizeTier), t('col.region') + ' ' + (card.regionCode || dealer.regionCode || '—'),
        t('dealer.opened', { month: dealer.openedMonth }) + (dealer.closedMonth ? ' – ' + dealer.closedMonth : ''),
        t('ctl.period') + ' ' + (card.period.from === card.period.to ? card.period.from : card.period.from + ' – ' + card.period.to)].join(' · '))
    : '';
  drawRadar(root, cat, card);
  drawScorecard(root, cat, card, code, kind, month);
  drawReports(root, months.map((m, i) => reports['r' + i]).filter(Boolean), code, me);
}

function index(v, base, direction) {
  if (v === null || v === undefined || base === null || base === undefined) return null;
  if (direction === 'LOWER_IS_BETTER') return v === 0 ? 200 : Math.min(200, (base / v) * 100);
  return base === 0 ? null : Math.min(200, (v / base) * 100);
}

function drawRadar(root, cat, card) {
  const byCode = new Map(card.kpis.map((k) => [k.kpi.code, k]));
  const rows = KEY_KPIS.filter((c) => byCode.has(c) && cat.byCode.has(c)).map((c) => ({ k: cat.byCode.get(c), s: byCode.get(c) }));
  const nat = (s) => (s.nation.withheld ? null : s.nation.pooled);
  const reg = (s) => (s.region.withheld ? null : s.region.pooled);
  const dealerIdx = rows.map(({ k, s }) => (s.hidden ? null : index(s.value, nat(s), k.direction)));
  const regionIdx = rows.map(({ k, s }) => index(reg(s), nat(s), k.direction));
  const nationIdx = rows.map(({ s }) => (nat(s) === null ? null : 100));
  const top = Math.max(120, ...dealerIdx.filter((v) => v !== null), ...regionIdx.filter((v) => v !== null));
  const max = Math.ceil(top / 10) * 10;
  radar(root.querySelector('[data-part=radar-chart]'), {
    axes: rows.map(({ k }) => ({ name: kpiName(k), max })),
    series: [
      { name: card.dealerCode, values: dealerIdx.map(round1), color: COLORS.dealer },
      { name: t('agg.region') + ' ' + (card.regionCode || ''), values: regionIdx.map(round1), color: COLORS.region },
      { name: t('agg.nation'), values: nationIdx, color: COLORS.nation },
    ],
    tip: (p) => {
      const series = p.name;
      const which = series === card.dealerCode ? 'dealer' : series === t('agg.nation') ? 'nation' : 'region';
      return (
        esc(series) +
        rows
          .map(({ k, s }) => {
            const v = which === 'dealer' ? (s.hidden ? null : s.value) : which === 'region' ? reg(s) : nat(s);
            return '<br>' + esc(kpiName(k)) + ': <b>' + esc(fmtKpi(v, k.unit)) + '</b>';
          })
          .join('')
      );
    },
  });
  let h =
    '<p class="hint">' + esc(t('dealer.radarHint')) + '</p><div class="table-wrap"><table class="grid radar-values"><thead><tr><th>' + esc(t('col.kpi')) + '</th><th class="num">' +
    esc(card.dealerCode) + '</th><th class="num">' + esc(t('agg.region')) + '</th><th class="num">' + esc(t('agg.nation')) + '</th><th class="num">' + esc(t('col.radarScore')) + '</th></tr></thead><tbody>';
  for (const { k, s } of rows) {
    const dv = s.hidden ? null : s.value;
    h +=
      '<tr data-kpi="' + esc(k.code) + '"><td>' + esc(kpiName(k)) + '</td>' +
      '<td class="num" data-kpi="' + esc(k.code) + '" data-series="dealer" data-value="' + raw(dv) + '">' + esc(fmtKpi(dv, k.unit)) + '</td>' +
      '<td class="num" data-kpi="' + esc(k.code) + '" data-series="region" data-value="' + raw(reg(s)) + '">' + esc(fmtKpi(reg(s), k.unit)) + '</td>' +
      '<td class="num" data-kpi="' + esc(k.code) + '" data-series="nation" data-value="' + raw(nat(s)) + '">' + esc(fmtKpi(nat(s), k.unit)) + '</td>' +
      '<td class="num" data-radar-score="' + raw(s.radarScore) + '">' + esc(s.radarScore === null ? '—' : fmtInt(s.radarScore)) + '</td></tr>';
  }
  h += '</tbody></table></div>';
  root.querySelector('[data-part=radar-table]').innerHTML = h;
}

function round1(v) {
  return v === null ? null : Math.round(v * 10) / 10;
}

function drawScorecard(root, cat, card, code, kind, month) {
  const byCat = new Map();
  for (const s of card.kpis) {
    const k = cat.byCode.get(s.kpi.code);
    if (!k) continue;
    if (!byCat.has(k.category)) byCat.set(k.category, []);
    byCat.get(k.category).push({ k, s });
  }
  const change = (v, k) => {
    if (v === null || v === undefined) return '<td class="num">—</td>';
    const good = k.direction === 'LOWER_IS_BETTER' ? v < 0 : v > 0;
    return '<td class="num ' + (v === 0 ? '' : good ? 'good' : 'bad') + '" data-value="' + raw(v) + '">' + esc(fmtDelta(v, k.unit)) + '</td>';
  };
  let h =
    '<div class="table-wrap"><table class="grid scorecard"><thead><tr><th>' + esc(t('col.kpi')) + '</th><th class="num">' + esc(t('col.value')) + '</th><th>' + esc(t('col.guideline')) +
    '</th><th class="num">' + esc(t('agg.region')) + '</th><th class="num">' + esc(t('agg.nation')) + '</th><th class="num">' + esc(t('col.rankRegion')) + '</th><th class="num">' +
    esc(t('col.rankNation')) + '</th><th class="num">' + esc(t('col.percentile')) + '</th><th class="num">' + esc(t('col.vsPrevious')) + '</th><th class="num">' + esc(t('col.vsYearAgo')) +
    '</th></tr></thead>';
  for (const [c, list] of byCat) {
    h += '<tbody><tr class="group"><th colspan="10">' + esc(t('cat.' + c)) + '</th></tr>';
    for (const { k, s } of list) {
      const v = s.hidden ? null : s.value;
      const why = s.hidden ? t('dealer.hidden') : s.unavailableReason ? t('reason.' + s.unavailableReason) : '';
      h +=
        '<tr data-kpi="' + esc(k.code) + '"><td><a href="' + esc(hashOf('ranking', '', { kpi: k.code, kind, month })) + '" title="' + esc(t('dealer.toRanking')) + '">' + esc(kpiName(k)) + '</a></td>' +
        '<td class="num" data-kpi="' + esc(k.code) + '" data-dealer="' + esc(code) + '" data-value="' + raw(v) + '">' + esc(fmtKpi(v, k.unit)) + (why ? ' <small>' + esc(why) + '</small>' : '') + '</td>' +
        '<td>' + esc(guidelineText(k.guideline, k.unit)) + ' ' + statusBadge('guideline', s.guidelineStatus) + '</td>' +
        '<td class="num" data-series="region" data-value="' + raw(s.region.pooled) + '">' + esc(s.region.withheld ? withheldNote(s.region) : fmtKpi(s.region.pooled, k.unit)) + '</td>' +
        '<td class="num" data-series="nation" data-value="' + raw(s.nation.pooled) + '">' + esc(s.nation.withheld ? withheldNote(s.nation) : fmtKpi(s.nation.pooled, k.unit)) + '</td>' +
        '<td class="num">' + (s.rankInRegion === null ? '—' : esc(s.rankInRegion) + '/' + esc(s.regionDealers)) + '</td>' +
        '<td class="num">' + (s.rankInNation === null ? '—' : esc(s.rankInNation) + '/' + esc(s.nationDealers)) + '</td>' +
        '<td class="num">' + esc(fmtPct(s.percentileInNation)) + '</td>' +
        change(s.changeVsPrevious, k) + change(s.changeVsYearAgo, k) + '</tr>';
    }
    h += '</tbody>';
  }
  h += '</table></div>';
  root.querySelector('[data-part=scorecard-table]').innerHTML = h;
}

function drawTrend(root, kpi, points) {
  const u = kpi.unit;
  const months = points.map((p) => p.month);
  trend(root.querySelector('[data-part=trend-chart]'), {
    months,
    series: [
      { name: t('agg.dealer'), values: points.map((p) => (p.hidden ? null : p.value)), color: COLORS.dealer },
      { name: t('agg.region'), values: points.map((p) => p.regionValue), color: COLORS.region },
      { name: t('agg.nation'), values: points.map((p) => p.nationValue), color: COLORS.nation, dashed: true },
    ],
    fmt: (v) => fmtKpi(v, u),
  });
  let h =
    '<details><summary>' + esc(t('dealer.trendTable')) + '</summary><div class="table-wrap"><table class="grid trend" data-kpi="' + esc(kpi.code) + '"><thead><tr><th>' + esc(t('ctl.month')) +
    '</th><th class="num">' + esc(t('agg.dealer')) + '</th><th class="num">' + esc(t('agg.region')) + '</th><th class="num">' + esc(t('agg.nation')) + '</th></tr></thead><tbody>';
  for (const p of points) {
    const v = p.hidden ? null : p.value;
    const note = p.hidden ? t('dealer.hidden') : p.unavailableReason ? t('reason.' + p.unavailableReason) : '';
    h +=
      '<tr data-month="' + esc(p.month) + '"><td>' + esc(p.month) + '</td>' +
      '<td class="num" data-month="' + esc(p.month) + '" data-kpi="' + esc(kpi.code) + '" data-series="dealer" data-value="' + raw(v) + '">' + esc(fmtKpi(v, u)) + (note ? ' <small>' + esc(note) + '</small>' : '') + '</td>' +
      '<td class="num" data-series="region" data-value="' + raw(p.regionValue) + '">' + esc(p.regionValue === null ? t('disclosure.' + p.regionDisclosure) : fmtKpi(p.regionValue, u)) + '</td>' +
      '<td class="num" data-series="nation" data-value="' + raw(p.nationValue) + '">' + esc(p.nationValue === null ? t('disclosure.' + p.nationDisclosure) : fmtKpi(p.nationValue, u)) + '</td></tr>';
  }
  h += '</tbody></table></div></details>';
  root.querySelector('[data-part=trend-table]').innerHTML = h;
}

function drawReports(root, reports, code, me) {
  const canForm = me.role === 'dealer' || me.role === 'oem_admin';
  if (!reports.length) {
    root.querySelector('[data-part=reports-table]').innerHTML = '<p class="empty">' + esc(t('dealer.noReports')) + '</p>';
    return;
  }
  let h =
    '<div class="table-wrap"><table class="grid reports"><thead><tr><th>' + esc(t('ctl.month')) + '</th><th>' + esc(t('col.status')) + '</th><th class="num">' + esc(t('col.revision')) +
    '</th><th>' + esc(t('col.firstSubmitted')) + '</th><th>' + esc(t('col.updated')) + '</th><th>' + esc(t('col.revisions')) + '</th></tr></thead><tbody>';
  for (const r of reports) {
    const revs = r.revisions
      .map((v) => '<li data-revision="' + esc(v.revision) + '">r' + esc(v.revision) + ' · ' + esc(fmtDateTime(v.createdAt)) + ' · ' + esc(v.author) + (v.reason ? ' · “' + esc(v.reason) + '”' : '') + '</li>')
      .join('');
    h +=
      '<tr data-month="' + esc(r.month) + '" data-revision="' + esc(r.revision) + '"><td>' +
      (canForm ? '<a href="' + esc(hashOf('form', '', { dealer: code, month: r.month })) + '">' + esc(r.month) + '</a>' : esc(r.month)) + '</td>' +
      '<td>' + statusBadge('ReportState', r.status) + (r.late ? ' ' + statusBadge('SubmissionState', 'LATE') : '') + '</td>' +
      '<td class="num">' + esc(r.revision) + '</td><td>' + esc(fmtDateTime(r.firstSubmittedAt)) + '</td>' +
      '<td>' + esc(fmtDateTime(r.updatedAt)) + ' · ' + esc(r.updatedBy) + '</td>' +
      '<td>' + (revs ? '<ul class="revisions">' + revs + '</ul>' : '—') + '</td></tr>';
  }
  h += '</tbody></table></div>';
  root.querySelector('[data-part=reports-table]').innerHTML = h;
}

async function renderSearch(ctx) {
  const { root, params } = ctx;
  const q = params.q || '';
  root.innerHTML =
    '<header class="view-head"><h2>' + esc(t('nav.dealer')) + '</h2><div class="controls">' +
    '<label class="ctl"><span>' + esc(t('dealer.search')) + '</span><input type="search" name="q" data-param="q" value="' + esc(q) + '" placeholder="' + esc(t('dealer.searchHint')) + '"></label>' +
    '</div></header><div data-part="results"><p class="loading">' + esc(t('loading')) + '</p></div>';
  bindParams(root, ctx);
  const d = await gql(SEARCH, { search: q || null, first: 50 }, { signal: ctx.signal });
  if (!ctx.isCurrent()) return;
  const list = d.dealers.edges.map((e) => e.node);
  let h = '<p class="hint">' + esc(t('dealer.found', { n: fmtInt(d.dealers.totalCount), shown: fmtInt(list.length) })) + '</p><div class="table-wrap"><table class="grid"><thead><tr><th>' +
    esc(t('col.dealer')) + '</th><th>' + esc(t('col.name')) + '</th><th>' + esc(t('col.city')) + '</th><th>' + esc(t('col.region')) + '</th><th>' + esc(t('ctl.tier')) + '</th></tr></thead><tbody>';
  for (const n of list) {
    h +=
      '<tr data-dealer="' + esc(n.code) + '"><td><a href="' + esc(hashOf('dealer', n.code)) + '">' + esc(n.code) + '</a></td><td>' + esc(n.name) + '</td><td>' + esc(n.city) +
      '</td><td>' + esc(n.regionCode) + '</td><td>' + esc(t('tier.' + n.sizeTier)) + '</td></tr>';
  }
  h += '</tbody></table></div>';
  root.querySelector('[data-part=results]').innerHTML = h;
}
