/*
 * MSI Hub: the GraphiQL page's own script (plain script, no build step).
 *
 * - The bearer token lives in sessionStorage only (this tab, survives reloads, gone with
 *   the tab). It is added to each request by the fetcher; it is never written to
 *   GraphiQL's Headers pane or to localStorage.
 * - Setting, changing or forgetting the token mounts GraphiQL again (new React key, new
 *   fetcher), so the schema is introspected again and the Docs pane fills.
 * - Without a token GraphiQL is mounted with `schema: null` (no introspection) and a
 *   fetcher that answers with a hint instead of calling the server, unless the Headers
 *   pane carries an Authorization header of its own.
 * - A 401 answer shows the server's message (errors[0].message) in the bar.
 * - A token may also arrive in the URL's fragment (`#token=...`): it is kept like a pasted
 *   one and removed from the address bar at once.
 * - With a token, the Docs pane opens.
 * - The example tabs are built from the values the server put into the
 *   <script type="application/json" id="msi-examples"> block of index.html.
 */
(function () {
  'use strict';

  var ENDPOINT = '/graphql';
  var TOKEN_KEY = 'msi-hub:token';
  // GraphiQL's own storage (localStorage, namespace "graphiql"): read only, to reopen
  // the tab that was active when GraphiQL is mounted again.
  var TAB_STATE_KEY = 'graphiql:tabState';

  var els = {
    form: document.getElementById('msi-token-form'),
    input: document.getElementById('msi-token'),
    forget: document.getElementById('msi-forget'),
    status: document.getElementById('msi-status'),
    hint: document.getElementById('msi-hint'),
    message: document.getElementById('msi-message'),
    container: document.getElementById('graphiql'),
  };

  // ---- the bar ------------------------------------------------------------------------

  function showHint() {
    els.status.className = '';
    els.hint.hidden = false;
    els.message.hidden = true;
    els.message.textContent = '';
  }

  function showMessage(text, kind) {
    els.status.className = kind ? 'msi-' + kind : '';
    els.hint.hidden = true;
    els.message.hidden = false;
    els.message.textContent = text;
  }

  function showTokenStatus(token) {
    if (!token) {
      showHint();
      return;
    }
    var claims = decodeClaims(token);
    if (!claims) {
      showMessage('Token set (not a readable JWT: the server decides).', 'ok');
      return;
    }
    var who = [];
    if (claims.role) who.push(String(claims.role));
    if (claims.sub) who.push('sub ' + claims.sub);
    if (Array.isArray(claims.regions) && claims.regions.length) {
      who.push('regions ' + claims.regions.join(','));
    }
    if (claims.dealer) who.push('dealer ' + claims.dealer);
    var text = 'Token set' + (who.length ? ': ' + who.join(', ') : '');
    if (typeof claims.exp === 'number') {
      var exp = new Date(claims.exp * 1000);
      if (exp.getTime() < Date.now()) {
        showMessage(text + '. It expired at ' + formatTime(exp) + ': paste a new one.', 'error');
        return;
      }
      text += ' (expires ' + formatTime(exp) + ')';
    }
    showMessage(text, 'ok');
  }

  function formatTime(date) {
    function two(n) {
      return (n < 10 ? '0' : '') + n;
    }
    return (
      date.getFullYear() + '-' + two(date.getMonth() + 1) + '-' + two(date.getDate()) +
      ' ' + two(date.getHours()) + ':' + two(date.getMinutes())
    );
  }

  // The token's claims, for display only (the server verifies the token).
  function decodeClaims(token) {
    try {
      var part = token.split('.')[1];
      if (!part) return null;
      var b64 = part.replace(/-/g, '+').replace(/_/g, '/');
      while (b64.length % 4) b64 += '=';
      var bin = atob(b64);
      var bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      var claims = JSON.parse(new TextDecoder().decode(bytes));
      return claims && typeof claims === 'object' ? claims : null;
    } catch (e) {
      return null;
    }
  }

  // ---- the token (sessionStorage only) ----------------------------------------------------

  function getToken() {
    try {
      return window.sessionStorage.getItem(TOKEN_KEY) || '';
    } catch (e) {
      return memoryToken;
    }
  }

  var memoryToken = ''; // when sessionStorage is not available (kept for this page only)

  function setToken(token) {
    memoryToken = token;
    try {
      if (token) window.sessionStorage.setItem(TOKEN_KEY, token);
      else window.sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) {
      /* memoryToken holds it */
    }
  }

  // Accepts `<token>`, `Bearer <token>` or `Authorization: Bearer <token>`.
  function normalizeToken(raw) {
    return String(raw || '')
      .trim()
      .replace(/^authorization\s*:\s*/i, '')
      .replace(/^bearer\s+/i, '')
      .replace(/\s+/g, '');
  }

  // ---- the fetcher -------------------------------------------------------------------------

  var generation = 0; // GraphiQL mounts so far; answers of an older mount do not touch the bar

  function withoutAuthorization(headers) {
    var out = {};
    if (headers && typeof headers === 'object') {
      Object.keys(headers).forEach(function (name) {
        if (name.toLowerCase() !== 'authorization') out[name] = String(headers[name]);
      });
    }
    return out;
  }

  function hasAuthorization(headers) {
    return (
      !!headers &&
      typeof headers === 'object' &&
      Object.keys(headers).some(function (name) {
        return name.toLowerCase() === 'authorization';
      })
    );
  }

  function post(params, headers, mount, usesBarToken) {
    var init = {
      method: 'POST',
      headers: headers,
      body: JSON.stringify({
        query: params.query,
        variables: params.variables,
        operationName: params.operationName,
      }),
      credentials: 'same-origin',
      cache: 'no-store',
    };
    return window.fetch(ENDPOINT, init).then(
      function (response) {
        return response.text().then(function (text) {
          var body = null;
          try {
            body = text ? JSON.parse(text) : null;
          } catch (e) {
            body = null;
          }
          var current = mount === generation;
          if (response.status === 401) {
            var message =
              body && body.errors && body.errors[0] && body.errors[0].message
                ? body.errors[0].message
                : 'HTTP 401 ' + response.statusText;
            if (current) showMessage('The server refused the token: ' + message, 'error');
          } else if (current && usesBarToken && els.status.className === 'msi-error') {
            showTokenStatus(getToken()); // a good answer after an error: back to normal
          }
          if (body && typeof body === 'object') return body;
          return {
            errors: [
              {
                message:
                  'HTTP ' + response.status + ' ' + response.statusText +
                  (text ? ': ' + text.slice(0, 300) : ''),
              },
            ],
          };
        });
      },
      function (error) {
        var message = 'Cannot reach the server: ' + (error && error.message ? error.message : error);
        if (mount === generation) showMessage(message, 'error');
        return { errors: [{ message: message }] };
      }
    );
  }

  function makeFetcher(token, mount) {
    return function fetcher(params, opts) {
      var paneHeaders = opts && opts.headers;
      var headers = {
        'Content-Type': 'application/json',
        Accept: 'application/json',
      };
      if (token) {
        Object.assign(headers, withoutAuthorization(paneHeaders), {
          Authorization: 'Bearer ' + token,
        });
        return post(params, headers, mount, true);
      }
      if (hasAuthorization(paneHeaders)) {
        // An Authorization header typed into the Headers pane still works.
        Object.assign(headers, withoutAuthorization(paneHeaders));
        Object.keys(paneHeaders).forEach(function (name) {
          if (name.toLowerCase() === 'authorization') headers.Authorization = String(paneHeaders[name]);
        });
        return post(params, headers, mount, false);
      }
      return Promise.resolve({
        errors: [
          {
            message:
              'No token yet: paste one in the bar above ' +
              '(`msi-hub token --role oem_admin` prints one), then run the query again.',
          },
        ],
      });
    };
  }

  // ---- the example tabs ------------------------------------------------------------------

  function previousMonth() {
    var d = new Date();
    d.setDate(1);
    d.setMonth(d.getMonth() - 1);
    return d.getFullYear() + '-' + (d.getMonth() < 9 ? '0' : '') + (d.getMonth() + 1);
  }

  function readExamples() {
    var values = {};
    try {
      var block = document.getElementById('msi-examples');
      values = JSON.parse(block ? block.textContent : '{}') || {};
    } catch (e) {
      values = {};
    }
    function pick(value, pattern, fallback) {
      // An unsubstituted placeholder (`__MSI_...__`, page opened without the server) falls back.
      return typeof value === 'string' && pattern.test(value) && !/^__MSI_/.test(value) ? value : fallback;
    }
    return {
      month: pick(values.month, /^\d{4}-\d{2}$/, previousMonth()),
      region: pick(values.region, /^[A-Za-z0-9_-]{1,32}$/, 'R01'),
      dealer: pick(values.dealer, /^[A-Za-z0-9_-]{1,32}$/, 'D00001'),
    };
  }

  function json(value) {
    return JSON.stringify(value, null, 2);
  }

  function exampleTabs(ex) {
    return [
      {
        query: [
          '# Welcome to MSI Hub. Paste a token in the bar',
          '# above, then run a query: Ctrl-Enter or the run',
          '# button. The Docs pane (book icon, left) lists',
          '# every field; the other tabs hold more examples.',
          'query Me {',
          '  me { sub role regions dealerCode }',
          '  regions { code name }',
          '  dealers(first: 5) {',
          '    edges {',
          '      node { code name city sizeTier regionCode }',
          '    }',
          '    pageInfo { hasNextPage endCursor }',
          '  }',
          '}',
          '',
        ].join('\n'),
      },
      {
        query: [
          '# Who has and has not reported for a month, in',
          '# one region (scoped to your token): the counts,',
          '# then the first dealers still missing.',
          'query SubmissionStatus($month: Month!, $region: String) {',
          '  submissionStatus(month: $month, regionCode: $region) {',
          '    month',
          '    deadline',
          '    counts {',
          '      total accepted acceptedWithWarnings',
          '      late draft missing',
          '    }',
          '    entries(status: MISSING, first: 10) {',
          '      nodes {',
          '        dealerCode dealerName regionCode status late',
          '      }',
          '      pageInfo { hasNextPage endCursor }',
          '    }',
          '  }',
          '}',
          '',
        ].join('\n'),
        variables: json({ month: ex.month, region: ex.region }),
      },
      {
        query: [
          '# The dealers of a region ranked by a KPI for the',
          '# month (rank 1 is best in the KPI\'s direction),',
          '# with the region\'s and the nation\'s aggregates.',
          '# `kpiCatalog { code nameEn }` lists the KPI codes.',
          'query Ranking(',
          '  $kpi: String!',
          '  $month: Month!',
          '  $region: String',
          ') {',
          '  ranking(',
          '    kpi: $kpi',
          '    period: { kind: MONTH, month: $month }',
          '    scope: { kind: REGION, regionCode: $region }',
          '    first: 10',
          '  ) {',
          '    kpi { code nameEn nameZh unit direction }',
          '    period { kind from to }',
          '    aggregate {',
          '      pooled median p25 p75',
          '      dealersWithValue dealersMissing',
          '    }',
          '    nation { pooled median }',
          '    entries {',
          '      nodes {',
          '        rank percentile value dealerCode dealerName',
          '        deltaToRegion deltaToNation',
          '      }',
          '      pageInfo { hasNextPage endCursor }',
          '    }',
          '  }',
          '}',
          '',
        ].join('\n'),
        variables: json({ kpi: 'first_time_fix', month: ex.month, region: ex.region }),
      },
      {
        query: [
          '# Every KPI of one dealer for the month: value,',
          '# ranks and guideline status, against its region',
          '# and the nation.',
          'query Scorecard($dealer: String!, $month: Month!) {',
          '  scorecard(',
          '    dealerCode: $dealer',
          '    period: { kind: MONTH, month: $month }',
          '  ) {',
          '    dealerCode',
          '    dealerName',
          '    regionCode',
          '    period { kind from to }',
          '    kpis {',
          '      kpi { code nameEn unit direction }',
          '      value',
          '      unavailableReason',
          '      rankInRegion',
          '      rankInNation',
          '      percentileInNation',
          '      guidelineStatus',
          '      region { pooled }',
          '      nation { pooled }',
          '    }',
          '  }',
          '}',
          '',
        ].join('\n'),
        variables: json({ dealer: ex.dealer, month: ex.month }),
      },
    ];
  }

  // The tab that was active (from GraphiQL's stored tab state), so that mounting GraphiQL
  // again reopens it instead of adding an empty tab.
  function storedActiveTab() {
    try {
      var state = JSON.parse(window.localStorage.getItem(TAB_STATE_KEY) || 'null');
      var tab = state && Array.isArray(state.tabs) ? state.tabs[state.activeTabIndex] : null;
      if (!tab || typeof tab.query !== 'string' || !tab.query) return null;
      return { query: tab.query, variables: typeof tab.variables === 'string' ? tab.variables : null };
    } catch (e) {
      return null;
    }
  }

  // ---- GraphiQL ----------------------------------------------------------------------------

  var examples = readExamples();
  var root = null;

  function mount() {
    generation += 1;
    var token = getToken();
    var props = {
      key: 'msi-graphiql-' + generation,
      fetcher: makeFetcher(token, generation),
      defaultTabs: exampleTabs(examples),
      shouldPersistHeaders: false,
    };
    if (!token) props.schema = null; // no introspection without a token
    // With a token, the Docs pane opens on the schema just fetched.
    var plugins = window.GraphiQL.React || {};
    var docs = plugins.DOC_EXPLORER_PLUGIN || window.GraphiQL.DOC_EXPLORER_PLUGIN;
    if (token && docs) props.visiblePlugin = docs;
    var active = storedActiveTab();
    if (active) {
      props.query = active.query;
      if (active.variables) props.variables = active.variables;
    }
    root.render(window.React.createElement(window.GraphiQL, props));
  }

  function useToken(event) {
    if (event) event.preventDefault();
    var token = normalizeToken(els.input.value);
    if (!token) {
      showMessage('Paste a token into the field first: `msi-hub token --role oem_admin` prints one.', 'error');
      els.input.focus();
      return;
    }
    setToken(token);
    els.input.value = '';
    els.input.placeholder = 'Paste another token to replace it';
    showTokenStatus(token);
    mount();
  }

  function forgetToken() {
    setToken('');
    els.input.value = '';
    els.input.placeholder = 'Bearer token';
    showHint();
    mount();
    els.input.focus();
  }

  // A token handed over in the URL's fragment (`/graphql#token=...`, as a portal signing
  // the user in would): kept for the session, then removed from the address bar and the
  // history, so that it is never copied or bookmarked with the URL. Fragments are never
  // sent to a server.
  function takeTokenFromFragment() {
    var hash = window.location.hash.replace(/^#/, '');
    if (!hash) return;
    var params = new URLSearchParams(hash);
    var token = normalizeToken(params.get('token'));
    if (!token) return;
    setToken(token);
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
  }

  function start() {
    takeTokenFromFragment();
    if (!window.React || !window.ReactDOM || !window.GraphiQL) {
      showMessage('GraphiQL could not be loaded (/graphql/assets/).', 'error');
      return;
    }
    els.form.addEventListener('submit', useToken);
    els.forget.addEventListener('click', forgetToken);
    var token = getToken();
    if (token) els.input.placeholder = 'Paste another token to replace it';
    showTokenStatus(token);
    root = window.ReactDOM.createRoot(els.container);
    mount();
  }

  start();
})();
