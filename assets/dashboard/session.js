/*
 * MSI Hub dashboard: the bearer token of this browser tab.
 *
 * - Kept in sessionStorage under `msi-hub:token` (the key the GraphiQL page uses, so one
 *   sign-in serves both in the same tab): it survives reloads, not the tab. Never in
 *   localStorage, never in a cookie.
 * - A portal may hand it over in the URL fragment: a `token=<jwt>` parameter of the
 *   fragment, alone (`/#token=eyJ...`) or after the route, separated by `&` or `?`
 *   (`/#/ranking&token=eyJ...`, `/#/ranking?kpi=csi&token=eyJ...`). It is taken at once
 *   and removed from the address bar and the history entry (history.replaceState);
 *   the rest of the fragment (the route) stays.
 * - The claims are decoded for display only; the server verifies the token.
 */

const TOKEN_KEY = 'msi-hub:token';
let memoryToken = ''; // when sessionStorage is unavailable: this page only

export function getToken() {
  try {
    return window.sessionStorage.getItem(TOKEN_KEY) || '';
  } catch (e) {
    return memoryToken;
  }
}

export function setToken(token) {
  memoryToken = token || '';
  try {
    if (token) window.sessionStorage.setItem(TOKEN_KEY, token);
    else window.sessionStorage.removeItem(TOKEN_KEY);
  } catch (e) {
    /* memoryToken holds it */
  }
}

export function clearToken() {
  setToken('');
}

/** Accepts `<token>`, `Bearer <token>` or `Authorization: Bearer <token>`. */
export function normalizeToken(raw) {
  return String(raw || '')
    .trim()
    .replace(/^authorization\s*:\s*/i, '')
    .replace(/^bearer\s+/i, '')
    .replace(/\s+/g, '');
}

/**
 * Takes a `token=` parameter out of the URL fragment, keeps it as the session's token and
 * rewrites the address without it. Returns true when a token was taken.
 */
export function takeTokenFromUrl() {
  const hash = window.location.hash || '';
  const m = /(^#|[?&])token=([^&]*)/.exec(hash);
  if (!m) return false;
  let raw = m[2];
  try {
    raw = decodeURIComponent(raw);
  } catch (e) {
    /* keep it as it came */
  }
  const token = normalizeToken(raw);
  // Remove `token=...` and the separator before it; keep the rest of the fragment.
  let rest = hash.slice(0, m.index) + (m[1] === '#' ? '#' : '') + hash.slice(m.index + m[0].length);
  rest = rest.replace(/^#&/, '#').replace(/\?&/, '?').replace(/[?&]$/, '');
  if (rest === '#') rest = '';
  const url = window.location.pathname + window.location.search + rest;
  window.history.replaceState(window.history.state, '', url);
  if (token) setToken(token);
  return !!token;
}

/** The token's claims, for display only (null when it is not a readable JWT). */
export function decodeClaims(token) {
  try {
    const part = String(token || '').split('.')[1];
    if (!part) return null;
    let b64 = part.replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) b64 += '=';
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === 'object' ? claims : null;
  } catch (e) {
    return null;
  }
}

/** Seconds since the epoch at which the token expires, if it says. */
export function tokenExpiry(token) {
  const c = decodeClaims(token);
  return c && typeof c.exp === 'number' ? c.exp : null;
}
