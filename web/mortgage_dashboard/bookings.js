// Staff dashboard: book a table or an appointment for a guest, or change one picked from the list
// ("Change" fills the form). Saving tells the page to reload its list ("bookings-changed").
import { api } from "/static/common/auth.js";

const $ = (id) => document.getElementById(id);
const KINDS = {
  reservation: { url: "/api/staff/reservations", list: "reservations", noun: "reservation", title: "Book a table" },
  appointment: { url: "/api/staff/appointments", list: "appointments", noun: "appointment", title: "Book an appointment" },
};

function localParts(iso) {
  const at = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return [`${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`, `${pad(at.getHours())}:${pad(at.getMinutes())}`];
}

/** Fill the form to change `row` (a reservation or appointment from the list), or empty it for a new one. */
export function editBooking(kind, row) {
  const form = $(`${kind}-form`);
  form.reset();
  form.dataset.reasonWithheld = "";
  if (kind === "appointment") form.reason.placeholder = form.reason.title = "";
  form.booking_id.value = row?.id ?? "";
  for (const label of form.querySelectorAll(".new-only")) label.hidden = Boolean(row);
  $(`${kind}-form-title`).textContent = row ? `Change ${KINDS[kind].noun} ${row.confirmation_code ?? ""}` : KINDS[kind].title;
  $(`${kind}-saved`).textContent = "";
  if (!row) return;
  [form.date.value, form.time.value] = localParts(row.starts_at);
  if (kind === "reservation") {
    form.party_size.value = row.party_size;
    form.name.value = row.name;
    form.special_requests.value = row.special_requests ?? "";
  } else { // a reason withheld from this reader (health details) is kept unless they type a new one
    form.reason.value = row.reason_withheld ? "" : row.reason ?? "";
    if (row.reason_withheld) {
      form.reason.placeholder = "Withheld: kept if empty";
      form.reason.title = "Health details, withheld from staff without the clinical role: leave empty to keep them";
      form.dataset.reasonWithheld = "yes";
    }
  }
  form.scrollIntoView({ block: "nearest" });
}

/** The clinic's active providers as the form's choices. */
export function showProviders(providers) {
  const select = $("appointment-form").provider_id;
  select.length = 1;
  for (const p of providers.filter((p) => p.active)) select.add(new Option(p.name, String(p.id)));
}

function body(kind, form) {
  const changing = Boolean(form.booking_id.value);
  const out = { date: form.date.value, time: form.time.value };
  const text = (name) => form[name].value.trim() || null;
  if (kind === "reservation") {
    Object.assign(out, { party_size: Number(form.party_size.value), name: text("name"),
      special_requests: text("special_requests") });
  } else {
    if (!(changing && form.dataset.reasonWithheld && !text("reason"))) Object.assign(out, { reason: text("reason") });
    if (form.provider_id.value) out.provider_id = Number(form.provider_id.value);
  }
  if (!changing) {
    out.phone = text("phone");
    if (kind === "appointment") Object.assign(out, { first_name: text("first_name"), last_name: text("last_name") });
  }
  return out;
}

for (const kind of Object.keys(KINDS)) {
  const form = $(`${kind}-form`);
  form.querySelector("[data-new-booking]").addEventListener("click", () => editBooking(kind, null));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const { url, list } = KINDS[kind];
    const id = form.booking_id.value;
    $(`${kind}-error`).textContent = "";
    $(`${kind}-saved`).textContent = "";
    try {
      const saved = await api(id ? `${url}/${id}` : url, { method: id ? "PATCH" : "POST", body: body(kind, form) });
      editBooking(kind, saved);
      $(`${kind}-saved`).textContent = "Saved.";
      document.dispatchEvent(new CustomEvent("bookings-changed", { detail: list }));
    } catch (err) {
      $(`${kind}-error`).textContent = err.message;
    }
  });
}
