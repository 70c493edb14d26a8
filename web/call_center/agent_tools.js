// The agent's own tools on the call-center page: availability over the shift, the wrap-up form once a
// call has ended (the install's wrap-up codes), the activity timeline (state changes), and notes on a
// caller who is a contact of a public line (kept on the contact, shown in every later popup).
import { api, escapeHtml } from "/static/common/auth.js";

const API = "/call-center/api";
const $ = (id) => document.getElementById(id);
const LABELS = { logged_out: "Logged Out", logged_in: "Logged In", ready: "Ready", not_ready: "Not Ready",
  on_call: "On Call", wrap_up: "Wrap Up" };
let lastChange = null; // the agent state the timeline was drawn for
let notesFor = null;

function minutes(seconds) {
  const s = Math.max(0, Math.round(seconds || 0));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h ? `${h} h ${m} min` : m ? `${m} min` : `${s} s`;
}

function renderAvailability(agent) {
  const total = Object.values(agent.totals || {}).reduce((a, b) => a + b, 0);
  $("availability").textContent = agent.state === "logged_out" || agent.availability == null ? ""
    : `Available ${Math.round(agent.availability * 100)}% of ${minutes(total)} logged in`;
}

function renderWrapUp(status) {
  const agent = status.agent;
  const open = agent.state === "wrap_up" && Boolean(agent.call_id);
  $("wrap-up-panel").hidden = !open;
  if (!open) return;
  $("wrap-up-panel").dataset.callId = agent.call_id;
  $("wrap-up-form").hidden = Boolean(agent.wrapped_up);
  $("wrap-up-done").textContent = agent.wrapped_up ? `Filed as “${agent.wrapped_up}”. Go Ready for the next call.` : "";
  const select = $("wrap-up-code");
  const codes = status.wrap_up_codes || [];
  if (select.dataset.codes !== codes.join("|")) {
    select.dataset.codes = codes.join("|");
    select.innerHTML = codes.map((c) => `<option>${escapeHtml(c)}</option>`).join("");
  }
}

async function renderActivity(agent) {
  const key = `${agent.state}|${agent.since}`;
  if (key === lastChange) return;
  lastChange = key;
  try {
    const changes = await api(`${API}/agent/activity`);
    $("activity").innerHTML = changes.map((c) => `<li><time>${escapeHtml(new Date(c.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }))}</time>` +
      ` <span class="state-chip" data-state="${escapeHtml(c.to)}">${escapeHtml(LABELS[c.to] || c.to)}</span>` +
      ` <span class="muted small">after ${minutes(c.seconds_in_previous)} ${escapeHtml(LABELS[c.from] || c.from)}</span></li>`).join("")
      || '<li class="muted">No changes yet.</li>';
  } catch (error) {
    $("activity").innerHTML = `<li class="error">${escapeHtml(error.message || String(error))}</li>`;
  }
}

/** Called with every status the page draws. */
export function renderAgentTools(status) {
  renderAvailability(status.agent);
  renderWrapUp(status);
  renderActivity(status.agent);
}

/** The popup's notes box: for a caller with an account or a contact record; hidden for an unknown number. */
export function showNotes(customer) {
  const known = customer.caller?.contact_id || customer.caller?.user_id;
  $("popup-notes-box").hidden = !known;
  $("popup-notes-state").textContent = "";
  if (!known || notesFor === customer.id) return;
  notesFor = customer.id;
  $("popup-notes-box").dataset.callId = customer.id;
  $("popup-notes").value = customer.profile?.notes || "";
}

export function setUpAgentTools(afterwards) {
  $("wrap-up-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api(`${API}/call/wrap-up`, { method: "POST", body: {
        call_id: $("wrap-up-panel").dataset.callId, code: $("wrap-up-code").value, note: $("wrap-up-note").value || null } });
      $("wrap-up-note").value = "";
      $("wrap-up-error").textContent = "";
    } catch (error) {
      $("wrap-up-error").textContent = error.message || String(error);
    }
    await afterwards();
  });
  $("popup-notes-save").addEventListener("click", async () => {
    const callId = $("popup-notes-box").dataset.callId;
    try {
      await api(`${API}/customer/${encodeURIComponent(callId)}/notes`, { method: "PUT", body: { notes: $("popup-notes").value } });
      $("popup-notes-state").textContent = "Saved.";
    } catch (error) {
      $("popup-notes-state").textContent = error.message || String(error);
    }
  });
}
