// @ts-check
/**
 * The login page: POST the credentials as JSON (api/auth/login), then open the viewer.
 * The session cookie is HttpOnly; the CSRF cookie is read by api.js for every change.
 */

const form = /** @type {HTMLFormElement} */ (document.getElementById("login-form"));
const username = /** @type {HTMLInputElement} */ (document.getElementById("login-username"));
const password = /** @type {HTMLInputElement} */ (document.getElementById("login-password"));
const submit = /** @type {HTMLButtonElement} */ (document.getElementById("login-submit"));
const error = /** @type {HTMLElement} */ (document.getElementById("login-error"));

/** @param {string} message */
function showError(message) {
  error.textContent = message; // text, never HTML
  error.hidden = !message;
}

/** Where to go after logging in: a same-site path from ?next=, else the viewer. */
function nextPage() {
  const next = new URLSearchParams(location.search).get("next") || "";
  return next.startsWith("/") && !next.startsWith("//") ? next : "./";
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!username.value || !password.value) {
    showError("Enter your user name and password.");
    return;
  }
  submit.disabled = true;
  showError("");
  try {
    const response = await fetch("api/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ username: username.value, password: password.value }),
      credentials: "same-origin",
    });
    if (response.ok) {
      location.assign(nextPage());
      return;
    }
    const body = await response.json().catch(() => ({}));
    showError(response.status === 401 ? "Wrong user name or password." : String(body.detail || response.statusText));
    password.select();
  } catch {
    showError("The service cannot be reached. Check the connection.");
  } finally {
    submit.disabled = false;
  }
});
