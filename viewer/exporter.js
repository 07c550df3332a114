// @ts-check
/**
 * "Export SEG": write pending masks first, then ask for the SEG, follow its delivery status and
 * offer the file for download.
 */

import * as api from "./api.js";

const POLL_FIRST_MS = 500;
const POLL_MAX_MS = 10_000;

/** @type {Record<string, string>} */
const STATUS_TEXT = {
  local: "SEG written",
  pending: "Pending: sending to PACS…",
  sent: "Sent to PACS",
  failed: "Sending failed",
};

export class ExportPanel {
  /**
   * @param {{ button: HTMLButtonElement, destination: HTMLSelectElement, status: HTMLElement,
   *   link: HTMLAnchorElement, retry: HTMLButtonElement, type?: HTMLSelectElement,
   *   measurements?: HTMLInputElement, srLink?: HTMLAnchorElement }} elements
   *   type: binary or label map SEG; measurements: also a TID 1500 SR, offered at srLink
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
    this.delay = POLL_FIRST_MS;
    /** @type {number | string | null} the export followed */
    this.current = null;
    elements.button.addEventListener("click", () => void this.run());
    elements.retry.addEventListener("click", () => void this.retry());
    this.reset();
  }

  reset() {
    clearTimeout(this.poll);
    this.current = null;
    this.el.retry.hidden = true;
    this.sopUid = undefined;
    this.setStatus("", "idle");
    this.el.link.hidden = true;
    this.el.link.removeAttribute("href");
    if (this.el.srLink) {
      this.el.srLink.hidden = true;
      this.el.srLink.removeAttribute("href");
    }
  }

  /** @returns {{ segmentation_type?: "binary" | "labelmap", measurements?: boolean }} */
  options() {
    /** @type {{ segmentation_type?: "binary" | "labelmap", measurements?: boolean }} */
    const chosen = {};
    if (this.el.type) chosen.segmentation_type = this.el.type.value === "labelmap" ? "labelmap" : "binary";
    if (this.el.measurements?.checked) chosen.measurements = true;
    return chosen;
  }

  /**
   * Offer the "pacs" destination only when a PACS is configured.
   * @param {boolean} available
   */
  setPacsAvailable(available) {
    for (const option of this.el.destination.options) {
      if (option.value === "pacs") {
        option.hidden = !available;
        option.disabled = !available;
      }
    }
    if (!available && this.el.destination.value === "pacs") this.el.destination.value = "local";
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
      const result = await api.createExport(id, destination, this.options());
      this.delay = POLL_FIRST_MS;
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
    clearTimeout(this.poll);
    this.current = info.id;
    const status = String(info.status);
    const text = STATUS_TEXT[status] ?? status;
    const attempts = info.attempts ? ` (attempt${info.attempts === 1 ? "" : "s"}: ${info.attempts})` : "";
    const detail = (status === "failed" || status === "pending") && info.error ? `: ${info.error}` : "";
    const sr = info.sr_url ? " (with SR)" : "";
    this.setStatus(`${text}${sr}${status === "local" ? "" : attempts}${detail}`, status);
    this.el.status.dataset.attempts = String(info.attempts ?? 0);
    this.el.retry.hidden = !(status === "failed" || (status === "pending" && info.error));
    this.el.link.href = api.exportFileUrl(info.id);
    this.sopUid = info.sop_instance_uid ?? this.sopUid;
    this.el.link.download = `seg-${this.sopUid ?? info.id}.dcm`;
    this.el.link.hidden = false;
    this.el.link.dataset.exportId = String(info.id);
    if (this.el.srLink) {
      this.el.srLink.hidden = !info.sr_url;
      if (info.sr_url) {
        this.el.srLink.href = api.exportSrUrl(info.id);
        this.el.srLink.download = `sr-${info.sr_sop_instance_uid ?? info.id}.dcm`;
      }
    }
    if (status === "pending") this.schedule(info.id);
  }

  /**
   * Ask again later, waiting longer each time (a PACS that is down stays down a while).
   * @param {number | string} exportId
   */
  schedule(exportId) {
    clearTimeout(this.poll);
    const wait = this.delay;
    this.delay = Math.min(this.delay * 2, POLL_MAX_MS);
    this.poll = setTimeout(() => void this.refresh(exportId), wait);
  }

  /** @param {number | string} exportId */
  async refresh(exportId) {
    try {
      const info = await api.getExport(exportId);
      if (this.current === exportId) this.show(info);
    } catch (err) {
      if (this.current !== exportId) return;
      this.handlers.error(err, "Could not read the export status");
      this.schedule(exportId);
    }
  }

  async retry() {
    const exportId = this.current;
    if (exportId === null) return;
    this.el.retry.disabled = true;
    try {
      this.delay = POLL_FIRST_MS;
      const info = await api.retryExport(exportId);
      if (this.current === exportId) this.show(info);
    } catch (err) {
      this.handlers.error(err, "Could not retry the export");
    } finally {
      this.el.retry.disabled = false;
    }
  }
}
