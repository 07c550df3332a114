// @ts-check
/** Segment colours: "#rrggbb" on the wire, [r, g, b] for drawing. */

/** Distinct colours for custom segments, in the order they are handed out. */
export const PALETTE = [
  "#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6",
  "#bcf60c", "#fabebe", "#008080", "#e6beff", "#9a6324", "#fffac8", "#800000", "#aaffc3",
];

/**
 * Parse "#rrggbb", "#rgb" or [r, g, b]; anything else is grey.
 * @param {unknown} color
 * @returns {[number, number, number]}
 */
export function toRgb(color) {
  if (Array.isArray(color) && color.length >= 3) {
    return [Number(color[0]) & 255, Number(color[1]) & 255, Number(color[2]) & 255];
  }
  if (typeof color === "string") {
    const hex = color.trim().replace(/^#/, "");
    const full = hex.length === 3 ? [...hex].map((c) => c + c).join("") : hex;
    if (/^[0-9a-f]{6}$/i.test(full)) {
      const n = parseInt(full, 16);
      return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
    }
  }
  return [128, 128, 128];
}

/**
 * @param {unknown} color
 * @returns {string} "#rrggbb"
 */
export function toHex(color) {
  return "#" + toRgb(color).map((v) => v.toString(16).padStart(2, "0")).join("");
}

/**
 * The first palette colour that is neither in use nor a preset's (a custom label would look
 * like that preset), else the one farthest from all of them (customColor).
 * @param {string[]} used
 * @param {string[]} avoid the presets' colours
 * @returns {string} "#rrggbb"
 */
export function freeColor(used, avoid) {
  const taken = new Set([...used, ...avoid].map((c) => toHex(c)));
  return PALETTE.find((c) => !taken.has(c)) ?? customColor(used, avoid);
}

/**
 * A colour for a custom label: of the palette and 36 evenly spread hues, the one farthest (RGB
 * distance) from every colour in use and every preset's colour, so it is none of them.
 * @param {string[]} used the other segments' colours
 * @param {string[]} avoid the presets' colours
 * @returns {string} "#rrggbb"
 */
export function customColor(used, avoid) {
  const taken = [...used, ...avoid].map((c) => toRgb(c));
  const hues = Array.from({ length: 36 }, (_, i) => hslHex((i * 137.508) % 360, 0.8, 0.55));
  let best = hues[0];
  let bestDistance = -1;
  for (const candidate of [...PALETTE, ...hues]) {
    const [r, g, b] = toRgb(candidate);
    const nearest = Math.min(Infinity, ...taken.map(([r2, g2, b2]) => Math.hypot(r - r2, g - g2, b - b2)));
    if (nearest > bestDistance) {
      best = candidate;
      bestDistance = nearest;
    }
  }
  return toHex(best);
}

/**
 * @param {number} hue degrees
 * @param {number} s 0..1
 * @param {number} l 0..1
 */
function hslHex(hue, s, l) {
  const k = (/** @type {number} */ n) => (n + hue / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (/** @type {number} */ n) => Math.round(255 * (l - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1))));
  return toHex([f(0), f(8), f(4)]);
}
