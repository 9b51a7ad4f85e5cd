/*
 * MSI Hub dashboard: the charts, on Apache ECharts (vendored `echarts.min.js`, loaded by
 * index.html before the modules: it sets `window.echarts`).
 *
 * Each helper takes an element and plain data, builds one ECharts option (no animation,
 * so a chart is complete when the call returns) and keeps the instance so that the router
 * can dispose every chart when the view changes. Tooltips escape every text they show.
 */

import { esc } from './format.js';
import { t } from './i18n.js';

const live = new Set();

function echartsLib() {
  const lib = window.echarts;
  if (!lib) throw new Error('echarts.min.js is not loaded');
  return lib;
}

function mount(el, option) {
  const old = echartsLib().getInstanceByDom(el);
  if (old) {
    live.delete(old);
    old.dispose();
  }
  const chart = echartsLib().init(el, null, { renderer: 'canvas' });
  chart.setOption(Object.assign({ animation: false, textStyle: { fontFamily: 'inherit' } }, option));
  live.add(chart);
  return chart;
}

/** Disposes every chart (the router calls it before rendering another view). */
export function disposeCharts() {
  for (const c of live) {
    if (!c.isDisposed()) c.dispose();
  }
  live.clear();
}

window.addEventListener('resize', () => {
  for (const c of live) if (!c.isDisposed()) c.resize();
});

export const COLORS = {
  dealer: '#d60590',
  region: '#1f6fb2',
  nation: '#5a6b7b',
  band: 'rgba(31, 111, 178, 0.08)',
  quartile: ['#e3e7eb', '#1a9850', '#a6d96a', '#fdae61', '#d73027'], // 0: no value, 1: top 25 %
};

/**
 * Heat map: rows (dealers) × columns (KPIs). `cells` are
 * `{ x, y, quartile (0–4), text, outside ('ABOVE'|'BELOW'|null), tip }`.
 */
export function heatmap(el, { rows, cols, cells }) {
  const visible = 30;
  const data = cells.map((c) => ({
    value: [c.x, c.y, c.quartile],
    tip: c.tip,
    label: { formatter: (c.text || '').replace(/[{}|]/g, '') + (c.outside === 'BELOW' ? ' ▼' : c.outside === 'ABOVE' ? ' ▲' : '') },
    itemStyle: c.outside ? { borderColor: '#1b2733', borderWidth: 2 } : undefined,
  }));
  const zoom = rows.length > visible;
  el.style.height = Math.max(240, Math.min(rows.length, visible) * 24 + 140) + 'px';
  return mount(el, {
    grid: { left: 190, right: zoom ? 40 : 16, top: 84, bottom: 8 },
    tooltip: {
      formatter: (p) => (p.data && p.data.tip) || '',
    },
    xAxis: { type: 'category', data: cols, position: 'top', axisLabel: { interval: 0, width: 96, overflow: 'break' }, splitArea: { show: true } },
    yAxis: { type: 'category', data: rows, inverse: true, axisLabel: { width: 180, overflow: 'truncate' }, splitArea: { show: true } },
    visualMap: {
      type: 'piecewise',
      dimension: 2,
      orient: 'horizontal',
      top: 0,
      left: 'center',
      itemWidth: 14,
      itemHeight: 10,
      pieces: [
        { value: 1, label: t('chart.q1'), color: COLORS.quartile[1] },
        { value: 2, label: t('chart.q2'), color: COLORS.quartile[2] },
        { value: 3, label: t('chart.q3'), color: COLORS.quartile[3] },
        { value: 4, label: t('chart.q4'), color: COLORS.quartile[4] },
        { value: 0, label: t('chart.noValue'), color: COLORS.quartile[0] },
      ],
    },
    dataZoom: zoom
      ? [
          { type: 'slider', yAxisIndex: 0, right: 6, width: 16, startValue: 0, endValue: visible - 1, zoomLock: true, brushSelect: false, showDetail: false },
          { type: 'inside', yAxisIndex: 0, startValue: 0, endValue: visible - 1, zoomOnMouseWheel: false, moveOnMouseWheel: true },
        ]
      : [],
    series: [
      {
        type: 'heatmap',
        data,
        label: { show: true, fontSize: 11, color: '#1b2733' },
        emphasis: { itemStyle: { borderColor: '#000', borderWidth: 1 } },
        progressive: 0,
      },
    ],
  });
}

/**
 * Distribution of a ranking: the dealers' values in rank order as points, the scope's
 * quartile band, and lines for the region and the nation.
 */
export function distribution(el, { points, lines, band, fmt, highlight }) {
  el.style.height = '300px';
  const markLine = lines
    .filter((l) => l.value !== null && l.value !== undefined)
    .map((l) => ({
      yAxis: l.value,
      name: l.name,
      lineStyle: { color: l.color, type: l.dashed ? 'dashed' : 'solid', width: 2 },
      label: { formatter: l.name + ' ' + fmt(l.value).replace(/[{}|]/g, ''), position: 'insideEndTop', color: l.color },
    }));
  const markArea =
    band && band[0] !== null && band[1] !== null && band[0] !== undefined && band[1] !== undefined
      ? { silent: true, itemStyle: { color: COLORS.band }, data: [[{ yAxis: band[0], name: t('chart.iqr') }, { yAxis: band[1] }]], label: { position: 'insideTopLeft', color: COLORS.region } }
      : undefined;
  return mount(el, {
    grid: { left: 64, right: 24, top: 24, bottom: 40 },
    tooltip: {
      trigger: 'item',
      formatter: (p) => esc(p.data.name) + '<br>' + esc(t('col.rank')) + ' ' + esc(p.data.rank) + ': <b>' + esc(fmt(p.data.value)) + '</b>',
    },
    xAxis: { type: 'category', data: points.map((p) => p.rank), name: t('col.rank'), nameLocation: 'middle', nameGap: 26, boundaryGap: true, axisLabel: { hideOverlap: true } },
    yAxis: { type: 'value', scale: true, axisLabel: { formatter: (v) => fmt(v) } },
    series: [
      {
        type: 'scatter',
        symbolSize: points.length > 300 ? 4 : 7,
        data: points.map((p) => ({
          value: p.value,
          name: p.name,
          rank: p.rank,
          symbolSize: highlight && p.code === highlight ? 12 : undefined,
          itemStyle: { color: highlight && p.code === highlight ? COLORS.dealer : '#5b8fc4' },
        })),
        markLine: markLine.length ? { symbol: 'none', silent: true, data: markLine } : undefined,
        markArea,
      },
    ],
  });
}

/** Radar: `axes` `{ name, max }`, `series` `{ name, values, color }` (values on the axes' scale). */
export function radar(el, { axes, series, tip }) {
  el.style.height = '380px';
  return mount(el, {
    legend: { bottom: 0, data: series.map((s) => s.name) },
    tooltip: { trigger: 'item', formatter: tip },
    radar: { indicator: axes.map((a) => ({ name: a.name, max: a.max, min: 0 })), radius: '62%', center: ['50%', '48%'], axisName: { color: '#1b2733' } },
    series: [
      {
        type: 'radar',
        data: series.map((s) => ({
          name: s.name,
          value: s.values.map((v) => (v === null || v === undefined ? '-' : v)),
          lineStyle: { color: s.color, width: s.name === series[0].name ? 3 : 2 },
          itemStyle: { color: s.color },
          areaStyle: s.name === series[0].name ? { color: s.color, opacity: 0.12 } : undefined,
          symbolSize: 4,
        })),
      },
    ],
  });
}

/** Monthly lines: `months`, `series` `{ name, values, color, dashed }`. */
export function trend(el, { months, series, fmt }) {
  el.style.height = '300px';
  return mount(el, {
    grid: { left: 64, right: 24, top: 36, bottom: 32 },
    legend: { top: 0, data: series.map((s) => s.name) },
    tooltip: {
      trigger: 'axis',
      formatter: (ps) =>
        esc(ps[0] ? ps[0].axisValue : '') +
        ps.map((p) => '<br>' + p.marker + esc(p.seriesName) + ': <b>' + esc(fmt(p.value === '-' ? null : p.value)) + '</b>').join(''),
    },
    xAxis: { type: 'category', data: months, boundaryGap: false },
    yAxis: { type: 'value', scale: true, axisLabel: { formatter: (v) => fmt(v) } },
    series: series.map((s) => ({
      name: s.name,
      type: 'line',
      data: s.values.map((v) => (v === null || v === undefined ? '-' : v)),
      connectNulls: false,
      symbolSize: 5,
      lineStyle: { color: s.color, width: s.dashed ? 1.5 : 2.5, type: s.dashed ? 'dashed' : 'solid' },
      itemStyle: { color: s.color },
    })),
  });
}

/** Bars by group (regions), one highlighted, with a line for the nation. */
export function groupBars(el, { names, values, highlight, line, fmt }) {
  el.style.height = '280px';
  return mount(el, {
    grid: { left: 64, right: 24, top: 28, bottom: 48 },
    tooltip: { trigger: 'item', formatter: (p) => esc(p.name) + ': <b>' + esc(fmt(p.value === '-' ? null : p.value)) + '</b>' },
    xAxis: { type: 'category', data: names, axisLabel: { interval: 0, rotate: names.length > 8 ? 30 : 0 } },
    yAxis: { type: 'value', axisLabel: { formatter: (v) => fmt(v) } },
    series: [
      {
        type: 'bar',
        data: values.map((v, i) => ({
          value: v === null || v === undefined ? '-' : v,
          itemStyle: { color: i === highlight ? COLORS.dealer : '#8fb3d6' },
        })),
        markLine:
          line && line.value !== null && line.value !== undefined
            ? {
                symbol: 'none',
                silent: true,
                data: [{ yAxis: line.value, lineStyle: { color: COLORS.nation, type: 'dashed', width: 2 }, label: { formatter: line.name + ' ' + fmt(line.value).replace(/[{}|]/g, ''), position: 'insideEndTop' } }],
              }
            : undefined,
      },
    ],
  });
}
