// @ts-check
/**
 * The editable area: whether painting one segment may cover pixels of the others. "allow" (they
 * may overlap), "no_other" (a stroke never paints where another segment is) or "no_locked" (never
 * where a locked segment is). A stroke's new pixels are masked by the protected segments' masks
 * on that slice; erasing is never restricted (it changes only the active segment). The choice is
 * kept in this browser (localStorage), like the locks; the server applies the same rule to the
 * operations when the request names it (`overlap`, `locked`).
 */

/** @typedef {"allow" | "no_other" | "no_locked"} Overlap */
/** @typedef {import("./annotation.js").AnnotationSession} AnnotationSession */

const KEY = "segdicom.overlap";
/** @type {Overlap[]} */
export const OVERLAP_MODES = ["allow", "no_other", "no_locked"];
/** @type {Overlap} when storage is unavailable */
let fallback = "allow";

/** @returns {Overlap} */
export function readOverlap() {
  let raw = null;
  try {
    raw = localStorage.getItem(KEY);
  } catch {
    return fallback;
  }
  return OVERLAP_MODES.find((m) => m === raw) ?? "allow";
}

/** @param {Overlap} mode */
export function writeOverlap(mode) {
  fallback = mode;
  try {
    localStorage.setItem(KEY, mode);
  } catch (err) {
    console.warn("The editable area is kept for this page only: cannot write local storage.", err);
  }
}

/**
 * The segments that a stroke of `segment` must not paint over.
 * @param {AnnotationSession} session
 * @param {number} segment
 * @param {Overlap} [mode]
 * @returns {number[]}
 */
export function protectedSegments(session, segment, mode = readOverlap()) {
  if (mode === "allow") return [];
  return session.segments.filter((s) => s.number !== segment && (mode === "no_other" || s.locked)).map((s) => s.number);
}

/**
 * The pixels of slice `slice` that a stroke of `segment` must not paint (1), or null when none.
 * A protected mask that is not loaded is loaded by `loadProtected` first; one still missing is
 * taken as empty.
 * @param {AnnotationSession} session
 * @param {number} segment
 * @param {number} slice
 * @returns {Uint8Array | null}
 */
export function blockedOn(session, segment, slice) {
  /** @type {Uint8Array | null} */
  let out = null;
  for (const n of protectedSegments(session, segment)) {
    const mask = session.masks.get(n, slice);
    if (!mask) continue;
    out ??= new Uint8Array(mask.length);
    for (let i = 0; i < mask.length; i++) if (mask[i]) out[i] = 1;
  }
  return out;
}

/**
 * Load the protected segments' masks on these slices.
 * @param {AnnotationSession} session
 * @param {number} segment
 * @param {Iterable<number>} slices
 */
export async function loadProtected(session, segment, slices) {
  const numbers = protectedSegments(session, segment);
  const list = [...slices];
  await Promise.all(numbers.flatMap((n) => list.map((k) => session.masks.load(n, k).catch(() => undefined))));
}

/**
 * `target` kept to `current` wherever the slice is blocked for new paint: a protected pixel is
 * never added (one already painted may stay, or be erased).
 * @param {Uint8Array} target the new mask (changed in place)
 * @param {Uint8Array | null | undefined} current the mask before
 * @param {Uint8Array | null} blocked
 */
export function restrict(target, current, blocked) {
  if (!blocked) return target;
  for (let i = 0; i < target.length; i++) if (blocked[i] && target[i] && !current?.[i]) target[i] = 0;
  return target;
}

/**
 * The body fields that make a server operation follow the same rule.
 * @param {AnnotationSession} session
 * @returns {{ overlap: Overlap, locked: number[] }}
 */
export function overlapFields(session) {
  return { overlap: readOverlap(), locked: session.segments.filter((s) => s.locked).map((s) => s.number) };
}
