// @ts-check
/**
 * Pointer and wheel input on the view, turned into intents: paint strokes, window/level drags,
 * pan, zoom, slice scrolling. Left button follows the current tool, right button always adjusts
 * window/level, middle button (or left with Space held) pans, Shift + left click moves the
 * crosshair of the reformatted views. The handlers decide what the intents do.
 */

import { isTextInput } from "./dom.js";
import { record } from "./perf.js";

/** @typedef {"brush" | "eraser" | "threshold" | "fill" | "wl"} Tool */

/**
 * @typedef {object} ToolHandlers
 * @property {() => Tool} tool
 * @property {(x: number, y: number, erase: boolean) => boolean} beginStroke false when painting is not possible
 * @property {(x: number, y: number) => void} extendStroke
 * @property {() => void} endStroke
 * @property {(dx: number, dy: number) => void} windowDrag
 * @property {(dx: number, dy: number) => void} pan
 * @property {(point: { x: number, y: number } | null) => void} hover
 * @property {(steps: number) => void} scroll
 * @property {(factor: number, x: number, y: number) => void} zoom
 * @property {(x: number, y: number) => void} fill a click with the flood fill tool
 * @property {(x: number, y: number) => void} crosshair move the reformatted views' cut to here
 */

/** @typedef {"stroke" | "window" | "pan" | "cross"} DragKind */

/**
 * @param {HTMLCanvasElement} canvas
 * @param {ToolHandlers} handlers
 */
export function attachPointerTools(canvas, handlers) {
  /** @type {{ kind: DragKind, pointerId: number, x: number, y: number } | null} */
  let drag = null;
  let wheelRest = 0;
  let space = false;
  document.addEventListener("keydown", (e) => {
    if (e.key === " " && !isTextInput(e.target) && !(e.target instanceof HTMLButtonElement)) {
      space = true;
      canvas.classList.add("grab");
      e.preventDefault();
    }
  });
  document.addEventListener("keyup", (e) => {
    if (e.key === " ") {
      space = false;
      canvas.classList.remove("grab");
    }
  });
  window.addEventListener("blur", () => {
    space = false;
    canvas.classList.remove("grab");
  });

  /** @param {MouseEvent} e */
  const point = (e) => {
    const box = canvas.getBoundingClientRect();
    return { x: e.clientX - box.left, y: e.clientY - box.top };
  };

  /** @param {PointerEvent} e @returns {DragKind | null} */
  const kindFor = (e) => {
    if (e.button === 1) return "pan";
    if (e.button === 2) return "window";
    if (e.button !== 0) return null;
    if (space) return "pan";
    if (e.shiftKey) return "cross";
    return handlers.tool() === "wl" ? "window" : "stroke";
  };

  canvas.addEventListener("pointerdown", (e) => {
    if (drag) return;
    const kind = kindFor(e);
    if (!kind) return;
    e.preventDefault();
    const p = point(e);
    if (kind === "stroke" && handlers.tool() === "fill") {
      handlers.fill(p.x, p.y);
      return;
    }
    if (kind === "cross") handlers.crosshair(p.x, p.y);
    if (kind === "stroke" && !handlers.beginStroke(p.x, p.y, handlers.tool() === "eraser")) return;
    drag = { kind, pointerId: e.pointerId, ...p };
    canvas.setPointerCapture(e.pointerId);
  });

  canvas.addEventListener("pointermove", (e) => {
    const p = point(e);
    handlers.hover(p);
    if (!drag || e.pointerId !== drag.pointerId) return;
    if (drag.kind === "stroke") {
      const started = performance.now();
      // Coalesced events keep fast strokes round; the stroke interpolates between them.
      const events = typeof e.getCoalescedEvents === "function" ? e.getCoalescedEvents() : [];
      for (const ce of events.length ? events : [e]) {
        const q = point(ce);
        handlers.extendStroke(q.x, q.y);
      }
      record("stroke", started);
    } else if (drag.kind === "cross") {
      handlers.crosshair(p.x, p.y);
    } else if (drag.kind === "window") {
      handlers.windowDrag(p.x - drag.x, p.y - drag.y);
    } else {
      handlers.pan(p.x - drag.x, p.y - drag.y);
    }
    drag.x = p.x;
    drag.y = p.y;
  });

  /** @param {PointerEvent} e */
  const finish = (e) => {
    if (!drag || e.pointerId !== drag.pointerId) return;
    if (drag.kind === "stroke") handlers.endStroke();
    drag = null;
    if (canvas.hasPointerCapture(e.pointerId)) canvas.releasePointerCapture(e.pointerId);
  };
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", finish);
  canvas.addEventListener("pointerleave", () => {
    if (!drag) handlers.hover(null);
  });
  canvas.addEventListener("contextmenu", (e) => e.preventDefault());

  canvas.addEventListener(
    "wheel",
    (e) => {
      e.preventDefault();
      if (e.ctrlKey || e.metaKey) {
        const p = point(e);
        handlers.zoom(Math.exp(-e.deltaY * 0.002), p.x, p.y);
        return;
      }
      // deltaMode 1 is lines, 0 pixels (about 100 a notch): one notch is one slice, and small
      // touchpad deltas add up until they make one.
      const delta = e.deltaMode === 1 ? e.deltaY * 33 : e.deltaMode === 2 ? e.deltaY * 100 : e.deltaY;
      wheelRest += delta;
      if (Math.abs(wheelRest) >= 50) {
        handlers.scroll(Math.sign(wheelRest));
        wheelRest = 0;
      }
    },
    { passive: false },
  );
}
