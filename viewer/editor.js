// @ts-check
/**
 * The "Operations" panel: volume operations of the segment editor that run on the server over
 * the stored masks (margin, smoothing, islands, logic, grow from seeds), with a preview, then
 * apply. An applied operation is one undo step: the slices it changed come back as masks, and
 * undo flips them back, which writes the previous masks through the usual saver.
 */

import { request } from "./api.js";
import { clear, h } from "./dom.js";
import { decodeMask, fromBase64 } from "./maskcodec.js";
import { showError } from "./notify.js";
import { overlapFields } from "./overlap.js";
import { PreviewLayer } from "./previewlayer.js";
import { Scissors } from "./scissors.js";

/** @typedef {import("./viewstate.js").ViewState} ViewState */
/** @typedef {import("./annotation.js").AnnotationSession} AnnotationSession */
/** @typedef {{ segment: number, slices: number[] }} Changed */
/**
 * @typedef {{ operation: string, preview: boolean, version: number | null, changed: Changed[],
 *   created: number[], masks?: { segment: number, slice: number, mask: string }[] }} OperationResult
 */
/**
 * @typedef {object} OperationHandlers
 * @property {() => void} refresh the masks on screen changed
 * @property {() => void} historyChanged
 * @property {() => void} segmentsChanged a split added segments
 * @property {() => void} applied the annotation changed on the server
 */

/**
 * POST an operation with the version it is based on.
 * @param {number | string} id
 * @param {Record<string, unknown>} body
 * @param {number} version
 * @returns {Promise<OperationResult>}
 */
export async function runOperation(id, body, version) {
  const path = `api/annotations/${encodeURIComponent(String(id))}/operations`;
  const response = await request("POST", path, { json: body, ifMatch: version });
  return response.json();
}

/**
 * The pixels that differ between two masks (null = empty).
 * @param {Uint8Array | null} before
 * @param {Uint8Array | null} after
 * @param {number} n
 */
export function flipsBetween(before, after, n) {
  const out = [];
  for (let i = 0; i < n; i++) if ((before?.[i] ?? 0) !== (after?.[i] ?? 0)) out.push(i);
  return Uint32Array.from(out);
}

const KINDS = /** @type {const} */ ([
  ["margin", "Margin (grow / shrink)"],
  ["smoothing", "Smoothing"],
  ["islands", "Islands"],
  ["logic", "Logical operator"],
  ["grow_from_seeds", "Grow from seeds"],
  ["scissors", "Scissors (draw on the image)"],
]);

export class OperationsPanel {
  /**
   * @param {ViewState} state
   * @param {HTMLElement} root the panel's controls go here
   * @param {OperationHandlers} handlers
   */
  constructor(state, root, handlers) {
    this.state = state;
    this.root = root;
    this.handlers = handlers;
    /** @type {Record<string, HTMLInputElement | HTMLSelectElement>} */
    this.fields = {};
    this.busy = false;
    this.scissors = new Scissors(state.canvas);
    this.kind = h("select", { id: "op-kind", "aria-label": "Operation" }, KINDS.map(([v, t]) => h("option", { value: v, text: t })));
    this.status = h("div", { class: "op-status", id: "op-status", "data-testid": "op-status", role: "status" });
    this.previewButton = h("button", { type: "button", id: "op-preview", class: "secondary", text: "Preview" });
    this.applyButton = h("button", { type: "button", id: "op-apply", text: "Apply" });
    this.cancelButton = h("button", { type: "button", id: "op-cancel", class: "secondary", text: "Cancel", hidden: true });
    this.previewLayer = new PreviewLayer(state.canvas);
  }

  start() {
    clear(this.root);
    const row = (/** @type {string} */ kinds, /** @type {string} */ label, /** @type {HTMLInputElement | HTMLSelectElement} */ input) => {
      this.fields[input.id] = input;
      return h("label", { class: "op-field", "data-kinds": kinds }, [label + " ", input]);
    };
    const select = (/** @type {string} */ id, /** @type {string[]} */ values) =>
      h("select", { id }, values.map((v) => h("option", { value: v, text: v.replace("_", " ") })));
    const number = (/** @type {string} */ id, /** @type {number} */ value, /** @type {number} */ step) =>
      h("input", { id, type: "number", value, step });
    this.root.append(
      this.kind,
      row("margin", "mm (< 0 shrinks)", number("op-mm", 2, 0.5)),
      row("smoothing", "Method", select("op-method", ["median", "opening", "closing"])),
      row("smoothing", "Kernel mm", number("op-kernel", 3, 0.5)),
      row("islands", "Action", select("op-action", ["keep_largest", "remove_small", "split"])),
      row("islands", "Min voxels", number("op-min-voxels", 100, 1)),
      row("logic", "Operator", select("op-logic", ["copy", "union", "intersect", "subtract", "invert", "clear"])),
      row("logic", "Source segment", number("op-source", 2, 1)),
      row("grow_from_seeds", "Seed segments", h("input", { id: "op-seeds", type: "text", placeholder: "all", size: 8 })),
      row("scissors", "Shape", select("op-shape", ["lasso", "polygon", "rectangle"])),
      row("scissors", "Mode", select("op-mode", ["fill", "erase"])),
      row("scissors", "Where", select("op-where", ["inside", "outside"])),
      row("scissors", "Slices", select("op-scope", ["this_slice", "all_slices"])),
      h("div", { class: "edit-buttons" }, [this.previewButton, this.applyButton, this.cancelButton]),
      this.status,
    );
    this.kind.addEventListener("change", () => this.showFields());
    this.previewButton.addEventListener("click", () => void this.run(true));
    this.applyButton.addEventListener("click", () => void this.run(false));
    this.cancelButton.addEventListener("click", () => this.cancelPreview());
    this.showFields();
  }

  showFields() {
    this.cancelPreview();
    for (const label of this.root.querySelectorAll("[data-kinds]")) {
      /** @type {HTMLElement} */ (label).hidden = label.getAttribute("data-kinds") !== this.kind.value;
    }
    this.say("idle", "");
  }

  /** Remove the preview drawn over the view. */
  cancelPreview() {
    this.previewLayer.clear();
    this.cancelButton.hidden = true;
    if (this.status.dataset.state === "previewed") this.say("idle", "Preview cancelled.");
  }

  /**
   * Draw a preview's masks over the view, and go to the first changed slice when the one on
   * screen has none.
   * @param {AnnotationSession} session
   * @param {OperationResult} result
   */
  async showPreview(session, result) {
    const masks = await Promise.all(
      (result.masks ?? []).map(async (m) => ({
        segment: m.segment,
        slice: m.slice,
        mask: await decodeMask(fromBase64(m.mask), session.pixelCount),
        color: session.segment(m.segment)?.color ?? "#ffffff",
      })),
    );
    this.previewLayer.show(masks);
    this.cancelButton.hidden = false;
  }

  /** @param {string} state @param {string} text */
  say(state, text) {
    this.status.dataset.state = state;
    this.status.textContent = text;
  }

  /** The request body for the chosen operation and the active segment. @returns {Record<string, unknown>} */
  body() {
    const session = /** @type {AnnotationSession} */ (this.state.session);
    const value = (/** @type {string} */ id) => this.fields[id].value;
    const segment = this.state.activeSegment;
    switch (this.kind.value) {
      case "margin":
        return { operation: "margin", segment, mm: Number(value("op-mm")) };
      case "smoothing":
        return { operation: "smoothing", segment, method: value("op-method"), kernel_mm: Number(value("op-kernel")) };
      case "islands":
        return { operation: "islands", segment, action: value("op-action"), min_voxels: Number(value("op-min-voxels")) };
      case "logic": {
        const op = value("op-logic");
        const unary = op === "invert" || op === "clear";
        return { operation: "logic", op, segment, ...(unary ? {} : { source: Number(value("op-source")) }) };
      }
      case "scissors": {
        const k = this.state.index;
        const slices = value("op-scope") === "all_slices" ? null : [k, k];
        return { operation: "scissors", segment, mode: value("op-mode"), where: value("op-where"), slices };
      }
      default: {
        const listed = value("op-seeds").split(/[\s,]+/).filter(Boolean).map(Number);
        return { operation: "grow_from_seeds", segments: listed.length ? listed : session.segments.map((s) => s.number) };
      }
    }
  }

  /** @param {boolean} preview */
  async run(preview) {
    const session = this.state.session;
    if (this.busy || !session?.saver || session.id === null) return;
    if (session.readOnly) {
      this.say("error", `${session.readOnly}.`);
      return;
    }
    this.busy = true;
    this.say("running", preview ? "Previewing…" : "Applying…");
    try {
      await session.saver.flush();
      /** @type {Record<string, unknown>} */
      const body = { ...this.body(), ...overlapFields(session) };
      const target = typeof body.segment === "number" ? session.segment(body.segment) : undefined;
      if (target?.locked) {
        this.say("error", `"${target.label}" is locked: unlock it to change it.`);
        return;
      }
      if (body.operation === "scissors") {
        this.say("drawing", "Draw on the image (Esc cancels; a polygon closes with a double-click or Enter).");
        const points = await this.scissors.draw(/** @type {import("./scissors.js").Shape} */ (this.fields["op-shape"].value));
        if (!points) {
          this.say("idle", "Cancelled.");
          return;
        }
        body.polygon = points;
        this.say("running", preview ? "Previewing…" : "Applying…");
      }
      if (preview) {
        const result = await runOperation(session.id, { ...body, preview: true }, session.version);
        await this.showPreview(session, result);
        this.say("previewed", `Would change ${describe(result.changed)} (outlined on the image; Apply or Cancel).`);
      } else {
        this.previewLayer.clear();
        this.cancelButton.hidden = true;
        const result = await this.apply(session, body);
        this.say("applied", `Changed ${describe(result.changed)}.`);
      }
    } catch (err) {
      this.say("error", err instanceof Error ? err.message : String(err));
      showError(err, "The operation failed");
    } finally {
      this.busy = false;
    }
  }

  /**
   * Apply through the saver's queue (so it is ordered with the mask writes and its version
   * becomes the saver's), keeping what each changed slice was for the undo step.
   * @param {AnnotationSession} session
   * @param {Record<string, unknown>} body
   * @returns {Promise<OperationResult>}
   */
  async apply(session, body) {
    const saver = /** @type {import("./saver.js").Saver} */ (session.saver);
    const id = /** @type {number | string} */ (session.id);
    const { preview, applied } = await saver.enqueue(async (version) => {
      const preview = await runOperation(id, { ...body, preview: true }, version);
      // What the slices hold before: the undo step flips back to it.
      await Promise.all(preview.changed.flatMap((c) => c.slices.map((k) => session.masks.load(c.segment, k).catch(() => undefined))));
      const applied = await runOperation(id, body, version);
      return { version: applied.version, preview, applied };
    });
    if (applied.created.length) await this.reloadSegments(session);
    /** @type {import("./history.js").Part[]} */
    const parts = [];
    for (const item of preview.masks ?? []) {
      const after = await decodeMask(fromBase64(item.mask), session.pixelCount);
      const before = session.masks.get(item.segment, item.slice) ?? null;
      parts.push({ segment: item.segment, slice: item.slice, flips: flipsBetween(before, after, session.pixelCount) });
      session.masks.set(item.segment, item.slice, after);
      const painted = session.painted.get(item.segment);
      if (after) painted?.add(item.slice);
      else painted?.delete(item.slice);
    }
    session.history.push({ parts });
    this.handlers.refresh();
    this.handlers.historyChanged();
    this.handlers.applied();
    return applied;
  }

  /** A split made segments: take the server's list. @param {AnnotationSession} session */
  async reloadSegments(session) {
    const info = await request("GET", `api/annotations/${encodeURIComponent(String(session.id))}`).then((r) => r.json());
    session.setSegments(info.segments ?? []);
    for (const s of info.segments ?? []) {
      if (!session.painted.has(Number(s.number))) session.painted.set(Number(s.number), new Set());
    }
    this.handlers.segmentsChanged();
  }
}

/** @param {Changed[]} changed */
function describe(changed) {
  if (!changed.length) return "nothing";
  return changed.map((c) => `segment ${c.segment}: ${c.slices.length} slice${c.slices.length === 1 ? "" : "s"}`).join(", ");
}
