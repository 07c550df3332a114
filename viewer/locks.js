// @ts-check
/**
 * Which segments of an annotation are locked against painting, kept in this browser
 * (localStorage, one key per annotation id) so a lock outlives a reload. A lock is a safeguard
 * of the person painting, not part of the annotation: the server never sees it.
 */

/** @param {number | string} annotationId */
const key = (annotationId) => `segdicom.locks.${annotationId}`;

/**
 * The locked segment numbers, or null when this browser keeps no storage (locks then last as
 * long as the page).
 * @param {number | string} annotationId
 * @returns {Set<number> | null}
 */
export function readLocks(annotationId) {
  let raw;
  try {
    raw = localStorage.getItem(key(annotationId));
  } catch (err) {
    console.warn("Segment locks are kept for this page only: no local storage.", err);
    return null;
  }
  let list;
  try {
    list = JSON.parse(raw ?? "[]");
  } catch {
    list = []; // not ours to read (edited by hand): no segment is locked
  }
  return new Set(Array.isArray(list) ? list.map(Number).filter(Number.isInteger) : []);
}

/**
 * @param {number | string} annotationId
 * @param {number[]} locked segment numbers
 */
export function writeLocks(annotationId, locked) {
  try {
    if (locked.length) localStorage.setItem(key(annotationId), JSON.stringify(locked));
    else localStorage.removeItem(key(annotationId));
  } catch (err) {
    console.warn("Segment locks are kept for this page only: cannot write local storage.", err);
  }
}
