// @ts-check
/** The `?` overlay: the key table written from the same list that runs the keys. */

import { byId } from "./dom.js";
import { installShortcuts, renderHelp } from "./shortcuts.js";

export class HelpOverlay {
  /** @param {HTMLElement} returnFocus where the focus goes when the overlay closes */
  constructor(returnFocus) {
    this.returnFocus = returnFocus;
    this.overlay = byId("help-overlay", HTMLElement);
  }

  /**
   * Write the table, install the keys (quiet while the overlay is open) and wire the buttons.
   * @param {import("./shortcuts.js").Shortcut[]} shortcuts
   */
  start(shortcuts) {
    byId("help-button", HTMLButtonElement).addEventListener("click", () => this.toggle());
    byId("help-close", HTMLButtonElement).addEventListener("click", () => this.toggle(false));
    this.overlay.addEventListener("click", (e) => {
      if (e.target === e.currentTarget) this.toggle(false);
    });
    renderHelp(byId("help-body", HTMLElement), shortcuts);
    installShortcuts(shortcuts, () => !this.overlay.hidden);
  }

  /** @param {boolean} [show] absent: toggle */
  toggle(show) {
    this.overlay.hidden = !(show ?? this.overlay.hidden);
    if (!this.overlay.hidden) byId("help-close", HTMLButtonElement).focus();
    else this.returnFocus.focus();
  }
}
