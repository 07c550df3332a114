// @ts-check
/**
 * An operation's preview drawn over the main view: the masks the server would write, outlined
 * and hatched in their segment's colour on the slice on screen, until Apply or Cancel. It is a
 * canvas of its own over the view (pointer events pass through), redrawn when the view moves to
 * another slice or its image moves (`data-slice`, `data-image-rect`).
 */

import { toRgb } from "./colors.js";

/** @typedef {{ segment: number, slice: number, mask: Uint8Array | null, color: string }} PreviewMask */

const HATCH = 6; // pixels between hatch lines, in image pixels

export class PreviewLayer {
  /** @param {HTMLCanvasElement} view the main view (data-slice, data-image-rect, data-rows, data-columns) */
  constructor(view) {
    this.view = view;
    /** @type {Map<number, PreviewMask[]>} by slice */
    this.bySlice = new Map();
    this.canvas = document.createElement("canvas");
    this.canvas.className = "preview-overlay";
    this.canvas.dataset.testid = "preview-overlay";
    this.canvas.setAttribute("aria-hidden", "true");
    this.canvas.hidden = true;
    this.canvas.dataset.pixels = "0";
    this.observer = new MutationObserver(() => this.draw());
    this.resize = new ResizeObserver(() => this.draw());
  }

  /** Show these masks (replacing any preview). @param {PreviewMask[]} masks */
  show(masks) {
    this.bySlice.clear();
    for (const m of masks) {
      const list = this.bySlice.get(m.slice) ?? [];
      list.push(m);
      this.bySlice.set(m.slice, list);
    }
    if (!this.canvas.isConnected) this.view.parentElement?.append(this.canvas);
    this.observer.observe(this.view, { attributes: true, attributeFilter: ["data-slice", "data-image-rect"] });
    this.resize.observe(this.view);
    this.canvas.hidden = false;
    this.canvas.dataset.slices = [...this.bySlice.keys()].sort((a, b) => a - b).join(",");
    this.draw();
  }

  /** Remove the preview. */
  clear() {
    this.bySlice.clear();
    this.observer.disconnect();
    this.resize.disconnect();
    this.canvas.hidden = true;
    this.canvas.dataset.slices = "";
    this.canvas.dataset.pixels = "0";
    this.canvas.remove();
  }

  get active() {
    return !this.canvas.hidden;
  }

  draw() {
    if (this.canvas.hidden) return;
    const view = this.view;
    const box = view.getBoundingClientRect();
    const parentBox = view.parentElement?.getBoundingClientRect() ?? box;
    Object.assign(this.canvas.style, { left: `${box.left - parentBox.left}px`, top: `${box.top - parentBox.top}px`, width: `${box.width}px`, height: `${box.height}px` });
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.max(1, Math.round(box.width * ratio));
    this.canvas.height = Math.max(1, Math.round(box.height * ratio));
    const ctx = /** @type {CanvasRenderingContext2D} */ (this.canvas.getContext("2d"));
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    const masks = this.bySlice.get(Number(view.dataset.slice)) ?? [];
    const rows = Number(view.dataset.rows) || 1;
    const columns = Number(view.dataset.columns) || 1;
    const image = new ImageData(columns, rows);
    let pixels = 0;
    for (const m of masks) if (m.mask) pixels += paintMask(image.data, m.mask, rows, columns, toRgb(m.color));
    this.canvas.dataset.pixels = String(pixels);
    if (!pixels) return;
    const tile = document.createElement("canvas");
    tile.width = columns;
    tile.height = rows;
    /** @type {CanvasRenderingContext2D} */ (tile.getContext("2d")).putImageData(image, 0, 0);
    const [x, y, width, height] = (view.dataset.imageRect ?? "0,0,0,0").split(",").map(Number);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(tile, x * ratio, y * ratio, width * ratio, height * ratio);
  }
}

/**
 * Outline (opaque) and hatch (translucent diagonal lines) of a mask into RGBA pixels.
 * @param {Uint8ClampedArray} out
 * @param {Uint8Array} mask
 * @param {number} rows
 * @param {number} columns
 * @param {[number, number, number]} rgb
 * @returns {number} the number of mask pixels
 */
export function paintMask(out, mask, rows, columns, rgb) {
  let count = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const i = r * columns + c;
      if (!mask[i]) continue;
      count++;
      const edge = r === 0 || c === 0 || r === rows - 1 || c === columns - 1 || !mask[i - 1] || !mask[i + 1] || !mask[i - columns] || !mask[i + columns];
      const hatch = (r + c) % HATCH === 0;
      if (!edge && !hatch) continue;
      out.set([rgb[0], rgb[1], rgb[2], edge ? 255 : 170], i * 4);
    }
  }
  return count;
}
