// Team dashboard: the caller's teams, members and roles, and team todos, kept live by the
// change feed (a todo changed by phone, MCP or another browser shows up without a reload).
// The buttons follow the team role rules; the API enforces them anyway.
import { api, escapeHtml, header, requireLogin } from "/static/common/auth.js";

const me = requireLogin();
header("/team-dashboard");

const RANK = { viewer: 0, member: 1, admin: 2, owner: 3 };
const $ = (id) => document.getElementById(id);

const state = {
  teams: [],
  teamId: new URLSearchParams(location.search).get("team"),
  detail: null, // the selected team with its members and my_role
  todos: [],
  fresh: new Set(), // todo ids to flash on the next render
  updated: new Set(), // teams changed while another one was shown
};

// --- small helpers ------------------------------------------------------------------------------

function rank() { return RANK[state.detail?.my_role] ?? -1; }

function canWrite(todo) {
  return rank() >= RANK.admin || (rank() >= RANK.member && (todo.creator_id === me.id || todo.assignee_id === me.id));
}

function personName(m) {
  const full = `${m.first_name || ""} ${m.last_name || ""}`.trim();
  return full || m.username || m.email;
}

function memberById(id) { return state.detail?.members.find((m) => m.user_id === id); }

function formatDay(iso) {
  return new Date(iso).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

function roleLabel(role) { return role.charAt(0).toUpperCase() + role.slice(1); }

async function guarded(errorId, work) {
  $(errorId).textContent = "";
  try { await work(); } catch (e) { $(errorId).textContent = e.message; }
}

// --- teams --------------------------------------------------------------------------------------

function renderTeams() {
  $("no-teams").hidden = state.teams.length > 0;
  $("team-list").innerHTML = state.teams.map((t) => `
    <li><button type="button" data-team="${t.id}" aria-current="${t.id === state.teamId}">
      <span class="name">${escapeHtml(t.name)}${state.updated.has(t.id) ? '<span class="dot" title="Changed since you looked"></span>' : ""}</span>
      <span class="badge">${escapeHtml(t.my_role)} · ${t.member_count}</span>
    </button></li>`).join("");
}

async function loadTeams() {
  state.teams = await api("/api/teams/");
  if (!state.teams.some((t) => t.id === state.teamId)) state.teamId = state.teams[0]?.id ?? null;
  renderTeams();
  await showTeam();
}

async function showTeam() {
  const id = state.teamId;
  const url = new URL(location.href);
  if (id) url.searchParams.set("team", id); else url.searchParams.delete("team");
  history.replaceState(null, "", url);
  $("pick-team").hidden = Boolean(id);
  $("pick-team").textContent = state.teams.length
    ? "Pick a team to see its members and todos."
    : "Once you are in a team, its todos and members show here.";
  $("todos-panel").hidden = $("members-panel").hidden = !id;
  if (!id) return;
  state.updated.delete(id);
  renderTeams();
  await Promise.all([loadDetail(), loadTodos()]);
}

$("team-list").addEventListener("click", (e) => {
  const button = e.target.closest("button[data-team]");
  if (!button || button.dataset.team === state.teamId) return;
  state.teamId = button.dataset.team;
  state.todos = [];
  guarded("teams-error", showTeam);
});

$("new-team").addEventListener("submit", (e) => {
  e.preventDefault();
  guarded("teams-error", async () => {
    const team = await api("/api/teams/", { method: "POST", body: { name: $("new-team-name").value } });
    $("new-team-name").value = "";
    state.teamId = team.id;
    await loadTeams();
  });
});

// --- members ------------------------------------------------------------------------------------

function roleChoices(target) {
  const mine = state.detail.my_role;
  if (mine === "owner") return ["owner", "admin", "member", "viewer"];
  if (mine === "admin" && target?.role !== "owner") return ["admin", "member", "viewer"];
  return [];
}

function renderMembers() {
  const detail = state.detail;
  $("members-title").textContent = `Members of ${detail.name}`;
  $("member-rows").innerHTML = detail.members.map((m) => {
    const self = m.user_id === me.id;
    const choices = self ? [] : roleChoices(m);
    const role = choices.length
      ? `<select data-role="${m.user_id}" aria-label="Role of ${escapeHtml(personName(m))}">${choices.map((r) =>
          `<option value="${r}"${r === m.role ? " selected" : ""}>${roleLabel(r)}</option>`).join("")}</select>`
      : `<span class="badge">${escapeHtml(m.role)}</span>`;
    const lastOwner = m.role === "owner" && detail.members.filter((x) => x.role === "owner").length === 1;
    const removable = !lastOwner && (self || (rank() >= RANK.admin && (m.role !== "owner" || detail.my_role === "owner")));
    const action = removable
      ? `<button type="button" data-remove="${m.user_id}">${self ? "Leave team" : "Remove"}</button>` : "";
    return `<tr><td>${escapeHtml(personName(m))}${self ? ' <span class="muted">(you)</span>' : ""}
      <div class="muted small">${escapeHtml(m.email)}</div></td><td>${role}</td><td class="actions">${action}</td></tr>`;
  }).join("");
  const adding = roleChoices(null).filter((r) => r !== "owner" || detail.my_role === "owner");
  $("add-member").hidden = adding.length === 0;
  $("member-role").innerHTML = adding.map((r) =>
    `<option value="${r}"${r === "member" ? " selected" : ""}>${roleLabel(r)}</option>`).join("");
  $("todo-assignee").innerHTML = `<option value="">Nobody</option>` + detail.members.map((m) =>
    `<option value="${m.user_id}">${escapeHtml(personName(m))}</option>`).join("");
  $("new-todo").hidden = rank() < RANK.member;
  $("viewer-note").hidden = rank() >= RANK.member;
}

async function loadDetail() {
  state.detail = await api(`/api/teams/${state.teamId}`);
  renderMembers();
  renderTodos();
}

$("member-rows").addEventListener("change", (e) => {
  const select = e.target.closest("select[data-role]");
  if (!select) return;
  guarded("members-error", async () => {
    try {
      state.detail = await api(`/api/teams/${state.teamId}/members/${select.dataset.role}/role`,
        { method: "PUT", body: { role: select.value } });
    } finally {
      renderMembers();
    }
  });
});

$("member-rows").addEventListener("click", (e) => {
  const button = e.target.closest("button[data-remove]");
  if (!button) return;
  guarded("members-error", async () => {
    await api(`/api/teams/${state.teamId}/members/${button.dataset.remove}`, { method: "DELETE" });
    if (button.dataset.remove === me.id) { state.teamId = null; await loadTeams(); return; }
    await loadDetail();
    await refreshTeamList();
  });
});

$("add-member").addEventListener("submit", (e) => {
  e.preventDefault();
  guarded("members-error", async () => {
    // An invitation: the invitee joins when they next open their teams (the same answer for any address).
    const invited = await api(`/api/teams/${state.teamId}/members`,
      { method: "POST", body: { email: $("member-email").value.trim(), role: $("member-role").value } });
    $("member-email").value = "";
    $("member-invited").textContent = `Invited ${invited.email} as ${invited.role}: they join when they next `
      + `open their teams (within ${invited.expires_in_days} days).`;
  });
});

async function refreshTeamList() {
  state.teams = await api("/api/teams/");
  renderTeams();
}

// --- todos --------------------------------------------------------------------------------------

const PRIORITY_BADGE = { urgent: "bad", high: "warn", medium: "", low: "" };

function renderTodos() {
  if (!state.detail) return;
  const showDone = $("show-done").checked;
  const todos = state.todos.filter((t) => showDone || !t.completed);
  $("todos-title").textContent = `Todos of ${state.detail.name}`;
  $("no-todos").hidden = todos.length > 0;
  $("no-todos").textContent = state.todos.length ? "Everything here is done." : "No todos yet.";
  const now = Date.now();
  $("todo-rows").innerHTML = todos.map((t) => {
    const writable = canWrite(t);
    const assignee = memberById(t.assignee_id);
    const who = writable
      ? `<select data-assign="${t.id}" aria-label="Assignee of ${escapeHtml(t.title)}"><option value="">Nobody</option>${
          state.detail.members.map((m) => `<option value="${m.user_id}"${m.user_id === t.assignee_id ? " selected" : ""}>${
            escapeHtml(personName(m))}</option>`).join("")}</select>`
      : escapeHtml(assignee ? personName(assignee) : t.assignee_id ? "Former member" : "—");
    const overdue = t.due_date && !t.completed && new Date(t.due_date).getTime() < now;
    const classes = [t.completed ? "done" : "", state.fresh.has(t.id) ? "fresh" : ""].join(" ").trim();
    return `<tr data-todo="${t.id}"${classes ? ` class="${classes}"` : ""}>
      <td><input type="checkbox" data-done="${t.id}" aria-label="Done: ${escapeHtml(t.title)}"${t.completed ? " checked" : ""}${writable ? "" : " disabled"}></td>
      <td class="todo"><span class="title">${escapeHtml(t.title)}</span>
        <span class="badge ${PRIORITY_BADGE[t.priority] ?? ""}">${escapeHtml(t.priority)}</span>${
          t.is_private ? ' <span class="badge">private</span>' : ""}
        ${t.description ? `<div class="muted small">${escapeHtml(t.description)}</div>` : ""}</td>
      <td data-label="Assignee">${who}</td>
      <td data-label="Due" class="due${overdue ? " bad" : ""}${t.due_date ? "" : " none"}">${t.due_date ? formatDay(t.due_date) : '<span class="muted">—</span>'}</td>
    </tr>`;
  }).join("");
  state.fresh.clear();
}

async function loadTodos() {
  const id = state.teamId;
  const todos = await api(`/api/teams/${id}/todos?limit=500`);
  if (id !== state.teamId) return; // the viewer moved on meanwhile
  state.todos = todos;
  renderTodos();
}

$("show-done").addEventListener("change", renderTodos);

$("new-todo").addEventListener("submit", (e) => {
  e.preventDefault();
  guarded("todos-error", async () => {
    const body = { title: $("todo-title").value, priority: $("todo-priority").value };
    if ($("todo-assignee").value) body.assignee_id = $("todo-assignee").value;
    if ($("todo-due").value) body.due_date = new Date($("todo-due").value + "T23:59").toISOString();
    const todo = await api(`/api/teams/${state.teamId}/todos`, { method: "POST", body });
    $("todo-title").value = $("todo-due").value = "";
    state.fresh.add(todo.id);
    await loadTodos();
  });
});

async function updateTodo(id, changes) {
  await guarded("todos-error", async () => {
    try {
      await api(`/api/todos/${id}`, { method: "PUT", body: changes });
    } finally {
      await loadTodos();
    }
  });
}

$("todo-rows").addEventListener("change", (e) => {
  const done = e.target.closest("input[data-done]");
  if (done) return updateTodo(done.dataset.done, { completed: done.checked });
  const assign = e.target.closest("select[data-assign]");
  if (assign) return updateTodo(assign.dataset.assign, { assignee_id: assign.value || null });
});

// --- the live feed ------------------------------------------------------------------------------

let source = null;
let retryMs = 1000;
let refreshTimer = null;

function setLive(text, kind) {
  $("live").textContent = text;
  $("live").className = "badge" + (kind ? " " + kind : "");
}

function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => guarded("todos-error", loadTodos), 100);
}

function onChange(change) {
  if (change.team_id && change.team_id === state.teamId) {
    if (change.action !== "deleted") state.fresh.add(change.todo_id);
    refreshSoon();
  } else if (change.team_id && state.teams.some((t) => t.id === change.team_id)) {
    state.updated.add(change.team_id);
    renderTeams();
  }
}

function reconnectLater() {
  setLive("Reconnecting…", "warn");
  setTimeout(connect, retryMs);
  retryMs = Math.min(retryMs * 2, 30000);
}

async function connect() {
  let token;
  try {
    ({ token } = await api("/team-dashboard/api/stream-token", { method: "POST" }));
  } catch {
    reconnectLater();
    return;
  }
  source = new EventSource("/team-dashboard/api/stream?token=" + encodeURIComponent(token));
  source.addEventListener("ready", () => {
    retryMs = 1000;
    setLive("Live", "ok");
    if (state.teamId) refreshSoon(); // catch up on anything missed while connecting
  });
  source.addEventListener("todos:changed", (e) => onChange(JSON.parse(e.data)));
  source.onerror = () => { // the feed ended or failed; its token is spent, so open a new one
    source.close();
    source = null;
    reconnectLater();
  };
}

guarded("teams-error", loadTeams);
connect();
