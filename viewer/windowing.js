// @ts-check
/**
 * Window/level presets and adjustments. The series' own windows (from the DICOM header) come
 * first, then common CT windows, then "Full range" of the slice on screen.
 */

import { clear, h } from "./dom.js";

/** @typedef {{ name: string, center: number, width: number, auto?: boolean }} WindowPreset */

/** Common CT windows in HU (centre, width). */
const CT_WINDOWS = [
  { name: "Soft tissue", center: 40, width: 400 },
  { name: "Lung", center: -600, width: 1500 },
  { name: "Bone", center: 400, width: 1800 },
  { name: "Brain", center: 40, width: 80 },
];

/**
 * @param {import("./api.js").SeriesInfo} series
 * @returns {WindowPreset[]}
 */
export function windowPresets(series) {
  /** @type {WindowPreset[]} */
  const list = [];
  const seen = new Set();
  const add = (/** @type {WindowPreset} */ w) => {
    const key = `${w.center}/${w.width}`;
    if (seen.has(key) || !(w.width > 0) || !Number.isFinite(w.center)) return;
    seen.add(key);
    list.push(w);
  };
  (series.windows ?? []).forEach((w, i) =>
    add({ name: w.name || `Window ${i + 1}`, center: Number(w.center), width: Number(w.width) }),
  );
  if (series.modality === "CT") CT_WINDOWS.forEach(add);
  list.push({ name: "Full range", center: 0, width: 1, auto: true });
  return list;
}

/**
 * The window showing a value range in full.
 * @param {number} min
 * @param {number} max
 */
export function fullRange(min, max) {
  return { center: (min + max + 1) / 2, width: Math.max(1, max - min + 1) };
}

/**
 * A drag's change of the window: right widens, down raises the centre (darker image); the
 * speed follows the value range so 8-bit and float images feel like CT.
 * @param {{ center: number, width: number }} window
 * @param {number} dx CSS pixels
 * @param {number} dy
 * @param {number} range max - min of the slice
 */
export function dragWindow(window, dx, dy, range) {
  const perPixel = Math.max(range / 800, 0.01);
  return {
    center: window.center + dy * perPixel,
    width: Math.max(perPixel, window.width + dx * perPixel),
  };
}

/**
 * Buttons for the presets; the first five carry their key.
 * @param {HTMLElement} container
 * @param {WindowPreset[]} presets
 * @param {(index: number) => void} choose
 */
export function renderPresetButtons(container, presets, choose) {
  clear(container);
  presets.forEach((preset, i) => {
    const button = h("button", { type: "button", class: "preset", "data-index": i, title: preset.auto ? "Whole value range of the slice" : `C ${preset.center} / W ${preset.width}` }, [
      i < 5 ? h("kbd", { text: String(i + 1) }) : null,
      h("span", { text: preset.name }),
    ]);
    button.addEventListener("click", () => choose(i));
    container.append(button);
  });
}

/**
 * @param {number} value
 */
export function formatValue(value) {
  return Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) < 10 ? 2 : 1);
}
