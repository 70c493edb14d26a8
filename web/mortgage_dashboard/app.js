// Staff dashboard: mortgage applications (details, document checklist, status changes), clinic
// appointments and restaurant reservations. Staff have the staff flag; the API says 403
// to anyone else and this page then says so.
import { api, escapeHtml, header, requireLogin } from "/static/common/auth.js";
import { loadClinic, loadRates } from "/static/mortgage_dashboard/settings.js";
import { editBooking } from "/static/mortgage_dashboard/bookings.js";
import { followBookings } from "/static/mortgage_dashboard/live.js";

requireLogin();
header("/mortgage_dashboard");

const $ = (id) => document.getElementById(id);
const money = new Intl.NumberFormat(undefined, { style: "currency", currency: "USD", maximumFractionDigits: 0 });
const STATUS_BADGE = { draft: "", submitted: "warn", in_review: "warn", approved: "ok", denied: "bad" };
const MOVES = {
  submitted: ["Mark submitted", ""],
  in_review: ["Start review", "primary"],
  approved: ["Approve", "approve"],
  denied: ["Deny", "danger"],
  draft: ["Return to draft", ""],
};
const FACTS = [
  ["Loan purpose", (a) => words(a.loan_purpose)],
  ["Annual income", (a) => amount(a.annual_income)],
  ["Employment", (a) => words(a.employment_status)],
  ["Property value", (a) => amount(a.property_value)],
  ["Down payment", (a) => amount(a.down_payment)],
  ["Loan amount", (a) => amount(a.loan_amount)],
  ["Credit score", (a) => words(a.credit_score_range)],
  ["Started", (a) => when(a.created_at)],
  ["Submitted", (a) => when(a.submitted_at)],
  ["Decided", (a) => when(a.decided_at)],
];

const state = { selected: null, loaded: new Set() };

function words(value) { return value ? value.replaceAll("_", " ") : "—"; }
function amount(value) { return value == null ? "—" : money.format(value); }
function when(iso) {
  return iso ? new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }) : "—";
}
function day(iso) { return new Date(iso).toLocaleDateString(undefined, { dateStyle: "medium" }); }
function statusBadge(status) {
  return `<span class="badge ${STATUS_BADGE[status] ?? ""}">${escapeHtml(words(status))}</span>`;
}
function localDay(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

async function guarded(errorId, work) {
  $(errorId).textContent = "";
  try {
    await work();
  } catch (e) {
    if (e.status === 403) return forbid();
    $(errorId).textContent = e.message;
  }
}

function forbid() {
  $("staff").hidden = true;
  $("forbidden").hidden = false;
  $("forbidden-text").textContent = "This page is for the people who run the mortgage desk, the clinic and the "
    + "restaurant: staff accounts. Ask an administrator for staff access if you need it.";
}

// --- tabs ---------------------------------------------------------------------------------------

const TABS = ["mortgage", "appointments", "reservations", "lines"];

function showTab(name, focus = false) {
  for (const tab of TABS) {
    const selected = tab === name;
    const button = $(`tab-${tab}`);
    button.setAttribute("aria-selected", String(selected));
    button.tabIndex = selected ? 0 : -1;
    $(`view-${tab}`).hidden = !selected;
    if (selected && focus) button.focus();
  }
  history.replaceState(null, "", name === "mortgage" ? location.pathname : `#${name}`);
  if (!state.loaded.has(name)) {
    state.loaded.add(name);
    if (name === "mortgage") guarded("applications-error", loadApplications);
    else if (name === "lines") guarded("lines-error", loadLines);
    else loadList(document.querySelector(`form[data-list="${name}"]`));
    if (name === "reservations") guarded("seating-error", loadSeating);
    if (name === "appointments") guarded("clinic-error", loadClinic);
    if (name === "mortgage") guarded("rates-error", loadRates);
  }
}

document.querySelector(".tabs").addEventListener("click", (e) => {
  const tab = e.target.closest("[role=tab]");
  if (tab) showTab(tab.id.replace("tab-", ""));
});
document.querySelector(".tabs").addEventListener("keydown", (e) => {
  if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
  const current = TABS.findIndex((t) => $(`tab-${t}`).getAttribute("aria-selected") === "true");
  const next = (current + (e.key === "ArrowRight" ? 1 : TABS.length - 1)) % TABS.length;
  showTab(TABS[next], true);
});

// --- mortgage applications ----------------------------------------------------------------------

async function loadApplications() {
  const status = $("status-filter").value;
  const apps = await api("/api/staff/mortgage/applications" + (status ? `?status=${status}` : ""));
  $("no-applications").hidden = apps.length > 0;
  $("application-rows").innerHTML = apps.map((a) => {
    const who = a.applicant ? a.applicant.name : "Deleted user";
    const docs = `${a.documents_received}/${a.documents_required}`;
    const complete = a.documents_received === a.documents_required;
    return `<tr data-id="${a.id}" aria-selected="${a.id === state.selected}">
      <td><button type="button" class="link" data-open="${a.id}">${escapeHtml(who)}</button>
        <div class="muted">${escapeHtml(a.applicant?.email || a.applicant?.phone || "")}</div></td>
      <td>${escapeHtml(words(a.loan_purpose))}</td>
      <td class="num">${amount(a.loan_amount)}</td>
      <td><span class="badge ${complete ? "ok" : ""}">${docs}</span></td>
      <td>${statusBadge(a.status)}</td>
      <td>${day(a.updated_at)}</td>
    </tr>`;
  }).join("");
}

function renderApplication(a) {
  state.selected = a.id;
  for (const row of document.querySelectorAll("#application-rows tr")) {
    row.setAttribute("aria-selected", String(row.dataset.id === a.id));
  }
  $("no-application").hidden = true;
  $("application-detail").hidden = false;
  $("application-title").textContent = a.applicant ? a.applicant.name : "Application";
  $("application-status").className = `badge ${STATUS_BADGE[a.status] ?? ""}`;
  $("application-status").textContent = words(a.status);
  const facts = [["Applicant", a.applicant
    ? [a.applicant.name, a.applicant.email, a.applicant.phone].filter(Boolean).join(" · ") : "—"],
    ...FACTS.map(([label, show]) => [label, show(a)])];
  $("application-facts").innerHTML = facts.map(([label, value]) =>
    `<dt>${label}</dt><dd>${escapeHtml(value)}</dd>`).join("");
  $("application-documents").innerHTML = a.documents.map((d) => `
    <li><span class="mark ${d.received ? "ok" : "bad"}" aria-hidden="true">${d.received ? "✓" : "✗"}</span>
      <span>${escapeHtml(d.label)}<span class="sr-only">${d.received ? " (received)" : " (missing)"}</span></span>
      <span class="when muted">${d.received ? `received ${day(d.received_at)}` : "missing"}</span></li>`).join("")
    || '<li class="muted">No documents are needed yet.</li>';
  $("application-missing").textContent = a.missing_fields.length
    ? `Still missing: ${a.missing_fields.map(words).join(", ")}.` : "";
  $("application-moves").innerHTML = a.next_statuses.length
    ? a.next_statuses.map((s) => {
        const [label, style] = MOVES[s] ?? [words(s), ""];
        return `<button type="button" class="${style}" data-move="${s}">${label}</button>`;
      }).join("")
    : `<p class="muted">This application is ${escapeHtml(words(a.status))}; its status can no longer change.</p>`;
}

async function openApplication(id) {
  await guarded("detail-error", async () => renderApplication(await api(`/api/staff/mortgage/applications/${id}`)));
}

$("application-rows").addEventListener("click", (e) => {
  const row = e.target.closest("tr[data-id]");
  if (row) openApplication(row.dataset.id);
});

$("application-moves").addEventListener("click", (e) => {
  const button = e.target.closest("button[data-move]");
  if (!button) return;
  for (const b of $("application-moves").querySelectorAll("button")) b.disabled = true;
  guarded("detail-error", async () => {
    try {
      const updated = await api(`/api/staff/mortgage/applications/${state.selected}/status`,
        { method: "PUT", body: { status: button.dataset.move } });
      renderApplication(updated);
    } finally {
      for (const b of $("application-moves").querySelectorAll("button")) b.disabled = false;
      await loadApplications();
    }
  });
});

$("status-filter").addEventListener("change", () => guarded("applications-error", loadApplications));

// --- appointments and reservations --------------------------------------------------------------

const LISTS = {
  appointments: {
    url: "/api/staff/appointments",
    row: (a) => `<td>${when(a.starts_at)}</td>
      <td>${escapeHtml(`${a.patient.first_name} ${a.patient.last_name}`)}</td>
      <td>${escapeHtml(a.patient.phone ?? a.contact_phone ?? "—")}</td>
      <td>${a.reason_withheld ? `<span class="muted">${escapeHtml(a.reason)}</span>` : escapeHtml(a.reason ?? "—")}</td>
      <td><span class="badge ${a.status === "booked" ? "ok" : ""}">${escapeHtml(a.status)}</span></td>
      <td>${a.status === "booked" ? `${change(a)} ${action(`/api/staff/appointments/${a.id}/cancel`, "Cancel")}` : ""}</td>`,
  },
  reservations: {
    url: "/api/staff/reservations",
    row: (r) => `<td>${when(r.starts_at)}</td>
      <td>${escapeHtml(r.name)}${r.contact_phone ? `<div class="muted">${escapeHtml(r.contact_phone)}</div>` : ""}</td>
      <td class="num">${r.party_size}</td>
      <td><code>${escapeHtml(r.confirmation_code)}</code></td>
      <td>${escapeHtml(r.special_requests ?? "—")}</td>
      <td><span class="badge ${r.status === "confirmed" ? "ok" : ""}">${escapeHtml(words(r.status))}</span></td>
      <td>${r.status !== "confirmed" ? "" : new Date(r.starts_at) > new Date()
        ? `${change(r)} ${action(`/api/staff/reservations/${r.id}/cancel`, "Cancel")}`
        : action(`/api/staff/reservations/${r.id}/no-show`, "No-show")}</td>`,
  },
};

const shown = new Map();  // the listed bookings by id, for "Change"

function change(booking) {
  return `<button type="button" class="link" data-action data-change="${escapeHtml(booking.id)}">Change</button>`;
}

function action(url, label) {
  return `<button type="button" class="link" data-action="${escapeHtml(url)}">${label}</button>`;
}

for (const form of document.querySelectorAll("form[data-list]")) {
  const name = form.dataset.list;
  $(`${name.slice(0, -1)}-rows`).addEventListener("click", (e) => {
    const button = e.target.closest("[data-action]");
    if (!button) return;
    if (button.dataset.change) return editBooking(name.slice(0, -1), shown.get(button.dataset.change));
    guarded(`${name}-error`, async () => {
      await api(button.dataset.action, { method: "POST" });
      await loadList(form);
    });
  });
}

function loadList(form) {
  const name = form.dataset.list;
  const list = LISTS[name];
  const params = new URLSearchParams();
  if (form.start.value) params.set("start", form.start.value);
  if (form.end.value) params.set("end", form.end.value);
  if (form.include_cancelled.checked) params.set("include_cancelled", "true");
  const singular = name.slice(0, -1);
  return guarded(`${name}-error`, async () => {
    const rows = await api(`${list.url}?${params}`);
    for (const r of rows) shown.set(r.id, r);
    $(`no-${name}`).hidden = rows.length > 0;
    $(`${singular}-rows`).innerHTML = rows.map((r) => `<tr>${list.row(r)}</tr>`).join("");
  });
}

// --- restaurant opening hours -------------------------------------------------------------------

const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const SEATING_URL = "/api/staff/restaurant/settings";

function showSeating(rules) {
  $("seating-days").innerHTML = WEEKDAYS.map((day) => {
    const hours = rules.hours[day];
    const label = day[0].toUpperCase() + day.slice(1);
    return `<tr data-day="${day}"><th scope="row">${label}</th>
      <td><input type="checkbox" name="open" aria-label="${label} open" ${hours ? "checked" : ""}></td>
      <td><input type="time" step="1800" name="first" aria-label="${label} first seating" value="${hours?.first ?? "17:00"}"></td>
      <td><input type="time" step="1800" name="last" aria-label="${label} last seating" value="${hours?.last ?? "21:00"}"></td></tr>`;
  }).join("");
  const form = $("seating-form");
  form.closures.value = rules.closures.join(", ");
  form.capacity.value = rules.capacity;
  form.max_party.value = rules.max_party;
}

async function loadSeating() {
  showSeating(await api(SEATING_URL));
}

$("seating-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const form = e.target;
  const hours = {};
  for (const row of document.querySelectorAll("#seating-days tr")) {
    const open = row.querySelector("[name=open]").checked;
    hours[row.dataset.day] = open
      ? { first: row.querySelector("[name=first]").value, last: row.querySelector("[name=last]").value }
      : null;
  }
  const body = {
    hours,
    closures: form.closures.value.split(",").map((d) => d.trim()).filter(Boolean),
    capacity: Number(form.capacity.value),
    max_party: Number(form.max_party.value),
  };
  $("seating-saved").textContent = "";
  guarded("seating-error", async () => {
    showSeating(await api(SEATING_URL, { method: "PUT", body }));
    $("seating-saved").textContent = "Saved.";
  });
});

// --- phone lines --------------------------------------------------------------------------------

const LINE_DOMAINS = ["restaurant", "healthcare", "mortgage", "productivity"];
const LINES_URL = "/api/staff/lines";
const linesById = new Map();

$("line-domains").insertAdjacentHTML("beforeend", LINE_DOMAINS.map((d) =>
  `<label><input type="checkbox" name="domain" value="${d}"> ${d}</label>`).join(""));

async function loadLines() {
  const lines = await api(LINES_URL);
  linesById.clear();
  for (const line of lines) linesById.set(line.id, line);
  $("no-lines").hidden = lines.length > 0;
  $("line-rows").innerHTML = lines.map((l) => `<tr data-id="${l.id}">
      <td><code>${escapeHtml(l.number)}</code></td>
      <td>${escapeHtml(l.name)}</td>
      <td><span class="badge ${l.access === "public" ? "ok" : ""}">${escapeHtml(l.access)}</span></td>
      <td>${escapeHtml(l.domains.join(", ") || "everything")}</td>
      <td>${escapeHtml(l.greeting ?? "—")}</td>
      <td><button type="button" class="link" data-edit="${l.id}">Edit</button>
        <button type="button" class="link" data-delete="${l.id}">Delete</button></td></tr>`).join("");
}

function editLine(line) {
  const form = $("line-form");
  form.line_id.value = line?.id ?? "";
  form.number.value = line?.number ?? "";
  form.number.disabled = Boolean(line);
  form.line_name.value = line?.name ?? "";
  form.greeting.value = line?.greeting ?? "";
  for (const radio of form.access) radio.checked = radio.value === (line?.access ?? "public");
  for (const box of form.domain) box.checked = Boolean(line?.domains.includes(box.value));
  $("line-form-title").textContent = line ? `Edit ${line.number}` : "Add a line";
  $("line-saved").textContent = "";
}

$("line-rows").addEventListener("click", (e) => {
  const edit = e.target.closest("[data-edit]");
  const remove = e.target.closest("[data-delete]");
  if (edit) editLine(linesById.get(edit.dataset.edit));
  if (remove) {
    guarded("lines-error", async () => {
      await api(`${LINES_URL}/${remove.dataset.delete}`, { method: "DELETE" });
      editLine(null);
      await loadLines();
    });
  }
});
$("line-new").addEventListener("click", () => editLine(null));

$("line-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const form = e.target;
  const body = {
    name: form.line_name.value.trim(),
    access: form.access.value,
    domains: [...form.domain].filter((b) => b.checked).map((b) => b.value),
    greeting: form.greeting.value.trim(),
  };
  $("line-saved").textContent = "";
  guarded("line-error", async () => {
    const saved = form.line_id.value
      ? await api(`${LINES_URL}/${form.line_id.value}`, { method: "PATCH", body })
      : await api(LINES_URL, { method: "POST", body: { ...body, number: form.number.value.trim() } });
    await loadLines();
    editLine(saved);
    $("line-saved").textContent = "Saved.";
  });
});

document.addEventListener("bookings-changed", (e) => loadList(document.querySelector(`form[data-list="${e.detail}"]`)));

const today = new Date();
const inAMonth = new Date(today.getFullYear(), today.getMonth(), today.getDate() + 30);
for (const form of document.querySelectorAll("form[data-list]")) {
  form.start.value = localDay(today);
  form.end.value = localDay(inAMonth);
  form.addEventListener("submit", (e) => { e.preventDefault(); loadList(form); });
}

$("staff").hidden = false;
const first = location.hash.slice(1);
showTab(TABS.includes(first) ? first : "mortgage");
followBookings();
