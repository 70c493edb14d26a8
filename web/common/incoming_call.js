// A call from the call center ringing this user (the in-app path, when the install has no Twilio): a
// notice with Answer and Decline while it rings; Answer opens the microphone and a peer connection to the
// server (POST /api/calls/{id}/answer), whose pipeline joins the agent who called. Hang up ends it.
import { api, escapeHtml, iceServers } from "/static/common/auth.js";

const calls = new Map(); // call id → its notice element

function ringTone(item) {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return;
  const ctx = new Ctx();
  const burst = () => {
    const gain = ctx.createGain();
    gain.gain.value = 0.08;
    gain.connect(ctx.destination);
    for (const freq of [440, 480]) {
      const osc = ctx.createOscillator();
      osc.frequency.value = freq;
      osc.connect(gain);
      osc.start();
      osc.stop(ctx.currentTime + 0.8);
    }
  };
  burst();
  const timer = setInterval(burst, 3000);
  item.stopRinging = () => { clearInterval(timer); ctx.close().catch(() => {}); };
}

function finish(item, text) {
  item.stopRinging?.();
  item.pc?.close();
  item.stream?.getTracks().forEach((t) => t.stop());
  item.dataset.state = "ended";
  item.querySelector(".call-state").textContent = text;
  item.querySelector(".call-actions").innerHTML = `<button type="button" class="dismiss">Dismiss</button>`;
  item.querySelector(".dismiss").addEventListener("click", () => item.remove());
  clearTimeout(item.ringTimer);
}

async function waitForIce(pc, ms = 3000) {
  if (pc.iceGatheringState === "complete") return;
  await new Promise((resolve) => {
    pc.addEventListener("icegatheringstatechange", () => { if (pc.iceGatheringState === "complete") resolve(); });
    setTimeout(resolve, ms);
  });
}

async function answer(item, callId) {
  item.stopRinging?.();
  clearTimeout(item.ringTimer);
  item.dataset.state = "connecting";
  item.querySelector(".call-state").textContent = "Connecting…";
  item.querySelector(".call-actions").innerHTML = `<button type="button" class="danger hang-up">Hang up</button>`;
  item.querySelector(".hang-up").addEventListener("click", () => finish(item, "You hung up."));
  try {
    item.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const pc = new RTCPeerConnection({ iceServers: await iceServers() });
    item.pc = pc;
    for (const track of item.stream.getAudioTracks()) pc.addTrack(track, item.stream);
    const audio = item.querySelector("audio");
    pc.ontrack = (event) => { audio.srcObject = event.streams[0] || new MediaStream([event.track]); };
    pc.onconnectionstatechange = () => {
      if (item.dataset.state === "ended") return;
      if (pc.connectionState === "connected") {
        item.dataset.state = "connected";
        item.querySelector("strong").textContent = "On a call";
        item.querySelector(".call-state").textContent = "Connected";
      } else if (["failed", "disconnected", "closed"].includes(pc.connectionState)) {
        finish(item, "The call has ended.");
      }
    };
    await pc.setLocalDescription(await pc.createOffer());
    await waitForIce(pc);
    const reply = await api(`/api/calls/${encodeURIComponent(callId)}/answer`, {
      method: "POST", body: { sdp: pc.localDescription.sdp, type: "offer" },
    });
    await pc.setRemoteDescription({ sdp: reply.sdp, type: reply.type });
  } catch (error) {
    finish(item, error.message || String(error));
  }
}

async function decline(item, callId) {
  finish(item, "Declined.");
  await api(`/api/calls/${encodeURIComponent(callId)}/decline`, { method: "POST" }).catch(() => {});
}

/** Show a ringing call (a `call` notice from the feed). */
export function ring(notice, tray) {
  if (calls.has(notice.call_id)) return;
  const item = document.createElement("div");
  item.className = "notice call";
  item.setAttribute("role", "alertdialog");
  item.dataset.callId = notice.call_id;
  item.dataset.state = "ringing";
  item.innerHTML = `<strong>Incoming call</strong><p>${escapeHtml(notice.from)} is calling you.</p>` +
    `<p class="call-state small">Ringing…</p><audio autoplay></audio>` +
    `<div class="call-actions"><button type="button" class="primary answer">Answer</button> ` +
    `<button type="button" class="decline">Decline</button></div>`;
  item.querySelector(".answer").addEventListener("click", () => answer(item, notice.call_id));
  item.querySelector(".decline").addEventListener("click", () => decline(item, notice.call_id));
  item.ringTimer = setTimeout(() => finish(item, "Missed call."), (notice.ring_seconds || 30) * 1000);
  calls.set(notice.call_id, item);
  tray.append(item);
  ringTone(item);
}
