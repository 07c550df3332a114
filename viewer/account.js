// @ts-check
/**
 * Who is working: the user name in the top bar, and "Log out" for a login session.
 * Open mode (no users configured, loopback only) shows the default user, no log-out.
 */
import { request } from "./api.js";

/**
 * @typedef {{ username: string, role: string, via: "open" | "session" | "token" | "proxy" }} Me
 */

/** @type {Promise<Me> | null} */
let asked = null;
/** the user name once the server said it ("" before) */
let known = "";

/** Who is signed in, asked once a page. @returns {Promise<Me>} */
export function whoAmI() {
  asked ??= request("GET", "/api/auth/me").then(
    async (response) => {
      const me = /** @type {Me} */ (await response.json());
      known = me.username;
      return me;
    },
    (err) => {
      asked = null;
      throw err;
    },
  );
  return asked;
}

/** Who is signed in, when the page already knows ("" before the server said): for pagehide. */
export const knownUser = () => known;

/**
 * @param {HTMLElement} label where the user name goes
 * @param {HTMLButtonElement} logout shown only for a login session
 */
export async function showAccount(label, logout) {
  const me = await whoAmI();
  label.textContent = me.username;
  label.title = `${me.role}, signed in by ${me.via}`;
  label.dataset.role = me.role;
  label.hidden = false;
  if (me.via !== "session") return;
  logout.hidden = false;
  logout.addEventListener("click", async () => {
    await request("POST", "/api/auth/logout", { okStatuses: [204] });
    location.assign("login.html");
  });
}
