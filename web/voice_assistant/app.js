// Convonet voice assistant: a plain RTCPeerConnection to POST/PATCH /api/offer (pipecat SmallWebRTC),
// RTVI messages over the data channel for transcripts and the bot's text. No build step, no CDN.

import { iceServers } from "/static/common/auth.js";

const EMAIL_KEY = "convonet.voice.email";
const MIN_PIN = 4;
const MAX_PIN = 6;
const RTVI_LABEL = "rtvi-ai";
const RTVI_VERSION = "2.2.0";
// `?line=+15550100000`: a business's public line. No account or PIN: name and phone are asked for.
const LINE = new URLSearchParams(location.search).get("line");

const $ = (id) => document.getElementById(id);
const ui = {
  form: $("signin-form"),
  email: $("email"),
  credentials: $("credentials"),
  guest: $("guest"),
  guestName: $("guest-name"),
  guestPhone: $("guest-phone"),
  signedIn: $("signed-in"),
  pinFieldset: $("pin-fieldset"),
  pinDisplay: $("pin-display"),
  keypad: document.querySelector(".keypad"),
  start: $("start"),
  stop: $("stop"),
  message: $("message"),
  connection: $("connection"),
  meter: $("mic-level"),
  agentState: $("agent-state"),
  agentTimer: $("agent-timer"),
  agentText: $("agent-text"),
  transcript: $("transcript"),
  interim: $("interim"),
  empty: $("transcript-empty"),
  audio: $("bot-audio"),
};

let pin = "";
let call = null; // the current attempt: {pc, dc, stream, audioCtx, meterFrame, pcId, candidates, ...}
let messageId = 0;

// --- small UI helpers --------------------------------------------------------------------------

function showMessage(text, kind = "error") {
  ui.message.textContent = text;
  ui.message.classList.toggle("info", kind === "info");
}

function setConnection(state, text) {
  ui.connection.dataset.state = state;
  ui.connection.textContent = text;
}

function setAgent(state, text) {
  ui.agentState.dataset.state = state;
  ui.agentState.textContent = text;
}

function setBusy(busy) {
  ui.start.hidden = busy;
  ui.stop.hidden = !busy;
  ui.email.disabled = busy;
  ui.pinFieldset.disabled = busy;
  ui.credentials.hidden = busy || Boolean(LINE);
  ui.guest.hidden = busy || !LINE;
  ui.signedIn.hidden = !busy;
  ui.signedIn.textContent = !busy ? "" : LINE ? `Connected to ${LINE}` : `Signed in as ${ui.email.value.trim()}`;
}

function renderPin() {
  ui.pinDisplay.replaceChildren();
  const slots = Math.max(MIN_PIN, Math.min(MAX_PIN, pin.length + (pin.length < MAX_PIN ? 1 : 0)));
  for (let i = 0; i < slots; i += 1) {
    const dot = document.createElement("span");
    if (i < pin.length) dot.className = "filled";
    ui.pinDisplay.append(dot);
  }
  const n = pin.length;
  ui.pinDisplay.setAttribute("aria-label", n === 0 ? "No digits entered" : `${n} digit${n === 1 ? "" : "s"} entered`);
}

function pressKey(key) {
  if (call) return;
  if (/^[0-9]$/.test(key)) {
    if (pin.length < MAX_PIN) pin += key;
  } else if (key === "delete") {
    pin = pin.slice(0, -1);
  } else if (key === "clear") {
    pin = "";
  }
  if (ui.message.textContent) showMessage("");
  renderPin();
}

// --- transcript --------------------------------------------------------------------------------

let botTurn = null; // {item, paragraph, segments: Map}
let botSpeaking = false;
let sawUserInput = false;

function addTurn(who) {
  const item = document.createElement("li");
  item.className = `turn ${who}`;
  const label = document.createElement("span");
  label.className = "who";
  label.textContent = who === "user" ? "You" : "Assistant";
  const paragraph = document.createElement("p");
  item.append(label, paragraph);
  ui.transcript.append(item);
  ui.empty.hidden = true;
  ui.transcript.scrollTop = ui.transcript.scrollHeight;
  return { item, paragraph };
}

function userSaid(text, final) {
  text = (text || "").trim();
  if (!final) {
    ui.interim.textContent = text;
    return;
  }
  ui.interim.textContent = "";
  if (!text) return;
  botTurn = null; // the assistant's next words start a new bubble
  addTurn("user").paragraph.textContent = text;
}

function botSaid(data) {
  const text = (data.text || "").trim();
  if (!text) return;
  if (!botTurn) botTurn = { ...addTurn("bot"), segments: new Map() };
  const key = data.segment_id ?? `n${botTurn.segments.size}`;
  let span = botTurn.segments.get(key);
  if (!span) {
    span = document.createElement("span");
    if (botTurn.segments.size > 0) botTurn.paragraph.append(" ");
    botTurn.paragraph.append(span);
    botTurn.segments.set(key, span);
  }
  span.textContent = text;
  span.classList.toggle("pending", data.spoken_status === "new" && data.will_be_spoken === true);
  ui.transcript.scrollTop = ui.transcript.scrollHeight;
}

// --- the agent's working time (user stopped speaking → bot started speaking) ------------------

let workingSince = null;
let workingTimer = null;
let speechEndedAt = null; // when VAD last heard the caller stop; the turn may still go on

function startWorking(since) {
  stopWorking();
  workingSince = since ?? performance.now();
  ui.agentTimer.classList.remove("done");
  setAgent("working", "Working…");
  const tick = () => {
    ui.agentTimer.textContent = `${((performance.now() - workingSince) / 1000).toFixed(1)} s`;
  };
  tick();
  workingTimer = setInterval(tick, 100);
}

function stopWorking(answered = false) {
  if (workingTimer) clearInterval(workingTimer);
  workingTimer = null;
  if (answered && workingSince !== null) {
    const seconds = ((performance.now() - workingSince) / 1000).toFixed(1);
    ui.agentTimer.textContent = `Answered ${seconds} s after you stopped speaking`;
    ui.agentTimer.classList.add("done");
  }
  workingSince = null;
}

// --- RTVI messages from the bot ----------------------------------------------------------------

function sendRtvi(type, data = {}) {
  if (!call || !call.dc || call.dc.readyState !== "open") return;
  messageId += 1;
  call.dc.send(JSON.stringify({ label: RTVI_LABEL, type, id: `m${messageId}`, data }));
}

function onBotMessage(raw) {
  let message;
  try {
    message = JSON.parse(raw);
  } catch {
    return;
  }
  if (message.type === "signalling") {
    if (message.message && message.message.type === "peerLeft") endCall("The assistant ended the conversation.", "info");
    return;
  }
  if (message.label !== RTVI_LABEL) return;
  const data = message.data || {};
  switch (message.type) {
    case "bot-ready":
      setConnection("connected", "Connected");
      if (!workingSince) setAgent("listening", "Listening");
      break;
    case "vad-user-started-speaking":
      speechEndedAt = null;
      break;
    case "vad-user-stopped-speaking":
      speechEndedAt = performance.now();
      break;
    case "user-started-speaking":
      stopWorking();
      ui.agentTimer.textContent = "";
      setAgent("listening", "Listening…");
      break;
    case "user-stopped-speaking": // the turn is over and with the agent: time it from the end of speech
      startWorking(speechEndedAt);
      speechEndedAt = null;
      break;
    case "user-input":
      if (data.input_type === "transcription") {
        sawUserInput = true;
        userSaid(data.text, data.final);
      }
      break;
    case "user-transcription": // deprecated since pipecat 1.13; used only when user-input is not sent
      if (!sawUserInput) userSaid(data.text, data.final);
      break;
    case "bot-llm-started":
      ui.agentText.textContent = "";
      break;
    case "bot-llm-text":
      ui.agentText.textContent += data.text || "";
      break;
    case "bot-output":
      botSaid(data);
      break;
    case "bot-started-speaking":
      botSpeaking = true;
      stopWorking(true);
      setAgent("speaking", "Speaking");
      break;
    case "bot-stopped-speaking":
      botSpeaking = false;
      setAgent("listening", "Listening");
      break;
    case "bot-interrupted": // sent at every user turn; it cut the bot off only if it was speaking
      if (botSpeaking && botTurn) botTurn.item.classList.add("interrupted");
      botSpeaking = false;
      botTurn = null;
      break;
    case "error":
      showMessage(`The assistant reported an error: ${data.error || "unknown"}`);
      if (data.fatal) endCall();
      break;
    default:
      break;
  }
}

// --- microphone level ----------------------------------------------------------------------------

function startMeter(attempt) {
  const AudioCtx = window.AudioContext || window.webkitAudioContext;
  if (!AudioCtx) return;
  attempt.audioCtx = new AudioCtx();
  const source = attempt.audioCtx.createMediaStreamSource(attempt.stream);
  const analyser = attempt.audioCtx.createAnalyser();
  analyser.fftSize = 1024;
  source.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const draw = () => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    const rms = Math.sqrt(sum / samples.length);
    const db = 20 * Math.log10(rms || 1e-8);
    const level = Math.max(0, Math.min(1, (db + 60) / 60)); // -60 dBFS → 0, 0 dBFS → 1
    ui.meter.value = level;
    ui.meter.textContent = `${Math.round(level * 100)}%`;
    attempt.meterFrame = requestAnimationFrame(draw);
  };
  draw();
}

// --- signalling --------------------------------------------------------------------------------

async function errorDetail(response) {
  try {
    const body = await response.json();
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail) && body.detail[0] && body.detail[0].msg) return body.detail[0].msg;
  } catch {
    // not JSON: fall through
  }
  return `The server answered ${response.status}.`;
}

function queueCandidate(attempt, candidate) {
  const line = candidate && candidate.candidate;
  if (line) {
    attempt.candidates.push({ candidate: line, sdp_mid: candidate.sdpMid ?? "0", sdp_mline_index: candidate.sdpMLineIndex ?? 0 });
  } else if (!attempt.endOfCandidates) {
    attempt.endOfCandidates = true; // RFC 8840 end-of-candidates
    attempt.candidates.push({ candidate: "", sdp_mid: "0", sdp_mline_index: 0 });
  }
  flushCandidates(attempt);
}

async function flushCandidates(attempt) {
  if (!attempt.pcId || attempt.candidates.length === 0 || attempt !== call) return;
  const batch = attempt.candidates.splice(0);
  try {
    const response = await fetch("/api/offer", {
      method: "PATCH",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ pc_id: attempt.pcId, candidates: batch }),
    });
    if (!response.ok && attempt === call) console.warn("ICE candidates refused:", await errorDetail(response));
  } catch (error) {
    console.warn("could not send ICE candidates", error);
  }
}

function onPeerState(attempt) {
  if (attempt !== call) return;
  const state = attempt.pc.connectionState;
  if (state === "connected") {
    setConnection("connected", "Connected");
  } else if (state === "disconnected") {
    setConnection("connecting", "Reconnecting…");
  } else if (state === "failed") {
    endCall("The connection to the assistant failed. Check your network and try again.");
  }
}

async function startCall(event) {
  event.preventDefault();
  if (call) return;
  const email = ui.email.value.trim();
  if (!LINE && (!email || !ui.email.checkValidity())) {
    showMessage("Enter your account email.");
    ui.email.focus();
    return;
  }
  if (!LINE && pin.length < MIN_PIN) {
    showMessage(`Enter your ${MIN_PIN} to ${MAX_PIN} digit voice PIN on the keypad.`);
    return;
  }
  if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    showMessage("The microphone needs a secure page: open this page over https:// (or on localhost).");
    return;
  }
  if (!LINE) localStorage.setItem(EMAIL_KEY, email);
  const requestData = LINE
    ? { line: LINE, name: ui.guestName.value.trim() || null, phone: ui.guestPhone.value.trim() || null }
    : { email, pin };
  pin = "";
  renderPin();

  const attempt = { candidates: [], endOfCandidates: false, pcId: null };
  call = attempt;
  setBusy(true);
  showMessage("");
  setConnection("connecting", "Connecting…");
  setAgent("idle", "Starting…");
  ui.agentTimer.textContent = "";
  botTurn = null;
  botSpeaking = false;
  speechEndedAt = null;

  try {
    attempt.stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
    });
  } catch (error) {
    endCall(`The microphone is not available (${error.name}). Allow microphone access and try again.`);
    return;
  }
  // A PIN caller proves the PIN first and gets the TURN relay with it; a public-line caller gets STUN only.
  let servers;
  if (LINE) {
    servers = await iceServers();
  } else {
    const proof = await fetch("/api/ice-servers", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(requestData),
    });
    if (attempt !== call) return;
    if (!proof.ok) {
      endCall(await errorDetail(proof));
      if (proof.status === 401 || proof.status === 423) ui.keypad.querySelector("button").focus();
      return;
    }
    servers = (await proof.json()).iceServers || [];
  }
  if (attempt !== call) return;
  startMeter(attempt);

  const pc = new RTCPeerConnection({ iceServers: servers });
  attempt.pc = pc;
  // The server expects the audio transceiver first.
  pc.addTransceiver(attempt.stream.getAudioTracks()[0], { direction: "sendrecv", streams: [attempt.stream] });
  attempt.dc = pc.createDataChannel("chat", { ordered: true });
  attempt.dc.onopen = () => {
    if (attempt === call) sendRtvi("client-ready", { version: RTVI_VERSION, about: { library: "convonet-voice-assistant", library_version: "1.0.0", platform: "browser" } });
  };
  attempt.dc.onmessage = (event) => {
    if (attempt === call) onBotMessage(event.data);
  };
  attempt.dc.onclose = () => {
    if (attempt === call) endCall("The conversation has ended.", "info");
  };
  pc.ontrack = (event) => {
    ui.audio.srcObject = event.streams[0] || new MediaStream([event.track]);
    ui.audio.play().catch(() => showMessage("Press Start again to allow the assistant's audio to play."));
  };
  pc.onicecandidate = (event) => queueCandidate(attempt, event.candidate);
  pc.onconnectionstatechange = () => onPeerState(attempt);

  try {
    await pc.setLocalDescription(await pc.createOffer());
    const response = await fetch("/api/offer", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sdp: pc.localDescription.sdp, type: "offer", requestData }),
    });
    if (attempt !== call) return;
    if (!response.ok) {
      const detail = await errorDetail(response);
      endCall(detail);
      if (response.status === 401 || response.status === 423) ui.keypad.querySelector("button").focus();
      return;
    }
    const answer = await response.json();
    if (attempt !== call) return;
    attempt.pcId = answer.pc_id;
    ui.agentText.textContent = "";
    await pc.setRemoteDescription({ type: answer.type, sdp: answer.sdp });
    setConnection("connecting", "Connecting audio…");
    flushCandidates(attempt);
  } catch (error) {
    if (attempt === call) endCall(`Could not reach the assistant (${error.message || error}).`);
  }
}

function endCall(text = "", kind = "error") {
  const attempt = call;
  if (!attempt) return;
  // Closing the peer connection is the hang-up: the server cancels the call at once. (An RTVI
  // "disconnect-bot" would start a graceful end that then waits on audio nobody reads.)
  call = null;
  if (attempt.meterFrame) cancelAnimationFrame(attempt.meterFrame);
  if (attempt.dc) attempt.dc.onclose = null;
  if (attempt.pc) attempt.pc.close();
  if (attempt.stream) attempt.stream.getTracks().forEach((track) => track.stop());
  if (attempt.audioCtx) attempt.audioCtx.close();
  ui.audio.srcObject = null;
  ui.meter.value = 0;
  ui.meter.textContent = "silent";
  ui.interim.textContent = "";
  stopWorking();
  setBusy(false);
  setAgent("idle", "Idle");
  const failed = kind === "error" && text;
  setConnection(failed ? "error" : "idle", failed ? "Not connected" : "Ended");
  showMessage(text, kind);
}

// --- wiring ------------------------------------------------------------------------------------

ui.email.value = localStorage.getItem(EMAIL_KEY) || "";
renderPin();
setBusy(false);
if (LINE) {
  $("signin-title").textContent = "Talk to us";
  ui.agentText.textContent = "Press Start and say what you need: no account or PIN on this line.";
}

ui.keypad.addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  pressKey(button.dataset.digit ?? button.dataset.key);
});

document.addEventListener("keydown", (event) => {
  if (LINE || event.target === ui.email || event.ctrlKey || event.metaKey || event.altKey) return;
  if (/^[0-9]$/.test(event.key)) pressKey(event.key);
  else if (event.key === "Backspace") pressKey("delete");
  else if (event.key === "Escape") pressKey("clear");
  else return;
  event.preventDefault();
});

ui.form.addEventListener("submit", startCall);
ui.stop.addEventListener("click", () => endCall("You ended the conversation.", "info"));
window.addEventListener("pagehide", () => endCall());
