// @ts-check
/**
 * What a view says about its geometry: the orientation letters at its edges (PS3.3 C.7.6.1.1.1)
 * and the badge of an irregular series (gantry tilt, uneven spacing, missing slices).
 */

import { scale } from "./vec3.js";

/** @typedef {import("./vec3.js").Vec} Vec */
/** @typedef {import("./patientspace.js").Source} Source */
/** @typedef {{ regular?: boolean, tilt_degrees?: number, spacing_min?: number, spacing_max?: number, missing_slices?: number, pixel_spacing_known?: boolean }} Geometry */

/** What the viewer says when the images carry no usable Pixel Spacing. */
export const SPACING_UNKNOWN = "no pixel spacing in the images: 1 mm assumed";

/**
 * SPACING_UNKNOWN when the series' pixel spacing is assumed, else "".
 * @param {Geometry | undefined} g
 */
export function spacingNotice(g) {
  return g?.pixel_spacing_known === false ? SPACING_UNKNOWN : "";
}

/** LPS letters of +x, +y, +z and their opposites (PS3.3 C.7.6.1.1.1). */
const LETTERS = [["L", "R"], ["P", "A"], ["S", "I"]];

/**
 * The orientation letters of a direction: those of its components of at least 0.3 (about 17°
 * off the axes), the largest first, as most viewers show an oblique edge ("LP").
 * @param {Vec} d
 */
export function orientationLetters(d) {
  return [0, 1, 2]
    .filter((k) => Math.abs(d[k]) >= 0.3)
    .sort((a, b) => Math.abs(d[b]) - Math.abs(d[a]))
    .map((k) => LETTERS[k][d[k] > 0 ? 0 : 1])
    .join("");
}

/**
 * The four edge letters of a view whose screen right and down have these directions.
 * @param {{ right: Vec, down: Vec }} dirs
 */
export function edgeLetters({ right, down }) {
  return {
    left: orientationLetters(scale(right, -1)),
    right: orientationLetters(right),
    top: orientationLetters(scale(down, -1)),
    bottom: orientationLetters(down),
  };
}

/**
 * The range of the slice spacing along the normal, leaving out the steps over missing slices
 * (a step over 1.5 times the larger of its neighbours), which the badge counts apart.
 * @param {Source} src
 * @returns {[number, number] | null}
 */
export function spacingRange(src) {
  /** @type {number[]} */
  const steps = [];
  for (let k = 1; k < src.s.length; k++) steps.push(Math.abs(src.s[k] - src.s[k - 1]));
  const kept = steps.filter((d, i) => {
    const near = Math.max(steps[i - 1] ?? 0, steps[i + 1] ?? 0);
    return !(near > 0 && d > 1.5 * near);
  });
  return kept.length ? [Math.min(...kept), Math.max(...kept)] : null;
}

/** Frames at the same depth as the frame before them (several echoes or phases a position). @param {{ s: ArrayLike<number> }} src */
export function sharedPositions(src) {
  let shared = 0;
  for (let k = 1; k < src.s.length; k++) if (Math.abs(src.s[k] - src.s[k - 1]) <= 1e-4) shared++;
  return shared;
}

/**
 * The badge text of an irregular series, empty for a regular one.
 * @param {Geometry | undefined} g
 * @param {[number, number] | null} [range] the spacing without the gaps (spacingRange)
 * @param {number} [shared] frames at the position of an earlier frame (sharedPositions)
 */
export function geometryBadge(g, range = null, shared = 0) {
  if (!g || g.regular !== false) return "";
  const parts = [];
  if (shared > 0) parts.push(`${shared} frame${shared === 1 ? "" : "s"} at an already used position (echoes or phases): side views show the first`);
  if ((g.tilt_degrees ?? 0) >= 0.1) parts.push(`gantry tilt ${(g.tilt_degrees ?? 0).toFixed(1)}°`);
  const spacing = sliceSpacing(g, range);
  if (spacing.uneven) parts.push(`uneven spacing ${spacing.text}`);
  if (spacing.missing) parts.push(spacing.missing);
  return parts.length ? parts.join(" · ") : "irregular geometry";
}

/**
 * The slice spacing in words, for the badge and the 2x2 layout's geometry panel alike: the
 * range without the steps over missing slices (when the series has gaps and the range is
 * known), whether it is uneven, and the gap count ("" when none).
 * @param {Geometry} g
 * @param {[number, number] | null} range the spacing without the gaps (spacingRange)
 * @returns {{ text: string, uneven: boolean, missing: string }}
 */
export function sliceSpacing(g, range) {
  const count = g.missing_slices ?? 0;
  const [lo, hi] = count > 0 && range ? range : [g.spacing_min ?? 0, g.spacing_max ?? 0];
  const uneven = hi - lo > Math.max(0.01, lo * 0.01);
  return {
    text: uneven ? `${lo.toFixed(1)}–${hi.toFixed(1)} mm` : `${lo.toFixed(1)} mm`,
    uneven,
    missing: count > 0 ? `${count} missing slice${count === 1 ? "" : "s"}` : "",
  };
}

/** @typedef {{ reason: string, detail?: string, frames?: number[] }} LeftOut */

/**
 * The images the server left out of the volume, in words ("" when none), e.g.
 * "2 images left out: other orientation" or "3 images left out: 2 other size, 1 other orientation".
 * A frame of a multi-frame image counts as an image.
 * @param {LeftOut[] | undefined} excluded
 */
export function leftOutText(excluded) {
  if (!excluded?.length) return "";
  /** @type {Map<string, number>} */
  const counts = new Map();
  let n = 0;
  for (const e of excluded) {
    const images = e.frames?.length || 1;
    counts.set(e.reason, (counts.get(e.reason) ?? 0) + images);
    n += images;
  }
  const why = counts.size === 1 ? [...counts.keys()][0] : [...counts].map(([reason, k]) => `${k} ${reason}`).join(", ");
  return `${n} image${n === 1 ? "" : "s"} left out: ${why}`;
}

/**
 * What sets the left-out stacks apart from the one shown, each once ("" when nothing does),
 * e.g. "echo number 2, not 1; echo number 3, not 1".
 * @param {LeftOut[] | undefined} excluded
 */
export function leftOutDetails(excluded) {
  return [...new Set((excluded ?? []).map((e) => e.detail ?? "").filter(Boolean))].join("; ");
}
