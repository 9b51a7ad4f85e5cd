/*
 * MSI Hub dashboard: turning API values into text.
 *
 * - KPI values are formatted by the catalog's `unit` (PERCENT, RATIO, ROS_PER_DAY,
 *   ROS_PER_PERSON, SCORE, YUAN_PER_DAY, YUAN_PER_PERSON, YUAN_PER_RO); the raw number
 *   the API returned always goes into a `data-value` attribute next to it.
 * - Money and hours come as exact decimal strings: they are grouped as text, never
 *   through floating point.
 * - Months are `YYYY-MM`; the default month is the one the server wrote into index.html
 *   (`__MSI_MONTH__`), else last month in the OEM's time zone (UTC+8).
 * - `esc` escapes text for the HTML strings the views build.
 */

import { t, lang } from './i18n.js';

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function esc(v) {
  return v === null || v === undefined ? '' : String(v).replace(/[&<>"']/g, (c) => ESC[c]);
}

/** A value for a `data-value` attribute: the number as the API returned it, '' for none. */
export function raw(v) {
  return v === null || v === undefined ? '' : esc(String(v));
}

const nfCache = new Map();
function nf(digits) {
  const key = lang() + ':' + digits;
  let f = nfCache.get(key);
  if (!f) {
    f = new Intl.NumberFormat(lang() === 'zh' ? 'zh-CN' : 'en-US', {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
    nfCache.set(key, f);
  }
  return f;
}

export function fmtNum(v, digits = 0) {
  if (v === null || v === undefined || v === '' || !Number.isFinite(Number(v))) return '—';
  return nf(digits).format(Number(v));
}

const UNIT_DIGITS = {
  PERCENT: 1,
  RATIO: 2,
  ROS_PER_DAY: 2,
  ROS_PER_PERSON: 1,
  SCORE: 1,
  YUAN_PER_DAY: 0,
  YUAN_PER_PERSON: 0,
  YUAN_PER_RO: 0,
};

export function unitDigits(unit) {
  return UNIT_DIGITS[unit] === undefined ? 2 : UNIT_DIGITS[unit];
}

/** The unit as a short label (`%`, `台/天`...). */
export function unitLabel(unit) {
  return t('unit.' + unit);
}

/** A KPI value as its unit says (`85.3%`, `¥1,234`, `1.52`). */
export function fmtKpi(v, unit, withUnit = true) {
  if (v === null || v === undefined || !Number.isFinite(Number(v))) return '—';
  const s = fmtNum(v, unitDigits(unit));
  if (!withUnit) return s;
  if (unit === 'PERCENT') return s + '%';
  if (unit === 'YUAN_PER_DAY' || unit === 'YUAN_PER_PERSON' || unit === 'YUAN_PER_RO') return '¥' + s;
  return s;
}

/** A difference of two KPI values: `+1.2 pp`, `-¥35`, `+0.05`. */
export function fmtDelta(v, unit) {
  if (v === null || v === undefined || !Number.isFinite(Number(v))) return '—';
  const digits = unitDigits(unit);
  const n = Number(v);
  const zero = Math.abs(n) < 0.5 * Math.pow(10, -digits);
  const sign = zero ? '±' : n > 0 ? '+' : '−';
  const s = fmtNum(zero ? 0 : Math.abs(n), digits);
  if (unit === 'PERCENT') return sign + s + ' ' + t('unit.pp');
  if (unit === 'YUAN_PER_DAY' || unit === 'YUAN_PER_PERSON' || unit === 'YUAN_PER_RO') return sign + '¥' + s;
  return sign + s;
}

/** A percentile or percent (0–100) with one decimal. */
export function fmtPct(v) {
  if (v === null || v === undefined || !Number.isFinite(Number(v))) return '—';
  return fmtNum(v, 1) + '%';
}

/** An exact decimal string (`"1234567.50"`) grouped as text: `1,234,567.50`. */
export function fmtDecimal(s) {
  if (s === null || s === undefined || s === '') return '—';
  const m = /^(-?)(\d+)(\.\d+)?$/.exec(String(s));
  if (!m) return String(s);
  return m[1] + m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (m[3] || '');
}

export function fmtInt(v) {
  return fmtNum(v, 0);
}

export function fmtDateTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const two = (n) => (n < 10 ? '0' : '') + n;
  return d.getFullYear() + '-' + two(d.getMonth() + 1) + '-' + two(d.getDate()) + ' ' + two(d.getHours()) + ':' + two(d.getMinutes());
}

// ---- months ------------------------------------------------------------------------------

export function isMonth(s) {
  return typeof s === 'string' && /^\d{4}-(0[1-9]|1[0-2])$/.test(s);
}

export function addMonths(month, n) {
  const y = Number(month.slice(0, 4));
  const m = Number(month.slice(5, 7)) - 1 + n;
  const yy = y + Math.floor(m / 12);
  const mm = ((m % 12) + 12) % 12;
  return yy + '-' + (mm < 9 ? '0' : '') + (mm + 1);
}

let serverMonth = null;
/** The month the server says the data ends with, if index.html carries it. */
export function setServerMonth(m) {
  serverMonth = isMonth(m) ? m : null;
}

/** The default month of every view: the server's latest month, else last month (UTC+8). */
export function defaultMonth() {
  if (serverMonth) return serverMonth;
  const now = new Date(Date.now() + 8 * 3600 * 1000);
  const m = now.getUTCFullYear() + '-' + String(now.getUTCMonth() + 1).padStart(2, '0');
  return addMonths(m, -1);
}
