// @ts-check
/** The save indicator and the conflict banner. */

import { byId } from "./dom.js";

/** What the badge says, when it is not the state's name. @type {Record<string, string>} */
const LABELS = { signed_out: "signed out", closed: "not saved" };

/**
 * @param {import("./saver.js").SaveStatus} status
 */
export function showSaveStatus(status) {
  const badge = byId("save-state", HTMLElement);
  badge.textContent = LABELS[status.state] ?? status.state;
  badge.dataset.state = status.state;
  badge.dataset.pending = String(status.pending);
  badge.title = status.message || (status.pending ? `${status.pending} changes to write` : "Every change is saved");
  const banner = byId("conflict-banner", HTMLElement);
  banner.hidden = status.state !== "conflict";
  if (status.state === "conflict") {
    byId("conflict-message", HTMLElement).textContent =
      `This annotation was changed elsewhere (${status.message || "version conflict"}). ` +
      `Reload to take the server's state (your ${status.pending} unsaved changes are dropped), ` +
      "or overwrite it with yours.";
  }
}
