/*
 * MSI Hub dashboard: the dealer's report form (`#/form?dealer=D00001&month=2026-10`).
 *
 * - The MSI form by section: the raw fields of `ReportInput` in form order, with their
 *   Chinese labels, as the server lays them out in the page (`form` of the page's JSON,
 *   from src/domain/fields.rs and totals.rs). Inputs are `input[name=<field>]`,
 *   the field's camelCase name (unique across sections: `roDelivered`).
 * - Loaded with `report(dealerCode, month)`; the computed totals (blue cells) are worked
 *   out while one types, as the server computes them (exact, in fen / hundredths).
 * - Draft (`saveReportDraft`, before the first submission), submit
 *   (`submitMonthlyReport` with `expectedRevision`) and, once submitted, amend with a
 *   reason (`amendMonthlyReport` with `expectedRevision`). The server's violations are
 *   shown at their fields (`[data-violation-field=<field>]`), warnings likewise
 *   (`[data-warning-field]`); a stored result shows `[data-saved-revision=<n>]`.
 * - A count that is not a whole number is pointed out at its field before sending (the
 *   GraphQL `Int` type could not carry it); every other rule is the server's.
 */

import { gql } from './api.js';
import { t, lang } from './i18n.js';
import { esc, fmtDecimal, fmtInt, fmtDateTime, defaultMonth, isMonth } from './format.js';
import { monthInput, bindParams, statusBadge } from './ui.js';

/**
 * The form's layout as the server puts it in the page (from its field and total tables):
 * sections in form order `{key, zh, en, fields: [[field, kind, 中文, English]]}` and the
 * computed totals (blue cells) `[name, kind, 中文, English, parts (+ each)]`.
 */
const FORM = JSON.parse(document.getElementById('msi-dashboard').textContent).form;
const SECTIONS = FORM.sections;
const TOTALS = FORM.totals;

const INT_KINDS = new Set(['Count']);
const FIELD_SECTION = new Map();
for (const s of SECTIONS) for (const f of s.fields) FIELD_SECTION.set(f[0], s.key);

const VALUES = SECTIONS.map((s) => s.key + ' { ' + s.fields.map((f) => f[0]).join(' ') + ' }').join('\n      ');
const TOTAL_FIELDS = TOTALS.map((x) => x[0]).join(' ');

const LOAD = `query ReportForm($dealer: String!, $month: Month!) {
  dealer(code: $dealer, month: $month) { code name }
  report(dealerCode: $dealer, month: $month) {
    dealerCode month status revision late firstSubmittedAt updatedAt updatedBy
    values {
      ${VALUES}
    }
    totals { ${TOTAL_FIELDS} }
    warnings { field rule message }
  }
}`;

const RESULT = `outcome message
    violations { field rule message values { field value } }
    warnings { field rule message }
    report { revision status late updatedAt totals { ${TOTAL_FIELDS} } }`;

const SAVE_DRAFT = `mutation SaveReportDraft($dealer: String!, $month: Month!, $input: ReportInput!) {
  saveReportDraft(dealerCode: $dealer, month: $month, input: $input) { ${RESULT} }
}`;
const SUBMIT = `mutation SubmitMonthlyReport($dealer: String!, $month: Month!, $input: ReportInput, $expectedRevision: Int) {
  submitMonthlyReport(dealerCode: $dealer, month: $month, input: $input, expectedRevision: $expectedRevision) { ${RESULT} }
}`;
const AMEND = `mutation AmendMonthlyReport($dealer: String!, $month: Month!, $input: ReportInput!, $expectedRevision: Int!, $reason: String!) {
  amendMonthlyReport(dealerCode: $dealer, month: $month, input: $input, expectedRevision: $expectedRevision, reason: $reason) { ${RESULT} }
}`;

function label(f) {
  return lang() === 'zh' ? f[2] : f[3];
}

// ---- exact sums (no floating point): decimals as BigInt hundredths ------------------------

function toHundredths(s) {
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(s);
  if (!m) return null;
  const v = BigInt(m[2]) * 100n + BigInt((m[3] || '').padEnd(2, '0') || '0');
  return m[1] ? -v : v;
}

function fromHundredths(v) {
  const neg = v < 0n;
  const a = neg ? -v : v;
  const frac = String(a % 100n).padStart(2, '0');
  return (neg ? '-' : '') + String(a / 100n) + '.' + frac;
}

/** Each total from the inputs; null while a part is empty or unreadable (as the server). */
function computeTotals(read) {
  const out = {};
  for (const [name, kind, , , parts] of TOTALS) {
    let sum = 0n;
    let ok = true;
    for (const p of parts) {
      const s = read(p);
      if (s === '') {
        ok = false;
        break;
      }
      const v = INT_KINDS.has(kind) ? (/^\d+$/.test(s) ? BigInt(s) * 100n : null) : toHundredths(s);
      if (v === null) {
        ok = false;
        break;
      }
      sum += v;
    }
    out[name] = !ok ? null : INT_KINDS.has(kind) ? String(sum / 100n) : fromHundredths(sum);
  }
  return out;
}

function fmtTotal(v, kind) {
  if (v === null || v === undefined) return '—';
  return kind === 'Count' ? fmtInt(Number(v)) : fmtDecimal(v);
}

// ---- the view ----------------------------------------------------------------------------

export async function render(ctx) {
  const { me, params, root } = ctx;
  const dealer = me.role === 'dealer' && me.dealerCode ? me.dealerCode : (params.dealer || '').toUpperCase();
  const month = isMonth(params.month) ? params.month : defaultMonth();

  const head =
    '<header class="view-head"><h2>' + esc(t('nav.form')) + '</h2><div class="controls">' +
    (me.role === 'dealer' && me.dealerCode
      ? '<span class="ctl"><span>' + esc(t('col.dealer')) + '</span><b>' + esc(dealer) + '</b></span>'
      : '<label class="ctl"><span>' + esc(t('col.dealer')) + '</span><input type="search" name="dealer" data-param="dealer" value="' + esc(dealer) + '" placeholder="D00001" size="10"></label>') +
    monthInput('month', month) +
    '</div></header>';
  if (!dealer) {
    root.innerHTML = head + '<p class="hint">' + esc(t('form.pickDealer')) + '</p>';
    bindParams(root, ctx, { dealer: (v) => ctx.navigate({ dealer: v.toUpperCase() }) });
    return;
  }

  const d = await gql(LOAD, { dealer, month }, { signal: ctx.signal });
  if (!ctx.isCurrent()) return;
  const report = d.report;
  const state = {
    revision: report ? report.revision : 0,
    status: report ? report.status : null,
    late: report ? report.late : false,
    result: null,
  };

  let h = head + '<p class="kpi-note" data-part="state"></p><div data-part="general"></div><form class="msi-form" novalidate autocomplete="off">';
  for (const s of SECTIONS) {
    h += '<fieldset data-section="' + esc(s.key) + '"><legend>' + esc(lang() === 'zh' ? s.zh : s.en) + '</legend><div class="fields">';
    for (const f of s.fields) {
      const v = report ? report.values[s.key][f[0]] : null;
      const kind = f[1];
      h +=
        '<div class="field" data-field="' + esc(f[0]) + '"><label for="f-' + esc(f[0]) + '">' + esc(label(f)) +
        (lang() === 'zh' ? '' : ' <small lang="zh">' + esc(f[2]) + '</small>') + '</label>' +
        '<input id="f-' + esc(f[0]) + '" name="' + esc(f[0]) + '" data-kind="' + kind + '" data-section="' + esc(s.key) + '" inputmode="' + (kind === 'Count' ? 'numeric' : 'decimal') +
        '" value="' + esc(v === null || v === undefined ? '' : v) + '" placeholder="' + esc(t('kind.' + kind)) + '"><div class="notes"></div></div>';
    }
    h += '</div></fieldset>';
  }
  h += '<fieldset class="totals"><legend>' + esc(t('form.totals')) + '</legend><div class="fields">';
  for (const x of TOTALS) {
    h += '<div class="field total"><span>' + esc(lang() === 'zh' ? x[2] : x[3]) + '</span><output data-total="' + x[0] + '" data-value=""></output></div>';
  }
  h += '</div></fieldset><div class="form-actions" data-part="actions"></div></form><div data-part="result"></div>';
  root.innerHTML = h;
  const formEl = root.querySelector('form');
  bindParams(root, ctx, { dealer: (v) => ctx.navigate({ dealer: v.toUpperCase() }) });

  const read = (name) => {
    const el = formEl.elements.namedItem(name);
    return el ? el.value.trim() : '';
  };

  function drawTotals() {
    const tot = computeTotals(read);
    for (const x of TOTALS) {
      const o = formEl.querySelector('output[data-total=' + x[0] + ']');
      o.textContent = fmtTotal(tot[x[0]], x[1]);
      o.dataset.value = tot[x[0]] === null ? '' : tot[x[0]];
    }
  }

  function drawState() {
    const st = root.querySelector('[data-part=state]');
    st.innerHTML =
      esc(dealer + (d.dealer ? ' ' + d.dealer.name : '') + ' · ' + month) + ' · ' +
      (state.status ? statusBadge('ReportState', state.status) : '<span class="badge">' + esc(t('form.notStarted')) + '</span>') +
      (state.late ? ' ' + statusBadge('SubmissionState', 'LATE') : '') +
      ' · <span data-revision="' + esc(state.revision) + '">' + esc(t('form.revision', { n: state.revision })) + '</span>' +
      (report && report.updatedAt ? ' · ' + esc(t('form.updated', { at: fmtDateTime(report.updatedAt), by: report.updatedBy })) : '');
    const actions = root.querySelector('[data-part=actions]');
    if (state.revision >= 1) {
      actions.innerHTML =
        '<label class="reason"><span>' + esc(t('form.reason')) + '</span><textarea name="reason" rows="2" maxlength="1000" placeholder="' + esc(t('form.reasonHint')) + '"></textarea></label>' +
        '<button type="button" class="primary" data-action="amend">' + esc(t('form.amend', { n: state.revision })) + '</button>';
    } else {
      actions.innerHTML =
        '<button type="button" data-action="draft">' + esc(t('form.draft')) + '</button>' +
        '<button type="button" class="primary" data-action="submit">' + esc(t('form.submit')) + '</button>';
    }
  }

  function clearNotes() {
    for (const n of root.querySelectorAll('.notes')) n.innerHTML = '';
    for (const f of root.querySelectorAll('.field.has-violation, .field.has-warning')) f.classList.remove('has-violation', 'has-warning');
    root.querySelector('[data-part=general]').innerHTML = '';
  }

  /** Shows violations (and warnings) at their fields; the rest above the form. */
  function showNotes(list, kind) {
    const general = [];
    for (const v of list) {
      const path = String(v.field || '');
      const name = path.includes('.') ? path.slice(path.lastIndexOf('.') + 1) : path;
      const attr = kind === 'violation' ? 'data-violation-field' : 'data-warning-field';
      const note =
        '<div class="' + kind + '" ' + attr + '="' + esc(name) + '" data-rule="' + esc(v.rule) + '"' + (v.local ? ' data-local="1"' : '') + '>' +
        esc(v.message) + ' <small>[' + esc(v.rule) + ']</small></div>';
      const field = FIELD_SECTION.has(name) ? root.querySelector('.field[data-field="' + name + '"]') : null;
      if (field) {
        field.querySelector('.notes').insertAdjacentHTML('beforeend', note);
        field.classList.add(kind === 'violation' ? 'has-violation' : 'has-warning');
      } else general.push(note);
    }
    if (general.length) root.querySelector('[data-part=general]').insertAdjacentHTML('beforeend', '<div class="notes-general">' + general.join('') + '</div>');
  }

  /** `{ input, local }`: the report input (empty fields left out) and local type errors. */
  function collect() {
    const input = {};
    const local = [];
    for (const s of SECTIONS) {
      const sec = {};
      for (const f of s.fields) {
        const v = read(f[0]);
        if (v === '') continue;
        if (INT_KINDS.has(f[1])) {
          if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
            local.push({ field: s.key + '.' + f[0], rule: 'INTEGER', message: t('form.notInteger', { v }), local: true });
            continue;
          }
          sec[f[0]] = Number(v);
        } else {
          sec[f[0]] = v;
        }
      }
      if (Object.keys(sec).length) input[s.key] = sec;
    }
    return { input, local };
  }

  function showResult(r) {
    const el = root.querySelector('[data-part=result]');
    clearNotes();
    showNotes(r.violations, 'violation');
    showNotes(r.warnings, 'warning');
    const stored = r.outcome !== 'REJECTED' && r.report;
    if (stored) {
      state.revision = r.report.revision;
      state.status = r.report.status;
      state.late = r.report.late;
      drawState();
    }
    el.innerHTML =
      '<p class="result ' + (stored ? 'ok' : 'bad') + '" role="status" data-outcome="' + esc(r.outcome) + '"' +
      (stored ? ' data-saved-revision="' + esc(r.report.revision) + '"' : '') + '>' +
      statusBadge('SubmissionOutcome', r.outcome) + ' ' + esc(r.message) +
      (stored ? ' · ' + esc(t('form.revision', { n: r.report.revision })) : '') +
      (r.violations.length ? ' · ' + esc(t('form.violations', { n: r.violations.length })) : '') + '</p>';
    const first = root.querySelector('.field.has-violation input') || root.querySelector('.notes-general');
    if (first && first.focus) first.focus();
  }

  formEl.addEventListener('input', (ev) => {
    if (ev.target.matches('input[data-kind]')) drawTotals();
  });
  formEl.addEventListener('submit', (ev) => ev.preventDefault());
  root.addEventListener('click', (ev) => {
    const b = ev.target.closest('button[data-action]');
    if (!b || !root.contains(b)) return;
    const action = b.dataset.action;
    if (action !== 'draft' && action !== 'submit' && action !== 'amend') return;
    const { input, local } = collect();
    root.querySelector('[data-part=result]').innerHTML = '';
    if (local.length) {
      clearNotes();
      showNotes(local, 'violation');
      root.querySelector('[data-part=result]').innerHTML = '<p class="result bad" role="status" data-outcome="LOCAL">' + esc(t('form.fixLocal', { n: local.length })) + '</p>';
      return;
    }
    const base = { dealer, month, input };
    ctx.run(async () => {
      for (const btn of root.querySelectorAll('button[data-action]')) btn.disabled = true;
      try {
        let r;
        if (action === 'draft') r = (await gql(SAVE_DRAFT, base, { signal: ctx.signal })).saveReportDraft;
        else if (action === 'submit') r = (await gql(SUBMIT, Object.assign({ expectedRevision: state.revision }, base), { signal: ctx.signal })).submitMonthlyReport;
        else {
          const reason = (root.querySelector('textarea[name=reason]') || {}).value || '';
          r = (await gql(AMEND, Object.assign({ expectedRevision: state.revision, reason: reason.trim() }, base), { signal: ctx.signal })).amendMonthlyReport;
        }
        if (ctx.isCurrent()) showResult(r);
      } finally {
        for (const btn of root.querySelectorAll('button[data-action]')) btn.disabled = false;
      }
    });
  });

  drawState();
  drawTotals();
  if (report && report.warnings.length) showNotes(report.warnings, 'warning');
}
