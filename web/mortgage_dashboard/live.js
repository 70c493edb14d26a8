// Bookings change on this page as they change anywhere: the page follows the Agent Monitor's live stream
// (staff read it all) and reloads a list when a call's booking tool worked (the voice agent booked,
// moved or cancelled one). The stream's token is single-use, so a dropped stream reconnects with a new one.
import { api } from "/static/common/auth.js";

const TOOLS = {
  reservations: new Set(["create_reservation", "change_reservation", "cancel_reservation"]),
  appointments: new Set(["book_appointment", "cancel_appointment"]),
};
let retry = 1000;

function onRecord(record) {
  const calls = record.type === "tool" ? [record] : record.type === "turn" ? record.tool_calls || [] : [];
  for (const [list, tools] of Object.entries(TOOLS)) {
    if (calls.some((c) => c.ok && tools.has(c.name))) {
      document.dispatchEvent(new CustomEvent("bookings-changed", { detail: list }));
    }
  }
}

export async function followBookings() {
  let token;
  try {
    token = (await api("/agent-monitor/api/stream-token", { method: "POST" })).token;
  } catch {
    return later();
  }
  const stream = new EventSource(`/agent-monitor/api/stream?token=${encodeURIComponent(token)}`);
  stream.addEventListener("ready", () => { retry = 1000; document.body.dataset.live = "yes"; });
  stream.addEventListener("bye", () => { stream.close(); followBookings(); });
  stream.onmessage = (event) => {
    try { onRecord(JSON.parse(event.data)); } catch { /* a malformed record is skipped */ }
  };
  stream.onerror = () => {
    stream.close();
    document.body.dataset.live = "no";
    later();
  };
}

function later() {
  setTimeout(followBookings, retry);
  retry = Math.min(retry * 2, 15000);
}
