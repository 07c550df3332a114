// @ts-check
/**
 * The tool bar: which tool the pointer uses, the brush size, and the value range of the
 * threshold brush and the flood fill (typed, or picked from a pixel: the next click, or P).
 */

import { byId } from "./dom.js";
import { icon } from "./icons.js";
import { showInfo } from "./notify.js";
import { formatValue } from "./windowing.js";
import { clamp, unitOf } from "./viewstate.js";

/** @typedef {import("./tools.js").Tool} Tool */
/**
 * @typedef {object} ToolHandlers
 * @property {() => void} cursorChanged the brush under the pointer changed
 * @property {(x: number, y: number) => { value: number } | null} valueAt the pixel value under a view point
 */

/** The threshold brush's and the flood fill's range on CT, in HU: soft tissue to contrast. */
const CT_RANGE = { low: -100, high: 300 };

const BRUSH_SIZES = [0.5, 1, 1.5, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50];

/** @type {[string, Parameters<typeof icon>[0]][]} */
const TOOL_BUTTONS = [
  ["tool-brush", "brush"], ["tool-threshold", "layers"], ["tool-fill", "bucket"], ["tool-eraser", "eraser"],
  ["tool-wl", "contrast"],
];

export class ToolControls {
  /**
   * @param {import("./viewstate.js").ViewState} state
   * @param {ToolHandlers} handlers
   */
  constructor(state, handlers) {
    this.state = state;
    this.handlers = handlers;
    /** @type {Tool} */
    this.tool = "brush";
    /** brush diameter */
    this.brushMm = 5;
    /** the threshold brush's and the flood fill's value range (HU for CT) */
    this.range = { ...CT_RANGE };
    /** the user typed or picked the range: it is kept across series */
    this.rangeChosen = false;
    /** the next click on the view sets the range from the pixel under it */
    this.picking = false;
  }

  /** Wire the tool bar and show the initial tool, size and range. */
  start() {
    for (const [id, name] of TOOL_BUTTONS) {
      const button = byId(id, HTMLButtonElement);
      button.prepend(icon(name));
      button.addEventListener("click", () => this.setTool(/** @type {Tool} */ (button.dataset.tool)));
    }
    const size = byId("brush-size", HTMLInputElement);
    size.addEventListener("input", () => this.setBrush(Number(size.value)));
    const low = byId("threshold-low", HTMLInputElement);
    const high = byId("threshold-high", HTMLInputElement);
    const typedRange = () => {
      if (low.value === "" || high.value === "") return;
      this.rangeChosen = true;
      this.setRange(Number(low.value), Number(high.value));
    };
    low.addEventListener("change", typedRange);
    high.addEventListener("change", typedRange);
    byId("threshold-pick", HTMLButtonElement).addEventListener("click", () => this.setPicking(!this.picking));
    this.setRange(this.range.low, this.range.high);
    this.setTool(this.tool);
    this.setBrush(this.brushMm);
  }

  /** @param {Tool} tool */
  setTool(tool) {
    this.tool = tool;
    for (const b of document.querySelectorAll(".tool-buttons .tool")) {
      b.setAttribute("aria-checked", String(b.getAttribute("data-tool") === tool));
    }
    const canvas = this.state.canvas;
    canvas.dataset.tool = tool;
    canvas.classList.toggle("painting", this.isBrush());
    canvas.classList.toggle("filling", tool === "fill");
    this.handlers.cursorChanged();
  }

  /** Whether the tool paints or erases along the pointer. */
  isBrush() {
    return this.tool === "brush" || this.tool === "eraser" || this.tool === "threshold";
  }

  /** The brush as the cursor shows it, or null when the tool is not a brush. */
  brush() {
    return this.isBrush() ? { radiusMm: this.brushMm / 2, erase: this.tool === "eraser" } : null;
  }

  /** @param {number} mm diameter */
  setBrush(mm) {
    this.brushMm = clamp(mm, 0.5, 50);
    byId("brush-size", HTMLInputElement).value = String(this.brushMm);
    byId("brush-size-value", HTMLOutputElement).textContent = `${formatValue(this.brushMm)} mm`;
    this.handlers.cursorChanged();
  }

  /** @param {number} direction the next larger size when > 0, else the next smaller */
  stepBrush(direction) {
    const larger = BRUSH_SIZES.find((s) => s > this.brushMm + 1e-9);
    const smaller = [...BRUSH_SIZES].reverse().find((s) => s < this.brushMm - 1e-9);
    this.setBrush(direction > 0 ? larger ?? 50 : smaller ?? 0.5);
  }

  /**
   * @param {number} low
   * @param {number} high
   */
  setRange(low, high) {
    this.range = { low: Math.min(low, high), high: Math.max(low, high) };
    byId("threshold-low", HTMLInputElement).value = formatValue(this.range.low);
    byId("threshold-high", HTMLInputElement).value = formatValue(this.range.high);
    this.state.canvas.dataset.range = `${this.range.low},${this.range.high}`;
  }

  /**
   * A series opened: unless the user chose a range, start from one that suits it. HU have a
   * meaning, so CT keeps -100..300 (soft tissue to contrast); other values do not, so the range
   * is the upper half of the series' default window (its first header window, else the
   * service's auto window): tissue brighter than the background.
   * @param {import("./api.js").SeriesInfo} series
   */
  seriesOpened(series) {
    if (this.rangeChosen) return;
    const windows = series.windows ?? [];
    const w = windows.find((x) => x.header) ?? windows[0];
    if (series.modality === "CT" || !w || !(w.width > 0)) this.setRange(CT_RANGE.low, CT_RANGE.high);
    else this.setRange(Number(w.center), Number(w.center) + Number(w.width) / 2);
  }

  /** @param {boolean} on */
  setPicking(on) {
    this.picking = on;
    byId("threshold-pick", HTMLButtonElement).setAttribute("aria-pressed", String(on));
    this.state.canvas.classList.toggle("picking", on);
  }

  /**
   * Set the range around the value of the pixel under (x, y): +- the tolerance field.
   * @param {number} x
   * @param {number} y
   */
  pickRange(x, y) {
    this.setPicking(false);
    const at = this.handlers.valueAt(x, y);
    if (!at) return;
    const tolerance = Math.abs(Number(byId("threshold-tolerance", HTMLInputElement).value) || 0);
    this.rangeChosen = true;
    this.setRange(at.value - tolerance, at.value + tolerance);
    const unit = unitOf(this.state.series);
    showInfo(`Range ${formatValue(this.range.low)} to ${formatValue(this.range.high)}${unit}`);
  }

  pickAtPointer() {
    const p = this.state.pointer;
    if (p) this.pickRange(p.x, p.y);
  }
}
