// Tool execution: a form per tool, generated from its JSON schema; runs it as the logged-in user.
import { api, escapeHtml, header, requireLogin } from "/static/common/auth.js";

requireLogin();
header("/tool-execution");

const $ = (id) => document.getElementById(id);
let tools = [];
let current = null; // the selected tool
let fields = []; // {name, kind, input, nullable, required}

const humanize = (name) => name.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());

// --- the list -----------------------------------------------------------------------------------

function renderList() {
  const q = $("search").value.trim().toLowerCase();
  const found = tools.filter((t) => !q || t.name.includes(q.replace(/\s+/g, "_")) || t.description.toLowerCase().includes(q) || t.domain.includes(q));
  const domains = [...new Set(found.map((t) => t.domain))];
  $("tools").innerHTML = domains.map((d) => `
    <h3>${escapeHtml(d)}</h3>
    <ul>${found.filter((t) => t.domain === d).map((t) => `
      <li><button type="button" class="tool-link" data-tool="${escapeHtml(t.name)}"${current?.name === t.name ? ' aria-current="true"' : ""}>
        <span class="name" title="${escapeHtml(t.name)}">${escapeHtml(t.name)}</span>${t.mutates ? "" : '<span class="ro" title="read-only: changes nothing">read</span>'}</button></li>`).join("")}
    </ul>`).join("");
  $("no-match").hidden = found.length > 0;
  $("tool-count").textContent = tools.length;
}

$("tools").addEventListener("click", (e) => {
  const button = e.target.closest("[data-tool]");
  if (button) location.hash = button.dataset.tool;
});
$("search").addEventListener("input", renderList);

// --- the form -----------------------------------------------------------------------------------

/** What kind of input a schema property needs, unwrapping `anyOf: [X, null]` (an optional X). */
function describe(prop) {
  let p = prop, nullable = false;
  if (Array.isArray(prop.anyOf)) {
    const kinds = prop.anyOf.filter((x) => x.type !== "null");
    nullable = kinds.length < prop.anyOf.length;
    p = kinds.length === 1 ? { ...prop, ...kinds[0] } : { ...prop, type: undefined };
  }
  let kind = "json";
  if (Array.isArray(p.enum)) kind = "enum";
  else if (["boolean", "integer", "number", "string"].includes(p.type)) kind = p.type;
  return { p, kind, nullable };
}

function buildInput(name, prop, required) {
  const { p, kind, nullable } = describe(prop);
  const id = `arg-${name}`;
  const hasDefault = prop.default !== undefined && prop.default !== null;
  let input;
  if (kind === "enum" || (kind === "boolean" && (nullable || !required && !hasDefault))) {
    input = document.createElement("select");
    const values = kind === "enum" ? p.enum : [true, false];
    input.append(new Option(required ? "Choose…" : hasDefault ? `— default (${prop.default}) —` : "— not set —", ""));
    for (const v of values) input.append(new Option(kind === "boolean" ? (v ? "yes" : "no") : String(v), String(v)));
    if (required) input.options[0].disabled = true;
  } else if (kind === "boolean") {
    input = document.createElement("input");
    input.type = "checkbox";
    input.checked = prop.default === true;
  } else if (kind === "integer" || kind === "number") {
    input = document.createElement("input");
    input.type = "number";
    input.step = kind === "integer" ? "1" : "any";
    if (p.minimum !== undefined) input.min = p.minimum;
    if (p.maximum !== undefined) input.max = p.maximum;
    if (hasDefault) input.placeholder = String(prop.default);
  } else if (kind === "string" && !((p.maxLength ?? 0) > 500 || /description|notes|symptoms|requests/.test(name))) {
    input = document.createElement("input");
    input.type = "text";
    if (p.maxLength) input.maxLength = p.maxLength;
    if (hasDefault) input.placeholder = String(prop.default);
  } else {
    input = document.createElement("textarea");
    input.rows = kind === "json" ? 4 : 3;
    if (kind === "json") input.placeholder = "JSON, e.g. [] or {}";
    if (hasDefault) input.placeholder = kind === "json" ? JSON.stringify(prop.default) : String(prop.default);
  }
  input.id = id;
  input.name = name;
  return { name, kind, input, nullable, required };
}

function renderForm(tool) {
  current = tool;
  fields = [];
  $("intro").hidden = true;
  $("form").hidden = false;
  $("tool-title").textContent = tool.name;
  $("tool-domain").textContent = tool.domain;
  $("tool-mutates").textContent = tool.mutates ? "changes data" : "read-only";
  $("tool-mutates").className = `badge ${tool.mutates ? "warn" : "ok"}`;
  // docstrings are hard-wrapped: keep their paragraphs, let the browser wrap the lines
  $("tool-description").textContent = tool.description.replace(/([^\n])\n(?!\n)/g, "$1 ");
  const box = $("fields");
  box.replaceChildren();
  const schema = tool.input_schema;
  const required = new Set(schema.required || []);
  for (const [name, prop] of Object.entries(schema.properties || {})) {
    const field = buildInput(name, prop, required.has(name));
    fields.push(field);
    const wrap = document.createElement("div");
    wrap.className = `field ${field.kind === "boolean" && field.input.type === "checkbox" ? "check" : ""}`;
    const label = document.createElement("label");
    label.htmlFor = field.input.id;
    label.innerHTML = `${escapeHtml(prop.title || humanize(name))} <code>${escapeHtml(name)}</code>`
      + (field.required ? ' <span class="req" aria-label="required">*</span>' : "");
    const help = document.createElement("small");
    help.id = `${field.input.id}-help`;
    help.className = "help";
    help.textContent = [prop.description, typeHint(field, prop)].filter(Boolean).join(" · ");
    const problem = document.createElement("small");
    problem.className = "field-error";
    problem.id = `${field.input.id}-error`;
    field.input.setAttribute("aria-describedby", `${help.id} ${problem.id}`);
    if (field.input.type === "checkbox") {
      label.prepend(field.input);
      wrap.append(label, help, problem);
    } else {
      wrap.append(label, field.input, help, problem);
    }
    box.append(wrap);
  }
  $("no-fields").hidden = fields.length > 0;
  $("form-error").textContent = "";
  renderList();
}

function typeHint(field, prop) {
  const { p } = describe(prop);
  if (field.kind === "integer") return "whole number";
  if (field.kind === "number") return "number";
  if (field.kind === "json") return "JSON";
  if (field.kind === "string" && p.minLength) return `at least ${p.minLength} character${p.minLength === 1 ? "" : "s"}`;
  return "";
}

/** The arguments the form holds; blank optional fields are left out so the tool's defaults apply. */
function collect() {
  const args = {};
  const problems = {};
  for (const f of fields) {
    const { input } = f;
    if (input.type === "checkbox") { args[f.name] = input.checked; continue; }
    const raw = input.value.trim();
    if (raw === "") continue;
    if (f.kind === "integer" || f.kind === "number") {
      const n = Number(raw);
      if (!Number.isFinite(n) || (f.kind === "integer" && !Number.isInteger(n))) problems[f.name] = f.kind === "integer" ? "Enter a whole number." : "Enter a number.";
      else args[f.name] = n;
    } else if (f.kind === "boolean") {
      args[f.name] = raw === "true";
    } else if (f.kind === "json") {
      try { args[f.name] = JSON.parse(raw); } catch { problems[f.name] = "This is not valid JSON."; }
    } else {
      args[f.name] = input.value;
    }
  }
  return { args, problems };
}

function showProblems(problems) {
  for (const f of fields) {
    const message = problems[f.name] || "";
    $(`${f.input.id}-error`).textContent = message;
    if (message) f.input.setAttribute("aria-invalid", "true");
    else f.input.removeAttribute("aria-invalid");
  }
}

function showResult(body) {
  $("result-panel").hidden = false;
  $("result-status").textContent = body.ok ? "ok" : "error";
  $("result-status").className = `badge ${body.ok ? "ok" : "bad"}`;
  $("result-elapsed").textContent = `${body.elapsed_ms.toFixed(1)} ms`;
  $("result-error").textContent = body.error || "";
  $("result").textContent = JSON.stringify(body.result, null, 2);
  $("result").hidden = body.result === null && !body.ok;
}

$("form").addEventListener("submit", async (e) => {
  e.preventDefault();
  if (!current) return;
  const { args, problems } = collect();
  showProblems(problems);
  $("form-error").textContent = "";
  if (Object.keys(problems).length) return;
  const button = $("run");
  button.disabled = true;
  button.textContent = "Running…";
  try {
    showResult(await api(`/api/tools/${encodeURIComponent(current.name)}`, { method: "POST", body: args }));
  } catch (err) {
    if (err.status === 422 && Array.isArray(err.detail)) {
      const byField = {};
      const other = [];
      for (const p of err.detail) {
        const name = p.loc?.[0];
        if (fields.some((f) => f.name === name)) byField[name] = p.msg;
        else other.push(`${(p.loc || []).join(".") || "arguments"}: ${p.msg}`);
      }
      showProblems(byField);
      $("form-error").textContent = other.join("; ") || "Some details need fixing.";
    } else {
      $("form-error").textContent = err.message;
    }
  } finally {
    button.disabled = false;
    button.textContent = "Run";
  }
});

$("reset").addEventListener("click", () => { if (current) renderForm(current); $("result-panel").hidden = true; });

function fromHash() {
  const name = decodeURIComponent(location.hash.slice(1));
  const tool = tools.find((t) => t.name === name);
  if (tool && tool !== current) {
    renderForm(tool);
    $("result-panel").hidden = true;
  }
}
window.addEventListener("hashchange", fromHash);

try {
  tools = await api("/api/tools");
  renderList();
  fromHash();
} catch (err) {
  $("intro").innerHTML = `<p class="error">Could not load the tools: ${escapeHtml(err.message)}</p>`;
}
