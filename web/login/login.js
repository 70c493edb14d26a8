// The login form: tokens into localStorage, then back to the page that sent the visitor here.
import { saveTokens } from "/static/common/auth.js";
const form = document.getElementById("login");
form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const error = document.getElementById("error");
  error.textContent = "";
  const r = await fetch("/api/auth/login", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: form.email.value, password: form.password.value }),
  });
  if (!r.ok) {
    error.textContent = r.status === 401 ? "Wrong email or password."
      : r.status === 429 ? "Too many attempts. Try again in " + (r.headers.get("Retry-After") || "a few") + " seconds."
      : "Could not log in (" + r.status + ").";
    return;
  }
  saveTokens(await r.json());
  const next = new URLSearchParams(location.search).get("next");
  location.href = next && next.startsWith("/") && !next.startsWith("//") ? next : "/agent-monitor";
});
