// Agent monitor: statistics and recent turns from the API, then live records over server-sent events.
// Charts are plain SVG. The stream is opened with a short-lived single-use token (EventSource cannot
// send an Authorization header) and reopened with a fresh one whenever it drops or the server ends it.
import { api, escapeHtml, header, requireLogin } from "/static/common/auth.js";
import { recordingControls, setUpRecordings } from "/static/agent_monitor/recordings.js";

requireLogin();
header("/agent-monitor");

const STAGES = [
  { key: "stt_ms", label: "STT", color: "#2456d6" },
  { key: "turn_end_ms", label: "VAD / turn end", color: "#0e7490" },
  { key: "agent_ms", label: "Agent", color: "#0f766e" },
  { key: "llm_first_token_ms", label: "First reply text", color: "#7c3aed" },
  { key: "tts_first_audio_ms", label: "TTS first audio", color: "#15803d" },
  { key: "eos_to_first_audio_ms", label: "End of speech → audio", color: "#1d2330" },
  { key: "tool_ms", label: "Tool call", color: "#b45309" },
];
const STAGE = Object.fromEntries(STAGES.map((s) => [s.key, s]));
const TOOL_ERROR = "#c62828";
const TIMELINE_SERIES = ["eos_to_first_audio_ms", "agent_ms", "stt_ms"];
const KEEP = 500; // records kept in the page, like the server's window
const TURN_PAGE = 25;
const CALL_PAGE = 10;
const SVG = "http://www.w3.org/2000/svg";

const $ = (id) => document.getElementById(id);
const state = {
  filters: { channel: "", domain: "", line: "", user: "" },
  records: [], // newest first
  stats: null,
  scope: "own",
  turnsShown: TURN_PAGE,
  callsPage: 1,
  open: new Set(), // keys of expanded details, kept across re-renders
};

// --- formatting ---------------------------------------------------------------------------------

const num = (v) => (typeof v === "number" && Number.isFinite(v) ? v : null);
function ms(v) {
  const n = num(v);
  if (n === null) return "—";
  if (n >= 1000) return `${(n / 1000).toFixed(2)} s`;
  return n < 10 && n > 0 ? `${n.toFixed(1)} ms` : `${Math.round(n)} ms`;
}
function clock(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "—" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}
function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "—";
  const today = new Date().toDateString() === d.toDateString();
  return today ? clock(iso) : d.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}
/** "120 / 340 ms": two durations sharing a unit when they can. */
function pair(a, b) {
  const both = [num(a), num(b)];
  if (both.every((v) => v !== null && v >= 10 && v < 1000)) return `${Math.round(both[0])} / ${Math.round(both[1])} ms`;
  return `${ms(a)} / ${ms(b)}`;
}
const shortSid = (sid) => (sid ? (sid.length > 14 ? `${sid.slice(0, 6)}…${sid.slice(-6)}` : sid) : "—");
const who = (r) => r.user_email || (r.user_id ? `user ${String(r.user_id).slice(0, 8)}` : "not signed in");
function json(value) {
  if (value === undefined) return "";
  try { return JSON.stringify(value, null, 2); } catch { return String(value); }
}
function niceCeil(v) {
  if (!(v > 0)) return 1000;
  const step = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10]) if (m * step >= v) return m * step; // all split into 4 round ticks
  return 10 * step;
}
function el(tag, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (parent) parent.append(node);
  return node;
}

// --- data ---------------------------------------------------------------------------------------

function query(extra = {}) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...state.filters, ...extra })) if (v !== "" && v != null) params.set(k, v);
  return params.toString();
}

function matches(r) {
  const f = state.filters;
  if (f.channel && r.channel !== f.channel) return false;
  if (f.domain && r.domain !== f.domain) return false;
  if (f.line && r.line !== f.line) return false;
  if (f.user) {
    const u = f.user.trim().toLowerCase();
    if (String(r.user_id || "").toLowerCase() !== u && String(r.user_email || "").toLowerCase() !== u) return false;
  }
  return true;
}

function showError(text) { $("error").textContent = text || ""; }

async function loadStats() {
  try {
    state.stats = await api(`/agent-monitor/api/stats?${query()}`);
    state.scope = state.stats.scope;
    renderStats();
  } catch (e) { showError(`Could not load statistics: ${e.message}`); }
}

async function loadRecent() {
  try {
    const body = await api(`/agent-monitor/api/interactions?${query({ source: "recent", page_size: 200 })}`);
    state.records = body.items;
    renderRecords();
  } catch (e) { showError(`Could not load recent turns: ${e.message}`); }
}

async function loadCalls() {
  try {
    const body = await api(`/agent-monitor/api/interactions?${query({ source: "calls", page: state.callsPage, page_size: CALL_PAGE })}`);
    renderCalls(body);
  } catch (e) { showError(`Could not load finished calls: ${e.message}`); }
}

// A busy system sends many records a second: draw at most once a frame, ask for statistics at most
// once every 700 ms.
let statsTimer = null;
function refreshStatsSoon() {
  if (statsTimer) return;
  statsTimer = setTimeout(() => { statsTimer = null; loadStats(); }, 700);
}

let drawPending = false;
function addRecord(record) {
  if (!matches(record)) return;
  state.records = [record, ...state.records.filter((r) => r.key !== record.key)].slice(0, KEEP);
  if (!drawPending) {
    drawPending = true;
    requestAnimationFrame(() => { drawPending = false; renderRecords(); });
  }
  refreshStatsSoon();
}

// --- the live feed ------------------------------------------------------------------------------

let source = null;
let retry = 1000;

function setLive(kind, text) {
  const badge = $("live");
  badge.className = `badge ${kind}`;
  badge.textContent = text;
}

async function connect() {
  if (source) source.close();
  source = null;
  let token;
  try {
    token = (await api("/agent-monitor/api/stream-token", { method: "POST" })).token;
  } catch (e) {
    setLive("bad", "Offline");
    return reconnectLater();
  }
  const es = new EventSource(`/agent-monitor/api/stream?token=${encodeURIComponent(token)}`);
  source = es;
  es.addEventListener("ready", () => { retry = 1000; setLive("ok", "● Live"); });
  es.addEventListener("bye", () => { es.close(); connect(); });
  es.onmessage = (event) => {
    try { addRecord(JSON.parse(event.data)); } catch { /* a malformed record is skipped */ }
  };
  es.onerror = () => {
    // the token was single-use, so let EventSource not retry with it: reconnect with a new one
    es.close();
    if (source === es) source = null;
    setLive("warn", "Reconnecting…");
    reconnectLater();
  };
}

function reconnectLater() {
  setTimeout(connect, retry);
  retry = Math.min(retry * 2, 15000);
}

// --- statistics ---------------------------------------------------------------------------------

function renderStats() {
  const s = state.stats;
  if (!s) return;
  const c = s.counts;
  $("k-turns").textContent = c.turns;
  $("k-calls").textContent = `${c.calls} call${c.calls === 1 ? "" : "s"}`;
  $("k-tools").textContent = c.tool_calls;
  $("k-tool-errors").textContent = c.tool_errors ? `${c.tool_errors} failed` : "none failed";
  $("k-tool-errors").className = c.tool_errors ? "bad" : "muted";
  $("k-errors").textContent = `${(s.error_rate * 100).toFixed(1)} %`;
  $("k-errors").className = s.error_rate > 0.05 ? "bad" : "";
  const eos = s.stages.eos_to_first_audio_ms;
  const agent = s.stages.agent_ms;
  $("k-eos").textContent = `p50 ${ms(eos.p50)}`;
  $("k-eos-95").textContent = `p95 ${ms(eos.p95)}`;
  $("k-agent").textContent = `p50 ${ms(agent.p50)}`;
  $("k-agent-95").textContent = `p95 ${ms(agent.p95)}`;
  $("window").textContent = `· last ${s.window.records} records`;
  $("scope").textContent = s.scope === "all" ? "All users' calls (staff)" : "Your calls";
  $("user-filter").hidden = s.scope !== "all";
  fillSelect($("f-channel"), s.filters.channels, "All channels");
  fillSelect($("f-domain"), s.filters.domains, "All domains");
  const lines = s.filters.lines || [];
  $("line-filter").hidden = lines.length === 0;
  if ($("f-line").options.length === 1) {
    for (const l of lines) $("f-line").append(new Option(`${l.name} (${l.number})`, l.number));
  }
  renderPercentiles();
  renderActive(s.active_calls);
}

function fillSelect(select, values, allLabel) {
  if (select.options.length > 1) return;
  for (const v of values) select.append(new Option(v, v));
  select.options[0].textContent = allLabel;
}

function renderPercentiles() {
  const box = $("percentiles");
  box.replaceChildren();
  const stages = STAGES.map((s) => ({ ...s, ...state.stats.stages[s.key] })).filter((s) => s.count > 0);
  if (!stages.length) {
    box.innerHTML = '<p class="muted empty">No measurements yet.</p>';
    return;
  }
  const width = Math.max(box.clientWidth, 280);
  const narrow = width < 500;
  const labelW = 150, valueW = narrow ? 104 : 120, row = 30;
  const height = stages.length * row + 22;
  const max = niceCeil(Math.max(...stages.map((s) => s.p95 ?? 0)));
  const svg = el("svg", { width, height, viewBox: `0 0 ${width} ${height}` }, box);
  const plotW = width - labelW - valueW;
  const steps = plotW < 240 ? 1 : 4; // a narrow plot has room for its ends only
  for (let i = 0; i <= steps; i += 1) {
    const x = labelW + (plotW * i) / steps;
    const anchor = steps === 1 ? (i ? "end" : "start") : "middle";
    el("line", { x1: x, x2: x, y1: 0, y2: height - 18, class: "grid" }, svg);
    el("text", { x, y: height - 4, "text-anchor": anchor, class: "tick" }, svg).textContent = ms((max * i) / steps);
  }
  stages.forEach((s, i) => {
    const y = i * row + 4;
    el("text", { x: labelW - 8, y: y + 15, "text-anchor": "end", class: "label" }, svg).textContent = s.label;
    const w95 = (plotW * (s.p95 ?? 0)) / max;
    const w50 = (plotW * (s.p50 ?? 0)) / max;
    el("rect", { x: labelW, y: y + 2, width: Math.max(w95, 1), height: 18, rx: 3, fill: s.color, "fill-opacity": 0.28 }, svg);
    el("rect", { x: labelW, y: y + 6, width: Math.max(w50, 1), height: 10, rx: 2, fill: s.color }, svg);
    el("text", { x: labelW + plotW + 8, y: y + 15, class: "value" }, svg).textContent = pair(s.p50, s.p95);
    el("title", {}, svg.lastChild).textContent = `${s.label}: p50 ${ms(s.p50)}, p95 ${ms(s.p95)}, ${s.count} samples`;
  });
}

function renderTimeline() {
  const box = $("timeline");
  box.replaceChildren();
  const turns = state.records.filter((r) => r.type === "turn").slice(0, 100).reverse();
  const legend = $("timeline-legend");
  legend.innerHTML = TIMELINE_SERIES.map((k) => `<li><i class="swatch" data-stage="${k}"></i>${escapeHtml(STAGE[k].label)}</li>`).join("");
  legend.querySelectorAll("[data-stage]").forEach((i) => { i.style.background = STAGE[i.dataset.stage].color; });
  if (!turns.length) {
    box.innerHTML = '<p class="muted empty">No turns yet: latency per turn is drawn here as calls happen.</p>';
    return;
  }
  const width = Math.max(box.clientWidth, 280), height = 230;
  const left = 58, right = 12, top = 10, bottom = 26;
  const values = turns.flatMap((t) => TIMELINE_SERIES.map((k) => num(t[k]) ?? 0));
  const max = niceCeil(Math.max(...values, 1));
  const svg = el("svg", { width, height, viewBox: `0 0 ${width} ${height}` }, box);
  const plotW = width - left - right, plotH = height - top - bottom;
  const x = (i) => left + (turns.length === 1 ? plotW / 2 : (plotW * i) / (turns.length - 1));
  const y = (v) => top + plotH - (plotH * v) / max;
  for (let i = 0; i <= 4; i += 1) {
    const v = (max * i) / 4;
    el("line", { x1: left, x2: width - right, y1: y(v), y2: y(v), class: "grid" }, svg);
    el("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, svg).textContent = ms(v);
  }
  el("text", { x: left, y: height - 6, class: "tick" }, svg).textContent = clock(turns[0].at);
  if (turns.length > 1) el("text", { x: width - right, y: height - 6, "text-anchor": "end", class: "tick" }, svg).textContent = clock(turns.at(-1).at);
  for (const key of TIMELINE_SERIES) {
    const color = STAGE[key].color;
    const points = turns.map((t, i) => [i, num(t[key])]).filter(([, v]) => v !== null);
    if (points.length > 1) {
      el("polyline", { points: points.map(([i, v]) => `${x(i)},${y(v)}`).join(" "), fill: "none", stroke: color, "stroke-width": 2 }, svg);
    }
    for (const [i, v] of points) {
      const dot = el("circle", { cx: x(i), cy: y(v), r: 3.5, fill: color }, svg);
      el("title", {}, dot).textContent = `${clock(turns[i].at)} · ${STAGE[key].label} ${ms(v)}`;
    }
  }
}

function renderActive(calls) {
  const body = $("active").querySelector("tbody");
  body.innerHTML = calls.map((c) => `<tr>
      <td><code title="${escapeHtml(c.call_sid)}">${escapeHtml(shortSid(c.call_sid))}</code></td>
      <td><span class="badge">${escapeHtml(c.channel)}</span></td>
      <td>${escapeHtml(who(c))}</td><td>${escapeHtml(when(c.started_at))}</td>
      <td class="num">${c.turns}</td><td>${escapeHtml(c.last_at ? clock(c.last_at) : "—")}</td></tr>`).join("");
  $("active").hidden = !calls.length;
  $("active-empty").hidden = calls.length > 0;
  $("active-count").textContent = calls.length;
}

// --- turns: the waterfall -----------------------------------------------------------------------

/** Lanes of one turn on a timeline that starts at the caller's end of speech. */
function lanes(t) {
  const stt = num(t.stt_ms), turnEnd = num(t.turn_end_ms), agent = num(t.agent_ms);
  const first = num(t.llm_first_token_ms), tts = num(t.tts_first_audio_ms), total = num(t.eos_to_first_audio_ms);
  const handover = (stt ?? 0) + (turnEnd ?? 0);
  const out = [
    { ...STAGE.stt_ms, start: 0, value: stt },
    { ...STAGE.turn_end_ms, start: stt ?? 0, value: turnEnd },
    { ...STAGE.agent_ms, start: handover, value: agent },
  ];
  // tool calls run inside the agent step, one after another; their order and lengths are exact,
  // their offsets inside the step are estimated (routing first, then the calls back to back)
  let toolStart = handover + (num(t.agent_timings?.route_ms) ?? 0);
  for (const call of t.tool_calls || []) {
    const value = num(call.elapsed_ms);
    out.push({ label: `⚙ ${call.name}`, color: call.ok === false ? TOOL_ERROR : STAGE.tool_ms.color, start: toolStart, value, tool: true });
    toolStart += value ?? 0;
  }
  out.push({ ...STAGE.llm_first_token_ms, start: stt ?? 0, value: first });
  out.push({ ...STAGE.tts_first_audio_ms, start: (stt ?? 0) + (first ?? 0), value: tts });
  out.push({ ...STAGE.eos_to_first_audio_ms, start: 0, value: total, total: true });
  return out;
}

const laneEnd = (l) => l.start + (l.value ?? 0);

function turnStatus(t) {
  if (t.failed) return ["bad", "failed"];
  if ((t.tool_calls || []).some((c) => c.ok === false)) return ["bad", "tool error"];
  if (t.filler) return ["warn", "filler"];
  if (t.completed === false) return ["warn", "no audio"];
  return ["ok", "ok"];
}

function toolRows(calls) {
  return calls.map((c) => `<tr>
    <td><code>${escapeHtml(c.name)}</code></td>
    <td>${c.arguments !== undefined ? `<pre>${escapeHtml(json(c.arguments))}</pre>` : '<span class="muted">—</span>'}</td>
    <td>${c.result !== undefined || c.error ? `<pre>${escapeHtml(c.error || json(c.result))}</pre>` : '<span class="muted">—</span>'}</td>
    <td class="num">${ms(c.elapsed_ms)}</td>
    <td><span class="badge ${c.ok === false ? "bad" : "ok"}">${c.ok === false ? "error" : "ok"}</span></td></tr>`).join("");
}

function renderTurns() {
  const turns = state.records.filter((r) => r.type === "turn");
  const shown = turns.slice(0, state.turnsShown);
  const list = $("turns");
  $("turns-empty").hidden = turns.length > 0;
  $("axis").hidden = !turns.length;
  $("more-turns").hidden = turns.length <= state.turnsShown;
  const scale = niceCeil(Math.max(1, ...shown.flatMap((t) => lanes(t).map(laneEnd))));
  renderAxis(scale);
  list.replaceChildren(...shown.map((t) => turnRow(t, scale)));
}

function renderAxis(scale) {
  const ticks = $("axis").querySelector(".ticks");
  ticks.replaceChildren();
  for (let i = 0; i <= 4; i += 1) {
    const tick = document.createElement("span");
    tick.textContent = ms((scale * i) / 4);
    tick.style.left = `${i * 25}%`;
    if (i === 4) tick.classList.add("last");
    ticks.append(tick);
  }
}

function turnRow(t, scale) {
  const row = document.createElement("article");
  row.className = "turn";
  row.dataset.key = t.key;
  const [kind, label] = turnStatus(t);
  const calls = t.tool_calls || [];
  row.innerHTML = `
    <div class="turn-head">
      <time datetime="${escapeHtml(t.at)}">${escapeHtml(clock(t.at))}</time>
      <span class="badge">${escapeHtml(t.channel || "—")}</span>
      ${t.domain ? `<span class="badge domain">${escapeHtml(t.domain)}</span>` : ""}
      <span class="muted">${escapeHtml(who(t))} · <code title="${escapeHtml(t.call_sid || "")}">${escapeHtml(shortSid(t.call_sid))}</code> turn ${escapeHtml(t.turn ?? "—")}</span>
      <span class="badge ${kind}">${label}</span>
      <strong class="turn-total">${ms(t.eos_to_first_audio_ms)}</strong>
    </div>
    <p class="turn-text"><span class="said">“${escapeHtml(t.text_in || "…")}”</span> → <span>${escapeHtml(t.text_out || "…")}</span></p>
    <div class="lanes"></div>
    ${calls.length ? `<details class="tool-details"><summary>${calls.length} tool call${calls.length === 1 ? "" : "s"}</summary>
      <div class="scroll"><table class="compact"><thead><tr><th>Tool</th><th>Arguments</th><th>Result</th><th class="num">Elapsed</th><th>Status</th></tr></thead>
      <tbody>${toolRows(calls)}</tbody></table></div></details>` : ""}`;
  const box = row.querySelector(".lanes");
  for (const lane of lanes(t)) {
    const name = document.createElement("span");
    name.className = `lane-label${lane.tool ? " tool" : ""}${lane.total ? " total" : ""}`;
    name.textContent = lane.label;
    const track = el("svg", { class: "lane-track", viewBox: "0 0 1000 12", preserveAspectRatio: "none", "aria-hidden": "true" });
    for (let i = 1; i < 4; i += 1) el("rect", { x: i * 250, y: 0, width: 1, height: 12, class: "grid-rect" }, track);
    if (lane.value !== null) {
      const x = (1000 * lane.start) / scale;
      el("rect", { x, y: lane.total ? 3 : 1, width: Math.max((1000 * lane.value) / scale, 3), height: lane.total ? 6 : 10, rx: 1.5, fill: lane.color }, track);
    }
    const value = document.createElement("span");
    value.className = "lane-value";
    value.textContent = ms(lane.value);
    box.append(name, track, value);
  }
  const details = row.querySelector("details");
  if (details) {
    details.open = state.open.has(t.key);
    details.addEventListener("toggle", () => (details.open ? state.open.add(t.key) : state.open.delete(t.key)));
  }
  return row;
}

// --- tool calls ---------------------------------------------------------------------------------

function renderTools() {
  const rows = [];
  for (const r of state.records) {
    if (r.type === "tool") rows.push({ ...r, where: r.channel || "api" });
    else if (r.type === "turn") for (const c of r.tool_calls || []) rows.push({ ...c, at: r.at, user_id: r.user_id, user_email: r.user_email, domain: r.domain, where: `${r.channel} · turn ${r.turn}`, key: `${r.key}:${c.name}` });
  }
  const shown = rows.slice(0, 100);
  $("tools").querySelector("tbody").innerHTML = shown.map((c) => {
    const result = c.error || (c.result !== undefined ? json(c.result) : "");
    return `<tr>
      <td>${escapeHtml(clock(c.at))}</td>
      <td><code>${escapeHtml(c.name)}</code>${c.domain ? ` <span class="muted small">${escapeHtml(c.domain)}</span>` : ""}</td>
      <td>${escapeHtml(c.where)}</td>
      <td>${escapeHtml(who(c))}</td>
      <td>${c.arguments !== undefined ? `<pre class="args">${escapeHtml(json(c.arguments))}</pre>` : '<span class="muted">—</span>'}</td>
      <td>${result ? `<details><summary>${escapeHtml(result.replace(/\s+/g, " ").slice(0, 60))}${result.length > 60 ? "…" : ""}</summary><pre>${escapeHtml(result)}</pre></details>` : '<span class="muted">—</span>'}</td>
      <td class="num">${ms(c.elapsed_ms)}</td>
      <td><span class="badge ${c.ok === false ? "bad" : "ok"}">${c.ok === false ? "error" : "ok"}</span></td></tr>`;
  }).join("");
  $("tools").hidden = !rows.length;
  $("tools-empty").hidden = rows.length > 0;
}

function renderRecords() {
  renderTurns();
  renderTools();
  renderTimeline();
}

// --- finished calls -----------------------------------------------------------------------------

function renderCalls(body) {
  const tbody = $("calls").querySelector("tbody");
  tbody.replaceChildren();
  for (const c of body.items) {
    const row = document.createElement("tr");
    row.innerHTML = `<td>${escapeHtml(when(c.started_at))}</td>
      <td><code title="${escapeHtml(c.call_sid)}">${escapeHtml(shortSid(c.call_sid))}</code></td>
      <td><span class="badge">${escapeHtml(c.channel)}</span></td>
      <td>${escapeHtml(who(c))}</td>
      <td><span class="badge ${c.status === "completed" ? "ok" : "bad"}">${escapeHtml(c.status)}</span></td>
      <td class="num">${c.duration_s == null ? "—" : `${c.duration_s.toFixed(1)} s`}</td>
      <td class="num">${c.turns}</td>
      <td>${escapeHtml(c.domains.join(", ") || "—")}</td>`;
    const detail = document.createElement("tr");
    detail.className = "transcript-row";
    const lines = (c.transcript || []).map((l) => `<li><b>${escapeHtml(l.role)}</b> ${escapeHtml(l.text)}</li>`).join("");
    detail.innerHTML = `<td colspan="8"><details><summary>Transcript (${(c.transcript || []).length} lines)</summary>
      <ol class="transcript">${lines || '<li class="muted">Nothing was said.</li>'}</ol></details>${recordingControls(c, state.scope === "all")}</td>`;
    tbody.append(row, detail);
  }
  $("calls").hidden = !body.items.length;
  $("calls-empty").hidden = body.items.length > 0;
  $("calls-pager").hidden = body.pages <= 1 && body.page <= 1;
  $("calls-page").textContent = body.total ? `page ${body.page} of ${body.pages} · ${body.total} calls` : "";
  $("calls-prev").disabled = body.page <= 1;
  $("calls-next").disabled = body.page >= body.pages;
}

// --- wiring -------------------------------------------------------------------------------------

function legend() {
  const box = $("stage-legend");
  box.innerHTML = STAGES.map((s) => `<li><i class="swatch" data-stage="${s.key}"></i>${escapeHtml(s.label)}</li>`).join("")
    + '<li><i class="swatch" data-stage="error"></i>Tool error</li>';
  box.querySelectorAll("[data-stage]").forEach((i) => { i.style.background = STAGE[i.dataset.stage]?.color || TOOL_ERROR; });
}

function reloadAll() {
  showError("");
  state.turnsShown = TURN_PAGE;
  state.callsPage = 1;
  loadRecent();
  loadStats().then(loadCalls); // a call's recording controls are for staff: the scope comes with the stats
}

let userTimer = null;
$("filters").addEventListener("change", (e) => {
  state.filters[e.target.name] = e.target.value.trim();
  reloadAll();
});
$("f-user").addEventListener("input", (e) => {
  clearTimeout(userTimer);
  userTimer = setTimeout(() => { state.filters.user = e.target.value.trim(); reloadAll(); }, 400);
});
$("filters").addEventListener("submit", (e) => e.preventDefault());
$("more-turns").addEventListener("click", () => { state.turnsShown += TURN_PAGE; renderTurns(); });
$("calls-prev").addEventListener("click", () => { state.callsPage -= 1; loadCalls(); });
$("calls-next").addEventListener("click", () => { state.callsPage += 1; loadCalls(); });
let resizeTimer = null;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => { renderTimeline(); if (state.stats) renderPercentiles(); }, 150);
});
setInterval(loadStats, 15000); // active calls and the window move on even when this viewer sees nothing new

legend();
setUpRecordings($("calls"));
reloadAll();
connect();
