// The call center's dialpad: twelve keys (and the keyboard) to type a number, Call to place it from the
// business's caller ID (POST /call-center/api/call/dial). The call then shows in the call panel like a
// transferred caller: "Calling…" until the callee answers, then the agent's audio connects.
import { api } from "/static/common/auth.js";

const API = "/call-center/api/call";
const $ = (id) => document.getElementById(id);
const KEYS = [["1", ""], ["2", "ABC"], ["3", "DEF"], ["4", "GHI"], ["5", "JKL"], ["6", "MNO"],
  ["7", "PQRS"], ["8", "TUV"], ["9", "WXYZ"], ["*", ""], ["0", "+"], ["#", ""]];
const ALLOWED = /[^0-9+*#()\-.\s]/g;
let busy = false; // the agent is on a call (or logged out): no new call

function press(key) {
  const input = $("dial-number");
  input.value = (input.value + key).slice(0, 40);
  input.focus();
}

async function dial(body, afterwards) {
  $("dial-error").textContent = "";
  try {
    await api(`${API}/dial`, { method: "POST", body });
    return true;
  } catch (error) {
    $("dial-error").textContent = error.message || String(error);
    return false;
  } finally {
    await afterwards?.();
  }
}

/** Reflect the agent's status: Call works only when logged in and not on a call. */
export function renderDialpad(status) {
  const agent = status.agent;
  busy = agent.state === "logged_out" || agent.state === "on_call";
  $("dial-call").disabled = busy;
  $("dialpad").dataset.state = agent.state;
  $("dial-hint").textContent = agent.state === "logged_out" ? "Log in to place calls."
    : agent.state === "on_call" ? "On a call." : "";
}

/** Call back the caller of a callback request (its "Call back" button). */
export function callBack(callbackId, afterwards) {
  return dial({ callback_id: callbackId }, afterwards);
}

export function setUpDialpad(afterwards) {
  const keys = $("dial-keys");
  keys.innerHTML = KEYS.map(([digit, letters]) =>
    `<button type="button" class="key" data-key="${digit}" aria-label="${digit === "*" ? "star" : digit === "#" ? "pound" : digit}">` +
    `<span class="digit">${digit}</span><span class="letters">${letters || "&nbsp;"}</span></button>`).join("");
  keys.addEventListener("click", (event) => {
    const key = event.target.closest(".key");
    if (key) press(key.dataset.key);
  });
  $("dial-back").addEventListener("click", () => {
    const input = $("dial-number");
    input.value = input.value.slice(0, -1);
  });
  $("dial-number").addEventListener("input", (event) => {
    event.target.value = event.target.value.replace(ALLOWED, "");
  });
  $("dialpad").addEventListener("submit", async (event) => {
    event.preventDefault();
    const number = $("dial-number").value.trim();
    if (busy || !number) return;
    if (await dial({ number }, afterwards)) $("dial-number").value = "";
  });
}
