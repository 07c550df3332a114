// @ts-check
/**
 * Window/level presets and adjustments. For CT the common CT windows come first (keys 1-5),
 * then the series' own windows (from the DICOM header), then "Auto" (the 1st to 99th
 * percentile of the slice on screen, the usual window for MR, whose values have no fixed
 * meaning) and "Full range". The first header window is the initial one when there is one.
 */

import { clear, h } from "./dom.js";

/**
 * @typedef {{ name: string, center: number, width: number, auto?: "percentile" | "full",
 *   header?: boolean }} WindowPreset
 */

/** Common CT windows in HU (centre, width), on keys 1-5 for CT. */
export const CT_WINDOWS = [
  { name: "Soft tissue", center: 40, width: 400 },
  { name: "Lung", center: -600, width: 1500 },
  { name: "Bone", center: 400, width: 1800 },
  { name: "Brain", center: 40, width: 80 },
  { name: "Liver", center: 60, width: 160 },
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
    if (!(w.width > 0) || !Number.isFinite(w.center)) return;
    const same = list.find((p) => `${p.center}/${p.width}` === key);
    if (same) {
      if (w.header) same.header = true;
      return;
    }
    seen.add(key);
    list.push(w);
  };
  if (series.modality === "CT") CT_WINDOWS.forEach((w) => add({ ...w }));
  // The service's own "Auto" (of the middle slice) is left out: "Auto" here is of the slice on
  // screen, one control for both. Only windows the header has are "header" ones.
  (series.windows ?? []).forEach((w, i) => {
    if (!w.header && w.name === "Auto") return;
    add({ name: w.name || `Window ${i + 1}`, center: Number(w.center), width: Number(w.width), header: Boolean(w.header) });
  });
  list.push({ name: "Auto", center: 0, width: 1, auto: "percentile" });
  list.push({ name: "Full range", center: 0, width: 1, auto: "full" });
  return list;
}

/**
 * The window to open a series with: its first header window, else the first CT window, else
 * "Auto".
 * @param {WindowPreset[]} presets
 * @returns {WindowPreset | undefined}
 */
export function initialPreset(presets) {
  return presets.find((p) => p.header) ?? presets.find((p) => !p.auto) ?? presets.find((p) => p.auto === "percentile");
}

/**
 * The window from the 1st to the 99th percentile of the values (a sample of at most 65536),
 * which ignores the air and the few very bright pixels that make "full range" look flat.
 * @param {ArrayLike<number>} pixels
 */
export function autoWindow(pixels) {
  const step = Math.max(1, Math.floor(pixels.length / 65536));
  const sample = new Float64Array(Math.ceil(pixels.length / step));
  let n = 0;
  for (let i = 0; i < pixels.length; i += step) sample[n++] = pixels[i];
  const sorted = sample.subarray(0, n).sort();
  if (!n) return { center: 0, width: 1 };
  const low = sorted[Math.floor((n - 1) * 0.01)];
  const high = sorted[Math.ceil((n - 1) * 0.99)];
  return { center: (low + high + 1) / 2, width: Math.max(1, high - low + 1) };
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
 * speed follows the window width (a narrow brain window moves by fractions of a HU a pixel, a
 * lung window by several), never slower than the value range / 20000 so a tiny window can grow.
 * @param {{ center: number, width: number }} window
 * @param {number} dx CSS pixels
 * @param {number} dy
 * @param {number} range max - min of the slice
 */
export function dragWindow(window, dx, dy, range) {
  const perPixel = Math.max(window.width / 300, range / 20000, 0.01);
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
    const button = h("button", { type: "button", class: "preset", "data-index": i, title: preset.auto === "full" ? "Whole value range of the slice" : preset.auto ? "1st to 99th percentile of the slice" : `C ${preset.center} / W ${preset.width}` }, [
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
