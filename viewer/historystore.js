// @ts-check
/**
 * The undo history of an annotation kept in this tab's sessionStorage when the page goes away,
 * so a reload can still undo. It is taken back only when the annotation is at the version it
 * was stored at (nothing changed it since); bounded to MAX_CHARS (oldest steps dropped first).
 */

import { History } from "./history.js";

/** @typedef {import("./history.js").Step} Step */
/** @typedef {import("./history.js").SegmentState} SegmentState */

const MAX_CHARS = 2_000_000;
const PREFIX = "segdicom.history.";

/** @param {Uint8Array | Uint32Array} bytes */
function toBase64(bytes) {
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let text = "";
  for (let i = 0; i < view.length; i += 0x8000) text += String.fromCharCode(...view.subarray(i, i + 0x8000));
  return btoa(text);
}

/** @param {string} text */
function fromBase64(text) {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

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
 * Keep an annotation's history (at this version).
 * @param {number | string} id
 * @param {number} version
 * @param {History} history
 */
export function keepHistory(id, version, history) {
  const done = history.done.map(stepOut);
  const undone = history.undone.map(stepOut);
  let text = JSON.stringify({ version, done, undone });
  while (text.length > MAX_CHARS && (done.length || undone.length)) {
    if (done.length) done.shift();
    else undone.shift();
    text = JSON.stringify({ version, done, undone });
  }
  try {
    sessionStorage.setItem(PREFIX + id, text);
  } catch {
    // Storage full or off: the history lasts as long as the page, as before.
  }
}

/**
 * Take back the history kept for an annotation, if it was kept at this version.
 * @param {number | string} id
 * @param {number} version
 * @param {History} history filled in place
 * @returns {boolean}
 */
export function restoreHistory(id, version, history) {
  let text = null;
  try {
    text = sessionStorage.getItem(PREFIX + id);
    sessionStorage.removeItem(PREFIX + id);
  } catch {
    return false;
  }
  if (!text) return false;
  try {
    const kept = JSON.parse(text);
    if (kept.version !== version) return false;
    history.done = kept.done.map(stepIn);
    history.undone = kept.undone.map(stepIn);
    return true;
  } catch {
    return false;
  }
}
