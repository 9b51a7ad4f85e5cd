/*
 * MSI Hub dashboard: the pieces the views share — selectors (KPI, period, month, region),
 * the error box, KPI names in the chosen language, and the binding of `[data-param]`
 * controls to the view's parameters in the URL fragment (`#/ranking?kpi=...`): a control
 * that changes navigates, and the router renders the view again from the fragment.
 */

import { t, lang } from './i18n.js';
import { esc, fmtKpi } from './format.js';

export const PERIOD_KINDS = ['MONTH', 'QUARTER', 'YEAR_TO_DATE', 'ROLLING_12'];
const CATEGORY_ORDER = ['PERFORMANCE', 'EFFICIENCY', 'OPERATING', 'PRODUCTIVITY', 'REVENUE_MIX', 'RO_MIX', 'LABOR_MIX', 'TARGETS'];

export function kpiName(k) {
  if (!k) return '';
  return lang() === 'zh' ? k.nameZh : k.nameEn;
}

/** `<select data-param=name>` of the catalog's KPIs, grouped by category. */
export function kpiSelect(param, cat, selected, label) {
  const groups = new Map();
  for (const k of cat.list) {
    if (!groups.has(k.category)) groups.set(k.category, []);
    groups.get(k.category).push(k);
  }
  const order = CATEGORY_ORDER.filter((c) => groups.has(c)).concat([...groups.keys()].filter((c) => !CATEGORY_ORDER.includes(c)));
  let h = '<label class="ctl"><span>' + esc(label || t('ctl.kpi')) + '</span><select data-param="' + esc(param) + '" name="' + esc(param) + '">';
  for (const c of order) {
    h += '<optgroup label="' + esc(t('cat.' + c)) + '">';
    for (const k of groups.get(c)) {
      h += '<option value="' + esc(k.code) + '"' + (k.code === selected ? ' selected' : '') + '>' + esc(kpiName(k)) + '</option>';
    }
    h += '</optgroup>';
  }
  return h + '</select></label>';
}

export function periodSelect(param, selected) {
  let h = '<label class="ctl"><span>' + esc(t('ctl.period')) + '</span><select data-param="' + esc(param) + '" name="' + esc(param) + '">';
  for (const k of PERIOD_KINDS) h += '<option value="' + k + '"' + (k === selected ? ' selected' : '') + '>' + esc(t('period.' + k)) + '</option>';
  return h + '</select></label>';
}

export function monthInput(param, value, label) {
  return (
    '<label class="ctl"><span>' + esc(label || t('ctl.month')) + '</span><input type="month" data-param="' + esc(param) + '" name="' + esc(param) +
    '" value="' + esc(value) + '" required></label>'
  );
}

export function yearInput(param, value) {
  return '<label class="ctl"><span>' + esc(t('ctl.year')) + '</span><input type="number" min="2000" max="2100" data-param="' + esc(param) + '" name="' + esc(param) + '" value="' + esc(value) + '"></label>';
}

/** `regions` `[{ code, name }]`; `none` adds a first option with value '' and that label. */
export function regionSelect(param, regions, selected, none) {
  let h = '<label class="ctl"><span>' + esc(t('ctl.region')) + '</span><select data-param="' + esc(param) + '" name="' + esc(param) + '">';
  if (none) h += '<option value="">' + esc(none) + '</option>';
  for (const r of regions) h += '<option value="' + esc(r.code) + '"' + (r.code === selected ? ' selected' : '') + '>' + esc(r.code + ' ' + (r.name || '')) + '</option>';
  return h + '</select></label>';
}

export function selectOf(param, label, options, selected) {
  let h = '<label class="ctl"><span>' + esc(label) + '</span><select data-param="' + esc(param) + '" name="' + esc(param) + '">';
  for (const [v, text] of options) h += '<option value="' + esc(v) + '"' + (v === selected ? ' selected' : '') + '>' + esc(text) + '</option>';
  return h + '</select></label>';
}

/**
 * Every `[data-param]` control under `root` navigates to the view with that parameter,
 * except those `local` handles itself (`{ param: fn(value) }`).
 */
export function bindParams(root, ctx, local = {}) {
  root.addEventListener('change', (ev) => {
    const el = ev.target.closest('[data-param]');
    if (!el || !root.contains(el)) return;
    const v = el.value.trim();
    if (el.type === 'month' && v && !/^\d{4}-\d{2}$/.test(v)) return;
    const p = el.dataset.param;
    if (local[p]) local[p](v);
    else ctx.navigate({ [p]: v });
  });
}

export function errorBox(e) {
  return '<div class="error" role="alert" data-error-message>' + esc(e && e.message ? e.message : String(e)) + '</div>';
}

/** Text for an aggregate that is withheld (`disclosure` says why). */
export function withheldNote(agg) {
  if (!agg || !agg.withheld) return '';
  return t('disclosure.' + agg.disclosure);
}

export function statusBadge(kind, value) {
  if (!value) return '';
  return '<span class="badge ' + esc(kind.toLowerCase()) + '-' + esc(String(value).toLowerCase()) + '">' + esc(t(kind + '.' + value)) + '</span>';
}

export function guidelineText(g, unit) {
  if (!g || (g.low === null && g.high === null)) return '';
  if (g.low !== null && g.high !== null) return fmtKpi(g.low, unit) + '–' + fmtKpi(g.high, unit);
  if (g.low !== null) return '≥ ' + fmtKpi(g.low, unit);
  return '≤ ' + fmtKpi(g.high, unit);
}

/** ABOVE, BELOW or WITHIN a guideline band; null without a band or a value. */
export function guidelineStatus(value, g) {
  if (value === null || value === undefined || !g || (g.low === null && g.high === null)) return null;
  if (g.low !== null && value < g.low) return 'BELOW';
  if (g.high !== null && value > g.high) return 'ABOVE';
  return 'WITHIN';
}

/** `#/view/arg?k=v`: the fragment of a view with its parameters (empty ones left out). */
export function hashOf(view, arg, params) {
  const h = '#/' + view + (arg ? '/' + encodeURIComponent(arg) : '');
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== '' && v !== null && v !== undefined) q.set(k, v);
  const s = q.toString();
  return s ? h + '?' + s : h;
}
