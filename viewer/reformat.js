// @ts-check
/**
 * A sagittal or coronal reformat beside the main view: the plane through the crosshair, fetched
 * from the service (one request a plane; the whole volume would be 150 MB for a 300-slice CT),
 * drawn at its true aspect ratio from the grid's pixel spacing (planes.js: patient space, head-foot
 * vertical, superior up, whatever the acquisition plane), with the main view's slice and the
 * other view's cut as lines. A click or drag picks a point: the main view jumps there; with a
 * brush tool and a segment to paint, a drag paints (Shift+drag still picks).
 *
 * Test hooks on the canvas: data-axis, data-index (the plane: the column for sagittal, the row
 * for coronal of a regular series), data-ready, data-width (values across), data-slices (rows
 * of the reformat: the slices of a regular series), data-plane (the anatomical plane shown),
 * data-columns / data-rows (the screen grid), data-slice-axis ("vertical" or "horizontal"),
 * data-first-slice and data-first-across (the reformat row and column drawn first along their
 * screen axes: top row or left column), data-top-slice (data-first-slice when the slices run
 * vertically, else empty), data-image-rect ("x,y,width,height"), data-pixel-spacing
 * ("between rows,between columns" of the reformat, mm).
 */

import { clearCanvas, context2d } from "./canvas2d.js";
import { EMPTY_HOOKS, layoutHooks, planeImage, planeOverlay } from "./planeimage.js";
import { sourceLookup } from "./patientspace.js";
import { screenOrder, screenSize, toScreen } from "./planes.js";
import { bytesOf, decodePixels } from "./slices.js";

/** @typedef {import("./planes.js").Axis} Axis */
/** @typedef {import("./planeimage.js").Plane} Plane */
/** @typedef {import("./planeimage.js").MaskLayer} MaskLayer */
/** @typedef {[{ r: number, c: number }, { r: number, c: number }] | null} Line two points of the reformat image */
/**
 * @typedef {{ fetch: (seriesUid: string, axis: Axis, index: number, signal: AbortSignal) => Promise<ArrayBuffer>,
 *   pick: (row: number, col: number) => void, error: (err: unknown) => void,
 *   paint?: { begin: (row: number, col: number) => boolean, extend: (row: number, col: number) => void, end: () => void } }} ReformatHandlers
 *   row/col: of the reformat image, continuous for painting (pixel r covers [r, r+1))
 */

const KEEP = 16;

export class ReformatView {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {Axis} axis
   * @param {ReformatHandlers} handlers
   */
  constructor(canvas, axis, handlers) {
    this.canvas = canvas;
    this.axis = axis;
    this.handlers = handlers;
    this.ctx = context2d(canvas);
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
    /** @type {{ slice: Line, cut: Line }} */
    this.marks = { slice: null, cut: null };
    /** @type {{ index: number, slice: Int32Array, offset: Int32Array } | null} the plane's source pixels */
    this.lookup = null;
    /** @type {{ layers: MaskLayer[], opacity: number }} */
    this.layers = { layers: [], opacity: 0.45 };
    /** @type {{ mask: Uint8Array, color: [number, number, number] } | null} a stroke being painted here */
    this.stroke = null;
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
    this.lookup = null;
    this.stroke = null;
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
        // A series still arriving (a pull, C-STORE) grows under the view: a plane cut from more
        // slices than this grid knows is not an error; the series reopens once it is complete.
        if (buffer.byteLength !== bytesOf(plane.dtype, plane.width * plane.slices)) return;
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
   * The lines: the main view's slice and the other view's cut, each two points of the image.
   * @param {Line} slice
   * @param {Line} cut
   */
  setMarks(slice, cut) {
    this.marks = { slice, cut };
    this.requestDraw();
  }

  /** Where this plane's pixels lie in the acquired slices (computed once a plane). */
  sourcePixels() {
    const plane = this.plane;
    if (!plane || this.index < 0) return null;
    if (this.lookup?.index !== this.index) this.lookup = { index: this.index, ...sourceLookup(plane.planes, this.index, plane.src) };
    return this.lookup;
  }

  /**
   * The segments along this plane, from the masks in memory (the slices painted or seen).
   * @param {MaskLayer[]} layers
   * @param {number} opacity
   */
  setMasks(layers, opacity) {
    this.layers = { layers, opacity };
    this.paintOverlay();
  }

  /**
   * A stroke in progress on this view (a mask of the reformat image), or none.
   * @param {{ mask: Uint8Array, color: [number, number, number] } | null} stroke
   */
  setStroke(stroke) {
    this.stroke = stroke;
    this.paintOverlay();
  }

  paintOverlay() {
    const lookup = this.sourcePixels();
    if (!lookup) return;
    const count = this.plane?.src.s.length ?? 0;
    const out = planeOverlay(this.order, lookup, count, { ...this.layers, stroke: this.stroke });
    this.hasOverlay = out !== null;
    const { columns: w, rows: h } = this.size;
    if (out) this.overlay.getContext("2d")?.putImageData(new ImageData(new Uint8ClampedArray(out.buffer), w, h), 0, 0);
    this.requestDraw();
  }

  paintImage() {
    const pixels = this.pixels;
    if (!this.plane || !pixels) return;
    this.image.getContext("2d")?.putImageData(planeImage(pixels, this.order, this.size, this.window), 0, 0);
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
    const ctx = this.ctx;
    const dpr = clearCanvas(this.canvas, ctx);
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
    const { slice, cut } = this.marks;
    ctx.lineWidth = 1;
    ctx.setLineDash([5, 3]);
    if (slice) this.line(plane, slice, "rgba(61, 139, 253, 0.9)");
    if (cut) this.line(plane, cut, this.axis === "sagittal" ? "rgba(64, 224, 208, 0.8)" : "rgba(255, 214, 10, 0.8)");
  }

  /**
   * A dashed line through two points of the reformat image (pixel centres at integers).
   * @param {Plane} plane
   * @param {NonNullable<Line>} line
   * @param {string} color
   */
  line(plane, line, color) {
    const r = this.rect;
    const { columns, rows } = this.size;
    const [a, b] = line.map((p) => {
      const s = toScreen(plane.layout, plane, p.c, p.r);
      return { x: r.x + ((s.x + 0.5) / columns) * r.width, y: r.y + ((s.y + 0.5) / rows) * r.height };
    });
    // Crisp 1 px when the line is along a screen axis.
    if (Math.abs(a.x - b.x) < 0.01) a.x = b.x = Math.round(a.x) + 0.5;
    if (Math.abs(a.y - b.y) < 0.01) a.y = b.y = Math.round(a.y) + 0.5;
    const ctx = this.ctx;
    ctx.save();
    ctx.beginPath();
    ctx.rect(r.x, r.y, r.width, r.height);
    ctx.clip();
    ctx.strokeStyle = color;
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
    ctx.restore();
  }

  /**
   * The reformat image point (continuous row and column; pixel r covers [r, r+1)) under a
   * pointer event, or null outside the image.
   * @param {PointerEvent} e
   */
  imagePoint(e) {
    const plane = this.plane;
    const r = this.rect;
    if (!plane || !r.width || !r.height) return null;
    const box = this.canvas.getBoundingClientRect();
    const { columns, rows } = this.size;
    const x = ((e.clientX - box.left - r.x) / r.width) * columns;
    const y = ((e.clientY - box.top - r.y) / r.height) * rows;
    if (x < 0 || y < 0 || x >= columns || y >= rows) return null;
    const { layout } = plane;
    let [a, s] = layout.sliceVertical ? [x, y] : [y, x];
    if (layout.flipAcross) a = plane.width - a;
    if (layout.flipSlice) s = plane.slices - s;
    return { row: s, col: a };
  }

  attachPointer() {
    /** @type {"" | "pick" | "paint"} */
    let mode = "";
    /** @param {PointerEvent} e */
    const pick = (e) => {
      const at = this.imagePoint(e);
      if (at) this.handlers.pick(Math.floor(at.row), Math.floor(at.col));
    };
    this.canvas.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      this.canvas.setPointerCapture(e.pointerId);
      const at = this.imagePoint(e);
      mode = !e.shiftKey && at && this.handlers.paint?.begin(at.row, at.col) ? "paint" : "pick";
      if (mode === "pick") pick(e);
    });
    this.canvas.addEventListener("pointermove", (e) => {
      if (mode === "pick") pick(e);
      else if (mode === "paint") {
        for (const event of e.getCoalescedEvents?.() ?? [e]) {
          const at = this.imagePoint(event);
          if (at) this.handlers.paint?.extend(at.row, at.col);
        }
      }
    });
    const up = () => {
      if (mode === "paint") this.handlers.paint?.end();
      mode = "";
    };
    this.canvas.addEventListener("pointerup", up);
    this.canvas.addEventListener("pointercancel", up);
  }
}
