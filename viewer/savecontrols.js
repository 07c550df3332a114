// @ts-check
/**
 * Saving as the user sees it: the save indicator, the conflict banner's two ways out, writing
 * what is pending before leaving a series, an export or the page, and a warning when the page
 * would close with changes not written.
 */

import { leavePage } from "./pagekeep.js";
import { byId } from "./dom.js";
import { showError, showInfo } from "./notify.js";
import { showSaveStatus } from "./savestatus.js";

/** @typedef {import("./viewstate.js").ViewState} ViewState */
/** @typedef {import("./saver.js").SaveStatus} SaveStatus */

/** The indicator with nothing open. @type {SaveStatus} */
export const NOTHING_TO_SAVE = { state: "saved", version: 0, pending: 0, message: "" };

export class SaveControls {
  /**
   * @param {ViewState} state
   * @param {{ refresh: () => void }} handlers refresh: the masks on screen may have changed
   */
  constructor(state, handlers) {
    this.state = state;
    this.refresh = handlers.refresh;
  }

  start() {
    byId("conflict-reload", HTMLButtonElement).addEventListener("click", () => void this.resolveConflict(false));
    byId("conflict-overwrite", HTMLButtonElement).addEventListener("click", () => void this.resolveConflict(true));
    // A hidden tab may be closed or frozen next: write now instead of after the debounce.
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") this.state.session?.saver?.flush().catch(() => undefined);
    });
    // Closed or reloaded: what is pending goes out now in keepalive requests, which outlive the
    // page, and the undo history is kept for the reload (annotation.js leavePage).
    window.addEventListener("pagehide", () => { if (this.state.session) leavePage(this.state.session); });
    window.addEventListener("beforeunload", (e) => {
      if (this.lostOnLeaving()) {
        e.preventDefault();
        e.returnValue = "";
      }
    });
  }

  /** @param {SaveStatus} status */
  showStatus(status) {
    showSaveStatus(status);
    this.state.canvas.dataset.version = String(status.version);
  }

  /** A stroke in progress, or writes the server has not confirmed. */
  unsaved() {
    return Boolean(this.state.stroke) || (this.state.session?.saver?.pending ?? 0) > 0;
  }

  /**
   * What leaving the page now would lose: a stroke in progress, a conflict, segment changes not
   * written; pending masks are written on pagehide.
   */
  lostOnLeaving() {
    const saver = this.state.session?.saver;
    return Boolean(this.state.stroke) || Boolean(saver && (saver.conflict || saver.ops.length > 0));
  }

  /** Before leaving a series: write what is pending, or let the user decide to drop it. */
  async leaveSeries() {
    if (!this.unsaved()) return true;
    try {
      await this.state.session?.saver?.flush();
      return true;
    } catch (err) {
      return confirm(`Some changes could not be saved (${err instanceof Error ? err.message : err}). Discard them?`);
    }
  }

  /** @param {boolean} keepLocal write this page's changes over the server's, else reload */
  async resolveConflict(keepLocal) {
    const session = this.state.session;
    if (!session) return;
    try {
      await session.resolveConflict(keepLocal);
      this.refresh();
      showInfo(keepLocal ? "Writing your changes over the server's." : "Reloaded from the server.");
    } catch (err) {
      showError(err, "Could not reload the annotation");
    }
  }

  /** Write everything pending; the annotation id to export, or null when there is none. */
  async prepareExport() {
    const session = this.state.session;
    if (!session || session.id === null || !session.saver) return null;
    await session.saver.flush();
    return session.id;
  }
}
