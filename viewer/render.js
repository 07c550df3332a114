// @ts-check
/**
 * Drawing the view: the slice through window/level into an offscreen canvas, the segment masks
 * into another, both scaled to the view with the physical aspect ratio (pixel spacing), then the
 * brush cursor. Coordinates: "image" is continuous (column x, row y), pixel (c, r) covers
 * [c, c+1) x [r, r+1); "view" is CSS pixels from the canvas's top-left corner.
 */

import { clearCanvas, context2d, offscreen } from "./canvas2d.js";
import { record } from "./perf.js";
import { applyWindow, composeMasks } from "./raster.js";

/** @typedef {import("./slices.js").Pixels} Pixels */
/** @typedef {import("./raster.js").Layer} Layer */
/** @typedef {{ x: number, y: number, width: number, height: number }} Rect */

export class Renderer {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {(rect: Rect) => void} [onLayout] told the image rectangle whenever it moves
   */
  constructor(canvas, onLayout) {
    this.canvas = canvas;
    this.ctx = context2d(canvas);
    this.onLayout = onLayout ?? (() => {});
    this.rows = 0;
    this.columns = 0;
    this.rowSpacing = 1;
    this.colSpacing = 1;
    /** @type {Pixels | null} */
    this.pixels = null;
    this.center = 40;
    this.width = 400;
    this.invert = false;
    /** @type {Layer[]} */
    this.layers = [];
    this.opacity = 0.45;
    this.showMasks = true;
    /** @type {{ x: number, y: number, radiusMm: number, erase: boolean } | null} */
    this.cursor = null;
    this.outline = false;
    /** @type {{ col: number, row: number } | null} where the reformatted views cut, image pixels */
    this.crosshair = null;
    /** Interpolate when magnifying; off by default, since annotators paint pixel edges. */
    this.smooth = false;
    this.zoom = 1;
    this.panX = 0;
    this.panY = 0;
    this.imageDirty = true;
    this.overlayDirty = true;
    this.frame = 0;
    this.imageCanvas = offscreen(1, 1);
    this.overlayCanvas = offscreen(1, 1);
    /** @type {ImageData | null} */
    this.imageData = null;
    /** @type {ImageData | null} */
    this.overlayData = null;
    /** @type {Rect} */
    this.rect = { x: 0, y: 0, width: 0, height: 0 };
    new ResizeObserver(() => this.requestDraw()).observe(canvas);
  }

  /**
   * @param {{ rows: number, columns: number, rowSpacing: number, colSpacing: number }} geometry
   */
  setGeometry({ rows, columns, rowSpacing, colSpacing }) {
    this.rows = rows;
    this.columns = columns;
    this.rowSpacing = rowSpacing > 0 ? rowSpacing : 1;
    this.colSpacing = colSpacing > 0 ? colSpacing : 1;
    this.imageCanvas = offscreen(columns, rows);
    this.overlayCanvas = offscreen(columns, rows);
    this.imageData = new ImageData(columns, rows);
    this.overlayData = new ImageData(columns, rows);
    this.pixels = null;
    this.layers = [];
    this.resetView();
  }

  /** @param {Pixels | null} pixels */
  setPixels(pixels) {
    this.pixels = pixels;
    this.imageDirty = true;
    this.requestDraw();
  }

  /**
   * @param {number} center
   * @param {number} width
   * @param {boolean} invert
   */
  setWindow(center, width, invert) {
    this.center = center;
    this.width = Math.max(1, width);
    this.invert = invert;
    this.imageDirty = true;
    this.requestDraw();
  }

  /**
   * @param {Layer[]} layers
   * @param {number} opacity
   * @param {boolean} show
   */
  setLayers(layers, opacity, show) {
    this.layers = layers;
    this.opacity = opacity;
    this.showMasks = show;
    this.invalidateMasks();
  }

  /** The masks changed in place (painting). */
  invalidateMasks() {
    this.overlayDirty = true;
    this.requestDraw();
  }

  /** @param {{ x: number, y: number, radiusMm: number, erase: boolean } | null} cursor */
  setCursor(cursor) {
    this.cursor = cursor;
    this.requestDraw();
  }

  /** @param {boolean} outline */
  setOutline(outline) {
    this.outline = outline;
    this.invalidateMasks();
  }

  /** @param {{ col: number, row: number } | null} crosshair */
  setCrosshair(crosshair) {
    this.crosshair = crosshair;
    this.requestDraw();
  }

  /** @param {boolean} smooth */
  setSmooth(smooth) {
    this.smooth = smooth;
    this.requestDraw();
  }

  resetView() {
    this.zoom = 1;
    this.panX = 0;
    this.panY = 0;
    this.requestDraw();
  }

  /**
   * Zoom about a view point, which keeps its image point under it.
   * @param {number} factor
   * @param {number} [atX]
   * @param {number} [atY]
   */
  zoomBy(factor, atX, atY) {
    const next = Math.min(32, Math.max(0.25, this.zoom * factor));
    const { width, height } = this.viewSize();
    const x = atX ?? width / 2;
    const y = atY ?? height / 2;
    const applied = next / this.zoom;
    // The point (x, y) relative to the view centre scales with the zoom; pan keeps it fixed.
    this.panX = (this.panX - (x - width / 2)) * applied + (x - width / 2);
    this.panY = (this.panY - (y - height / 2)) * applied + (y - height / 2);
    this.zoom = next;
    this.requestDraw();
  }

  /**
   * @param {number} dx
   * @param {number} dy
   */
  panBy(dx, dy) {
    this.panX += dx;
    this.panY += dy;
    this.requestDraw();
  }

  viewSize() {
    return { width: this.canvas.clientWidth, height: this.canvas.clientHeight };
  }

  /** CSS pixels on screen of one millimetre. */
  pixelsPerMm() {
    return this.rect.width / (this.columns * this.colSpacing || 1);
  }

  /** @returns {Rect} where the image lies in the view, CSS pixels */
  layout() {
    const { width, height } = this.viewSize();
    const physW = this.columns * this.colSpacing;
    const physH = this.rows * this.rowSpacing;
    if (!physW || !physH || !width || !height) return { x: 0, y: 0, width: 0, height: 0 };
    const scale = Math.min(width / physW, height / physH) * this.zoom;
    const w = physW * scale;
    const hgt = physH * scale;
    return { x: (width - w) / 2 + this.panX, y: (height - hgt) / 2 + this.panY, width: w, height: hgt };
  }

  /**
   * Recompute where the image lies, telling onLayout when it moved. Synchronous, so the
   * coordinate mapping is right even before the next frame is drawn.
   * @returns {Rect}
   */
  syncLayout() {
    const rect = this.layout();
    const r = this.rect;
    if (rect.x !== r.x || rect.y !== r.y || rect.width !== r.width || rect.height !== r.height) {
      this.rect = rect;
      this.onLayout(rect);
    }
    return rect;
  }

  /**
   * @param {number} x view CSS pixels
   * @param {number} y
   * @returns {{ col: number, row: number }} continuous image coordinates
   */
  viewToImage(x, y) {
    const r = this.rect;
    return { col: ((x - r.x) / r.width) * this.columns, row: ((y - r.y) / r.height) * this.rows };
  }

  /**
   * @param {number} col continuous image coordinates (pixel centres at +0.5)
   * @param {number} row
   * @returns {{ x: number, y: number }} view CSS pixels
   */
  imageToView(col, row) {
    const r = this.rect;
    return { x: r.x + (col / this.columns) * r.width, y: r.y + (row / this.rows) * r.height };
  }

  requestDraw() {
    this.syncLayout();
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  /** Draw now instead of at the next frame (a key press shows its slice in the same task). */
  drawNow() {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.draw();
  }

  /** Draw now (tests and the frame callback). */
  draw() {
    const ctx = this.ctx;
    const dpr = clearCanvas(this.canvas, ctx);
    if (!this.rows || !this.columns) return;
    const rect = this.syncLayout();
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    if (this.pixels) {
      this.refreshImage();
      ctx.imageSmoothingEnabled = this.smooth || rect.width < this.columns;
      ctx.drawImage(this.imageCanvas, rect.x, rect.y, rect.width, rect.height);
      if (this.showMasks && this.layers.length) {
        this.refreshOverlay();
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(this.overlayCanvas, rect.x, rect.y, rect.width, rect.height);
      }
    }
    this.drawCrosshair(rect);
    this.drawCursor();
  }

  refreshImage() {
    if (!this.imageDirty || !this.pixels || !this.imageData) return;
    applyWindow(this.pixels, new Uint32Array(this.imageData.data.buffer), this.center, this.width, this.invert);
    context2d(this.imageCanvas).putImageData(this.imageData, 0, 0);
    this.imageDirty = false;
  }

  refreshOverlay() {
    if (!this.overlayDirty || !this.overlayData) return;
    const started = performance.now();
    composeMasks(this.layers, this.overlayData.data, this.rows, this.columns, this.opacity, this.outline);
    record("overlay", started);
    context2d(this.overlayCanvas).putImageData(this.overlayData, 0, 0);
    this.overlayDirty = false;
  }

  /**
   * The lines where the sagittal (vertical line) and coronal (horizontal line) views cut.
   * @param {Rect} rect
   */
  drawCrosshair(rect) {
    const c = this.crosshair;
    if (!c) return;
    const ctx = this.ctx;
    // On a pixel centre, so the 1 px lines are crisp.
    const x = Math.round(rect.x + ((c.col + 0.5) / this.columns) * rect.width) + 0.5;
    const y = Math.round(rect.y + ((c.row + 0.5) / this.rows) * rect.height) + 0.5;
    ctx.save();
    ctx.lineWidth = 1;
    ctx.setLineDash([6, 4]);
    ctx.strokeStyle = "rgba(255, 214, 10, 0.7)";
    ctx.beginPath();
    ctx.moveTo(x, rect.y);
    ctx.lineTo(x, rect.y + rect.height);
    ctx.stroke();
    ctx.strokeStyle = "rgba(64, 224, 208, 0.7)";
    ctx.beginPath();
    ctx.moveTo(rect.x, y);
    ctx.lineTo(rect.x + rect.width, y);
    ctx.stroke();
    ctx.restore();
  }

  drawCursor() {
    const c = this.cursor;
    if (!c) return;
    const ctx = this.ctx;
    const radius = Math.max(1, (c.radiusMm * this.pixelsPerMm()));
    ctx.save();
    ctx.beginPath();
    ctx.arc(c.x, c.y, radius, 0, Math.PI * 2);
    ctx.lineWidth = 2.5;
    ctx.strokeStyle = "rgba(0,0,0,0.6)";
    ctx.stroke();
    ctx.lineWidth = 1;
    ctx.setLineDash(c.erase ? [4, 3] : []);
    ctx.strokeStyle = c.erase ? "#ffb347" : "#e8f1ff";
    ctx.stroke();
    ctx.restore();
  }
}
