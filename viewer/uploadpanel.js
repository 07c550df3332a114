// @ts-check
/**
 * Opening files: two pickers (files, a whole folder) and drag & drop anywhere on the page, an
 * upload progress bar, and the list of refused files with the service's reason for each.
 */

import { clear, h } from "./dom.js";
import { filesFromDrop, uploadFiles } from "./upload.js";

/** @typedef {import("./api.js").UploadResult} UploadResult */

/** @param {number} bytes */
function size(bytes) {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export class UploadPanel {
  /**
   * @param {{ fileInput: HTMLInputElement, folderInput: HTMLInputElement, dropTarget: HTMLElement,
   *   dropHint: HTMLElement, progress: HTMLProgressElement, progressText: HTMLElement,
   *   rejected: HTMLElement }} elements
   * @param {{ uploaded: (result: UploadResult) => void, error: (err: unknown, context: string) => void }} handlers
   */
  constructor(elements, handlers) {
    this.el = elements;
    this.handlers = handlers;
    this.busy = false;
    for (const input of [elements.fileInput, elements.folderInput]) {
      input.addEventListener("change", () => {
        const files = [...(input.files ?? [])];
        input.value = "";
        void this.upload(files);
      });
    }
    this.watchDrops(elements.dropTarget, elements.dropHint);
  }

  /**
   * @param {HTMLElement} target
   * @param {HTMLElement} hint
   */
  watchDrops(target, hint) {
    let depth = 0;
    const hasFiles = (/** @type {DragEvent} */ e) => e.dataTransfer?.types.includes("Files") ?? false;
    target.addEventListener("dragenter", (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth++;
      hint.hidden = false;
    });
    target.addEventListener("dragover", (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = "copy";
    });
    target.addEventListener("dragleave", () => {
      depth = Math.max(0, depth - 1);
      if (!depth) hint.hidden = true;
    });
    target.addEventListener("drop", async (e) => {
      if (!e.dataTransfer || !hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      hint.hidden = true;
      try {
        await this.upload(await filesFromDrop(e.dataTransfer));
      } catch (err) {
        this.handlers.error(err, "Could not read the dropped files");
      }
    });
  }

  /** @param {File[]} files */
  async upload(files) {
    if (!files.length) return;
    if (this.busy) {
      this.handlers.error(new Error("An upload is already running."), "Upload");
      return;
    }
    this.busy = true;
    const { progress, progressText } = this.el;
    progress.hidden = false;
    progress.value = 0;
    progress.max = 1;
    progressText.textContent = `Uploading ${files.length} files…`;
    clear(this.el.rejected);
    try {
      const result = await uploadFiles(files, (sent, total, done, count) => {
        progress.value = total ? sent / total : 0;
        progressText.textContent = `Uploading ${done} / ${count} files · ${size(sent)} of ${size(total)}`;
      });
      const images = result.series.reduce((n, s) => n + (s.received || s.num_instances), 0);
      progressText.textContent =
        `${result.series.length} series (${images} images) received` +
        (result.rejected.length ? `, ${result.rejected.length} files refused` : "");
      this.showRejected(result.rejected);
      this.handlers.uploaded(result);
    } catch (err) {
      progressText.textContent = "Upload failed";
      this.handlers.error(err, "Upload failed");
    } finally {
      this.busy = false;
      progress.hidden = true;
    }
  }

  /** @param {import("./api.js").Rejected[]} rejected */
  showRejected(rejected) {
    clear(this.el.rejected);
    for (const r of rejected) {
      this.el.rejected.append(
        h("li", { "data-testid": "rejected-file" }, [
          h("span", { class: "rejected-name", text: r.name }),
          h("span", { class: "rejected-reason", text: r.reason }),
        ]),
      );
    }
  }
}
