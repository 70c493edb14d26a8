// Shared by every page: the JWT pair in localStorage, an authenticated fetch, login redirects.
const TOKENS = "convonet.tokens";

export function tokens() {
  try { return JSON.parse(localStorage.getItem(TOKENS) || "null"); } catch { return null; }
}

export function saveTokens(body) {
  localStorage.setItem(TOKENS, JSON.stringify({ access: body.access_token, refresh: body.refresh_token, user: body.user }));
}

export function logout() {
  const t = tokens();
  // End the sessions on the server too (every token of the account); a dead token just gets a 401.
  if (t) fetch("/api/auth/logout", { method: "POST", headers: { Authorization: "Bearer " + t.access }, keepalive: true }).catch(() => {});
  localStorage.removeItem(TOKENS);
  location.href = "/login?next=" + encodeURIComponent(location.pathname);
}

/** Send the visitor to the login page unless they hold tokens; returns the user. */
export function requireLogin() {
  const t = tokens();
  if (!t) {
    location.replace("/login?next=" + encodeURIComponent(location.pathname + location.search));
    throw new Error("redirecting to login");
  }
  return t.user;
}

async function refresh() {
  const t = tokens();
  if (!t) return false;
  const r = await fetch("/api/auth/refresh", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ refresh_token: t.refresh }),
  });
  if (!r.ok) return false;
  saveTokens(await r.json());
  return true;
}

/** fetch() with the bearer token; refreshes once on 401, then sends the visitor to log in. */
export async function api(path, options = {}) {
  const call = () => {
    const t = tokens();
    const headers = { ...(options.headers || {}) };
    if (t) headers.Authorization = "Bearer " + t.access;
    if (options.body !== undefined && typeof options.body !== "string") {
      headers["Content-Type"] = "application/json";
      return fetch(path, { ...options, headers, body: JSON.stringify(options.body) });
    }
    return fetch(path, { ...options, headers });
  };
  let r = await call();
  if (r.status === 401 && (await refresh())) r = await call();
  if (r.status === 401) { logout(); throw new Error("not logged in"); }
  if (!r.ok) {
    let detail = r.statusText, body = null;
    try { body = await r.json(); detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail); } catch {}
    // `detail` keeps the server's structured detail (e.g. a 422's list of field problems)
    throw Object.assign(new Error(detail), { status: r.status, detail: body?.detail });
  }
  return r.status === 204 ? null : r.json();
}

/** The header every page shows: title, navigation, who is logged in. */
export function header(current) {
  const t = tokens();
  const links = [
    ["/voice_assistant", "Voice assistant"], ["/agent-monitor", "Agent monitor"], ["/call-center", "Call center"],
    ["/team-dashboard", "Teams"], ["/mortgage_dashboard", "Mortgage"], ["/tool-execution", "Tools"],
  ];
  const nav = links.map(([href, label]) =>
    `<a href="${href}"${href === current ? ' aria-current="page"' : ""}>${label}</a>`).join("");
  const who = t ? `${escapeHtml(t.user.email)} · <a href="#" id="logout" class="logout-link">Log out</a>` : "";
  const el = document.createElement("header");
  el.className = "top";
  el.innerHTML = `<h1>Convonet</h1><nav aria-label="Pages">${nav}</nav><span class="who">${who}</span>`;
  document.body.prepend(el);
  el.querySelector("#logout")?.addEventListener("click", (e) => { e.preventDefault(); logout(); });
  if (t) import("/static/common/notices.js").then((m) => m.watchNotices()); // reminders, on every page
}

export function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

let iceServersPromise = null;

/** The STUN servers the server is configured with (`WEBRTC_ICE_URLS`), and its TURN servers when signed
 * in (the TURN account is for proven users only); none when unreachable. */
export function iceServers() {
  const t = tokens();
  iceServersPromise ||= fetch("/api/ice-servers", t ? { headers: { Authorization: "Bearer " + t.access } } : {})
    .then((r) => (r.ok ? r.json() : { iceServers: [] }))
    .then((body) => (Array.isArray(body.iceServers) ? body.iceServers : []))
    .catch(() => []);
  return iceServersPromise;
}
