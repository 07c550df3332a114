// @ts-check
/**
 * A sagittal or coronal reformat beside the main view: the plane through the crosshair, fetched
 * from the service (one request a plane; the whole volume would be 150 MB for a 300-slice CT),
 * drawn at its physical aspect ratio with the superior end up, with the main view's slice and
 * the other view's cut as lines. A click or drag picks a point: the main view jumps there.
 *
 * Test hooks on the canvas: data-axis, data-index (the column for sagittal, the row for
 * coronal), data-ready, data-width (values across), data-slices, data-top-slice (the slice
 * index drawn at the top row), data-image-rect ("x,y,width,height").
 */

import { decodePixels } from "./slices.js";
import { applyWindow } from "./render.js";

/** @typedef {"sagittal" | "coronal"} Axis */
/**
 * @typedef {{ seriesUid: string, dtype: import("./api.js").Dtype, width: number, widthMm: number,
 *   slices: number, sliceMm: number, topSlice: number, columns: number }} Plane how the plane
 *   maps to the volume (columns: of the main view's slices, to index their masks)
 */
/**
 * @typedef {{ maskAt: (slice: number) => Uint8Array | null | undefined,
 *   color: [number, number, number] }} MaskLayer a segment's masks, those loaded
 */

const KEEP = 16;

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
    ds.width = plane ? String(plane.width) : "";
    ds.slices = plane ? String(plane.slices) : "";
    ds.topSlice = plane ? String(plane.topSlice) : "";
    this.hasOverlay = false;
    if (plane) {
      this.image.width = this.overlay.width = plane.width;
      this.image.height = this.overlay.height = plane.slices;
    }
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
    const out = new Uint32Array(width * slices);
    const alpha = Math.round(Math.min(1, opacity + 0.15) * 255);
    // Sagittal: mask pixel (r, index) for r across; coronal: (index, c) for c across.
    const offset = this.axis === "sagittal" ? this.index : this.index * columns;
    const stride = this.axis === "sagittal" ? columns : 1;
    let any = false;
    for (const { maskAt, color } of layers) {
      const value = ((alpha << 24) | (color[2] << 16) | (color[1] << 8) | color[0]) >>> 0;
      for (let s = 0; s < slices; s++) {
        const mask = maskAt(s);
        if (!mask) continue;
        const row = (plane.topSlice === 0 ? s : slices - 1 - s) * width;
        for (let u = 0; u < width; u++) {
          if (mask[offset + u * stride]) {
            out[row + u] = value;
            any = true;
          }
        }
      }
    }
    this.hasOverlay = any;
    if (any) this.overlay.getContext("2d")?.putImageData(new ImageData(new Uint8ClampedArray(out.buffer), width, slices), 0, 0);
    this.requestDraw();
  }

  paintImage() {
    const plane = this.plane;
    const pixels = this.pixels;
    if (!plane || !pixels) return;
    const data = new ImageData(plane.width, plane.slices);
    const flipped = new Uint32Array(pixels.length);
    applyWindow(pixels, flipped, this.window.center, this.window.width, this.window.invert);
    // The service sends slice 0 first; the top row shows topSlice.
    const out = new Uint32Array(data.data.buffer);
    for (let v = 0; v < plane.slices; v++) {
      const s = this.sliceAtRow(v);
      out.set(flipped.subarray(s * plane.width, (s + 1) * plane.width), v * plane.width);
    }
    const ctx = this.image.getContext("2d");
    ctx?.putImageData(data, 0, 0);
    this.requestDraw();
  }

  /** @param {number} v row of the drawn plane @returns {number} slice index */
  sliceAtRow(v) {
    const plane = /** @type {Plane} */ (this.plane);
    return plane.topSlice === 0 ? v : plane.slices - 1 - v;
  }

  layout() {
    const plane = this.plane;
    const width = this.canvas.clientWidth;
    const height = this.canvas.clientHeight;
    if (!plane || !width || !height) return { x: 0, y: 0, width: 0, height: 0 };
    const physW = plane.width * plane.widthMm;
    const physH = plane.slices * plane.sliceMm;
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
    ctx.lineWidth = 1;
    ctx.setLineDash([5, 3]);
    if (slice >= 0) {
      const v = plane.topSlice === 0 ? slice : plane.slices - 1 - slice;
      const y = Math.round(rect.y + ((v + 0.5) / plane.slices) * rect.height) + 0.5; // crisp 1 px
      ctx.strokeStyle = "rgba(61, 139, 253, 0.9)";
      ctx.beginPath();
      ctx.moveTo(rect.x, y);
      ctx.lineTo(rect.x + rect.width, y);
      ctx.stroke();
    }
    if (across >= 0) {
      const x = Math.round(rect.x + ((across + 0.5) / plane.width) * rect.width) + 0.5;
      ctx.strokeStyle = this.axis === "sagittal" ? "rgba(64, 224, 208, 0.8)" : "rgba(255, 214, 10, 0.8)";
      ctx.beginPath();
      ctx.moveTo(x, rect.y);
      ctx.lineTo(x, rect.y + rect.height);
      ctx.stroke();
    }
  }

  attachPointer() {
    let down = false;
    /** @param {PointerEvent} e */
    const pick = (e) => {
      const plane = this.plane;
      const r = this.rect;
      if (!plane || !r.width || !r.height) return;
      const box = this.canvas.getBoundingClientRect();
      const u = Math.floor(((e.clientX - box.left - r.x) / r.width) * plane.width);
      const v = Math.floor(((e.clientY - box.top - r.y) / r.height) * plane.slices);
      if (u < 0 || v < 0 || u >= plane.width || v >= plane.slices) return;
      this.handlers.pick(u, this.sliceAtRow(v));
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
