// Warm transfer on the call-center page: the agent on a call consults a colleague or a department first
// (the caller on hold, with the beep); the colleague's page rings for the consult; once they talk, the
// agent hands the caller over or goes back to them. The colleague's audio leg is the call's own
// (POST /call-center/api/call/{id}/offer), relayed to the first agent while the consult lasts.
import { api, escapeHtml } from "/static/common/auth.js";

const API = "/call-center/api/call/consult";
const $ = (id) => document.getElementById(id);
let afterwards = async () => {};

async function act(path, body) {
  try {
    await api(`${API}${path}`, { method: "POST", body });
    $("consult-error").textContent = "";
  } catch (error) {
    $("consult-error").textContent = error.message || String(error);
  }
  await afterwards();
}

function renderOffer(status) {
  const offer = status.agent.state === "ready" ? status.consult_offer : null;
  const banner = $("consult-offer");
  banner.hidden = !offer;
  if (!offer) return;
  banner.dataset.callId = offer.call_id;
  $("consult-offer-text").textContent = `${offer.by_name} asks to talk to you about ${offer.caller_name}` +
    (offer.reason ? ` (${offer.reason})` : "") + " before transferring the call.";
}

function renderTargets(status) {
  const select = $("consult-target");
  const keep = select.value;
  const colleagues = status.agents.filter((a) => a.user_id !== status.agent.user_id && a.state === "ready");
  select.innerHTML =
    (colleagues.length ? `<optgroup label="Ready agents">${colleagues.map((a) =>
      `<option value="agent:${escapeHtml(a.user_id)}">${escapeHtml(a.name || a.email)}</option>`).join("")}</optgroup>` : "") +
    `<optgroup label="Departments">${status.departments.map((d) => `<option value="department:${escapeHtml(d)}">${escapeHtml(d)}</option>`).join("")}</optgroup>`;
  if (keep) select.value = keep;
}

/** Called with every status the page draws (after the call panel). */
export function renderConsult(status) {
  renderOffer(status);
  const call = status.call && ["connected", "on_hold"].includes(status.call.status) ? status.call : null;
  const consult = call?.consult || null;
  const me = status.agent.user_id;
  const mine = call && call.agent_id === me;
  const helping = Boolean(consult && consult.agent_id === me && !mine); // I am the consulted colleague
  $("consult-form").hidden = !mine || Boolean(consult);
  $("consult-box").hidden = !consult;
  $("hangup").hidden = helping; // the colleague ends the consult, never the caller's call
  if (helping) for (const id of ["hold", "transfer-form", "to-assistant"]) $(id).hidden = true;
  if (mine && consult) for (const id of ["hold", "transfer-form", "to-assistant"]) $(id).hidden = true;
  if (!call) return;
  $("call-panel").dataset.callId = call.id;
  if (mine && !consult) renderTargets(status);
  if (!consult) return;
  const talking = consult.status === "talking";
  $("consult-box").dataset.state = consult.status;
  $("consult-status").textContent = helping
    ? `Consult with ${consult.by_name}: the caller is on hold.`
    : talking ? `Talking with ${consult.agent_name}: the caller is on hold.`
      : `Ringing ${consult.to_agent ? "your colleague" : consult.department}… the caller is on hold.`;
  $("consult-join").hidden = helping || !talking;
  $("consult-back").hidden = helping;
  $("consult-end").hidden = !helping;
}

export function setUpConsult(refresh) {
  afterwards = refresh;
  const callId = () => $("call-panel").dataset.callId;
  $("consult-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const [kind, value] = $("consult-target").value.split(/:(.*)/s);
    if (!value) return;
    act("", kind === "agent" ? { call_id: callId(), agent_id: value } : { call_id: callId(), department: value });
  });
  $("consult-join").addEventListener("click", () => act("/join", { call_id: callId() }));
  $("consult-back").addEventListener("click", () => act("/back", { call_id: callId() }));
  $("consult-end").addEventListener("click", () => act("/back", { call_id: callId() }));
  $("consult-accept").addEventListener("click", () => act("/accept", { call_id: $("consult-offer").dataset.callId }));
  $("consult-decline").addEventListener("click", () => act("/decline", { call_id: $("consult-offer").dataset.callId }));
}
