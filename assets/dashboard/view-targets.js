/*
 * MSI Hub dashboard: Targets and action plans (`#/targets?region=&dealer=&year=&month=`).
 *
 * For a region (managers, the OEM, BI) or one dealer (a dealer user: its own; others with
 * `dealer=`), as of a month: achievement per target item (`regionTargetProgress` or
 * `targetProgress`; for a region also its dealers' achievement year to date, from the
 * `ranking` aggregates of the items' achievement KPIs), the exceptions of the month (`exceptions`, 20 dealers a page), the
 * meeting agenda (`agenda`) and the action items (`actionItems`, first 50) with their
 * measured effect. One operation; a part the API refuses shows the API's error and the
 * other parts still show.
 */

import { gql, catalog, regions as loadRegions, targetItems, ApiError } from './api.js';
import { t, lang } from './i18n.js';
import { esc, raw, fmtKpi, fmtPct, fmtInt, fmtDecimal, defaultMonth, isMonth } from './format.js';
import { monthInput, regionSelect, bindParams, kpiName, hashOf, statusBadge, errorBox } from './ui.js';

const PROGRESS = `target { item value status revision phasing }
      previousYearActual ytdActual ytdTarget achievementYtd achievementYear
      monthActual monthTarget projection gap kpiValue met missingMonths`;

const ITEM = `id dealerCode subject kpi problem cause countermeasure owner department dueMonth
      status effect overdue baselineValue valueSince expectedValue
      baselinePeriod { from to } sincePeriod { from to }`;

const EXCEPTIONS = `dealersInScope dealersWithExceptions hasNextPage endCursor
      dealers { dealerCode dealerName regionCode uncovered
        exceptions { kind kpi month value percentile guidelineStatus uncovered } }`;

const AGENDA = `month
      carriedOver { ${ITEM} }
      due { ${ITEM} }
      uncovered { dealerCode dealerName uncovered }`;

/** Dealers of the agenda's uncovered list shown (worst first): a region has ~1,250. */
const UNCOVERED_SHOWN = 50;

const REGION_Q = `query RegionTargets($region: String!, $year: Int!, $month: Month!, $period: ReportingPeriod!, $scope: ScopeInput) {
  regionTargetProgress(regionCode: $region, year: $year, asOf: $month) { dealers items { ${PROGRESS} } }
  exceptions(scope: $scope, period: $period, first: 20) { ${EXCEPTIONS} }
  agenda(regionCode: $region, month: $month) { ${AGENDA} }
  actionItems(regionCode: $region, first: 50) { totalCount nodes { ${ITEM} } }
}`;

const DEALER_Q = `query DealerTargets($dealer: String!, $year: Int!, $month: Month!, $period: ReportingPeriod!, $withExceptions: Boolean!) {
  targetProgress(dealerCode: $dealer, year: $year, asOf: $month) { ${PROGRESS} }
  exceptions(period: $period, first: 20) @include(if: $withExceptions) { ${EXCEPTIONS} }
  agenda(dealerCode: $dealer, month: $month) { ${AGENDA} }
  actionItems(dealerCode: $dealer, first: 50) { totalCount nodes { ${ITEM} } }
}`;

/** The region's dealers' achievement of each target item, year to date (`ranking` aggregates). */
function achievementQuery(items) {
  return (
    'query RegionAchievement($period: ReportingPeriod!, $scope: ScopeInput!) {\n' +
    items
      .map((it, i) => '  a' + i + ': ranking(kpi: ' + JSON.stringify(it.achievementKpi) + ', period: $period, scope: $scope, first: 1) { aggregate { pooled median p25 p75 dealersWithValue dealersMissing withheld disclosure } }')
      .join('\n') +
    '\n}'
  );
}

const MORE_EXCEPTIONS = `query MoreExceptions($period: ReportingPeriod!, $scope: ScopeInput, $after: String) {
  exceptions(scope: $scope, period: $period, first: 20, after: $after) { ${EXCEPTIONS} }
}`;

export async function render(ctx) {
  const { me, params, root } = ctx;
  const [cat, regs, items] = await Promise.all([catalog(), loadRegions(), targetItems()]);
  const month = isMonth(params.month) ? params.month : defaultMonth();
  const year = Number(month.slice(0, 4));
  const dealer = me.role === 'dealer' ? me.dealerCode : params.dealer || '';
  const mine = me.regions && me.regions.length ? regs.filter((r) => me.regions.includes(r.code)) : regs;
  const region = dealer ? '' : params.region || (mine[0] && mine[0].code) || '';
  const period = { kind: 'MONTH', month };
  const itemInfo = new Map(items.map((i) => [i.code, i]));

  root.innerHTML =
    '<header class="view-head"><h2>' + esc(t('nav.targets')) + (dealer ? ' · ' + esc(dealer) : '') + '</h2><div class="controls">' +
    (me.role !== 'dealer'
      ? regionSelect('region', mine.length ? mine : regs, region) +
        '<label class="ctl"><span>' + esc(t('col.dealer')) + '</span><input type="search" name="dealer" data-param="dealer" value="' + esc(dealer) + '" placeholder="D00001" size="10"></label>'
      : '') +
    monthInput('month', month, t('ctl.asOf')) +
    '</div></header>' +
    '<section class="panel" data-part="progress"><h3>' + esc(t('targets.progress', { year })) + '</h3><div data-part="progress-body"></div></section>' +
    '<section class="panel" data-part="exceptions"><h3>' + esc(t('targets.exceptions', { month })) + '</h3><div data-part="exceptions-body"></div></section>' +
    '<section class="panel" data-part="agenda"><h3>' + esc(t('targets.agenda', { month })) + '</h3><div data-part="agenda-body"></div></section>' +
    '<section class="panel" data-part="actions"><h3>' + esc(t('targets.actions')) + '</h3><div data-part="actions-body"></div></section>';
  bindParams(root, ctx, {
    region: (v) => ctx.navigate({ region: v, dealer: '' }),
    dealer: (v) => ctx.navigate({ dealer: v.toUpperCase() }),
  });

  const scope = region ? { kind: 'REGION', regionCode: region } : null;
  const achItems = items.filter((i) => cat.byCode.has(i.achievementKpi));
  const [res, ach] = await Promise.all([
    dealer
      ? gql(DEALER_Q, { dealer, year, month, period, withExceptions: me.role === 'dealer' }, { signal: ctx.signal, partial: true })
      : gql(REGION_Q, { region, year, month, period, scope }, { signal: ctx.signal, partial: true }),
    !dealer && region && achItems.length
      ? gql(achievementQuery(achItems), { period: { kind: 'YEAR_TO_DATE', month }, scope }, { signal: ctx.signal, partial: true })
      : null,
  ]);
  if (!ctx.isCurrent()) return;
  const d = res.data || {};
  const errorsAt = (field) => res.errors.filter((e) => Array.isArray(e.path) && e.path[0] === field);
  const part = (name, field, draw) => {
    const el = root.querySelector('[data-part=' + name + '-body]');
    const errs = errorsAt(field);
    if (errs.length || d[field] === null || d[field] === undefined) {
      el.innerHTML = errs.length ? errorBox({ message: errs.map((e) => e.message).join('; ') }) : '<p class="empty">—</p>';
      return;
    }
    el.innerHTML = draw(d[field]);
  };

  const progress = dealer ? d.targetProgress : d.regionTargetProgress && d.regionTargetProgress.items;
  part('progress', dealer ? 'targetProgress' : 'regionTargetProgress', () => drawProgress(progress, itemInfo, cat, dealer ? null : d.regionTargetProgress.dealers));
  if (ach) {
    root.querySelector('[data-part=progress-body]').insertAdjacentHTML('beforeend', drawAchievement(achItems, ach, itemInfo, cat, month));
    if (ach.errors.length) res.errors.push(...ach.errors);
  }
  if (dealer && me.role !== 'dealer') {
    root.querySelector('[data-part=exceptions-body]').innerHTML = '<p class="hint">' + esc(t('targets.exceptionsInAgenda')) + '</p>';
  } else {
    part('exceptions', 'exceptions', (x) => drawExceptions(x, cat, month));
  }
  part('agenda', 'agenda', (a) => drawAgenda(a, cat, month));
  part('actions', 'actionItems', (a) =>
    '<p class="hint">' + esc(t('targets.actionsCount', { n: fmtInt(a.totalCount), shown: fmtInt(a.nodes.length) })) + '</p>' + actionTable(a.nodes, cat, 'actions'));

  // More exceptions, on demand.
  let exc = d.exceptions;
  root.addEventListener('click', (ev) => {
    if (!ev.target.closest('button[data-action=more-exceptions]') || !exc) return;
    ctx.run(async () => {
      const m = await gql(MORE_EXCEPTIONS, { period, scope, after: exc.endCursor }, { signal: ctx.signal });
      exc = Object.assign({}, m.exceptions, { dealers: exc.dealers.concat(m.exceptions.dealers) });
      root.querySelector('[data-part=exceptions-body]').innerHTML = drawExceptions(exc, cat, month);
    });
  });

  if (res.errors.length) {
    throw new ApiError(res.errors.map((e) => e.message + (e.extensions && e.extensions.code ? ' [' + e.extensions.code + ']' : '')).join('; '));
  }
}

function itemName(code, itemInfo, cat) {
  if (code.startsWith('kpi:')) return kpiName(cat.byCode.get(code.slice(4))) || code;
  const info = itemInfo.get(code);
  if (!info) return code;
  if (lang() === 'zh') return info.zh;
  const k = cat.byCode.get(info.achievementKpi);
  return t('item.' + code) !== 'item.' + code ? t('item.' + code) : k ? k.nameEn : code;
}

function amount(v, code, itemInfo) {
  if (v === null || v === undefined) return '—';
  const info = itemInfo.get(code);
  return (info && info.unit === 'MONEY' ? '¥' : '') + fmtDecimal(v);
}

function drawProgress(list, itemInfo, cat, dealers) {
  if (!list || !list.length) return '<p class="empty">' + esc(t(dealers !== null && dealers !== undefined ? 'targets.noneRegion' : 'targets.none')) + '</p>';
  let h =
    (dealers !== null && dealers !== undefined ? '<p class="hint">' + esc(t('targets.regionDealers', { n: fmtInt(dealers) })) + '</p>' : '') +
    '<div class="table-wrap"><table class="grid progress"><thead><tr><th>' + esc(t('col.item')) + '</th><th>' + esc(t('col.status')) + '</th><th class="num">' + esc(t('col.target')) +
    '</th><th class="num">' + esc(t('col.previousYear')) + '</th><th class="num">' + esc(t('col.ytdActual')) + '</th><th class="num">' + esc(t('col.ytdTarget')) + '</th><th class="num">' +
    esc(t('col.achievementYtd')) + '</th><th class="num">' + esc(t('col.achievementYear')) + '</th><th class="num">' + esc(t('col.monthActual')) + '</th><th class="num">' +
    esc(t('col.projection')) + '</th><th class="num">' + esc(t('col.gap')) + '</th></tr></thead><tbody>';
  for (const p of list) {
    const code = p.target.item;
    const isKpi = code.startsWith('kpi:');
    const k = isKpi ? cat.byCode.get(code.slice(4)) : null;
    const ach = (v) => '<td class="num ' + (v === null ? '' : v >= 100 ? 'good' : 'bad') + '" data-value="' + raw(v) + '">' + esc(fmtPct(v)) + '</td>';
    h +=
      '<tr data-item="' + esc(code) + '"><td>' + esc(itemName(code, itemInfo, cat)) + '</td><td>' + statusBadge('TargetStatus', p.target.status) + '</td>' +
      '<td class="num" data-value="' + raw(p.target.value) + '">' + esc(isKpi && k ? fmtKpi(Number(p.target.value), k.unit) : amount(p.target.value, code, itemInfo)) + '</td>' +
      '<td class="num">' + esc(amount(p.previousYearActual, code, itemInfo)) + '</td>' +
      '<td class="num" data-value="' + raw(isKpi ? p.kpiValue : p.ytdActual) + '">' + esc(isKpi && k ? fmtKpi(p.kpiValue, k.unit) + (p.met === null ? '' : p.met ? ' ✓' : ' ✗') : amount(p.ytdActual, code, itemInfo)) + '</td>' +
      '<td class="num">' + esc(amount(p.ytdTarget, code, itemInfo)) + '</td>' +
      ach(p.achievementYtd) + ach(p.achievementYear) +
      '<td class="num">' + esc(amount(p.monthActual, code, itemInfo)) + ' / ' + esc(amount(p.monthTarget, code, itemInfo)) + '</td>' +
      '<td class="num">' + esc(amount(p.projection, code, itemInfo)) + '</td>' +
      '<td class="num ' + (p.gap && p.gap.startsWith('-') ? 'bad' : '') + '">' + esc(amount(p.gap, code, itemInfo)) +
      (p.missingMonths && p.missingMonths.length ? ' <small>' + esc(t('targets.missingMonths', { m: p.missingMonths.join(', ') })) + '</small>' : '') + '</td></tr>';
  }
  return h + '</tbody></table></div>';
}

function drawAchievement(list, ach, itemInfo, cat, month) {
  let h =
    '<h4>' + esc(t('targets.dealersAchievement', { month })) + '</h4><div class="table-wrap"><table class="grid achievement"><thead><tr><th>' + esc(t('col.item')) + '</th><th class="num">' +
    esc(t('targets.pooledAchievement')) + '</th><th class="num">' + esc(t('agg.p25')) + '</th><th class="num">' + esc(t('agg.median')) + '</th><th class="num">' + esc(t('agg.p75')) +
    '</th><th class="num">' + esc(t('agg.dealers')) + '</th></tr></thead><tbody>';
  list.forEach((it, i) => {
    const r = ach.data && ach.data['a' + i];
    const a = r ? r.aggregate : null;
    const cell = (v, key) => '<td class="num' + (key === 'pooled' && v !== null && v !== undefined ? (v >= 100 ? ' good' : ' bad') : '') + '" data-agg="' + key + '" data-value="' + raw(v) + '">' + esc(fmtPct(v)) + '</td>';
    h +=
      '<tr data-item="' + esc(it.code) + '" data-kpi="' + esc(it.achievementKpi) + '"><td><a href="' + esc(hashOf('ranking', '', { kpi: it.achievementKpi, kind: 'YEAR_TO_DATE', month })) + '">' +
      esc(itemName(it.code, itemInfo, cat)) + '</a></td>' +
      (a && !a.withheld
        ? cell(a.pooled, 'pooled') + cell(a.p25, 'p25') + cell(a.median, 'median') + cell(a.p75, 'p75') +
          '<td class="num">' + esc(fmtInt(a.dealersWithValue)) + (a.dealersMissing ? ' <small>' + esc(t('agg.missing', { n: fmtInt(a.dealersMissing) })) + '</small>' : '') + '</td>'
        : '<td colspan="5" class="empty">—</td>') +
      '</tr>';
  });
  return h + '</tbody></table></div>';
}

function exceptionChip(x, cat) {
  const k = x.kpi ? cat.byCode.get(x.kpi) : null;
  let text = t('ExceptionKind.' + x.kind);
  if (k) text += ': ' + kpiName(k);
  if (x.value !== null && x.value !== undefined) text += ' ' + (x.kind === 'BEHIND_TARGET' ? fmtPct(x.value) : k ? fmtKpi(x.value, k.unit) : String(x.value));
  if (x.month && (x.kind === 'MISSING_REPORT' || x.kind === 'LATE_REPORT')) text += ' ' + x.month;
  return '<span class="chip ' + (x.uncovered ? 'uncovered' : 'covered') + '" data-kind="' + esc(x.kind) + '"' + (x.kpi ? ' data-kpi="' + esc(x.kpi) + '"' : '') +
    ' data-value="' + raw(x.value) + '" title="' + esc(x.uncovered ? t('targets.uncovered') : t('targets.covered')) + '">' + esc(text) + '</span>';
}

/** Counts by kind, and every exception in a fold (a dealer may have dozens). */
function exceptionSummary(list, cat) {
  const counts = new Map();
  for (const x of list) counts.set(x.kind, (counts.get(x.kind) || 0) + 1);
  let h = '';
  for (const [kind, n] of counts) {
    h += '<span class="chip kind" data-kind="' + esc(kind) + '" data-count="' + n + '">' + esc(t('ExceptionKind.' + kind)) + ' ×' + n + '</span> ';
  }
  return h + '<details class="exc"><summary>' + esc(t('targets.details', { n: list.length })) + '</summary>' + list.map((e) => exceptionChip(e, cat)).join(' ') + '</details>';
}

function drawExceptions(x, cat, month) {
  let h = '<p class="hint">' + esc(t('targets.exceptionsCount', { n: fmtInt(x.dealersWithExceptions), of: fmtInt(x.dealersInScope) })) + '</p>';
  if (!x.dealers.length) return h + '<p class="empty">' + esc(t('targets.noExceptions')) + '</p>';
  h += '<div class="table-wrap"><table class="grid exceptions"><thead><tr><th>' + esc(t('col.dealer')) + '</th><th class="num">' + esc(t('col.uncovered')) + '</th><th>' + esc(t('col.exceptions')) + '</th></tr></thead><tbody>';
  for (const d of x.dealers) {
    h +=
      '<tr data-dealer="' + esc(d.dealerCode) + '"><td><a href="' + esc(hashOf('dealer', d.dealerCode, { month })) + '">' + esc(d.dealerCode) + '</a> ' + esc(d.dealerName) + '</td>' +
      '<td class="num" data-value="' + raw(d.uncovered) + '">' + esc(d.uncovered) + '</td><td>' + exceptionSummary(d.exceptions, cat) + '</td></tr>';
  }
  h += '</tbody></table></div>';
  if (x.hasNextPage) h += '<button type="button" data-action="more-exceptions">' + esc(t('targets.moreExceptions')) + '</button>';
  return h;
}

function drawAgenda(a, cat, month) {
  let h = '<h4>' + esc(t('targets.carriedOver')) + ' (' + a.carriedOver.length + ')</h4>' + (a.carriedOver.length ? actionTable(a.carriedOver, cat, 'carried-over') : '<p class="empty">—</p>');
  h += '<h4>' + esc(t('targets.due')) + ' (' + a.due.length + ')</h4>' + (a.due.length ? actionTable(a.due, cat, 'due') : '<p class="empty">—</p>');
  h += '<h4>' + esc(t('targets.uncoveredList')) + ' (' + a.uncovered.length + ')</h4>';
  if (!a.uncovered.length) return h + '<p class="empty">—</p>';
  // Counts only: the exceptions themselves are in the exceptions panel, a page at a time.
  h += '<ul class="uncovered" data-list="uncovered">';
  for (const d of a.uncovered.slice(0, UNCOVERED_SHOWN)) {
    h +=
      '<li data-dealer="' + esc(d.dealerCode) + '"><a href="' + esc(hashOf('dealer', d.dealerCode, { month })) + '">' + esc(d.dealerCode) + '</a> ' + esc(d.dealerName) +
      ' <span class="chip" data-count="' + esc(d.uncovered) + '">' + esc(fmtInt(d.uncovered)) + '</span></li>';
  }
  h += '</ul>';
  const rest = a.uncovered.length - UNCOVERED_SHOWN;
  return rest > 0 ? h + '<p class="empty">… +' + esc(fmtInt(rest)) + '</p>' : h;
}

function actionTable(list, cat, key) {
  let h =
    '<div class="table-wrap"><table class="grid actions" data-list="' + esc(key) + '"><thead><tr><th>' + esc(t('col.dealer')) + '</th><th>' + esc(t('col.subject')) + '</th><th>' +
    esc(t('col.problem')) + '</th><th>' + esc(t('col.countermeasure')) + '</th><th>' + esc(t('col.owner')) + '</th><th>' + esc(t('col.due')) + '</th><th>' + esc(t('col.status')) +
    '</th><th class="num">' + esc(t('col.baseline')) + '</th><th class="num">' + esc(t('col.since')) + '</th><th class="num">' + esc(t('col.expected')) + '</th><th>' + esc(t('col.effect')) + '</th></tr></thead><tbody>';
  for (const i of list) {
    const k = cat.byCode.get(i.kpi);
    const f = (v) => (k ? fmtKpi(v, k.unit) : v === null ? '—' : String(v));
    h +=
      '<tr data-action-item="' + esc(i.id) + '" data-dealer="' + esc(i.dealerCode) + '" data-kpi="' + esc(i.kpi) + '"' + (i.overdue ? ' class="overdue"' : '') + '>' +
      '<td><a href="' + esc(hashOf('dealer', i.dealerCode)) + '">' + esc(i.dealerCode) + '</a></td>' +
      '<td>' + esc(k ? kpiName(k) : i.subject) + '</td><td>' + esc(i.problem) + (i.cause ? '<br><small>' + esc(i.cause) + '</small>' : '') + '</td>' +
      '<td>' + esc(i.countermeasure) + '</td><td>' + esc(i.owner) + (i.department ? ' <small>' + esc(i.department) + '</small>' : '') + '</td>' +
      '<td>' + esc(i.dueMonth) + (i.overdue ? ' <span class="badge bad">' + esc(t('targets.overdue')) + '</span>' : '') + '</td>' +
      '<td>' + statusBadge('ActionStatus', i.status) + '</td>' +
      '<td class="num" data-value="' + raw(i.baselineValue) + '" title="' + esc(i.baselinePeriod.from + ' – ' + i.baselinePeriod.to) + '">' + esc(f(i.baselineValue)) + '</td>' +
      '<td class="num" data-value="' + raw(i.valueSince) + '"' + (i.sincePeriod ? ' title="' + esc(i.sincePeriod.from + ' – ' + i.sincePeriod.to) + '"' : '') + '>' + esc(f(i.valueSince)) + '</td>' +
      '<td class="num" data-value="' + raw(i.expectedValue) + '">' + esc(f(i.expectedValue)) + '</td>' +
      '<td data-effect="' + esc(i.effect) + '">' + statusBadge('ActionEffect', i.effect) + '</td></tr>';
  }
  return h + '</tbody></table></div>';
}
