// The signed-in user's own notices on every page with the common header: their reminders as they fire.
// The feed opens with a single-use stream token; when it ends or fails, a new token reopens it.
import { api, escapeHtml } from "/static/common/auth.js";

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

async function connect() {
  let token;
  try {
    ({ token } = await api("/api/notices/stream-token", { method: "POST" }));
  } catch {
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 30000);
    return;
  }
  const source = new EventSource("/api/notices/stream?token=" + encodeURIComponent(token));
  source.addEventListener("ready", () => { retryMs = 1000; document.body.dataset.notices = "live"; });
  source.addEventListener("reminder", (e) => show(JSON.parse(e.data)));
  source.onerror = () => {
    source.close();
    delete document.body.dataset.notices;
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 30000);
  };
}

/** Start listening (once per page). */
export function watchNotices() {
  if (document.body.dataset.noticesStarted) return;
  document.body.dataset.noticesStarted = "1";
  connect();
}
