// Staff dashboard: the business settings the voice assistant books and estimates by — the clinic's
// hours, appointment length and providers, and the mortgage desk's typical rates. Each form loads
// when its tab first shows (`loadClinic`, `loadRates`) and saves with PUT.
import { api, escapeHtml } from "/static/common/auth.js";
import { showProviders } from "/static/mortgage_dashboard/bookings.js";

const $ = (id) => document.getElementById(id);
const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const CLINIC_URL = "/api/staff/clinic/settings";
const RATES_URL = "/api/staff/mortgage/rates";
const RANGES = ["excellent", "good", "fair", "poor"];

async function saving(prefix, work) {
  $(`${prefix}-error`).textContent = "";
  $(`${prefix}-saved`).textContent = "";
  try {
    await work();
    $(`${prefix}-saved`).textContent = "Saved.";
  } catch (e) {
    $(`${prefix}-error`).textContent = e.message;
  }
}

// --- clinic ---------------------------------------------------------------------------------------

function showClinic(clinic) {
  $("clinic-days").innerHTML = WEEKDAYS.map((day) => {
    const hours = clinic.hours[day];
    const label = day[0].toUpperCase() + day.slice(1);
    return `<tr data-day="${day}"><th scope="row">${label}</th>
      <td><input type="checkbox" name="open" aria-label="${label} open" ${hours ? "checked" : ""}></td>
      <td><input type="time" name="first" aria-label="${label} first appointment" value="${hours?.first ?? "08:00"}"></td>
      <td><input type="time" name="last" aria-label="${label} last appointment" value="${hours?.last ?? "16:30"}"></td></tr>`;
  }).join("");
  const form = $("clinic-form");
  form.slot_minutes.value = String(clinic.slot_minutes);
  form.closures.value = clinic.closures.join(", ");
  form.new_provider.value = "";
  showProviders(clinic.providers);
  $("clinic-providers").innerHTML = clinic.providers.map((p) => `<li data-id="${p.id}">
      <input type="text" name="provider_name" maxlength="120" aria-label="Provider name" value="${escapeHtml(p.name)}">
      <label><input type="checkbox" name="provider_active" ${p.active ? "checked" : ""}> sees patients</label></li>`).join("");
}

export async function loadClinic() {
  showClinic(await api(CLINIC_URL));
}

$("clinic-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const form = e.target;
  const hours = {};
  for (const row of document.querySelectorAll("#clinic-days tr")) {
    hours[row.dataset.day] = row.querySelector("[name=open]").checked
      ? { first: row.querySelector("[name=first]").value, last: row.querySelector("[name=last]").value }
      : null;
  }
  const providers = [...document.querySelectorAll("#clinic-providers li")].map((li) => ({
    id: Number(li.dataset.id),
    name: li.querySelector("[name=provider_name]").value.trim(),
    active: li.querySelector("[name=provider_active]").checked,
  }));
  if (form.new_provider.value.trim()) providers.push({ name: form.new_provider.value.trim() });
  const body = {
    hours,
    closures: form.closures.value.split(",").map((d) => d.trim()).filter(Boolean),
    slot_minutes: Number(form.slot_minutes.value),
    providers,
  };
  saving("clinic", async () => showClinic(await api(CLINIC_URL, { method: "PUT", body })));
});

// --- mortgage rates -------------------------------------------------------------------------------

function showRates(rates) {
  for (const name of RANGES) $("rates-form")[name].value = rates[name];
}

export async function loadRates() {
  showRates(await api(RATES_URL));
}

$("rates-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const body = Object.fromEntries(RANGES.map((name) => [name, Number(e.target[name].value)]));
  saving("rates", async () => showRates(await api(RATES_URL, { method: "PUT", body })));
});
