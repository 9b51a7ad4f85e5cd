/*
 * MSI Hub dashboard: the page — sign-in, header (navigation, who am I, language, sign
 * out) and the router.
 *
 * Routes live in the URL fragment: `#/region`, `#/ranking`, `#/dealer/D00001`,
 * `#/targets`, `#/form`, each with its parameters as a query (`#/ranking?kpi=csi`).
 * Every view module exports `render(ctx)`; the router gives it a root element
 * `<section data-view=NAME>` and sets, for the browser test:
 *   - `body[data-ready]`: "0" while the view loads, "1" once its data is rendered (also
 *     after a failed load, which then sets `body[data-error]` to the message);
 *   - `body[data-view]`: the current view.
 * `me` decides the navigation: a dealer user starts on its own dealer page, everyone
 * else on the region overview. The page holds no authorization rule of its own.
 */

import { getToken, setToken, clearToken, normalizeToken, takeTokenFromUrl, tokenExpiry } from './session.js';
import { me, demoUsers, onUnauthenticated, resetCache } from './api.js';
import { t, lang, toggleLang } from './i18n.js';
import { esc, setServerMonth } from './format.js';
import { disposeCharts } from './charts.js';
import { errorBox, hashOf } from './ui.js';
import * as region from './view-region.js';
import * as ranking from './view-ranking.js';
import * as dealer from './view-dealer.js';
import * as targets from './view-targets.js';
import * as form from './view-form.js';

const VIEWS = { region, ranking, dealer, targets, form };

const els = {
  app: document.getElementById('app'),
  nav: document.getElementById('nav'),
  who: document.getElementById('who'),
  lang: document.querySelector('[data-lang-toggle]'),
  signOut: document.querySelector('[data-action=sign-out]'),
  title: document.getElementById('title'),
};

// ---- readiness hooks ---------------------------------------------------------------------

function setReady(ready) {
  document.body.dataset.ready = ready ? '1' : '0';
}

function setError(message) {
  if (message) document.body.dataset.error = message;
  else delete document.body.dataset.error;
}

// ---- routes ------------------------------------------------------------------------------

function parseHash() {
  const h = (window.location.hash || '').replace(/^#/, '');
  const q = h.indexOf('?');
  const path = q >= 0 ? h.slice(0, q) : h;
  const params = {};
  if (q >= 0) {
    for (const [k, v] of new URLSearchParams(h.slice(q + 1))) params[k] = v;
  }
  const parts = path.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch (e) {
      return p;
    }
  });
  return { view: parts[0] || '', arg: parts[1] || '', params };
}

function navFor(who) {
  switch (who.role) {
    case 'dealer':
      return ['dealer', 'ranking', 'targets', 'form'];
    case 'oem_admin':
      return ['region', 'ranking', 'dealer', 'targets', 'form'];
    default:
      return ['region', 'ranking', 'dealer', 'targets'];
  }
}

function homeOf(who) {
  return who.role === 'dealer' && who.dealerCode ? hashOf('dealer', who.dealerCode) : hashOf('region');
}

// ---- header ------------------------------------------------------------------------------

function renderHeader(who, current) {
  document.documentElement.lang = lang() === 'zh' ? 'zh-CN' : 'en';
  document.title = t('app.title');
  els.title.textContent = t('app.title');
  els.lang.textContent = t('lang.toggle');
  els.lang.title = t('lang.toggleTitle');
  els.signOut.textContent = t('signOut');
  els.signOut.hidden = !who;
  if (!who) {
    els.nav.innerHTML = '';
    els.who.textContent = '';
    return;
  }
  els.nav.innerHTML = navFor(who)
    .map((v) => {
      const href = v === 'dealer' && who.dealerCode ? hashOf('dealer', who.dealerCode) : hashOf(v);
      return '<a data-nav="' + v + '" href="' + esc(href) + '"' + (v === current ? ' aria-current="page"' : '') + '>' + esc(t('nav.' + v)) + '</a>';
    })
    .join('');
  const bits = [t('role.' + who.role)];
  if (who.regions && who.regions.length) bits.push(who.regions.join(', '));
  if (who.dealerCode) bits.push(who.dealerCode);
  els.who.textContent = bits.join(' · ') + ' — ' + who.sub;
  els.who.title = 'sub: ' + who.sub;
}

// ---- sign-in -----------------------------------------------------------------------------

let signInMessage = '';

async function renderSignIn(myGen) {
  disposeCharts();
  renderHeader(null);
  document.body.dataset.view = 'sign-in';
  const root = document.createElement('section');
  root.className = 'view sign-in';
  root.dataset.view = 'sign-in';
  root.innerHTML =
    '<h2>' + esc(t('signIn.title')) + '</h2>' +
    (signInMessage ? errorBox({ message: signInMessage }) : '') +
    '<div class="demo-users" hidden></div>' +
    '<form class="token-form" autocomplete="off">' +
    '<label for="token-box">' + esc(t('signIn.paste')) + '</label>' +
    '<textarea id="token-box" name="token" rows="4" spellcheck="false" autocomplete="off" placeholder="eyJhbGciOi..."></textarea>' +
    '<div class="row"><button type="submit" data-action="sign-in" class="primary">' + esc(t('signIn.button')) + '</button>' +
    '<span class="hint">' + t('signIn.hint') + '</span></div></form>';
  els.app.replaceChildren(root);
  root.querySelector('form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    signIn(root.querySelector('textarea[name=token]').value);
  });
  const users = await demoUsers();
  if (myGen !== gen) return;
  if (users && users.length) {
    const box = root.querySelector('.demo-users');
    box.hidden = false;
    box.innerHTML =
      '<h3>' + esc(t('signIn.demo')) + '</h3><div class="demo-list">' +
      users
        .map((u, i) =>
          '<button type="button" data-demo-user="' + esc(u.label || u.role) + '" data-demo-role="' + esc(u.role || '') + '" data-i="' + i + '">' +
          esc(u.label || u.role) + '</button>',
        )
        .join('') +
      '</div>';
    box.addEventListener('click', (ev) => {
      const b = ev.target.closest('button[data-i]');
      if (b) signIn(users[Number(b.dataset.i)].token);
    });
  }
  setReady(true);
}

function signIn(raw) {
  const token = normalizeToken(raw);
  if (!token) {
    signInMessage = t('signIn.empty');
    route();
    return;
  }
  signInMessage = '';
  resetCache();
  setToken(token);
  const r = parseHash();
  if (!r.view) window.history.replaceState(null, '', window.location.pathname + window.location.search);
  route();
}

function signOut() {
  clearToken();
  resetCache();
  signInMessage = '';
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
  route();
}

// ---- the router --------------------------------------------------------------------------

let gen = 0;
let controller = null;

async function route() {
  const myGen = ++gen;
  if (controller) controller.abort();
  controller = new AbortController();
  const signal = controller.signal;
  setReady(false);
  setError('');
  disposeCharts();

  const token = getToken();
  const exp = token ? tokenExpiry(token) : null;
  if (token && exp !== null && exp * 1000 < Date.now()) {
    clearToken();
    resetCache();
    signInMessage = t('signIn.expired');
  }
  if (!getToken()) {
    await renderSignIn(myGen);
    return;
  }

  let who;
  try {
    who = await me();
  } catch (e) {
    if (myGen !== gen) return;
    if (e && e.status === 401) {
      clearToken();
      resetCache();
      signInMessage = e.message;
      await renderSignIn(myGen);
      return;
    }
    renderHeader(null);
    els.signOut.hidden = false;
    els.app.innerHTML = '<section class="view" data-view="error">' + errorBox(e) + '</section>';
    setError(e.message);
    setReady(true);
    return;
  }
  if (myGen !== gen) return;

  const r = parseHash();
  if (!VIEWS[r.view]) {
    window.history.replaceState(null, '', homeOf(who));
    route();
    return;
  }
  renderHeader(who, r.view);
  document.body.dataset.view = r.view;

  const root = document.createElement('section');
  root.className = 'view view-' + r.view;
  root.dataset.view = r.view;
  root.innerHTML = '<p class="loading">' + esc(t('loading')) + '</p>';
  els.app.replaceChildren(root);

  const ctx = {
    me: who,
    view: r.view,
    arg: r.arg,
    params: r.params,
    root,
    signal,
    isCurrent: () => myGen === gen,
    /** Goes to this view with `patch` merged into its parameters. */
    navigate(patch, arg) {
      const params = Object.assign({}, r.params, patch);
      window.location.hash = hashOf(r.view, arg === undefined ? r.arg : arg, params);
    },
    /** Changes parameters in the address without rendering again (a part reloads itself). */
    replaceParams(patch) {
      Object.assign(r.params, patch);
      window.history.replaceState(null, '', hashOf(r.view, r.arg, r.params));
    },
    go(view, arg, params) {
      window.location.hash = hashOf(view, arg, params);
    },
    /** Runs an in-view load or action with the readiness hooks and the error box. */
    async run(fn) {
      if (myGen !== gen) return;
      setReady(false);
      setError('');
      const box = root.querySelector(':scope > .error[data-error-message]');
      if (box) box.remove();
      try {
        await fn();
      } catch (e) {
        if (myGen !== gen || (e && e.name === 'AbortError')) return;
        showError(root, e);
      }
      if (myGen === gen) setReady(true);
    },
  };

  try {
    await VIEWS[r.view].render(ctx);
  } catch (e) {
    if (myGen !== gen || (e && e.name === 'AbortError')) return;
    showError(root, e);
  }
  if (myGen === gen) setReady(true);
}

function showError(root, e) {
  const msg = e && e.message ? e.message : String(e);
  root.querySelector('.loading')?.remove();
  root.insertAdjacentHTML('afterbegin', errorBox({ message: msg }));
  setError(msg);
}

// ---- start -------------------------------------------------------------------------------

function readServerConfig() {
  const el = document.getElementById('msi-dashboard');
  if (!el) return;
  try {
    const cfg = JSON.parse(el.textContent || '{}');
    setServerMonth(cfg.month);
  } catch (e) {
    /* the defaults apply */
  }
}

readServerConfig();
takeTokenFromUrl();
onUnauthenticated((e) => {
  clearToken();
  resetCache();
  signInMessage = e.message;
  route();
});
els.lang.addEventListener('click', () => {
  toggleLang();
  route();
});
els.signOut.addEventListener('click', signOut);
window.addEventListener('hashchange', () => {
  if (takeTokenFromUrl()) resetCache();
  route();
});
route();
