// Call center: the agent's state with time in state, an incoming transfer that rings (a tone made with
// Web Audio and a banner), the customer popup, call controls, the agent's audio (a SmallWebRTC peer
// connection to the caller's pipeline), history and metrics. Live updates come from
// /call-center/api/events (server-sent events read with fetch, so the bearer token goes in a header).
import { api, escapeHtml, header, iceServers, requireLogin, tokens } from "/static/common/auth.js";
import { refreshCallbacks, setUpCallbacks } from "/static/call_center/callbacks.js";
import { setUpSoftphone, sipBusy, softphoneStatus } from "/static/call_center/softphone.js";
import { renderDialpad, setUpDialpad } from "/static/call_center/dialpad.js";
import { renderAgentTools, setUpAgentTools, showNotes } from "/static/call_center/agent_tools.js";
import { renderConsult, setUpConsult } from "/static/call_center/consult.js";

requireLogin();
header("/call-center");

const API = "/call-center/api";
const $ = (id) => document.getElementById(id);
const state = {
  status: null,
  stateStart: Date.now(),
  acked: new Set(),       // ringing calls this page has reported as ringing
  popupFor: null,         // call id the popup shows
  audio: null,            // {callId, pc, stream}
  ringTimer: null,
  audioCtx: null,
  tones: 0,
  metrics: null,
};

// --- formatting ---------------------------------------------------------------------------------

function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h ? `${h}:${String(m).padStart(2, "0")}:${String(r).padStart(2, "0")}` : `${m}:${String(r).padStart(2, "0")}`;
}
const percent = (v) => (v === null || v === undefined ? "—" : `${Math.round(v * 100)}%`);
const clock = (iso) => (iso ? new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "—");
const dateOf = (iso) => (iso ? new Date(iso).toLocaleDateString() : "—");
const when = (iso) => new Date(iso).toLocaleString([], { weekday: "short", month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });

function showError(where, error) {
  $(where).textContent = error ? (error.message || String(error)) : "";
}

// --- the ring: a two-tone burst every 3 s, made with Web Audio ------------------------------------

function audioContext() {
  if (!state.audioCtx) {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    state.audioCtx = new Ctx();
  }
  if (state.audioCtx.state === "suspended") state.audioCtx.resume().catch(() => {});
  return state.audioCtx;
}

function toneBurst() {
  const ctx = audioContext();
  if (!ctx) return;
  const gain = ctx.createGain();
  gain.gain.value = 0.0001;
  gain.connect(ctx.destination);
  const start = ctx.currentTime + 0.02;
  for (const freq of [440, 480]) {
    const osc = ctx.createOscillator();
    osc.frequency.value = freq;
    osc.connect(gain);
    osc.start(start);
    osc.stop(start + 1.0);
  }
  gain.gain.exponentialRampToValueAtTime(0.12, start + 0.05);
  gain.gain.setValueAtTime(0.12, start + 0.9);
  gain.gain.exponentialRampToValueAtTime(0.0001, start + 1.0);
  state.tones += 1;
  document.body.dataset.tones = String(state.tones);
}

function ringing(on) {
  if (on && !state.ringTimer) {
    toneBurst();
    state.ringTimer = setInterval(toneBurst, 3000);
  } else if (!on && state.ringTimer) {
    clearInterval(state.ringTimer);
    state.ringTimer = null;
  }
}

// --- rendering ----------------------------------------------------------------------------------

function renderAgent(status) {
  const agent = status.agent;
  const chip = $("state");
  chip.textContent = agent.state_label + (agent.reason ? ` · ${agent.reason}` : "");
  chip.dataset.state = agent.state;
  state.stateStart = Date.now() - agent.seconds_in_state * 1000;
  const loggedOut = agent.state === "logged_out";
  $("agent-name").textContent = loggedOut ? "Choose your departments and log in to take calls."
    : `${agent.name || agent.email} · ${agent.departments.join(", ")}`;
  $("login-form").hidden = !loggedOut;
  $("state-buttons").hidden = loggedOut;
  const onCall = agent.state === "on_call";
  for (const id of ["ready", "not-ready", "agent-logout", "not-ready-reason"]) $(id).disabled = onCall;
  $("ready").classList.toggle("active", agent.state === "ready");
  const boxes = $("departments");
  if (!boxes.childElementCount) {
    boxes.innerHTML = status.departments.map((d) =>
      `<label><input type="checkbox" name="department" value="${escapeHtml(d)}"${d === "support" ? " checked" : ""}> ${escapeHtml(d)}</label>`).join("");
  }
}

function renderRinging(status) {
  const call = status.agent.state === "ready" ? status.ringing[0] : null;
  const banner = $("incoming");
  banner.hidden = !call;
  ringing(Boolean(call));
  if (!call) return;
  banner.dataset.callId = call.id;
  $("incoming-title").textContent = `Incoming transfer from ${call.caller_name}`;
  $("incoming-text").textContent = `${call.department}${call.reason ? " · " + call.reason : ""}` +
    (status.ringing.length > 1 ? ` · ${status.ringing.length - 1} more waiting` : "");
  if (!state.acked.has(call.id)) {
    state.acked.add(call.id);
    api(`${API}/call/ringing`, { method: "POST", body: { call_id: call.id } }).catch(() => {});
  }
}

function renderCall(status) {
  const me = status.agent.user_id; // a call handed over (warm transfer) is no longer this agent's
  const call = status.call && ["connected", "on_hold", "dialing"].includes(status.call.status)
    && (status.call.agent_id === me || status.call.consult?.agent_id === me) ? status.call : null;
  $("call-panel").hidden = !call;
  if (!call) {
    stopAudio();
    return;
  }
  $("call-caller").textContent = call.caller_name;
  $("call-status").textContent = { on_hold: "On hold", dialing: "Calling…" }[call.status] || "Connected";
  $("call-status").className = "badge " + (call.status === "connected" ? "ok" : "warn");
  $("call-panel").dataset.status = call.status;
  $("call-panel").dataset.direction = call.direction || "inbound";
  for (const id of ["hold", "transfer-form"]) $(id).hidden = call.status === "dialing";
  $("to-assistant").hidden = call.direction === "outbound";
  $("hold").textContent = call.status === "on_hold" ? "Unhold" : "Hold";
  $("call-panel").dataset.answeredAt = call.answered_at || "";
  const select = $("transfer-target");
  const keep = select.value;
  const colleagues = status.agents.filter((a) => a.user_id !== status.agent.user_id);
  select.innerHTML =
    `<optgroup label="Departments">${status.departments.map((d) => `<option value="department:${escapeHtml(d)}">${escapeHtml(d)}</option>`).join("")}</optgroup>` +
    (colleagues.length ? `<optgroup label="Agents">${colleagues.map((a) =>
      `<option value="agent:${escapeHtml(a.user_id)}">${escapeHtml(a.name || a.email)} (${escapeHtml(a.state_label)})</option>`).join("")}</optgroup>` : "");
  if (keep) select.value = keep;
  if (call.status === "dialing") { stopAudio(); return; } // the callee's phone is still ringing
  if (!state.audio || state.audio.callId !== call.id) startAudio(call.id);
}

async function renderPopup(status) {
  const callId = (status.call && ["connected", "on_hold", "dialing"].includes(status.call.status) && status.call.id)
    || (status.agent.state === "ready" && status.ringing[0] && status.ringing[0].id) || null;
  const popup = $("popup");
  popup.classList.toggle("ringing", Boolean(callId) && !status.call);
  if (!callId) {
    if (!status.call && !sipBusy()) { popup.hidden = true; state.popupFor = null; }
    return;
  }
  if (state.popupFor === callId) return;
  state.popupFor = callId;
  try {
    showCustomer(await api(`${API}/customer/${encodeURIComponent(callId)}`));
  } catch (error) {
    state.popupFor = null;
    console.warn("customer popup:", error);
  }
}

function showCustomer(c) {
  const popup = $("popup");
  popup.hidden = false;
  popup.dataset.callId = c.id;
  showNotes(c);
  $("popup-name").textContent = c.caller.name || c.caller_name;
  $("popup-contact").textContent = [c.caller.email, c.caller.phone].filter(Boolean).join(" · ") || "No account";
  $("popup-department").textContent = c.department;
  $("popup-reason").textContent = c.reason || "—";
  $("popup-summary").textContent = c.summary || "—";
  const p = c.profile || {};
  const teams = (p.teams || []).map((t) => `${t.name} (${t.role})`).join(", ");
  $("popup-profile").innerHTML = p.member_since ? [
    `Member since ${escapeHtml(dateOf(p.member_since))}`,
    `${p.open_todos} open todo${p.open_todos === 1 ? "" : "s"}`,
    `${p.previous_calls} previous call${p.previous_calls === 1 ? "" : "s"}${p.last_call_at ? `, last ${escapeHtml(dateOf(p.last_call_at))}` : ""}`,
    teams ? `Teams: ${escapeHtml(teams)}` : "No teams",
  ].map((line) => `<div>${line}</div>`).join("") : p.contact ? [
    "Caller of a public line (no account)",
    `First call ${escapeHtml(dateOf(p.first_call_at))}, last ${escapeHtml(dateOf(p.last_call_at))}`,
  ].map((line) => `<div>${line}</div>`).join("") : "No account on file";
  $("popup-bookings").innerHTML = (c.bookings || []).map((b) => `<li><strong>${escapeHtml(when(b.starts_at))}</strong>
    ${escapeHtml(b.business)} ${escapeHtml(b.kind)}${b.details ? `: ${escapeHtml(b.details)}` : ""}${b.confirmation_code
    ? ` <span class="badge">${escapeHtml(b.confirmation_code)}</span>` : ""}</li>`).join("") || '<li class="muted">No upcoming bookings</li>';
  $("popup-transcript").innerHTML = (c.transcript || []).map((line) =>
    `<li class="${line.role === "user" ? "user" : "assistant"}"><span class="who">${line.role === "user" ? "Caller" : "Assistant"} · ${escapeHtml(clock(line.at))}</span>${escapeHtml(line.text)}</li>`,
  ).join("") || '<li class="assistant">Nothing said yet.</li>';
}

function render(status) {
  state.status = status;
  renderAgent(status);
  renderRinging(status);
  renderCall(status);
  renderPopup(status);
  softphoneStatus(status);
  renderDialpad(status);
  renderAgentTools(status);
  renderConsult(status);
  renderMetrics();
}

async function refresh() {
  try {
    render(await api(`${API}/agent/status`));
    showError("agent-error", null);
  } catch (error) {
    showError("agent-error", error);
  }
}

async function refreshHistory() {
  const [history, metrics] = await Promise.all([
    api(`${API}/call/history?limit=25`), api(`${API}/metrics`),
  ]);
  state.metrics = metrics;
  renderMetrics();
  const tone = { answered: "ok", "no-answer": "warn", rejected: "warn", "caller-hung-up": "bad", busy: "warn", failed: "bad", canceled: "warn" };
  $("history").tBodies[0].innerHTML = history.map((h) => `<tr>
    <td>${escapeHtml(clock(h.at))}</td><td>${h.direction === "outbound" ? '<span class="badge out">outbound</span> ' : ""}${escapeHtml(h.caller_name)}</td><td>${escapeHtml(h.department)}</td>
    <td><span class="badge ${tone[h.outcome] || ""} outcome">${escapeHtml(h.outcome)}</span>${h.wrap_up ? ` <span class="muted small wrap-up">${escapeHtml(h.wrap_up)}</span>` : ""}</td>
    <td>${escapeHtml(h.agent_name || "—")}</td><td class="num">${duration(h.wait_s)}</td>
    <td class="num">${duration(h.handle_s)}</td></tr>`).join("")
    || '<tr><td colspan="7" class="muted">No calls yet.</td></tr>';
}

/** The floor's figures and the agents' table (states from the latest status, figures from the history). */
function renderMetrics() {
  const metrics = state.metrics;
  if (!metrics) return;
  const f = metrics.floor;
  $("m-calls").textContent = f.calls;
  $("m-rate").textContent = percent(f.answer_rate);
  $("m-wait").textContent = duration(f.average_wait_s);
  $("m-handle").textContent = duration(f.average_handle_s);
  const states = Object.fromEntries((state.status?.agents || []).map((a) => [a.user_id, a.state_label]));
  $("agents-table").tBodies[0].innerHTML = metrics.agents.map((a) => `<tr>
    <td>${escapeHtml(a.name)}</td><td>${escapeHtml(states[a.agent_id] || "Logged Out")}</td>
    <td class="num">${a.calls_handled}</td><td class="num">${a.calls_offered}</td>
    <td class="num">${percent(a.answer_rate)}</td><td class="num">${duration(a.average_handle_s)}</td>
    <td class="num">${duration(a.average_wait_s)}</td></tr>`).join("")
    || '<tr><td colspan="7" class="muted">No agents yet.</td></tr>';
}

// --- the agent's audio: a peer connection to the caller's pipeline ---------------------------------

async function waitForIce(pc, ms = 3000) {
  if (pc.iceGatheringState === "complete") return;
  await new Promise((resolve) => {
    const done = () => { if (pc.iceGatheringState === "complete") resolve(); };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, ms);
  });
}

async function startAudio(callId) {
  stopAudio();
  const attempt = { callId, pc: null, stream: null };
  state.audio = attempt;
  $("audio-status").textContent = "Audio: connecting…";
  try {
    attempt.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const pc = new RTCPeerConnection({ iceServers: await iceServers() });
    attempt.pc = pc;
    for (const track of attempt.stream.getAudioTracks()) pc.addTrack(track, attempt.stream);
    pc.ontrack = (event) => { $("remote-audio").srcObject = event.streams[0] || new MediaStream([event.track]); };
    pc.onconnectionstatechange = () => {
      if (state.audio !== attempt) return;
      const labels = { connected: "connected — you are talking to the caller", connecting: "connecting…", failed: "failed", disconnected: "lost" };
      $("audio-status").textContent = `Audio: ${labels[pc.connectionState] || pc.connectionState}`;
      $("audio-status").dataset.state = pc.connectionState;
    };
    await pc.setLocalDescription(await pc.createOffer());
    await waitForIce(pc);
    if (state.audio !== attempt) return;
    const answer = await api(`${API}/call/${encodeURIComponent(callId)}/offer`, {
      method: "POST", body: { sdp: pc.localDescription.sdp, type: "offer" },
    });
    if (state.audio !== attempt) return;
    await pc.setRemoteDescription({ sdp: answer.sdp, type: answer.type });
  } catch (error) {
    if (state.audio === attempt) $("audio-status").textContent = `Audio: ${error.message || error}`;
  }
}

function stopAudio() {
  const attempt = state.audio;
  state.audio = null;
  if (!attempt) return;
  attempt.pc?.close();
  attempt.stream?.getTracks().forEach((t) => t.stop());
  $("remote-audio").srcObject = null;
  $("audio-status").textContent = "Audio: not connected";
  delete $("audio-status").dataset.state; // a new call's audio starts from nothing
}

// --- actions ------------------------------------------------------------------------------------

async function act(where, path, body) {
  audioContext(); // a click: the page may make sound from now on
  try {
    const result = await api(`${API}${path}`, { method: "POST", body: body ?? {} });
    showError(where, null);
    return result;
  } catch (error) {
    showError(where, error);
    return null;
  } finally {
    await refresh();
  }
}

$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const departments = [...document.querySelectorAll('input[name="department"]:checked')].map((i) => i.value);
  act("agent-error", "/agent/login", { departments });
});
$("ready").addEventListener("click", () => act("agent-error", "/agent/ready"));
$("not-ready").addEventListener("click", () =>
  act("agent-error", "/agent/not-ready", { reason: $("not-ready-reason").value || null }));
$("agent-logout").addEventListener("click", () => act("agent-error", "/agent/logout"));
$("answer").addEventListener("click", () => act("agent-error", "/call/answer", { call_id: $("incoming").dataset.callId }));
$("reject").addEventListener("click", () => act("agent-error", "/call/reject", { call_id: $("incoming").dataset.callId }));
$("hold").addEventListener("click", () => {
  const call = state.status?.call;
  if (call) act("call-error", "/call/hold", { call_id: call.id, hold: call.status !== "on_hold" });
});
$("hangup").addEventListener("click", () => {
  const call = state.status?.call;
  if (call) act("call-error", call.status === "dialing" ? "/call/cancel" : "/call/drop", { call_id: call.id });
});
$("to-assistant").addEventListener("click", () => {
  const call = state.status?.call;
  if (call) act("call-error", "/call/transfer", { call_id: call.id, to_assistant: true });
});
$("transfer-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const call = state.status?.call;
  const [kind, value] = $("transfer-target").value.split(/:(.*)/s);
  if (!call || !value) return;
  act("call-error", "/call/transfer", kind === "agent" ? { call_id: call.id, agent_id: value } : { call_id: call.id, department: value });
});

// --- live updates -------------------------------------------------------------------------------

let refreshQueued = null;
function soon(fn, ms = 80) {
  clearTimeout(refreshQueued);
  refreshQueued = setTimeout(fn, ms);
}

async function follow() {
  for (;;) {
    try {
      const response = await fetch(`${API}/events`, { headers: { Authorization: `Bearer ${tokens()?.access}` } });
      if (response.status === 401) { await api(`${API}/agent/status`); continue; } // refreshes the token or logs out
      if (!response.ok || !response.body) throw new Error(`events: ${response.status}`);
      document.body.dataset.live = "yes";
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim()).join("\n");
          if (!data || data === "{}") continue;
          const event = JSON.parse(data);
          if (event.type === "callback") { refreshCallbacks(); continue; }
          soon(async () => { await refresh(); await refreshHistory(); });
          if (event.type === "answered" && state.status?.ringing.some((c) => c.id === event.call_id)) ringing(false);
        }
      }
    } catch (error) {
      console.warn("call-center feed:", error);
    }
    document.body.dataset.live = "no";
    await new Promise((r) => setTimeout(r, 1500));
  }
}

setInterval(() => {
  $("state-time").textContent = duration((Date.now() - state.stateStart) / 1000);
  const answered = $("call-panel").dataset.answeredAt;
  $("call-timer").textContent = answered ? duration((Date.now() - new Date(answered).getTime()) / 1000) : "";
}, 1000);

setUpSoftphone({
  ringing,
  showCustomer,
  hidePopup: () => { if (!state.status?.call) { $("popup").hidden = true; state.popupFor = null; } },
  refresh: async () => { await refresh(); await refreshHistory(); },
});
await refresh();
await refreshHistory();
setUpCallbacks();
setUpDialpad(async () => { await refresh(); await refreshHistory(); });
setUpAgentTools(async () => { await refresh(); await refreshHistory(); });
setUpConsult(async () => { await refresh(); await refreshHistory(); });
follow();
