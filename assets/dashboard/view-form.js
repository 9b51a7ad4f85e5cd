/*
 * MSI Hub dashboard: the dealer's report form (`#/form?dealer=D00001&month=2026-10`).
 *
 * - The MSI form by section: the raw fields of `ReportInput` in form order, with their
 *   Chinese labels (as schema.graphql documents them; the API has no form catalog query,
 *   so the table below mirrors src/domain/fields.rs). Inputs are `input[name=<field>]`,
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

/** Sections in form order: `[field, kind, 中文, English]`; kinds as src/domain/fields.rs. */
const SECTIONS = [
  {
    key: 'period',
    zh: '报告期',
    en: 'Period',
    fields: [
      ['workingDays', 'Count', '工作天数', 'Working days'],
    ],
  },
  {
    key: 'capacity',
    zh: '维修能力',
    en: 'Service capacity',
    fields: [
      ['receptionBays', 'Count', '接待工位', 'Reception bays'],
      ['generalRepairBays', 'Count', '一般修理工位', 'General repair bays'],
      ['expressBays', 'Count', '快修工位', 'Express bays'],
      ['bodyBays', 'Count', '钣金工位', 'Body bays'],
      ['paintBays', 'Count', '喷漆工位', 'Paint bays'],
      ['serviceAdvisors', 'Count', '接车员', 'Service advisors'],
      ['mechanics', 'Count', '机电工', 'Mechanics'],
      ['bodyTechs', 'Count', '钣金工', 'Body techs'],
      ['painters', 'Count', '喷漆工', 'Painters'],
      ['washers', 'Count', '洗车工', 'Washers'],
      ['techniciansTotal', 'Count', '技术人员', 'Technicians (total)'],
      ['techniciansLevel1', 'Count', '一级技术员', 'Level-1 technicians'],
      ['techniciansLevel2', 'Count', '二级技术员', 'Level-2 technicians'],
      ['indirectStaff', 'Count', '间接人员', 'Indirect staff'],
    ],
  },
  {
    key: 'repairOrders',
    zh: '维修台次',
    en: 'Repair orders',
    fields: [
      ['roPaidMaintenance', 'Count', '有费定保台数', 'Paid maintenance ROs'],
      ['roPaidRepair', 'Count', '有费修理台数', 'Paid repair ROs'],
      ['roFreeInspection', 'Count', '免费定检台数', 'Free inspection ROs'],
      ['roFreeRepair', 'Count', '免费修理台数', 'Free repair ROs'],
      ['roWarranty', 'Count', '索赔修理台数', 'Warranty ROs'],
      ['roInternal', 'Count', '内部台数', 'Internal ROs'],
      ['roBrand', 'Count', '品牌车维修台次', 'Brand-vehicle ROs'],
      ['roCustomerPayBrand', 'Count', '品牌车客户付费台次', 'Brand customer-pay ROs'],
      ['roDelivered', 'Count', '交车台数', 'ROs delivered'],
      ['roMechanicalDelivered', 'Count', '机电修理交车台数', 'Mechanical ROs delivered'],
      ['roBodyPaintDelivered', 'Count', '钣喷修理交车台数', 'Body & paint ROs delivered'],
      ['roBodyDelivered', 'Count', '钣金交车台数', 'Body ROs delivered'],
      ['roPaintDelivered', 'Count', '喷漆交车台数', 'Paint ROs delivered'],
      ['roExpressDelivered', 'Count', '快速保养交车台数', 'Express maintenance delivered'],
      ['roWashed', 'Count', '洗车台数', 'Cars washed'],
      ['roComebacks', 'Count', '返修台数', 'Comebacks'],
      ['roSameDayIn', 'Count', '当日进厂台数', 'Arrived today'],
      ['roSameDayOut', 'Count', '当天交车台数', 'Delivered same day'],
      ['roWithinEstimate', 'Count', '估价范围内完成台数', 'Finished within estimate'],
      ['roOnTime', 'Count', '预定时间内完成台数', 'Finished on time'],
      ['roEstimateGiven', 'Count', '估价提示车辆数', 'Estimates given'],
      ['appointments', 'Count', '预约台次', 'Appointments'],
      ['appointmentsKept', 'Count', '预约成功台次', 'Appointments kept'],
    ],
  },
  {
    key: 'revenue',
    zh: '销售收入',
    en: 'Revenue',
    fields: [
      ['laborRevenueCustomer', 'Money', '客户支付工时销售', 'Customer-pay labor revenue'],
      ['laborRevenueWarranty', 'Money', '保修工时销售', 'Warranty labor revenue'],
      ['laborRevenueInternal', 'Money', '内部工时销售', 'Internal labor revenue'],
      ['partsRevenueMechanical', 'Money', '机电零件营业额', 'Mechanical parts revenue'],
      ['partsRevenueBodyPaint', 'Money', '钣喷零件营业额', 'Body & paint parts revenue'],
      ['partsRevenueInternal', 'Money', '零件内销营业额', 'Parts internal sales'],
      ['bodyPaintRevenue', 'Money', '钣喷修理营业额', 'Body & paint revenue'],
      ['maintenanceRevenue', 'Money', '定保营业额', 'Maintenance revenue'],
      ['generalRepairRevenue', 'Money', '一般维修营业额', 'General repair revenue'],
      ['subletRevenue', 'Money', '外包营业额', 'Sublet revenue'],
      ['accessoryRevenue', 'Money', '精品营业额', 'Accessory revenue'],
      ['laborRevenueBrand', 'Money', '品牌车工时费', 'Brand-vehicle labor revenue'],
      ['partsRevenueBrand', 'Money', '品牌车零件内销营业额', 'Brand parts internal sales'],
    ],
  },
  {
    key: 'productivity',
    zh: '劳动生产率',
    en: 'Labor productivity',
    fields: [
      ['hoursAttended', 'Hours', '上班工时', 'Hours attended'],
      ['hoursWorked', 'Hours', '实际工时', 'Hours worked'],
      ['hoursSold', 'Hours', '售出工时', 'Hours sold'],
      ['technicianWages', 'Money', '技师工资', 'Technician wages'],
    ],
  },
  {
    key: 'parts',
    zh: '零件管理',
    en: 'Parts',
    fields: [
      ['partsInventoryBegin', 'Money', '月初库存', 'Parts inventory begin'],
      ['partsInventoryEnd', 'Money', '月末库存', 'Parts inventory end'],
      ['partsCostOfSales', 'Money', '零件销售成本', 'Parts cost of sales'],
      ['partsLinesRequested', 'Count', '工单零件需求数', 'Parts lines requested'],
      ['partsLinesFilledFromStock', 'Count', '完全由库存满足数', 'Parts lines filled from stock'],
    ],
  },
  {
    key: 'customers',
    zh: '客户资源',
    en: 'Customer base',
    fields: [
      ['vehiclesInOperation', 'Count', '保有量', 'Vehicles in operation'],
      ['managedCustomers', 'Count', '管理内用户数', 'Managed customers'],
      ['newCustomers', 'Count', '当月新用户数', 'New customers'],
      ['newManagedFromOwnSales', 'Count', '新增加管理内用户数(自店销售)', 'New managed customers (own sales)'],
      ['ownSalesUnits', 'Count', '自店销售台数', 'Own sales units'],
      ['warrantyRegistrations', 'Count', '保修登记车辆数', 'Warranty registrations'],
      ['firstServicesOfOwnSales', 'Count', '回店首保车辆数', 'First services of own sales'],
      ['customerFiles', 'Count', '顾客资料数', 'Customer files'],
      ['customerFilesAccurate', 'Count', '必备项目正确的顾客资料数', 'Customer files accurate'],
      ['customerFilesGeneral', 'Count', '一般顾客资料数', 'Customer files general'],
      ['customerFilesLoyal', 'Count', '忠诚顾客资料数', 'Customer files loyal'],
    ],
  },
  {
    key: 'crm',
    zh: '客户关系',
    en: 'Customer relations (CRM)',
    fields: [
      ['pmDue', 'Count', '定期保养对象车辆数', 'PM due'],
      ['pmContacted', 'Count', '联系成功车辆数', 'PM contacted'],
      ['pmInvited', 'Count', '邀请对象车辆数', 'PM invited'],
      ['pmInvitedArrived', 'Count', '被邀请车辆实际来厂数', 'PM invited and arrived'],
      ['followupsDue', 'Count', '跟踪服务对象数', 'Follow-ups due'],
      ['followupsDone', 'Count', '跟踪服务成功数', 'Follow-ups done'],
      ['complaintsFound', 'Count', '不满意见数', 'Complaints found'],
      ['complaintsResolved', 'Count', '不满意见解决数', 'Complaints resolved'],
      ['complaintsFormal', 'Count', '投诉数', 'Complaints formal'],
      ['csiScore', 'Score', '满意度得分', 'CSI score (optional)'],
    ],
  },
  {
    key: 'hr',
    zh: '人力资源开发',
    en: 'HR development',
    fields: [
      ['serviceStaffTotal', 'Count', '服务人员总数', 'Service staff total'],
      ['staffResigned', 'Count', '离职人数', 'Staff resigned'],
      ['trainingHours', 'Hours', '培训工时', 'Training hours'],
    ],
  },
  {
    key: 'financials',
    zh: '财务指标',
    en: 'Financials',
    fields: [
      ['grossProfitLabor', 'Profit', '工时毛利', 'Labor gross profit'],
      ['grossProfitParts', 'Profit', '零件毛利', 'Parts gross profit'],
      ['grossProfitOther', 'Profit', '其他毛利', 'Other gross profit'],
      ['fixedExpenses', 'Money', '固定费用', 'Fixed expenses'],
      ['dealershipExpensesTotal', 'Money', '全店费用', 'Dealership expenses total'],
    ],
  },
];

const INT_KINDS = new Set(['Count']);
const FIELD_SECTION = new Map();
for (const s of SECTIONS) for (const f of s.fields) FIELD_SECTION.set(f[0], s.key);

/** The computed totals (blue cells): [name, kind, 中文, English, parts (+ each)]. */
const TOTALS = [
  ['roPaid', 'Count', '有费服务台数', 'Paid ROs', ['roPaidMaintenance', 'roPaidRepair']],
  ['roFree', 'Count', '免费服务台数', 'Free ROs', ['roFreeInspection', 'roFreeRepair']],
  ['roTotal', 'Count', '总服务台数', 'Total service ROs', ['roPaidMaintenance', 'roPaidRepair', 'roFreeInspection', 'roFreeRepair']],
  ['roAll', 'Count', '全部维修台数', 'All ROs', ['roPaidMaintenance', 'roPaidRepair', 'roFreeInspection', 'roFreeRepair', 'roWarranty', 'roInternal']],
  ['laborRevenueTotal', 'Money', '工时总销售', 'Labor revenue total', ['laborRevenueCustomer', 'laborRevenueWarranty', 'laborRevenueInternal']],
  ['partsRevenueTotal', 'Money', '零件总营业额', 'Parts revenue total', ['partsRevenueMechanical', 'partsRevenueBodyPaint', 'partsRevenueInternal']],
  [
    'serviceRevenueTotal', 'Money', '总服务收入', 'Service revenue total',
    ['laborRevenueCustomer', 'laborRevenueWarranty', 'laborRevenueInternal', 'partsRevenueMechanical', 'partsRevenueBodyPaint', 'partsRevenueInternal', 'subletRevenue', 'accessoryRevenue'],
  ],
  ['grossProfitTotal', 'Profit', '总毛利', 'Gross profit total', ['grossProfitLabor', 'grossProfitParts', 'grossProfitOther']],
];

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
