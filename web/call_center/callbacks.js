// The staff callback queue on the call-center page: callers nobody could take, waiting to be called back.
// Claim one, call the number back (through the dialpad's call path), close it with an outcome. The page's
// event feed calls refreshCallbacks().
import { api, escapeHtml, tokens } from "/static/common/auth.js";
import { callBack } from "/static/call_center/dialpad.js";

const API = "/call-center/api/callbacks";
const $ = (id) => document.getElementById(id);
const OUTCOMES = [["reached", "Reached"], ["left-message", "Left a message"], ["no-answer", "No answer"],
  ["wrong-number", "Wrong number"], ["not-needed", "No longer needed"]];

const since = (iso) => {
  const minutes = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 60000));
  return minutes < 60 ? `${minutes} min ago` : `${Math.floor(minutes / 60)} h ${minutes % 60} min ago`;
};

function item(cb, me) {
  const li = document.createElement("li");
  li.className = "callback";
  li.dataset.id = cb.id;
  li.dataset.status = cb.status;
  const phone = cb.phone ? `<a href="tel:${escapeHtml(cb.phone)}">${escapeHtml(cb.phone)}</a>` : "no number";
  const lines = cb.transcript.map((t) => `<li class="${t.role === "user" ? "user" : "assistant"}">` +
    `<span class="who">${t.role === "user" ? "Caller" : "Assistant"}</span> ${escapeHtml(t.text)}</li>`).join("");
  const mine = cb.status === "claimed" && cb.claimed_by === me;
  const call = cb.phone && (cb.status === "open" || mine) ? `<button type="button" class="call-back">Call back</button>` : "";
  let actions;
  if (cb.status === "open") {
    actions = `<button type="button" class="primary claim">Claim</button>${call}`;
  } else if (mine) {
    const options = OUTCOMES.map(([v, label]) => `<option value="${v}">${label}</option>`).join("");
    actions = `<form class="close-form"><label class="sr-only" for="outcome-${cb.id}">Outcome</label>` +
      `<select id="outcome-${cb.id}" name="outcome">${options}</select>` +
      `<label class="sr-only" for="note-${cb.id}">Note</label>` +
      `<input id="note-${cb.id}" name="note" maxlength="2000" placeholder="Note (optional)">` +
      `<button type="submit" class="primary">Close</button><button type="button" class="release">Give back</button>${call}</form>`;
  } else {
    actions = `<span class="muted small">Claimed by a colleague</span>`;
  }
  const message = cb.message_text || cb.has_message
    ? `<div class="message small"><strong>Message:</strong> ${cb.message_text ? `“${escapeHtml(cb.message_text)}”` : "(no words heard)"}` +
      (cb.has_message ? ` <button type="button" class="play">Play message</button>` : "") + `</div>`
    : "";
  li.innerHTML = `<div class="callback-head"><strong>${escapeHtml(cb.caller_name)}</strong> ${phone}` +
    ` <span class="badge">${escapeHtml(cb.department)}</span> <span class="muted small">${since(cb.created_at)}</span></div>` +
    (cb.reason ? `<div class="small">About: ${escapeHtml(cb.reason)}</div>` : "") + message +
    `<div class="muted small">${escapeHtml(cb.summary)}</div>` +
    (lines ? `<details><summary>Conversation so far</summary><ol class="transcript">${lines}</ol></details>` : "") +
    `<div class="buttons">${actions}</div>`;
  return li;
}

// An <audio> element cannot send the bearer token: the message is fetched, then played from a blob.
async function play(li) {
  const button = li.querySelector(".play");
  try {
    let r = await fetch(`${API}/${li.dataset.id}/message`, { headers: { Authorization: `Bearer ${tokens()?.access}` } });
    if (r.status === 401) { await api(API); r = await fetch(`${API}/${li.dataset.id}/message`, { headers: { Authorization: `Bearer ${tokens()?.access}` } }); }
    if (!r.ok) throw new Error(r.status === 404 ? "The message is no longer kept." : `message: ${r.status}`);
    const audio = document.createElement("audio");
    audio.controls = true;
    audio.src = URL.createObjectURL(await r.blob());
    button.replaceWith(audio);
    await audio.play().catch(() => {}); // autoplay may be refused; the controls are there
  } catch (error) {
    $("callbacks-error").textContent = error.message || String(error);
  }
}

async function act(path, body) {
  try {
    await api(`${API}/${path}`, { method: "POST", body });
    $("callbacks-error").textContent = "";
  } catch (error) {
    $("callbacks-error").textContent = error.message || String(error);
  }
  await refreshCallbacks();
}

export async function refreshCallbacks() {
  const list = $("callbacks");
  if (!list) return;
  let found;
  try {
    found = await api(API);
  } catch (error) {
    $("callbacks-error").textContent = error.message || String(error);
    return;
  }
  const me = tokens()?.user?.id;
  list.replaceChildren(...found.map((cb) => item(cb, me)));
  $("callbacks-empty").hidden = found.length > 0;
  $("callbacks-count").textContent = String(found.filter((cb) => cb.status === "open").length);
}

export function setUpCallbacks() {
  $("callbacks").addEventListener("click", (e) => {
    const li = e.target.closest("li.callback");
    if (!li) return;
    if (e.target.closest(".claim")) act(`${li.dataset.id}/claim`);
    if (e.target.closest(".release")) act(`${li.dataset.id}/release`);
    if (e.target.closest(".play")) play(li);
    if (e.target.closest(".call-back")) callBack(li.dataset.id, refreshCallbacks);
  });
  $("callbacks").addEventListener("submit", (e) => {
    e.preventDefault();
    const li = e.target.closest("li.callback");
    const form = new FormData(e.target);
    act(`${li.dataset.id}/close`, { outcome: form.get("outcome"), note: form.get("note") || null });
  });
  refreshCallbacks();
}
