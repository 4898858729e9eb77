// meshtrace built-in page. Reads the collector's own APIs on the same origin and builds the
// DOM with createElement/textContent only: data never becomes markup.
'use strict';

const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;
const SVG_NS = 'http://www.w3.org/2000/svg';
const REFRESH_MS = 5000;
const state = { window: '1m', service: null, picked: false, searched: false };

// ---- DOM and formatting helpers ----

function build(node, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null) continue;
    if (k === 'style') Object.assign(node.style, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c != null) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}
const el = (tag, attrs, ...children) => build(document.createElement(tag), attrs, children);
const svg = (tag, attrs, ...children) => build(document.createElementNS(SVG_NS, tag), attrs, children);

async function getJSON(url) {
  const response = await fetch(url);
  if (!response.ok) throw Object.assign(new Error(`${url}: HTTP ${response.status}`), { status: response.status });
  return response.json();
}

function showError(error) {
  $('error').hidden = false;
  $('error').textContent = String(error && error.message ? error.message : error);
}

function fmtSeconds(s) {
  if (s == null || Number.isNaN(s)) return '-';
  if (s < 1e-3) return `${(s * 1e6).toFixed(0)} µs`;
  if (s < 1) return `${(s * 1e3).toFixed(s < 0.01 ? 2 : 1)} ms`;
  return `${s.toFixed(2)} s`;
}
const fmtMicros = (us) => fmtSeconds(us / 1e6);
const fmtPct = (ratio) => (ratio == null ? '-' : `${(ratio * 100).toFixed(1)}%`);

// Twelve well-separated colours; a service keeps its colour on every page.
const PALETTE = ['#e6550d', '#3182bd', '#31a354', '#756bb1', '#d6616b', '#17becf',
  '#8c6d31', '#e377c2', '#637939', '#bcbd22', '#393b79', '#7f7f7f'];
function colour(name) {
  let h = 0;
  for (const ch of String(name)) h = (h * 31 + ch.codePointAt(0)) % 9973;
  return PALETTE[h % PALETTE.length];
}
const swatch = (name) => el('span', { class: 'swatch', style: { background: colour(name) } });
const cell = (text, cls) => el('td', { class: cls }, text);

// ---- overview: services, operations, graph, sampling ----

async function refreshServices() {
  const services = (await getJSON('/api/services')).data || [];
  $('set-services').replaceChildren(...services.map((s) => el('option', { value: s })));
  const rows = await Promise.all(services.map(async (s) =>
    [s, await getJSON(`/api/v1/latency?service=${enc(s)}&window=${state.window}`)]));
  if (!state.picked && rows.length) {
    const busiest = rows.reduce((a, b) => ((b[1].rate || 0) > (a[1].rate || 0) ? b : a));
    state.service = busiest[0];
  }
  $('services-body').replaceChildren(...rows.map(([s, l]) => {
    const p = l.percentiles || {};
    const errClass = (l.error_ratio || 0) > 0.05 ? 'num bad' : 'num';
    return el('tr', {
      class: `selectable${s === state.service ? ' selected' : ''}`,
      'data-service': s,
      onclick: () => { state.service = s; state.picked = true; refreshOverview(); },
    }, el('td', {}, swatch(s), s), cell(`${(l.rate || 0).toFixed(1)} req/s`, 'num'),
    cell(fmtPct(l.error_ratio), errClass), cell(fmtSeconds(p.p50), 'num'), cell(fmtSeconds(p.p99), 'num'));
  }));
  if (!rows.length) $('services-body').append(el('tr', {}, el('td', { colspan: 5 }, 'No spans yet.')));
  $('updated').textContent = `window ${state.window}, updated ${new Date().toLocaleTimeString()}`;
  fillSearchServices(services);
}

const QUANTILES = [['p50', 'p50'], ['p90', 'p90'], ['p95', 'p95'], ['p99', 'p99'], ['p999', 'p99.9'], ['max', 'max']];
const SHADES = ['#a9c4f5', '#84a9ef', '#5f8ee8', '#3a72dc', '#2557b5', '#1d2330'];

async function refreshOperations() {
  const s = state.service;
  if (!s) return;
  $('ops-service').textContent = s;
  const ops = (await getJSON(`/api/services/${enc(s)}/operations`)).data || [];
  const lat = await Promise.all(ops.map((o) =>
    getJSON(`/api/v1/latency?service=${enc(s)}&operation=${enc(o)}&window=${state.window}`)));
  drawOpsChart(ops.map((op, i) => ({ op, l: lat[i] })).filter((r) => r.l.percentiles));
}

function drawOpsChart(rows) {
  if (!rows.length) {
    $('ops-chart').replaceChildren(el('p', { class: 'hint' }, 'No spans for this service in the window.'));
    return;
  }
  const values = rows.flatMap((r) => QUANTILES.map(([k]) => r.l.percentiles[k])).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values)));
  const left = 240, width = 1000, plot = width - left - 90, barH = 11, rowH = QUANTILES.length * (barH + 2) + 18;
  const x = (v) => left + plot * (Math.log10(Math.max(v, lo) / lo) / Math.log10(hi / lo));
  const height = rows.length * rowH + 24;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'latency percentiles per operation' });
  for (let t = lo; t <= hi * 1.0001; t *= 10) {
    chart.append(svg('line', { class: 'axis', x1: x(t), x2: x(t), y1: 0, y2: height - 18 }),
      svg('text', { x: x(t), y: height - 4, 'text-anchor': 'middle' }, fmtSeconds(t)));
  }
  rows.forEach(({ op, l }, i) => {
    const top = i * rowH + 6;
    chart.append(svg('text', { x: 0, y: top + 12, 'font-weight': 600 }, op),
      svg('text', { x: 0, y: top + 28 }, `${(l.rate || 0).toFixed(1)} req/s · ${fmtPct(l.error_ratio)} errors`));
    QUANTILES.forEach(([k, label], q) => {
      const v = l.percentiles[k], y = top + q * (barH + 2);
      chart.append(svg('rect', { x: left, y, width: Math.max(1, x(v) - left), height: barH, fill: SHADES[q] },
        svg('title', {}, `${op} ${label} ${fmtSeconds(v)}`)),
      svg('text', { x: x(v) + 4, y: y + barH - 1 }, `${label} ${fmtSeconds(v)}`));
    });
  });
  $('ops-chart').replaceChildren(chart);
}

async function refreshGraph() {
  const deps = (await getJSON(`/api/dependencies?endTs=${Date.now()}&lookback=3600000`)).data || [];
  $('graph-body').replaceChildren(...deps.map((d) =>
    el('tr', {}, el('td', {}, swatch(d.parent), d.parent), el('td', {}, swatch(d.child), d.child),
      cell(String(d.callCount), 'num'))));
  drawGraph(deps);
}

function drawGraph(deps) {
  const names = [...new Set(deps.flatMap((d) => [d.parent, d.child]))].sort();
  const depth = Object.fromEntries(names.map((n) => [n, 0]));
  for (let i = 0; i < names.length; i++) { // longest path from a root; bounded for cycles
    for (const d of deps) depth[d.child] = Math.max(depth[d.child], Math.min(depth[d.parent] + 1, names.length));
  }
  const columns = [];
  names.forEach((n) => (columns[depth[n]] = columns[depth[n]] || []).push(n));
  const nodeW = 140, nodeH = 30, colW = 260, rowGap = 50;
  const pos = {};
  columns.forEach((col, c) => col.forEach((n, r) => (pos[n] = { x: 20 + c * colW, y: 20 + r * rowGap })));
  const height = Math.max(1, ...columns.map((c) => (c || []).length)) * rowGap + 10;
  const width = Math.max(600, columns.length * colW);
  const graph = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': 'service graph' },
    svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto' },
      svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#98a2b3' }))));
  for (const d of deps) {
    const a = pos[d.parent], b = pos[d.child];
    const x1 = a.x + nodeW, y1 = a.y + nodeH / 2, x2 = b.x, y2 = b.y + nodeH / 2, mx = (x1 + x2) / 2;
    graph.append(svg('path', { class: 'edge', d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`, 'marker-end': 'url(#arrow)' }),
      svg('text', { x: mx, y: (y1 + y2) / 2 - 4, 'text-anchor': 'middle' }, `${d.callCount} calls`));
  }
  for (const n of names) {
    graph.append(svg('g', { class: 'node' },
      svg('rect', { x: pos[n].x, y: pos[n].y, width: nodeW, height: nodeH, rx: 5, fill: colour(n), 'fill-opacity': 0.25 }),
      svg('text', { x: pos[n].x + nodeW / 2, y: pos[n].y + 19, 'text-anchor': 'middle', 'font-weight': 600 }, n)));
  }
  $('graph-svg').replaceChildren(names.length ? graph : el('p', { class: 'hint' }, 'No calls between services yet.'));
}

function strategyRow(service, s) {
  const ops = (s.operation_strategies || []).map((o) => `${o.operation}: ${o.type} ${o.param}`);
  return el('tr', {}, el('td', {}, service), cell(s.type || '-'), cell(String(s.param ?? '-'), 'num'),
    el('td', {}, el('code', {}, ops.join('; ') || '-')));
}

async function refreshSampling() {
  const doc = await getJSON('/api/v1/sampling');
  const st = doc.strategies || {};
  $('sampling-version').textContent = `version ${doc.version}, updated ${doc.updated}`;
  const rows = (st.service_strategies || []).map((s) => strategyRow(s.service, s));
  if (st.default_strategy) rows.push(strategyRow('(default)', st.default_strategy));
  if (!rows.length) {
    rows.push(el('tr', {}, el('td', { colspan: 4 }, 'None set: each sidecar keeps its --sampling-probability.')));
  }
  $('head-body').replaceChildren(...rows);
  let tail;
  try { tail = await getJSON('/api/v1/sampling/tail'); } catch (e) { tail = null; }
  const policies = (tail && tail.policies) || [];
  $('tail-wait').textContent = tail ? `decision_wait ${tail.decision_wait}` : '';
  $('tail-body').replaceChildren(...(policies.length ? policies.map((p) =>
    el('tr', {}, cell(p.name), cell(p.type), el('td', {}, el('code', {}, JSON.stringify(p[p.type] ?? {})))))
    : [el('tr', {}, el('td', { colspan: 3 }, 'No tail policies: every trace is kept.'))]));
}

// ---- sampling control (the control API, with the admin token when the collector has one) ----

async function setProbability(event) {
  event.preventDefault();
  const service = $('set-service').value.trim();
  const probability = Number($('set-probability').value);
  const headers = { 'content-type': 'application/json' };
  const token = $('set-token').value;
  if (token) headers.authorization = `Bearer ${token}`;
  const body = JSON.stringify({ service, type: 'probabilistic', param: probability });
  const response = await fetch(`/api/v1/sampling/services/${enc(service)}`, { method: 'PUT', headers, body });
  const answer = await response.json().catch(() => ({}));
  $('set-result').textContent = response.ok
    ? `applied: version ${answer.version}; sidecars follow within a second`
    : `refused (HTTP ${response.status}): ${answer.error || ''}`;
  await refreshSampling();
}

// ---- trace search ----

function fillSearchServices(services) {
  const select = $('search-service');
  if (select.options.length === services.length && services.length) return;
  const keep = select.value || state.service;
  select.replaceChildren(...services.map((s) => el('option', { value: s }, s)));
  if (services.includes(keep)) select.value = keep;
  fillSearchOperations().then(() => { if (!state.searched) { state.searched = true; search(); } }).catch(showError);
}

async function fillSearchOperations() {
  const s = $('search-service').value;
  const ops = s ? (await getJSON(`/api/services/${enc(s)}/operations`)).data || [] : [];
  $('search-operation').replaceChildren(el('option', { value: '' }, 'all'), ...ops.map((o) => el('option', { value: o }, o)));
}

function traceSummary(t) {
  const ids = new Set(t.spans.map((s) => s.spanID));
  const root = t.spans.find((s) => !(s.references || []).some((r) => ids.has(r.spanID))) || t.spans[0];
  const start = Math.min(...t.spans.map((s) => s.startTime));
  const end = Math.max(...t.spans.map((s) => s.startTime + s.duration));
  const services = [...new Set(Object.values(t.processes || {}).map((p) => p.serviceName))].sort();
  return { root, start, duration: end - start, services };
}

async function search(event) {
  if (event) event.preventDefault();
  const form = new FormData($('search-form'));
  const query = new URLSearchParams();
  for (const [k, v] of form) if (String(v).trim()) query.set(k, String(v).trim());
  const traces = (await getJSON(`/api/traces?${query}`)).data || [];
  traces.sort((a, b) => traceSummary(b).start - traceSummary(a).start);
  $('search-body').replaceChildren(...traces.map((t) => {
    const s = traceSummary(t), rootService = (t.processes[s.root.processID] || {}).serviceName;
    return el('tr', {}, el('td', {}, el('a', { class: 'mono', href: `/trace/${enc(t.traceID)}` }, t.traceID)),
      el('td', {}, swatch(rootService), `${rootService}: ${s.root.operationName}`),
      cell(s.services.join(', ')), cell(String(t.spans.length), 'num'), cell(fmtMicros(s.duration), 'num'),
      cell(new Date(s.start / 1000).toLocaleTimeString()));
  }));
  if (!traces.length) $('search-body').append(el('tr', {}, el('td', { colspan: 6 }, 'No traces found.')));
}

// ---- trace view ----

const tagValue = (span, key) => ((span.tags || []).find((t) => t.key === key) || {}).value;
const isError = (span) => tagValue(span, 'error') === true || tagValue(span, 'otel.status_code') === 'ERROR'
  || Number(tagValue(span, 'http.response.status_code')) >= 500;

function orderSpans(spans) {
  const byId = new Map(spans.map((s) => [s.spanID, s]));
  const children = new Map();
  const roots = [];
  for (const s of spans) {
    const parent = (s.references || []).map((r) => r.spanID).find((id) => byId.has(id));
    if (parent) (children.get(parent) || children.set(parent, []).get(parent)).push(s);
    else roots.push(s);
  }
  const out = [];
  const visit = (s, depth) => {
    out.push({ span: s, depth });
    (children.get(s.spanID) || []).sort((a, b) => a.startTime - b.startTime).forEach((c) => visit(c, depth + 1));
  };
  roots.sort((a, b) => a.startTime - b.startTime).forEach((r) => visit(r, 0));
  return out;
}

async function showTrace(id) {
  $('trace').hidden = false;
  $('window').parentElement.hidden = true;
  const answer = await getJSON(`/api/traces/${enc(id)}`).catch((e) => {
    if (e.status === 404) throw new Error(`Trace ${id} is not in the store: not kept by sampling, or aged out.`);
    throw e;
  });
  const trace = (answer.data || [])[0];
  if (!trace) throw new Error(`Trace ${id} is not in the store.`);
  const sum = traceSummary(trace), total = Math.max(sum.duration, 1);
  const service = (span) => (trace.processes[span.processID] || {}).serviceName || '?';
  document.title = `${service(sum.root)}: ${sum.root.operationName} · meshtrace`;
  $('trace-title').textContent = `${service(sum.root)}: ${sum.root.operationName}`;
  $('trace-summary').textContent = `trace ${trace.traceID} · ${trace.spans.length} spans · services ${sum.services.join(', ')}`
    + ` · ${fmtMicros(sum.duration)} · started ${new Date(sum.start / 1000).toLocaleString()}`;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => el('span', { class: 'wf-time', style: f < 1 ? { left: `${f * 100}%` } : { right: '4px' } },
    f ? fmtMicros(total * f) : '0'));
  const rows = orderSpans(trace.spans).map(({ span, depth }) => {
    const left = ((span.startTime - sum.start) / total) * 100, width = (span.duration / total) * 100;
    const label = left + width > 80 ? { right: `${100 - left + 0.5}%` } : { left: `${left + width + 0.5}%` };
    return el('div', { class: 'wf-row', 'data-span-id': span.spanID, onclick: () => selectSpan(trace, span, service(span)) },
      el('div', { class: 'wf-label', style: { paddingLeft: `${8 + depth * 16}px` } },
        swatch(service(span)), el('span', { class: 'wf-service' }, service(span)), span.operationName),
      el('div', { class: 'wf-track' },
        el('div', { class: `wf-bar${isError(span) ? ' error' : ''}`, style: { left: `${left}%`, width: `${width}%`, background: colour(service(span)) } }),
        el('span', { class: 'wf-time', style: label }, fmtMicros(span.duration))));
  });
  $('waterfall').replaceChildren(el('div', { class: 'wf-row wf-head' }, el('div', { class: 'wf-label' }, 'service: operation'),
    el('div', { class: 'wf-track' }, ticks)), ...rows);
  const wanted = location.hash.startsWith('#span-') ? location.hash.slice(6) : null;
  const chosen = trace.spans.find((s) => s.spanID === wanted);
  if (chosen) selectSpan(trace, chosen, service(chosen));
}

function keyValueTable(rows) {
  return el('table', { class: 'grid' }, el('tbody', {}, rows.map(([k, v]) =>
    el('tr', {}, el('td', { class: 'mono' }, k), el('td', { class: 'mono' }, typeof v === 'string' ? v : JSON.stringify(v))))));
}

function selectSpan(trace, span, service) {
  for (const row of document.querySelectorAll('.wf-row')) row.classList.toggle('selected', row.dataset.spanId === span.spanID);
  history.replaceState(null, '', `#span-${span.spanID}`);
  const start = Math.min(...trace.spans.map((s) => s.startTime));
  const policy = tagValue(span, 'sampling.policy'), adjusted = tagValue(span, 'sampling.adjusted_count');
  const head = tagValue(span, 'sampler.type');
  const reason = [policy != null ? `kept by tail policy "${policy}"` : 'no tail policy recorded',
    adjusted != null ? `adjusted count ${Number(Number(adjusted).toPrecision(6))}` : null,
    head != null ? `head sampler ${head} ${tagValue(span, 'sampler.param') ?? ''}` : null].filter(Boolean).join(' · ');
  const logs = (span.logs || []).map((log) => el('div', {},
    el('h3', {}, `+${fmtMicros(log.timestamp - start)}`),
    keyValueTable((log.fields || []).map((f) => [f.key, f.value]))));
  const process = trace.processes[span.processID] || {};
  const detail = $('span-detail');
  detail.hidden = false;
  detail.replaceChildren();
  build(detail, {}, [el('h2', {}, swatch(service), `${service}: ${span.operationName}`),
    el('p', { class: 'hint mono' }, `span ${span.spanID} · start +${fmtMicros(span.startTime - start)} · duration ${fmtMicros(span.duration)}`),
    el('h3', {}, 'Sampling reason'), el('p', { class: 'reason' }, reason),
    el('h3', {}, 'Attributes'), keyValueTable((span.tags || []).map((t) => [t.key, t.value])),
    el('h3', {}, 'Events'), logs.length ? logs : el('p', { class: 'hint' }, 'No events.'),
    (span.warnings || []).length ? [el('h3', {}, 'Warnings'), el('ul', {}, span.warnings.map((w) => el('li', {}, w)))] : null,
    el('h3', {}, 'Process'), keyValueTable([['service.name', process.serviceName || '?'], ...(process.tags || []).map((t) => [t.key, t.value])])]);
}

// ---- routing ----

function refreshOverview() {
  Promise.all([refreshServices().then(refreshOperations), refreshGraph(), refreshSampling()])
    .then(() => { $('error').hidden = true; }).catch(showError);
}

function startOverview() {
  $('overview').hidden = false;
  $('window').addEventListener('change', (e) => { state.window = e.target.value; refreshOverview(); });
  $('search-form').addEventListener('submit', (e) => search(e).catch(showError));
  $('search-service').addEventListener('change', () => fillSearchOperations().catch(showError));
  $('set-form').addEventListener('submit', (e) => setProbability(e).catch(showError));
  refreshOverview();
  setInterval(refreshOverview, REFRESH_MS);
}

const traceMatch = location.pathname.match(/^\/trace\/([^/]+)\/?$/);
if (traceMatch) showTrace(decodeURIComponent(traceMatch[1])).catch(showError);
else startOverview();
