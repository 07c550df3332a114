// @ts-check
/**
 * The place on screen in the page's URL, so a reload or a shared link reopens it:
 * `?series=<uid>&slice=<0-based index>&layout=<1|1+2|2x2|1x3>&window=<center>,<width>&segment=<n>`
 * (the segment being painted, so a reload does not paint on another label);
 * a project task's link adds `&annotation=<id>&task=<id>` (projectapi.js taskLink, tasklink.js):
 * the annotation to open with its series, and the task whose bar the viewer shows.
 * Written with history.replaceState (no history entry a slice), a little after the last change.
 */

import { parseLayout } from "./layout.js";

/** @typedef {{ series: string | null, slice: number | null, layout: import("./layout.js").LayoutName | null,
 *   window: { center: number, width: number } | null, annotation: number | null, task: number | null,
 *   segment: number | null }} Place */

const DELAY_MS = 150;

/** The place a URL names (parts it lacks or gets wrong are null). @param {string} search @returns {Place} */
export function readPlace(search) {
  const q = new URLSearchParams(search);
  const slice = Number(q.get("slice"));
  const [center, width] = (q.get("window") ?? "").split(",").map((v) => (v === "" ? NaN : Number(v)));
  return {
    series: q.get("series") || null,
    slice: q.has("slice") && Number.isInteger(slice) && slice >= 0 ? slice : null,
    layout: parseLayout(q.get("layout")),
    window: Number.isFinite(center) && width > 0 ? { center, width } : null,
    annotation: positiveId(q.get("annotation")),
    task: positiveId(q.get("task")),
    segment: positiveId(q.get("segment")),
  };
}

export class PlaceInUrl {
  constructor() {
    /** @type {Readonly<Place>} the place the page was opened at */
    this.initial = Object.freeze(readPlace(location.search));
    /** @type {Place} */
    this.place = { ...this.initial };
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
  }

  /** @param {Partial<Place>} change */
  update(change) {
    Object.assign(this.place, change);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.write(), DELAY_MS);
  }

  write() {
    const { series, slice, layout, window: w, segment } = this.place;
    const q = new URLSearchParams(location.search);
    /** @type {[string, string | null][]} */
    const parts = [
      ["series", series],
      ["slice", series && slice !== null ? String(slice) : null],
      ["layout", layout],
      ["window", series && w ? `${round(w.center)},${round(w.width)}` : null],
      ["segment", series && segment !== null ? String(segment) : null],
      // the linked annotation is of the linked series: another series drops it
      ["annotation", series === this.initial.series && this.initial.annotation ? String(this.initial.annotation) : null],
    ];
    for (const [key, value] of parts) {
      if (value === null) q.delete(key);
      else q.set(key, value);
    }
    const search = q.toString().replaceAll("%2C", ",");
    const url = `${location.pathname}${search ? `?${search}` : ""}${location.hash}`;
    if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(history.state, "", url);
  }
}

/** An id (integer >= 1) or null. @param {string | null} raw */
function positiveId(raw) {
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 ? n : null;
}

/** @param {number} v */
const round = (v) => String(Math.round(v * 100) / 100);
