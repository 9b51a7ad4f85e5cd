/*
 * MSI Hub dashboard: Ranking (`#/ranking?kpi=&kind=&month=&scope=&region=&brand=&tier=`).
 *
 * A KPI (from `kpiCatalog`), a period (`ReportingPeriod`: month, quarter, YTD, rolling 12)
 * and a scope (`ScopeInput`: region, peer group, nation). One `ranking` query per page of
 * 100 lines (more on demand); the table sorts the lines loaded, client-side, and is built
 * as one HTML string. The distribution chart shows the loaded dealers' values in rank
 * order with the scope's quartile band and the region and nation marked.
 */

import { gql, catalog, regions as loadRegions, ownDealer, comparisonMonth } from './api.js';
import { t } from './i18n.js';
import { esc, raw, fmtKpi, fmtDelta, fmtPct, fmtInt, isMonth, addMonths } from './format.js';
import { kpiSelect, periodSelect, monthInput, regionSelect, selectOf, bindParams, kpiName, withheldNote, hashOf, guidelineText } from './ui.js';
import { distribution, COLORS } from './charts.js';

const PAGE = 100;

const RANKING = `query Ranking($kpi: String!, $period: ReportingPeriod!, $scope: ScopeInput, $first: Int, $after: String) {
  ranking(kpi: $kpi, period: $period, scope: $scope, first: $first, after: $after) {
    period { from to kind }
    aggregate { pooled mean median p25 p75 min max dealersWithValue dealersMissing withheld disclosure }
    nation { pooled median p25 p75 dealersWithValue withheld disclosure }
    entries {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { rank percentile value dealerCode dealerName regionCode deltaToRegion deltaToNation }
    }
  }
}`;

const BRANDS = `query PeerBrands($region: String) { dealers(regionCode: $region, first: 500) { nodes { brand } } }`;

export async function render(ctx) {
  const { me, params, root } = ctx;
  const [cat, regs, own, defMonth] = await Promise.all([catalog(), loadRegions(), ownDealer(), comparisonMonth()]);
  const kpiCode = cat.byCode.has(params.kpi) ? params.kpi : 'first_time_fix';
  const kpi = cat.byCode.get(kpiCode);
  const kind = params.kind || 'MONTH';
  const month = isMonth(params.month) ? params.month : defMonth;
  const scopeKind = params.scope || (me.role === 'regional_manager' || me.role === 'dealer' ? 'REGION' : 'NATION');
  const myRegions = me.regions && me.regions.length ? regs.filter((r) => me.regions.includes(r.code)) : [];
  const regionCode = params.region || (myRegions[0] && myRegions[0].code) || (own && own.regionCode) || (regs[0] && regs[0].code) || '';
  const tier = params.tier || (own && own.sizeTier) || 'MEDIUM';
  let brand = params.brand || (own && own.brand) || '';

  let brands = [];
  if (scopeKind === 'PEER_GROUP' && me.role !== 'dealer') {
    const d = await gql(BRANDS, { region: myRegions.length ? regionCode : null }, { signal: ctx.signal });
    brands = [...new Set(d.dealers.nodes.map((n) => n.brand))].sort();
    if (!brand) brand = brands[0] || '';
  }

  const scope = { kind: scopeKind };
  if (scopeKind === 'REGION') scope.regionCode = regionCode;
  if (scopeKind === 'PEER_GROUP') {
    scope.brand = brand;
    scope.sizeTier = tier;
  }

  root.innerHTML =
    '<header class="view-head"><h2>' + esc(t('nav.ranking')) + '</h2><div class="controls">' +
    kpiSelect('kpi', cat, kpiCode) +
    periodSelect('kind', kind) +
    monthInput('month', month) +
    selectOf('scope', t('ctl.scope'), [['REGION', t('scope.REGION')], ['PEER_GROUP', t('scope.PEER_GROUP')], ['NATION', t('scope.NATION')]], scopeKind) +
    (scopeKind === 'REGION' ? regionSelect('region', myRegions.length ? myRegions : regs, regionCode) : '') +
    (scopeKind === 'PEER_GROUP'
      ? (me.role === 'dealer'
          ? '<span class="ctl"><span>' + esc(t('ctl.peerGroup')) + '</span><b>' + esc(brand + ' · ' + t('tier.' + tier)) + '</b></span>'
          : selectOf('brand', t('ctl.brand'), brands.map((b) => [b, b]), brand) +
            selectOf('tier', t('ctl.tier'), ['LARGE', 'MEDIUM', 'SMALL'].map((x) => [x, t('tier.' + x)]), tier))
      : '') +
    '</div></header>' +
    '<p class="kpi-note">' + esc(kpiName(kpi)) + ' · ' + esc(t('dir.' + kpi.direction)) +
    (kpi.guideline ? ' · ' + esc(t('col.guideline')) + ' ' + esc(guidelineText(kpi.guideline, kpi.unit)) : '') + '</p>' +
    '<div class="summary" data-part="summary"></div>' +
    '<div class="chart" data-part="chart"></div>' +
    '<div class="table-wrap" data-part="table"></div>' +
    '<div class="more" data-part="more"></div>';
  bindParams(root, ctx);

  const state = { lines: [], sort: { key: 'rank', dir: 1 }, cursor: null, hasNext: false, total: 0, data: null };
  const variables = { kpi: kpiCode, period: { kind, month }, scope, first: PAGE, after: null };

  async function loadPage() {
    const d = await gql(RANKING, Object.assign({}, variables, { after: state.cursor }), { signal: ctx.signal });
    if (!ctx.isCurrent()) return;
    const r = d.ranking;
    state.data = r;
    state.lines = state.lines.concat(r.entries.nodes);
    state.cursor = r.entries.pageInfo.endCursor;
    state.hasNext = r.entries.pageInfo.hasNextPage;
    state.total = r.entries.totalCount;
    draw();
  }

  function regionPooled() {
    const r = state.data;
    if (scopeKind === 'REGION') return { code: regionCode, value: r.aggregate.withheld ? null : r.aggregate.pooled };
    const want = (own && own.regionCode) || (myRegions[0] && myRegions[0].code);
    if (!want) return null;
    const line = state.lines.find((l) => l.regionCode === want && l.deltaToRegion !== null);
    return line ? { code: line.regionCode, value: line.value - line.deltaToRegion } : null;
  }

  function draw() {
    const r = state.data;
    const u = kpi.unit;
    const a = r.aggregate;
    const n = r.nation;
    const fig = (label, key, v, extra) =>
      '<div class="fig"><span>' + esc(label) + '</span><b data-agg="' + key + '" data-value="' + raw(v) + '">' + esc(fmtKpi(v, u)) + '</b>' + (extra || '') + '</div>';
    const scopeName = scopeKind === 'REGION' ? regionCode : scopeKind === 'PEER_GROUP' ? brand + ' · ' + t('tier.' + tier) : t('scope.NATION');
    root.querySelector('[data-part=summary]').innerHTML =
      '<div class="figs">' +
      fig(t('agg.pooled') + ' (' + scopeName + ')', 'scope-pooled', a.pooled, a.withheld ? '<small>' + esc(withheldNote(a)) + '</small>' : '') +
      fig(t('agg.median'), 'scope-median', a.median) +
      fig(t('agg.p25'), 'scope-p25', a.p25) +
      fig(t('agg.p75'), 'scope-p75', a.p75) +
      fig(t('agg.nation'), 'nation-pooled', n.pooled, n.withheld ? '<small>' + esc(withheldNote(n)) + '</small>' : '') +
      '<div class="fig"><span>' + esc(t('agg.dealers')) + '</span><b data-agg="dealers-with-value" data-value="' + raw(a.dealersWithValue) + '">' + esc(fmtInt(a.dealersWithValue)) + '</b>' +
      '<small>' + esc(t('agg.missing', { n: fmtInt(a.dealersMissing) })) + '</small></div>' +
      '<div class="fig"><span>' + esc(t('ctl.period')) + '</span><b>' + esc(r.period.from === r.period.to ? r.period.from : r.period.from + ' – ' + r.period.to) + '</b></div>' +
      '</div>';

    drawTable();

    const rp = regionPooled();
    const mine = me.dealerCode || null;
    distribution(root.querySelector('[data-part=chart]'), {
      points: state.lines.slice().sort((x, y) => x.rank - y.rank).map((l) => ({ rank: l.rank, value: l.value, name: l.dealerCode + ' ' + (l.dealerName || ''), code: l.dealerCode })),
      lines: [
        rp ? { name: t('agg.region') + ' ' + rp.code, value: rp.value, color: COLORS.region } : null,
        { name: t('agg.nation'), value: n.withheld ? null : n.pooled, color: COLORS.nation, dashed: true },
      ].filter(Boolean),
      band: a.withheld ? null : [a.p25, a.p75],
      fmt: (v) => fmtKpi(v, u),
      highlight: mine,
    });

    const more = root.querySelector('[data-part=more]');
    more.innerHTML =
      '<span>' + esc(t('ranking.shown', { n: fmtInt(state.lines.length), total: fmtInt(state.total) })) + '</span>' +
      (state.hasNext ? ' <button type="button" data-action="more">' + esc(t('ranking.more', { n: PAGE })) + '</button>' : '');
  }

  function drawTable() {
    const u = kpi.unit;
    const { key, dir } = state.sort;
    const lines = state.lines.slice();
    const val = (l) => (key === 'dealerCode' || key === 'dealerName' || key === 'regionCode' ? l[key] || '' : l[key] === null || l[key] === undefined ? -Infinity : l[key]);
    lines.sort((x, y) => {
      const a = val(x);
      const b = val(y);
      const c = typeof a === 'string' ? a.localeCompare(b) : a - b;
      return c * dir || x.rank - y.rank;
    });
    const th = (k, label, cls) =>
      '<th' + (cls ? ' class="' + cls + '"' : '') + ' data-sort="' + k + '" aria-sort="' + (k === key ? (dir > 0 ? 'ascending' : 'descending') : 'none') + '"><button type="button">' +
      esc(label) + (k === key ? (dir > 0 ? ' ▲' : ' ▼') : '') + '</button></th>';
    let h =
      '<table class="grid ranking" data-kpi="' + esc(kpiCode) + '"><thead><tr>' +
      th('rank', t('col.rank'), 'num') + th('dealerCode', t('col.dealer')) + th('dealerName', t('col.name')) + th('regionCode', t('col.region')) +
      th('value', t('col.value') + ' (' + t('unit.' + u) + ')', 'num') + th('percentile', t('col.percentile'), 'num') +
      th('deltaToRegion', t('col.deltaRegion'), 'num') + th('deltaToNation', t('col.deltaNation'), 'num') +
      '</tr></thead><tbody>';
    const mine = me.dealerCode;
    for (const l of lines) {
      h +=
        '<tr data-dealer="' + esc(l.dealerCode) + '" data-value="' + raw(l.value) + '" data-rank="' + raw(l.rank) + '" data-kpi="' + esc(kpiCode) + '"' +
        (l.dealerCode === mine ? ' class="mine"' : '') + '>' +
        '<td class="num">' + esc(l.rank) + '</td>' +
        '<td><a href="' + esc(hashOf('dealer', l.dealerCode, { kpi: kpiCode, kind, month })) + '">' + esc(l.dealerCode) + '</a></td>' +
        '<td>' + esc(l.dealerName) + '</td><td>' + esc(l.regionCode) + '</td>' +
        '<td class="num">' + esc(fmtKpi(l.value, u)) + '</td>' +
        '<td class="num" data-percentile="' + raw(l.percentile) + '">' + esc(fmtPct(l.percentile)) + '</td>' +
        '<td class="num ' + deltaClass(l.deltaToRegion) + '" data-delta="region" data-value="' + raw(l.deltaToRegion) + '">' + esc(fmtDelta(l.deltaToRegion, u)) + '</td>' +
        '<td class="num ' + deltaClass(l.deltaToNation) + '" data-delta="nation" data-value="' + raw(l.deltaToNation) + '">' + esc(fmtDelta(l.deltaToNation, u)) + '</td>' +
        '</tr>';
    }
    if (!lines.length) {
      const a = state.data && state.data.aggregate;
      h +=
        '<tr><td colspan="8" class="empty">' + esc(t('ranking.none')) +
        (a && a.disclosure === 'NOT_YET_PUBLISHED'
          ? ' ' + esc(t('ranking.notPublished')) + ' <a href="' + esc(hashOf('ranking', '', Object.assign({}, params, { month: addMonths(month, -1) }))) + '">' + esc(addMonths(month, -1)) + '</a>'
          : '') +
        '</td></tr>';
    }
    h += '</tbody></table>';
    root.querySelector('[data-part=table]').innerHTML = h;
  }

  function deltaClass(v) {
    if (v === null || v === undefined || v === 0) return '';
    const good = kpi.direction === 'LOWER_IS_BETTER' ? v < 0 : v > 0;
    return good ? 'good' : 'bad';
  }

  root.addEventListener('click', (ev) => {
    const th = ev.target.closest('th[data-sort]');
    if (th) {
      const k = th.dataset.sort;
      state.sort = { key: k, dir: state.sort.key === k ? -state.sort.dir : k === 'rank' || k === 'dealerCode' || k === 'dealerName' || k === 'regionCode' ? 1 : -1 };
      drawTable();
      return;
    }
    if (ev.target.closest('button[data-action=more]')) ctx.run(loadPage);
  });

  await loadPage();
}
