// The signed-in user's own notices on every page with the common header: their reminders as they fire, and
// a call from the call center ringing them (incoming_call.js).
// One tab of the browser holds the feed (a Web Lock elects it) and passes each notice to the others
// (BroadcastChannel), so open tabs do not use up the browser's few connections to the server. The feed
// opens with a single-use stream token; when it ends or fails, a new token reopens it.
import { api, escapeHtml } from "/static/common/auth.js";

const NAME = "convonet-notices";
let retryMs = 1000;

function tray() {
  let el = document.getElementById("notices");
  if (!el) {
    el = document.createElement("section");
    el.id = "notices";
    el.className = "notices";
    el.setAttribute("aria-label", "Reminders");
    el.setAttribute("aria-live", "assertive");
    document.body.append(el);
  }
  return el;
}

function show(notice) {
  if (notice.notice === "call") {
    import("/static/common/incoming_call.js").then((m) => m.ring(notice, tray()));
    return;
  }
  const item = document.createElement("div");
  item.className = "notice" + (notice.importance === "high" ? " important" : "") + (notice.late ? " late" : "");
  item.setAttribute("role", "alert");
  item.dataset.reminderId = notice.reminder_id;
  const when = new Date(notice.remind_at).toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
  const kind = notice.importance === "high" ? "Important reminder" : "Reminder";
  const label = notice.late ? `Missed ${kind.toLowerCase()} (was due ${escapeHtml(when)})` : kind;
  item.innerHTML = `<strong>${label}</strong><p>${escapeHtml(notice.message)}</p>` +
    `<button type="button" class="dismiss">Dismiss</button>`;
  item.querySelector(".dismiss").addEventListener("click", () => item.remove());
  tray().append(item);
}

async function connect(deliver) {
  let token;
  try {
    ({ token } = await api("/api/notices/stream-token", { method: "POST" }));
  } catch {
    setTimeout(() => connect(deliver), retryMs);
    retryMs = Math.min(retryMs * 2, 30000);
    return;
  }
  const source = new EventSource("/api/notices/stream?token=" + encodeURIComponent(token));
  source.addEventListener("ready", () => { retryMs = 1000; document.body.dataset.notices = "live"; });
  source.addEventListener("reminder", (e) => deliver(JSON.parse(e.data)));
  source.addEventListener("call", (e) => deliver(JSON.parse(e.data)));
  source.onerror = () => {
    source.close();
    document.body.dataset.notices = "reconnecting";
    setTimeout(() => connect(deliver), retryMs);
    retryMs = Math.min(retryMs * 2, 30000);
  };
}

/** Start listening (once per page). */
export function watchNotices() {
  if (document.body.dataset.notices) return;
  if (!navigator.locks || typeof BroadcastChannel === "undefined") { // not a secure context: each tab its own feed
    document.body.dataset.notices = "connecting";
    connect(show);
    return;
  }
  const channel = new BroadcastChannel(NAME);
  channel.onmessage = (e) => show(e.data);
  document.body.dataset.notices = "follower"; // another tab holds the feed and passes notices on
  navigator.locks.request(NAME, () => new Promise(() => { // held until this tab closes
    document.body.dataset.notices = "connecting";
    connect((notice) => { show(notice); channel.postMessage(notice); });
  }));
}
