// @ts-check
/**
 * A sagittal or coronal reformat beside the main view: the plane through the crosshair, fetched
 * from the service (one request a plane; the whole volume would be 150 MB for a 300-slice CT),
 * drawn at its physical aspect ratio in the radiological convention (planes.js: head-foot
 * vertical, superior up, whatever the acquisition plane), with the main view's slice and the
 * other view's cut as lines. A click or drag picks a point: the main view jumps there.
 *
 * Test hooks on the canvas: data-axis, data-index (the column for sagittal, the row for
 * coronal), data-ready, data-width (values across), data-slices, data-plane (the anatomical
 * plane shown), data-columns / data-rows (the screen grid), data-slice-axis ("vertical" or
 * "horizontal"), data-first-slice and data-first-across (the slice and the value across drawn
 * first along their screen axes: top row or left column), data-top-slice (data-first-slice
 * when the slices run vertically, else empty), data-image-rect ("x,y,width,height").
 */

import { decodePixels } from "./slices.js";
import { applyWindow } from "./render.js";
import { fromScreen, screenOrder, screenSize, toScreen } from "./planes.js";

/** @typedef {import("./planes.js").Axis} Axis */
/**
 * @typedef {{ seriesUid: string, dtype: import("./api.js").Dtype, width: number, widthMm: number,
 *   slices: number, sliceMm: number, columns: number, layout: import("./planes.js").Layout }} Plane
 *   how the plane maps to the volume (columns: of the main view's slices, to index their
 *   masks) and how it lies on screen
 */
/**
 * @typedef {{ maskAt: (slice: number) => Uint8Array | null | undefined,
 *   color: [number, number, number] }} MaskLayer a segment's masks, those loaded
 */

const KEEP = 16;

const EMPTY_HOOKS = {
  width: "",
  slices: "",
  plane: "",
  columns: "",
  rows: "",
  sliceAxis: "",
  firstSlice: "",
  firstAcross: "",
  topSlice: "",
};

/**
 * The canvas's data-* hooks that say how the plane lies on screen.
 * @param {Plane} plane
 * @param {{ columns: number, rows: number }} size the screen grid
 * @returns {typeof EMPTY_HOOKS}
 */
function layoutHooks(plane, size) {
  const { layout } = plane;
  const firstSlice = String(layout.flipSlice ? plane.slices - 1 : 0);
  return {
    width: String(plane.width),
    slices: String(plane.slices),
    plane: layout.name,
    columns: String(size.columns),
    rows: String(size.rows),
    sliceAxis: layout.sliceVertical ? "vertical" : "horizontal",
    firstSlice,
    firstAcross: String(layout.flipAcross ? plane.width - 1 : 0),
    topSlice: layout.sliceVertical ? firstSlice : "",
  };
}

export class ReformatView {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {Axis} axis
   * @param {{ fetch: (seriesUid: string, axis: Axis, index: number, signal: AbortSignal) => Promise<ArrayBuffer>,
   *   pick: (across: number, slice: number) => void, error: (err: unknown) => void }} handlers
   */
  constructor(canvas, axis, handlers) {
    this.canvas = canvas;
    this.axis = axis;
    this.handlers = handlers;
    const ctx = canvas.getContext("2d");
    if (!ctx) throw new Error("2D canvas is not available");
    this.ctx = ctx;
    /** @type {Plane | null} */
    this.plane = null;
    /** @type {Int32Array} for each screen cell, its value's index in the plane as sent */
    this.order = new Int32Array(0);
    this.size = { columns: 0, rows: 0 };
    this.index = -1;
    /** @type {import("./slices.js").Pixels | null} */
    this.pixels = null;
    /** @type {Map<number, import("./slices.js").Pixels>} */
    this.cache = new Map();
    this.controller = new AbortController();
    this.window = { center: 40, width: 400, invert: false };
    this.marks = { across: -1, slice: -1 };
    this.image = document.createElement("canvas");
    this.overlay = document.createElement("canvas");
    this.hasOverlay = false;
    this.rect = { x: 0, y: 0, width: 0, height: 0 };
    this.frame = 0;
    canvas.dataset.axis = axis;
    canvas.dataset.ready = "false";
    new ResizeObserver(() => this.requestDraw()).observe(canvas);
    this.attachPointer();
  }

  /** @param {Plane | null} plane */
  setPlane(plane) {
    this.controller.abort();
    this.controller = new AbortController();
    this.plane = plane;
    this.index = -1;
    this.pixels = null;
    this.cache.clear();
    const ds = this.canvas.dataset;
    ds.ready = "false";
    ds.index = "";
    this.hasOverlay = false;
    this.size = plane ? screenSize(plane.layout, plane) : { columns: 0, rows: 0 };
    this.order = plane ? screenOrder(plane.layout, plane) : new Int32Array(0);
    if (plane) {
      this.image.width = this.overlay.width = this.size.columns;
      this.image.height = this.overlay.height = this.size.rows;
    }
    Object.assign(ds, plane ? layoutHooks(plane, this.size) : EMPTY_HOOKS);
    this.requestDraw();
  }

  /**
   * Show the plane at this column (sagittal) or row (coronal).
   * @param {number} index
   */
  setIndex(index) {
    const plane = this.plane;
    if (!plane || index === this.index) return;
    this.index = index;
    this.canvas.dataset.index = String(index);
    const cached = this.cache.get(index);
    if (cached) {
      this.show(cached);
      return;
    }
    this.canvas.dataset.ready = "false";
    this.controller.abort();
    this.controller = new AbortController();
    this.handlers.fetch(plane.seriesUid, this.axis, index, this.controller.signal).then(
      (buffer) => {
        if (this.plane !== plane) return;
        const pixels = decodePixels(buffer, plane.dtype, plane.width * plane.slices);
        this.cache.set(index, pixels);
        if (this.cache.size > KEEP) this.cache.delete(/** @type {number} */ (this.cache.keys().next().value));
        if (this.index === index) this.show(pixels);
      },
      (err) => {
        if (!(err instanceof DOMException && err.name === "AbortError")) this.handlers.error(err);
      },
    );
  }

  /** @param {import("./slices.js").Pixels} pixels */
  show(pixels) {
    this.pixels = pixels;
    this.paintImage();
    this.canvas.dataset.ready = "true";
  }

  /**
   * @param {number} center
   * @param {number} width
   * @param {boolean} invert
   */
  setWindow(center, width, invert) {
    this.window = { center, width, invert };
    this.paintImage();
  }

  /**
   * The lines: the main view's slice (horizontal) and the other view's cut (vertical).
   * @param {number} across
   * @param {number} slice
   */
  setMarks(across, slice) {
    this.marks = { across, slice };
    this.requestDraw();
  }

  /**
   * The segments along this plane, from the masks in memory (the slices painted or seen).
   * @param {MaskLayer[]} layers
   * @param {number} opacity
   */
  setMasks(layers, opacity) {
    const plane = this.plane;
    if (!plane || this.index < 0) return;
    const { width, slices, columns } = plane;
    const order = this.order;
    const out = new Uint32Array(order.length);
    const alpha = Math.round(Math.min(1, opacity + 0.15) * 255);
    // Sagittal: mask pixel (r, index) for r across; coronal: (index, c) for c across.
    const offset = this.axis === "sagittal" ? this.index : this.index * columns;
    const stride = this.axis === "sagittal" ? columns : 1;
    let any = false;
    for (const { maskAt, color } of layers) {
      const value = ((alpha << 24) | (color[2] << 16) | (color[1] << 8) | color[0]) >>> 0;
      const masks = Array.from({ length: slices }, (_, s) => maskAt(s));
      if (!masks.some(Boolean)) continue;
      for (let i = 0; i < order.length; i++) {
        const s = Math.floor(order[i] / width);
        const mask = masks[s];
        if (mask && mask[offset + (order[i] - s * width) * stride]) {
          out[i] = value;
          any = true;
        }
      }
    }
    this.hasOverlay = any;
    const { columns: w, rows: h } = this.size;
    if (any) this.overlay.getContext("2d")?.putImageData(new ImageData(new Uint8ClampedArray(out.buffer), w, h), 0, 0);
    this.requestDraw();
  }

  paintImage() {
    const plane = this.plane;
    const pixels = this.pixels;
    if (!plane || !pixels) return;
    const data = new ImageData(this.size.columns, this.size.rows);
    const windowed = new Uint32Array(pixels.length);
    applyWindow(pixels, windowed, this.window.center, this.window.width, this.window.invert);
    // The service sends slice 0 first; the screen order turns it upright.
    const out = new Uint32Array(data.data.buffer);
    const order = this.order;
    for (let i = 0; i < order.length; i++) out[i] = windowed[order[i]];
    const ctx = this.image.getContext("2d");
    ctx?.putImageData(data, 0, 0);
    this.requestDraw();
  }

  layout() {
    const plane = this.plane;
    const width = this.canvas.clientWidth;
    const height = this.canvas.clientHeight;
    if (!plane || !width || !height) return { x: 0, y: 0, width: 0, height: 0 };
    const acrossMm = plane.width * plane.widthMm;
    const slicesMm = plane.slices * plane.sliceMm;
    const [physW, physH] = plane.layout.sliceVertical ? [acrossMm, slicesMm] : [slicesMm, acrossMm];
    const scale = Math.min(width / physW, height / physH);
    return { x: (width - physW * scale) / 2, y: (height - physH * scale) / 2, width: physW * scale, height: physH * scale };
  }

  requestDraw() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  draw() {
    const dpr = window.devicePixelRatio || 1;
    const pw = Math.max(1, Math.round(this.canvas.clientWidth * dpr));
    const ph = Math.max(1, Math.round(this.canvas.clientHeight * dpr));
    if (this.canvas.width !== pw || this.canvas.height !== ph) {
      this.canvas.width = pw;
      this.canvas.height = ph;
    }
    const ctx = this.ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, pw, ph);
    const plane = this.plane;
    const rect = this.layout();
    this.rect = rect;
    this.canvas.dataset.imageRect = [rect.x, rect.y, rect.width, rect.height].map((v) => v.toFixed(2)).join(",");
    if (!plane || !this.pixels) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(this.image, rect.x, rect.y, rect.width, rect.height);
    if (this.hasOverlay) {
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(this.overlay, rect.x, rect.y, rect.width, rect.height);
    }
    const { across, slice } = this.marks;
    const at = toScreen(plane.layout, plane, Math.max(0, across), Math.max(0, slice));
    const vertical = plane.layout.sliceVertical;
    ctx.lineWidth = 1;
    ctx.setLineDash([5, 3]);
    if (slice >= 0) this.line(vertical ? { y: at.y } : { x: at.x }, "rgba(61, 139, 253, 0.9)");
    if (across >= 0) {
      const color = this.axis === "sagittal" ? "rgba(64, 224, 208, 0.8)" : "rgba(255, 214, 10, 0.8)";
      this.line(vertical ? { x: at.x } : { y: at.y }, color);
    }
  }

  /**
   * A dashed line across the image through the centre of screen column x or row y.
   * @param {{ x?: number, y?: number }} cell
   * @param {string} color
   */
  line(cell, color) {
    const r = this.rect;
    const { columns, rows } = this.size;
    const ctx = this.ctx;
    ctx.strokeStyle = color;
    ctx.beginPath();
    if (cell.y !== undefined) {
      const y = Math.round(r.y + ((cell.y + 0.5) / rows) * r.height) + 0.5; // crisp 1 px
      ctx.moveTo(r.x, y);
      ctx.lineTo(r.x + r.width, y);
    } else if (cell.x !== undefined) {
      const x = Math.round(r.x + ((cell.x + 0.5) / columns) * r.width) + 0.5;
      ctx.moveTo(x, r.y);
      ctx.lineTo(x, r.y + r.height);
    }
    ctx.stroke();
  }

  attachPointer() {
    let down = false;
    /** @param {PointerEvent} e */
    const pick = (e) => {
      const plane = this.plane;
      const r = this.rect;
      if (!plane || !r.width || !r.height) return;
      const box = this.canvas.getBoundingClientRect();
      const { columns, rows } = this.size;
      const x = Math.floor(((e.clientX - box.left - r.x) / r.width) * columns);
      const y = Math.floor(((e.clientY - box.top - r.y) / r.height) * rows);
      if (x < 0 || y < 0 || x >= columns || y >= rows) return;
      const { across, slice } = fromScreen(plane.layout, plane, x, y);
      this.handlers.pick(across, slice);
    };
    this.canvas.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      down = true;
      this.canvas.setPointerCapture(e.pointerId);
      pick(e);
    });
    this.canvas.addEventListener("pointermove", (e) => {
      if (down) pick(e);
    });
    const up = () => {
      down = false;
    };
    this.canvas.addEventListener("pointerup", up);
    this.canvas.addEventListener("pointercancel", up);
  }
}
