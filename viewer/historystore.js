// @ts-check
/**
 * What a page leaves behind for the next page of this tab (sessionStorage), by annotation: the
 * undo history, so a reload can still undo, and the masks that are waiting to be written (the
 * session ended, or the keepalive budget ran out), so a page that signs in again writes them.
 * The history is taken back only when the annotation is at the version it was kept at (nothing
 * changed it since), and only together with its waiting masks: every step of it then matches
 * what the server will hold. Bounded to MAX_CHARS (oldest steps dropped first; never a waiting
 * mask, which is work not yet saved).
 */

import { History } from "./history.js";
import { fromBase64, toBase64 } from "./maskcodec.js";

/** @typedef {import("./history.js").Step} Step */
/** @typedef {import("./history.js").SegmentState} SegmentState */
/** @typedef {{ segment: number, slice: number, mask: Uint8Array }} Waiting a whole slice mask, packed 8 pixels a byte */
/** @typedef {{ version: number, history: boolean, waiting: Waiting[] }} Kept history: the history was taken back */

const MAX_CHARS = 2_000_000;
// login.js counts the waiting masks under this prefix (it loads nothing else: SECURITY.md).
const PREFIX = "segdicom.history.";

/** @param {SegmentState | null} s */
const segmentOut = (s) => s && { ...s, masks: [...s.masks].map(([slice, m]) => [slice, toBase64(m)]) };

/** @param {any} s @returns {SegmentState | null} */
const segmentIn = (s) => s && { ...s, masks: new Map(s.masks.map((/** @type {[number, string]} */ [k, m]) => [k, fromBase64(m)])) };

/** @param {Step} step */
function stepOut(step) {
  return {
    parts: step.parts.map((p) => ({ segment: p.segment, slice: p.slice, flips: toBase64(p.flips) })),
    segment: step.segment ? { before: segmentOut(step.segment.before), after: segmentOut(step.segment.after) } : undefined,
  };
}

/** @param {any} step @returns {Step} */
function stepIn(step) {
  const parts = step.parts.map((/** @type {any} */ p) => {
    const bytes = fromBase64(p.flips);
    return { segment: p.segment, slice: p.slice, flips: new Uint32Array(bytes.buffer, 0, bytes.length >> 2) };
  });
  return step.segment ? { parts, segment: { before: segmentIn(step.segment.before), after: segmentIn(step.segment.after) } } : { parts };
}

/**
 * Keep an annotation's history (at this version; null: none, it no longer matches the server)
 * and the masks waiting to be written.
 * @param {number | string} id
 * @param {number} version
 * @param {History | null} history
 * @param {Waiting[]} [waiting]
 */
export function keepHistory(id, version, history, waiting = []) {
  const done = history?.done.map(stepOut) ?? [];
  const undone = history?.undone.map(stepOut) ?? [];
  const masks = waiting.map((w) => ({ segment: w.segment, slice: w.slice, mask: toBase64(w.mask) }));
  const keep = () => JSON.stringify({ version, history: history !== null, done, undone, waiting: masks });
  let text = keep();
  while (text.length > MAX_CHARS && (done.length || undone.length)) {
    if (done.length) done.shift();
    else undone.shift();
    text = keep();
  }
  try {
    sessionStorage.setItem(PREFIX + id, text);
  } catch {
    // Storage full or off: the history lasts as long as the page, as before.
  }
}

/**
 * Take back what was kept for an annotation: its waiting masks, and its history when it was
 * kept at this version. Null when nothing was kept.
 * @param {number | string} id
 * @param {number} version the annotation's version on the server now
 * @param {History} history filled in place
 * @returns {Kept | null}
 */
export function restoreHistory(id, version, history) {
  let text = null;
  try {
    text = sessionStorage.getItem(PREFIX + id);
    sessionStorage.removeItem(PREFIX + id);
  } catch {
    return null;
  }
  if (!text) return null;
  try {
    const kept = JSON.parse(text);
    const waiting = (kept.waiting ?? []).map((/** @type {any} */ w) => ({ segment: w.segment, slice: w.slice, mask: fromBase64(w.mask) }));
    const matches = kept.version === version && kept.history !== false;
    if (matches) {
      history.done = kept.done.map(stepIn);
      history.undone = kept.undone.map(stepIn);
    }
    return { version: kept.version, history: matches, waiting };
  } catch {
    return null;
  }
}
