/*
 * MSI Hub dashboard: the GraphQL client.
 *
 * - `gql(query, variables)` POSTs to /graphql with `Authorization: Bearer <token>` and
 *   answers `data`; a GraphQL `errors` list, an HTTP error or a network failure is thrown
 *   as an ApiError carrying the server's message(s) and `extensions.code`, for the view
 *   to show. A 401 also tells the page (onUnauthenticated), which asks for a new token.
 * - The page holds no authorization rule: it asks, and shows what the API answers.
 * - Things every view needs and that do not change within a session are asked once per
 *   token: `me`, `kpiCatalog`, `regions`, `targetItems`.
 */

import { getToken } from './session.js';
import { addMonths, defaultMonth } from './format.js';

const ENDPOINT = '/graphql';
const DEMO_USERS = '/dashboard/demo-users';

/** The KPIs of the heat map and the radar chart (codes of `kpiCatalog`). */
export const KEY_KPIS = [
  'first_time_fix',
  'technician_productivity',
  'technician_utilization',
  'parts_fill_rate',
  'absorption',
  'service_coverage',
  'comeback_rate',
  'revenue_per_ro',
];

export class ApiError extends Error {
  constructor(message, { status = 0, code = '', errors = [], data = null } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.errors = errors;
    this.data = data;
  }
}

let unauthenticatedListener = null;
/** `fn(error)` is called when the server answers 401 (missing, expired or bad token). */
export function onUnauthenticated(fn) {
  unauthenticatedListener = fn;
}

function errorFromList(errors, status, data) {
  const list = Array.isArray(errors) ? errors : [];
  const first = list[0] || {};
  const code = (first.extensions && first.extensions.code) || '';
  const parts = [];
  for (const e of list.slice(0, 3)) {
    const c = e && e.extensions && e.extensions.code;
    parts.push(String((e && e.message) || 'error') + (c ? ' [' + c + ']' : ''));
  }
  if (list.length > 3) parts.push('(+' + (list.length - 3) + ')');
  return new ApiError(parts.join('; ') || 'HTTP ' + status, { status, code, errors: list, data });
}

/**
 * Runs one GraphQL operation. `opts.signal` aborts it; `opts.partial` answers
 * `{ data, errors }` instead of throwing when the answer holds both.
 */
export async function gql(query, variables = {}, opts = {}) {
  const token = getToken();
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (token) headers.Authorization = 'Bearer ' + token;
  const op = /^\s*(?:query|mutation)\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(query);
  const body = { query, variables };
  if (op) body.operationName = op[1];
  let res;
  try {
    res = await fetch(ENDPOINT, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: opts.signal,
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError('network error: ' + (e && e.message ? e.message : String(e)), { code: 'NETWORK' });
  }
  let json = null;
  try {
    json = await res.json();
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    json = null;
  }
  if (res.status === 401) {
    const err = json && json.errors ? errorFromList(json.errors, 401, null) : new ApiError('HTTP 401', { status: 401, code: 'UNAUTHENTICATED' });
    err.code = err.code || 'UNAUTHENTICATED';
    if (unauthenticatedListener) unauthenticatedListener(err);
    throw err;
  }
  if (!json || typeof json !== 'object') {
    throw new ApiError('HTTP ' + res.status + ': not a GraphQL answer', { status: res.status });
  }
  if (json.errors && json.errors.length) {
    if (opts.partial && json.data) return { data: json.data, errors: json.errors };
    throw errorFromList(json.errors, res.status, json.data || null);
  }
  if (!res.ok) throw new ApiError('HTTP ' + res.status, { status: res.status });
  return opts.partial ? { data: json.data, errors: [] } : json.data;
}

/** `GET /dashboard/demo-users`: the demo sign-in list, or null (404 in production). */
export async function demoUsers() {
  try {
    const res = await fetch(DEMO_USERS, { headers: { Accept: 'application/json' }, credentials: 'omit', cache: 'no-store' });
    if (!res.ok) return null;
    const list = await res.json();
    if (!Array.isArray(list)) return null;
    return list.filter((u) => u && typeof u.token === 'string' && u.token);
  } catch (e) {
    return null;
  }
}

// ---- asked once per token -------------------------------------------------------------

let cache = { token: null };

function cached(key, load) {
  const token = getToken();
  if (cache.token !== token) cache = { token };
  if (!cache[key]) {
    cache[key] = load().catch((e) => {
      if (cache.token === token) delete cache[key];
      throw e;
    });
  }
  return cache[key];
}

export function resetCache() {
  cache = { token: null };
}

export function me() {
  return cached('me', () => gql('query WhoAmI { me { sub role regions dealerCode } }').then((d) => d.me));
}

/** `{ list, byCode }` of `kpiCatalog`. */
export function catalog() {
  return cached('catalog', () =>
    gql(
      `query KpiCatalog { kpiCatalog { code nameZh nameEn category unit direction
        guideline { low high } windowMonths } }`,
    ).then((d) => {
      const byCode = new Map();
      for (const k of d.kpiCatalog) byCode.set(k.code, k);
      return { list: d.kpiCatalog, byCode };
    }),
  );
}

export function regions() {
  return cached('regions', () => gql('query Regions { regions { code name } }').then((d) => d.regions));
}

export function targetItems() {
  return cached('targetItems', () =>
    gql('query TargetItems { targetItems { code zh achievementKpi measuredBy unit } }').then((d) => d.targetItems),
  );
}

/** A dealer user's own dealer (`{ code name regionCode brand sizeTier }`), else null. */
export function ownDealer() {
  return cached('ownDealer', () =>
    me().then((who) =>
      who.role === 'dealer' && who.dealerCode
        ? gql('query OwnDealer($code: String!) { dealer(code: $code) { code name regionCode brand sizeTier } }', { code: who.dealerCode }).then((d) => d.dealer)
        : null,
    ),
  );
}

/**
 * The default month of the comparison views: the data's latest month, except for a dealer
 * user, who sees other dealers only through published months: then the latest published
 * month of the last four (`publications`), else the latest month.
 */
export function comparisonMonth() {
  return cached('comparisonMonth', () =>
    me().then((who) => {
      const latest = defaultMonth();
      if (who.role !== 'dealer') return latest;
      return gql('query Publications($from: Month!, $to: Month!) { publications(from: $from, to: $to) { month state } }', { from: addMonths(latest, -3), to: latest })
        .then((d) => {
          const published = d.publications.filter((p) => p.state === 'PUBLISHED').map((p) => p.month).sort();
          return published.length ? published[published.length - 1] : latest;
        })
        .catch(() => latest);
    }),
  );
}
