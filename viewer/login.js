// @ts-check
/**
 * The login page: POST the credentials as JSON (api/auth/login), then open the viewer.
 * The session cookie is HttpOnly; the CSRF cookie is read by api.js for every change.
 * Sent here because the session ended (?ended=1), it says so, and how many changes the viewer
 * left waiting in this tab (historystore.js): the viewer writes them once back.
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

/**
 * The masks the viewer left waiting in this tab, over every annotation: historystore.js keeps
 * them under this prefix (this page loads only itself before a login, so it reads them here).
 */
function waitingChanges() {
  let count = 0;
  try {
    for (let i = 0; i < sessionStorage.length; i++) {
      const key = sessionStorage.key(i);
      if (key?.startsWith("segdicom.history.")) count += JSON.parse(sessionStorage.getItem(key) ?? "{}").waiting?.length ?? 0;
    }
  } catch {
    return count;
  }
  return count;
}

/** Why the user is here, when the viewer sent them: their session ended, work is waiting. */
function showNotice() {
  const notice = /** @type {HTMLElement} */ (document.getElementById("login-notice"));
  const waiting = waitingChanges();
  const ended = new URLSearchParams(location.search).get("ended") === "1";
  if (!ended && !waiting) return;
  const changes = waiting === 1 ? "1 change is" : `${waiting} changes are`;
  notice.textContent =
    (ended ? "Your session ended. " : "") +
    (waiting ? `${changes} waiting to be saved: log in again and they are saved.` : "Log in again to go on.");
  notice.dataset.waiting = String(waiting);
  notice.hidden = false;
}

showNotice();

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
