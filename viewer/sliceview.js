// @ts-check
/**
 * The main view's navigation and display: which slice is on screen (slider, keys, wheel), its
 * pixels and the masks over them, the overlay options (opacity, outline, all masks hidden), the
 * brush cursor and the value under the pointer, and the `data-slice` / `data-ready` hooks.
 */

import { toRgb } from "./colors.js";
import { byId } from "./dom.js";
import { record } from "./perf.js";
import { formatValue } from "./windowing.js";
import { clamp, sliceLocation, unitOf } from "./viewstate.js";

/** @typedef {import("./viewstate.js").ViewState} ViewState */
/** @typedef {import("./slices.js").Slice} Slice */
/**
 * @typedef {object} SliceViewHandlers
 * @property {(slice: Slice) => void} showing window a slice about to be drawn
 * @property {() => void} sliceChanged another slice is on screen (the reformatted views' lines)
 * @property {() => void} masksChanged the masks in memory or their display changed
 * @property {() => { radiusMm: number, erase: boolean } | null} brush the brush under the pointer, if any
 * @property {(err: unknown, what: string) => void} loadFailed a slice or its masks could not be loaded
 */

/**
 * The slice's location, labelled by what it is: DICOM Slice Location (0020,1041) when the slice
 * has one, else its position along the slice normal.
 * @param {import("./api.js").SeriesInfo | null} series
 * @param {number} index
 */
function locationText(series, index) {
  const tagged = series?.slices?.[index]?.slice_location;
  if (typeof tagged === "number" && Number.isFinite(tagged)) return `\nSlice Location ${tagged.toFixed(1)} mm`;
  const along = series ? sliceLocation(series, index) : null;
  return along === null ? "" : `\nPosition along normal ${along.toFixed(1)}\u00a0mm`; // the value keeps its unit
}

export class SliceView {
  /**
   * @param {ViewState} state
   * @param {SliceViewHandlers} handlers
   */
  constructor(state, handlers) {
    this.state = state;
    this.handlers = handlers;
    this.slider = byId("slice-slider", HTMLInputElement);
    this.outline = false;
    /** @type {number | null} timeStamp of the key press whose slice is not drawn yet */
    this.inputAt = null;
    this.wire();
  }

  wire() {
    this.slider.addEventListener("input", () => this.showSlice(Number(this.slider.value)));
    const opacity = byId("opacity", HTMLInputElement);
    opacity.addEventListener("input", () => this.setOpacity(Number(opacity.value)));
    const outline = byId("outline", HTMLInputElement);
    outline.addEventListener("change", () => this.setOutline(outline.checked));
    // The key press's own time, to measure key press -> slice drawn (perf.js).
    document.addEventListener("keydown", (e) => {
      this.inputAt = e.timeStamp;
      setTimeout(() => {
        this.inputAt = null;
      });
    }, true);
  }

  /** A new series: its geometry, hooks and slider. @param {import("./api.js").SeriesInfo} series */
  setup(series) {
    const [rowSpacing = 1, colSpacing = 1] = series.spacing ?? [];
    this.state.renderer.setGeometry({ rows: series.rows, columns: series.columns, rowSpacing, colSpacing });
    const ds = this.state.canvas.dataset;
    ds.seriesUid = series.series_uid;
    ds.numSlices = String(series.num_slices);
    ds.rows = String(series.rows);
    ds.columns = String(series.columns);
    this.slider.max = String(Math.max(0, series.num_slices - 1));
    this.slider.disabled = series.num_slices < 2;
    this.setMessage(series.num_slices ? "" : "This series has no slices.");
  }

  /** @param {number} index */
  showSlice(index) {
    const { series, cache } = this.state;
    if (!series || !cache || this.state.stroke || !series.num_slices) return;
    const i = clamp(Math.round(index), 0, series.num_slices - 1);
    this.state.index = i;
    this.updateSliceUi();
    const cached = cache.peek(i);
    if (cached) {
      this.display(cached);
      this.state.renderer.drawNow();
      if (this.inputAt !== null) record("key-to-draw", this.inputAt);
    } else {
      cache.get(i).then(
        (slice) => {
          if (this.state.cache === cache && this.state.index === slice.index) this.display(slice);
        },
        (err) => {
          if (this.state.cache === cache) this.handlers.loadFailed(err, `Could not load slice ${i + 1}`);
        },
      );
    }
    this.inputAt = null;
    cache.prefetch(i);
    this.loadMasks(i);
    this.handlers.sliceChanged();
  }

  /** @param {number} delta slices on (negative: back) */
  step(delta) {
    this.showSlice(this.state.index + delta);
  }

  /** @param {Slice} slice */
  display(slice) {
    this.state.shown = slice;
    this.handlers.showing(slice);
    this.state.renderer.setPixels(slice.pixels);
    this.refreshLayers();
    this.updateCursorInfo();
  }

  /** Load every segment's mask on a slice (and, quietly, its neighbours'). @param {number} i */
  loadMasks(i) {
    const { session, series } = this.state;
    if (!session) return;
    this.refreshLayers();
    session.loadSlice(i).then(
      () => {
        if (this.state.session === session && this.state.index === i) this.refreshLayers();
      },
      (err) => {
        if (this.state.session === session) this.handlers.loadFailed(err, `Could not load the masks of slice ${i + 1}`);
      },
    );
    for (const j of [i + 1, i - 1]) {
      if (j >= 0 && series && j < series.num_slices) session.loadSlice(j).catch(() => undefined);
    }
  }

  /** Draw the masks of the slice on screen again (they, or how they are shown, changed). */
  refreshLayers() {
    const { session, index, overlay } = this.state;
    const layers = [];
    if (session) {
      for (const s of session.segments) {
        const mask = s.visible ? session.masks.get(s.number, index) : null;
        if (mask) layers.push({ mask, color: toRgb(s.color) });
      }
    }
    this.state.renderer.setLayers(layers, overlay.opacity, overlay.showMasks);
    this.updateReady();
    this.handlers.masksChanged();
  }

  updateSliceUi() {
    const { series, index } = this.state;
    const n = series?.num_slices ?? 0;
    this.slider.value = String(index);
    byId("slice-number", HTMLElement).textContent = n ? `${index + 1} / ${n}` : "–";
    this.state.canvas.dataset.slice = n ? String(index) : "";
    byId("info-slice", HTMLElement).textContent = n ? `Slice ${index + 1}/${n}${locationText(series, index)}` : "";
    this.updateReady();
  }

  updateReady() {
    const { shown, index, session, series } = this.state;
    const ready = shown !== null && shown.index === index && (session?.sliceLoaded(index) ?? true);
    this.state.canvas.dataset.ready = String(ready);
    byId("view-wrap", HTMLElement).classList.toggle("loading", series !== null && !ready);
  }

  /** @param {string} text over the view; empty hides it */
  setMessage(text) {
    const message = byId("view-message", HTMLElement);
    message.textContent = text;
    message.hidden = !text;
  }

  // ---- overlay options ----------------------------------------------------------------

  /** @param {number} value 0-1 */
  setOpacity(value) {
    this.state.overlay.opacity = clamp(value, 0, 1);
    byId("opacity-value", HTMLOutputElement).textContent = `${Math.round(this.state.overlay.opacity * 100)} %`;
    this.refreshLayers();
  }

  /** Opacity a step (0.1) up or down, the slider following. @param {number} direction */
  stepOpacity(direction) {
    const slider = byId("opacity", HTMLInputElement);
    this.setOpacity(Math.round((this.state.overlay.opacity + 0.1 * Math.sign(direction)) * 20) / 20);
    slider.value = String(this.state.overlay.opacity);
  }

  toggleMasks() {
    this.state.overlay.showMasks = !this.state.overlay.showMasks;
    this.refreshLayers();
  }

  /** @param {boolean} on masks as outlines rather than filled */
  setOutline(on) {
    this.outline = on;
    byId("outline", HTMLInputElement).checked = on;
    this.state.canvas.dataset.outline = String(on);
    this.state.renderer.setOutline(on);
  }

  // ---- pointer ------------------------------------------------------------------------

  /** @param {{ x: number, y: number } | null} p */
  hover(p) {
    this.state.pointer = p;
    this.updateCursor();
    this.updateCursorInfo();
  }

  /** The brush outline under the pointer, when a brush tool is on. */
  updateCursor() {
    const p = this.state.pointer;
    const brush = this.state.series ? this.handlers.brush() : null;
    this.state.renderer.setCursor(p && brush ? { ...p, ...brush } : null);
  }

  updateCursorInfo() {
    const info = byId("info-cursor", HTMLElement);
    const p = this.state.pointer;
    const at = p && this.state.shown ? this.pixelAt(p.x, p.y) : null;
    const shown = this.state.shown;
    info.textContent = at && shown
      ? `x ${at.col}  y ${at.row}  ${formatValue(shown.pixels[at.index])}${unitOf(this.state.series)}`
      : "";
  }

  /**
   * The image pixel under a view point, or null outside the image.
   * @param {number} x
   * @param {number} y
   */
  pixelAt(x, y) {
    const series = this.state.series;
    if (!series) return null;
    const { col, row } = this.state.renderer.viewToImage(x, y);
    const c = Math.floor(col);
    const r = Math.floor(row);
    if (c < 0 || r < 0 || c >= series.columns || r >= series.rows) return null;
    return { col: c, row: r, index: r * series.columns + c };
  }

  /**
   * The value of the pixel under a view point, when the slice to show is the one on screen.
   * @param {number} x
   * @param {number} y
   */
  valueAt(x, y) {
    const shown = this.state.shown;
    if (!shown || shown.index !== this.state.index) return null;
    const at = this.pixelAt(x, y);
    return at ? { index: at.index, value: shown.pixels[at.index] } : null;
  }
}
