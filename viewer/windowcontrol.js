// @ts-check
/**
 * Window/level of the open series: the presets (buttons and keys 1-5), the typed centre and
 * width, dragging, the automatic window and invert. The arithmetic is in windowing.js; this
 * keeps the current window and shows it in the main view, its fields and (through `changed`)
 * the reformatted views.
 */

import { byId } from "./dom.js";
import { autoWindow, dragWindow, formatValue, fullRange, initialPreset, renderPresetButtons, windowPresets } from "./windowing.js";

/** @typedef {import("./windowing.js").WindowPreset} WindowPreset */
/** @typedef {import("./slices.js").Slice} Slice */
/** @typedef {(center: number, width: number, invert: boolean) => void} WindowListener */

export class WindowControl {
  /**
   * @param {import("./viewstate.js").ViewState} state
   * @param {WindowListener} changed the other views to window alike
   */
  constructor(state, changed) {
    this.state = state;
    this.changed = changed;
    /** @type {WindowPreset[]} */
    this.windows = [];
    this.window = { center: 40, width: 400 };
    /** whether a window was chosen for this series (else the first slice shown picks one) */
    this.windowSet = false;
    /** the user's invert, on top of MONOCHROME1's */
    this.inverted = false;
    this.wireFields();
  }

  wireFields() {
    const center = byId("window-center", HTMLInputElement);
    const width = byId("window-width", HTMLInputElement);
    const typed = () => {
      if (center.value !== "" && Number(width.value) > 0) this.setManual(Number(center.value), Number(width.value));
    };
    center.addEventListener("change", typed);
    width.addEventListener("change", typed);
    byId("invert", HTMLButtonElement).addEventListener("click", () => this.toggleInvert());
  }

  /** A new series: its presets, and its first preset unless that one depends on the pixels. @param {import("./api.js").SeriesInfo} series */
  setup(series) {
    this.windows = windowPresets(series);
    renderPresetButtons(byId("window-presets", HTMLElement), this.windows, (i) => this.applyPreset(i));
    this.windowSet = false;
    const first = initialPreset(this.windows);
    if (first && !first.auto) this.setWindow(first.center, first.width);
    this.markActive(first && !first.auto ? this.windows.indexOf(first) : -1);
  }

  /** Window a slice about to be drawn; the first one of a series picks the window when none was. @param {Slice} slice */
  showing(slice) {
    if (!this.windowSet) {
      const first = initialPreset(this.windows);
      const w = first && !first.auto ? first : autoWindow(slice.pixels);
      this.setWindow(w.center, w.width);
    }
    this.state.renderer.setWindow(this.window.center, this.window.width, this.invertOn());
  }

  /**
   * @param {number} center
   * @param {number} width
   */
  setWindow(center, width) {
    this.window = { center, width: Math.max(width, 1e-6) };
    this.windowSet = true;
    this.state.renderer.setWindow(center, this.window.width, this.invertOn());
    this.changed(center, this.window.width, this.invertOn());
    byId("window-center", HTMLInputElement).value = formatValue(Math.round(center * 100) / 100);
    byId("window-width", HTMLInputElement).value = formatValue(Math.round(width * 100) / 100);
    // No-break spaces: a narrow view wraps the corner between width and level, not inside one.
    byId("info-window", HTMLElement).textContent = `W\u00a0${formatValue(Math.round(width))}  L\u00a0${formatValue(Math.round(center))}`;
    this.state.canvas.dataset.window = `${center},${width}`;
  }

  /** A right (or W tool) drag by (dx, dy) CSS pixels. @param {number} dx @param {number} dy */
  drag(dx, dy) {
    const shown = this.state.shown;
    const next = dragWindow(this.window, dx, dy, shown ? shown.max - shown.min : 1000);
    this.setManual(next.center, next.width);
  }

  /**
   * A window the user set by hand (drag, typed, a link): no preset is active any more.
   * @param {number} center
   * @param {number} width
   */
  setManual(center, width) {
    this.setWindow(center, width);
    this.markActive(-1);
  }

  /** The highlighted preset button, or none (-1). @param {number} i */
  markActive(i) {
    for (const b of document.querySelectorAll("#window-presets .preset")) {
      b.classList.toggle("active", b.getAttribute("data-index") === String(i));
    }
  }

  /** @param {number} i */
  applyPreset(i) {
    const preset = this.windows[i];
    const shown = this.state.shown;
    if (!preset) return;
    if (preset.auto) {
      if (!shown) return;
      const w = preset.auto === "full" ? fullRange(shown.min, shown.max) : autoWindow(shown.pixels);
      this.setWindow(w.center, w.width);
    } else this.setWindow(preset.center, preset.width);
    this.markActive(i);
  }

  /** The 1st-99th percentile window of the slice on screen (the "Auto" preset). */
  applyAuto() {
    const i = this.windows.findIndex((w) => w.auto === "percentile");
    if (i >= 0) this.applyPreset(i);
  }

  invertOn() {
    return Boolean(this.state.series?.invert) !== this.inverted;
  }

  toggleInvert() {
    this.inverted = !this.inverted;
    byId("invert", HTMLButtonElement).setAttribute("aria-pressed", String(this.inverted));
    this.state.canvas.dataset.invert = String(this.inverted);
    this.setWindow(this.window.center, this.window.width);
  }
}
