// The call center's SIP softphone (JsSIP over WebSocket to FusionPBX or any SIP server with a WSS port).
// The agent's extension and digest HA1 are kept server-side and fetched after the staff login
// (/call-center/api/sip/account); the password is typed once and never kept in the page.
// Calls: answer, reject, hold/unhold (re-INVITE), blind transfer (REFER) to an extension or a
// department, a 12-key dialpad for outbound calls and DTMF (SIP INFO), a call timer, and the customer
// popup found from Twilio's X-Twilio-CallSid header or the caller's number. A call that arrives while
// the agent is not Ready is turned away busy (486).
import { api, escapeHtml } from "/static/common/auth.js";

const API = "/call-center/api/sip";
const SID = /^[A-Za-z0-9_-]{1,64}$/;
const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];
const $ = (id) => document.getElementById(id);

const phone = {
  hooks: null,          // from the page: ringing(on), showCustomer(c), hidePopup(), refresh()
  enabled: false,
  agentState: null,
  account: null,
  ua: null,
  registeredOnce: false,
  lost: false,
  session: null,        // the one call: {s: JsSIP session, peer, direction, answeredAt, callSid, outcome, transferTo}
};

/** True while the softphone has a call (ringing or connected): the page keeps the popup for it. */
export function sipBusy() {
  return Boolean(phone.session);
}

function say(text, tone = "") {
  const el = $("sip-status");
  el.textContent = text;
  el.dataset.tone = tone;
}

function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function loadJsSip() {
  if (window.JsSIP) return Promise.resolve(window.JsSIP);
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "/static/vendor/jssip/jssip.min.js";
    script.onload = () => resolve(window.JsSIP);
    script.onerror = () => reject(new Error("could not load the softphone"));
    document.head.append(script);
  });
}

// --- the page's status (agent state, whether SIP is configured) ------------------------------------

export function softphoneStatus(status) {
  phone.agentState = status.agent.state;
  const sip = status.sip;
  $("sip-off").hidden = sip.enabled;
  $("sip-on").hidden = !sip.enabled;
  if (sip.enabled && !phone.enabled) {
    phone.enabled = true;
    say(`Not registered (${sip.url})`);
    loadAccount();
  }
}

async function loadAccount() {
  try {
    phone.account = await api(`${API}/account`);
  } catch (error) {
    say(error.message || String(error), "bad");
    return;
  }
  if (!phone.account) {
    $("sip-form").hidden = false;
    say("Set up your extension to take SIP calls.");
    return;
  }
  $("sip-form").hidden = true;
  fillTransferTargets();
  register();
}

async function saveAccount(event) {
  event.preventDefault();
  const extension = $("sip-user").value.trim();
  const password = $("sip-password").value;
  try {
    phone.account = await api(`${API}/account`, { method: "PUT", body: { extension, password } });
  } catch (error) {
    say(error.message || String(error), "bad");
    return;
  } finally {
    $("sip-password").value = "";
  }
  $("sip-form").hidden = true;
  fillTransferTargets();
  register();
}

async function forgetAccount() {
  phone.ua?.stop();
  phone.ua = null;
  await api(`${API}/account`, { method: "DELETE" }).catch(() => {});
  phone.account = null;
  $("sip-form").hidden = false;
  $("sip-user").focus();
  say("Set up your extension to take SIP calls.");
}

// --- registration ----------------------------------------------------------------------------------

async function register() {
  const acct = phone.account;
  let JsSIP;
  try {
    JsSIP = await loadJsSip();
  } catch (error) {
    say(error.message, "bad");
    return;
  }
  phone.ua?.stop();
  phone.registeredOnce = false;
  phone.lost = false;
  const ua = new JsSIP.UA({
    sockets: [new JsSIP.WebSocketInterface(acct.ws_url)],
    uri: acct.uri,
    realm: acct.realm,
    ha1: acct.ha1,
    display_name: acct.display_name,
    register: true,
    register_expires: 300,
    session_timers: false,
    connection_recovery_min_interval: 1,
    connection_recovery_max_interval: 5,
    user_agent: "Convonet call center",
  });
  phone.ua = ua;
  const mine = (fn) => (...args) => { if (phone.ua === ua) fn(...args); };
  ua.on("connecting", mine(() => { if (!phone.lost) say(`Connecting to ${acct.ws_url}…`); }));
  ua.on("disconnected", mine(() => {
    phone.lost = true;
    document.body.dataset.sip = "lost";
    say(`Lost the SIP server at ${acct.ws_url}: trying again…`, "bad");
  }));
  ua.on("registered", mine(() => {
    const again = phone.registeredOnce && phone.lost;
    phone.registeredOnce = true;
    phone.lost = false;
    document.body.dataset.sip = "registered";
    say(`${again ? "Registered again" : "Registered"} as ${acct.extension} (${acct.uri.split("@")[1]})`, "ok");
  }));
  ua.on("unregistered", mine(() => { document.body.dataset.sip = "unregistered"; }));
  ua.on("registrationFailed", mine((e) => {
    document.body.dataset.sip = "failed";
    const code = e.response?.status_code;
    const refused = code === 401 || code === 403 || e.cause === JsSIP.C.causes.AUTHENTICATION_ERROR
      || e.cause === JsSIP.C.causes.REJECTED;
    say(refused ? `Registration refused: wrong extension or password (${code || e.cause}). Change it below.`
      : `Registration failed: ${e.cause}`, "bad");
    if (refused) { $("sip-forget").hidden = false; }
  }));
  ua.on("newRTCSession", mine(({ session, request, originator }) => {
    if (originator === "remote") incoming(session, request, JsSIP);
  }));
  ua.start();
}

// --- calls -----------------------------------------------------------------------------------------

function peerName(session) {
  const id = session.remote_identity;
  return id.display_name && id.display_name !== id.uri.user ? `${id.display_name} (${id.uri.user})` : id.uri.user;
}

async function report(kind, call, extra = {}) {
  const body = { call_id: call.s.id.slice(0, 128), caller: String(call.s.remote_identity.uri.user).slice(0, 128),
                 ...(call.name ? { name: call.name.slice(0, 120) } : {}),
                 ...(call.callSid ? { call_sid: call.callSid } : {}), ...extra };
  try {
    await api(`${API}/call/${kind}`, { method: "POST", body });
  } catch (error) {
    console.warn("softphone report:", error);
  }
  await phone.hooks.refresh();
}

function incoming(session, request, JsSIP) {
  const who = peerName(session);
  const header = request.getHeader("X-Twilio-CallSid");
  const callSid = header && SID.test(header.trim()) ? header.trim() : null;
  const call = { s: session, peer: who, direction: "in", answeredAt: null, callSid, outcome: null };
  if (phone.session || phone.agentState !== "ready") {
    const why = phone.session ? "you are on another call" : "you are not Ready";
    session.terminate({ status_code: 486, reason_phrase: "Busy Here" });
    say(`Turned away a call from ${who}: ${why} (486 Busy).`, "warn");
    if (!phone.session) report("ended", call, { outcome: "busy" });
    return;
  }
  phone.session = call;
  $("sip-incoming").hidden = false;
  $("sip-incoming-text").textContent = `Incoming SIP call from ${who}`;
  $("sip-header-note").textContent = header && !callSid ? "Its X-Twilio-CallSid header was unreadable; found by number." : "";
  phone.hooks.ringing(true);
  showCall();
  const number = String(session.remote_identity.uri.user || "");
  const query = new URLSearchParams({ ...(callSid ? { call_sid: callSid } : {}), number });
  api(`${API}/customer?${query}`).then((c) => {
    call.name = c.caller_name;
    if (phone.session === call) phone.hooks.showCustomer(c);
  })
    .catch(() => { if (phone.session === call) unknownCaller(who); });
  follow(call, JsSIP);
}

function unknownCaller(who) {
  phone.hooks.showCustomer({
    id: "", caller: { name: who }, caller_name: who, department: "SIP", reason: "", summary: "No conversation on file for this caller.",
    profile: {}, transcript: [],
  });
}

function follow(call, JsSIP) {
  const s = call.s;
  s.on("peerconnection", ({ peerconnection }) => attachAudio(peerconnection));
  if (s.connection) attachAudio(s.connection);
  s.on("accepted", () => {
    call.answeredAt = Date.now();
    phone.hooks.ringing(false);
    $("sip-incoming").hidden = true;
    say(`On a call with ${call.peer}`, "ok");
    showCall();
    if (call.direction === "in") report("answered", call);
  });
  s.on("hold", () => showCall());
  s.on("unhold", () => showCall());
  s.on("failed", (e) => {
    const hungUp = e.originator === "remote" && e.cause === JsSIP.C.causes.CANCELED;
    if (call.direction === "in" && !call.outcome) {
      call.outcome = hungUp ? "caller-hung-up" : "rejected";
    }
    finish(call, hungUp ? `Missed a call from ${call.peer}: they hung up while it rang.`
      : `Call ${call.direction === "in" ? "from" : "to"} ${call.peer} ${call.outcome === "rejected" ? "rejected" : `failed (${e.cause})`}.`);
  });
  s.on("ended", (e) => {
    const by = e.originator === "remote" ? `${call.peer} hung up` : "call ended";
    finish(call, call.transferTo ? `Transferred ${call.peer} to ${call.transferTo}.` : `${by[0].toUpperCase()}${by.slice(1)}.`);
  });
}

function attachAudio(pc) {
  const play = (stream) => { $("sip-audio").srcObject = stream; };
  pc.addEventListener("track", (e) => play(e.streams[0] || new MediaStream([e.track])));
  const receivers = pc.getReceivers ? pc.getReceivers().filter((r) => r.track) : [];
  if (receivers.length) play(new MediaStream(receivers.map((r) => r.track)));
}

function finish(call, text) {
  if (phone.session !== call) return;
  phone.session = null;
  phone.hooks.ringing(false);
  $("sip-incoming").hidden = true;
  $("sip-audio").srcObject = null;
  say(text);
  showCall();
  phone.hooks.hidePopup();
  if (call.direction === "in" && call.answeredAt) {
    report("ended", call, { outcome: call.transferTo ? "transferred" : "answered",
                            talked_s: (Date.now() - call.answeredAt) / 1000, transferred_to: call.transferTo || null });
  } else if (call.direction === "in" && call.outcome) {
    report("ended", call, { outcome: call.outcome });
  }
}

function showCall() {
  const call = phone.session;
  const live = Boolean(call && call.answeredAt);
  $("sip-call").hidden = !live;
  document.body.dataset.sipCall = call ? (live ? (call.s.isOnHold().local ? "held" : "talking") : "ringing") : "none";
  if (!live) return;
  const held = call.s.isOnHold().local;
  $("sip-peer").textContent = call.peer;
  $("sip-call-state").textContent = held ? "On hold" : "Connected";
  $("sip-call-state").className = `badge ${held ? "warn" : "ok"}`;
  $("sip-hold").textContent = held ? "Unhold" : "Hold";
}

function answer() {
  const call = phone.session;
  if (!call || call.answeredAt) return;
  call.s.answer({ mediaConstraints: { audio: true, video: false } });
}

function reject() {
  const call = phone.session;
  if (!call || call.answeredAt) return;
  call.outcome = "rejected";
  call.s.terminate({ status_code: 603, reason_phrase: "Decline" });
}

function hangUp() {
  phone.session?.s.terminate();
}

function toggleHold() {
  const s = phone.session?.s;
  if (!s) return;
  if (s.isOnHold().local) s.unhold(); else s.hold();
}

function transfer(event) {
  event.preventDefault();
  const call = phone.session;
  if (!call?.answeredAt) return;
  const choice = $("sip-transfer-target").value;
  const ext = choice === "ext" ? $("sip-transfer-ext").value.trim() : choice.split(":")[1];
  if (!/^[A-Za-z0-9_.+*#-]{1,32}$/.test(ext || "")) {
    say("Choose a department or type an extension to transfer to.", "bad");
    return;
  }
  const label = choice === "ext" ? `extension ${ext}` : `${choice.split(":")[2]} (${ext})`;
  const domain = phone.account.uri.split("@")[1];
  say(`Transferring ${call.peer} to ${label}…`);
  call.s.refer(`sip:${ext}@${domain}`, {
    eventHandlers: {
      accepted: () => { call.transferTo = label; call.s.terminate(); },
      failed: (e) => say(`Transfer to ${label} failed (${e?.status_line?.status_code || "no answer"}); the caller is still with you.`, "bad"),
      requestFailed: (e) => say(`Transfer refused (${e?.response?.status_code || e?.cause}).`, "bad"),
    },
  });
}

function key(digit) {
  const call = phone.session;
  if (call?.answeredAt) {
    call.s.sendDTMF(digit, { transportType: "INFO", duration: 160 });
    $("sip-dtmf").textContent += digit;
    return;
  }
  $("sip-number").value += digit;
}

function dial(event) {
  event.preventDefault();
  const number = $("sip-number").value.trim();
  if (!phone.ua || phone.session) return;
  if (!/^[0-9*#+]{1,32}$/.test(number)) {
    say("Type a number or an extension to call.", "bad");
    return;
  }
  const domain = phone.account.uri.split("@")[1];
  const s = phone.ua.call(`sip:${number}@${domain}`, { mediaConstraints: { audio: true, video: false } });
  const call = { s, peer: number, direction: "out", answeredAt: null, callSid: null, outcome: null };
  phone.session = call;
  say(`Calling ${number}…`);
  $("sip-dtmf").textContent = "";
  follow(call, window.JsSIP);
}

function fillTransferTargets() {
  const deps = phone.account?.departments || {};
  $("sip-transfer-target").innerHTML =
    `<optgroup label="Departments">${Object.entries(deps).map(([name, ext]) =>
      `<option value="dep:${escapeHtml(ext)}:${escapeHtml(name)}">${escapeHtml(name)} (${escapeHtml(ext)})</option>`).join("")}</optgroup>` +
    '<option value="ext">Extension…</option>';
}

// --- wiring ----------------------------------------------------------------------------------------

/** hooks: ringing(on), showCustomer(customer), hidePopup(), refresh() — from the page. */
export function setUpSoftphone(hooks) {
  phone.hooks = hooks;
  $("sip-dialpad-keys").innerHTML = KEYS.map((k) =>
    `<button type="button" class="key" data-key="${k}" aria-label="${k === "*" ? "star" : k === "#" ? "pound" : k}">${k}</button>`).join("");
  $("sip-dialpad-keys").addEventListener("click", (e) => { const k = e.target.closest("[data-key]"); if (k) key(k.dataset.key); });
  $("sip-form").addEventListener("submit", saveAccount);
  $("sip-forget").addEventListener("click", forgetAccount);
  $("sip-answer").addEventListener("click", answer);
  $("sip-reject").addEventListener("click", reject);
  $("sip-hangup").addEventListener("click", hangUp);
  $("sip-hold").addEventListener("click", toggleHold);
  $("sip-transfer").addEventListener("submit", transfer);
  $("sip-transfer-target").addEventListener("change", () => { $("sip-transfer-ext").hidden = $("sip-transfer-target").value !== "ext"; });
  $("sip-dial").addEventListener("submit", dial);
  setInterval(() => {
    const call = phone.session;
    $("sip-timer").textContent = call?.answeredAt ? duration((Date.now() - call.answeredAt) / 1000) : "";
  }, 1000);
}
