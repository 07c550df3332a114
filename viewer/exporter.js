// @ts-check
/**
 * "Export SEG": write pending masks first, then ask for the SEG, follow its delivery status and
 * offer the file for download.
 */

import * as api from "./api.js";

/** @type {Record<string, string>} */
const STATUS_TEXT = {
  local: "SEG written",
  pending: "Sending to PACS…",
  sent: "Sent to PACS",
  failed: "Sending failed",
};

export class ExportPanel {
  /**
   * @param {{ button: HTMLButtonElement, destination: HTMLSelectElement, status: HTMLElement,
   *   link: HTMLAnchorElement }} elements
   * @param {{ prepare: () => Promise<number | string | null>, error: (err: unknown, context: string) => void }} handlers
   *   prepare saves everything and answers the annotation id (null: nothing to export)
   */
  constructor(elements, handlers) {
    this.el = elements;
    this.handlers = handlers;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.poll = undefined;
    this.busy = false;
    /** @type {string | undefined} */
    this.sopUid = undefined;
    elements.button.addEventListener("click", () => void this.run());
    this.reset();
  }

  reset() {
    clearTimeout(this.poll);
    this.sopUid = undefined;
    this.setStatus("", "idle");
    this.el.link.hidden = true;
    this.el.link.removeAttribute("href");
  }

  /** @param {boolean} enabled */
  setEnabled(enabled) {
    this.el.button.disabled = !enabled || this.busy;
  }

  /**
   * @param {string} text
   * @param {string} state
   */
  setStatus(text, state) {
    this.el.status.textContent = text;
    this.el.status.dataset.state = state;
  }

  async run() {
    if (this.busy) return;
    this.busy = true;
    this.el.button.disabled = true;
    this.reset();
    try {
      this.setStatus("Saving…", "saving");
      const id = await this.handlers.prepare();
      if (id === null) {
        this.setStatus("Nothing to export yet: add a segment and paint.", "idle");
        return;
      }
      this.setStatus("Writing SEG…", "running");
      const destination = /** @type {"local" | "pacs"} */ (this.el.destination.value === "pacs" ? "pacs" : "local");
      const result = await api.createExport(id, destination);
      this.show(result);
    } catch (err) {
      this.setStatus(err instanceof Error ? err.message : String(err), "failed");
      this.handlers.error(err, "Export failed");
    } finally {
      this.busy = false;
      this.el.button.disabled = false;
    }
  }

  /** @param {import("./api.js").ExportInfo} info */
  show(info) {
    const status = String(info.status);
    const text = STATUS_TEXT[status] ?? status;
    const detail = status === "failed" && info.error ? `: ${info.error}` : "";
    this.setStatus(`${text}${detail}`, status);
    this.el.link.href = api.exportFileUrl(info.id);
    this.sopUid = info.sop_instance_uid ?? this.sopUid;
    this.el.link.download = `seg-${this.sopUid ?? info.id}.dcm`;
    this.el.link.hidden = false;
    this.el.link.dataset.exportId = String(info.id);
    if (status === "pending") this.poll = setTimeout(() => void this.refresh(info.id), 2000);
  }

  /** @param {number | string} exportId */
  async refresh(exportId) {
    try {
      this.show(await api.getExport(exportId));
    } catch (err) {
      this.handlers.error(err, "Could not read the export status");
    }
  }
}
