// @ts-check
/**
 * What one page of an annotation leaves to the next: on pagehide the pending masks are written
 * with keepalive requests and the rest waits in this tab with the undo history; a reload or a
 * new login takes them back (annotation.js). And which annotation a series reopens.
 */

import * as api from "./api.js";
import { keepHistory, restoreHistory } from "./historystore.js";
import { encodeMaskNow, packBits, unpackBits } from "./maskcodec.js";

/** @typedef {import("./annotation.js").AnnotationSession} AnnotationSession */
/** @typedef {import("./saver.js").Saver} Saver */

/**
 * The annotation to reopen: the most recently updated, then the highest version.
 * @param {import("./api.js").AnnotationInfo[]} list
 */
export function latest(list) {
  const key = (/** @type {import("./api.js").AnnotationInfo} */ a) => [
    String(a.updated_at ?? a.created_at ?? ""),
    Number(a.version) || 0,
    Number(a.id) || 0,
  ];
  return [...list].sort((a, b) => {
    const [ua, va, ia] = key(a);
    const [ub, vb, ib] = key(b);
    if (ua !== ub) return ua < ub ? 1 : -1;
    return /** @type {number} */ (vb) - /** @type {number} */ (va) || /** @type {number} */ (ib) - /** @type {number} */ (ia);
  })[0];
}

/**
 * A reload or a new login: take back what the last page of this tab left, the masks waiting
 * to be written (written now) and the undo history (when nothing changed the annotation
 * since). When something did, the waiting masks meet the server's as a conflict, for the
 * user to decide, and the history is dropped: its steps no longer match the server.
 */
/** @param {AnnotationSession} session */
export function takeBack(session) {
  const saver = /** @type {Saver} */ (session.saver);
  const kept = restoreHistory(/** @type {number | string} */ (session.id), saver.version, session.history);
  if (!kept) return;
  for (const w of kept.waiting) {
    session.masks.set(w.segment, w.slice, unpackBits(w.mask, session.pixelCount));
    saver.markDirty(w.segment, w.slice);
  }
  if (kept.waiting.length && kept.version !== saver.version) {
    saver.conflict = true;
    saver.message = `it is at version ${saver.version}; your ${kept.waiting.length} waiting changes were made on version ${kept.version}`;
    saver.emit();
  }
  loadHistoryMasks(session);
}

/** Load, in the background, the masks the restored history flips, so undo can replay them. */
/** @param {AnnotationSession} session */
function loadHistoryMasks(session) {
  for (const step of [...session.history.done, ...session.history.undone]) {
    for (const p of step.parts) session.masks.load(p.segment, p.slice).catch(() => undefined);
  }
}

/**
 * The page is going away (pagehide): write the pending masks now with keepalive requests,
 * uncompressed so it happens at once (maskcodec.encodeMaskNow), within the browser's 64 KiB
 * keepalive budget; then keep the undo history for a reload.
 */
/** @param {AnnotationSession} session */
export function leavePage(session) {
  const id = session.id;
  const saver = session.saver;
  if (id === null || !saver) return;
  let budget = 60 * 1024;
  saver.writeOnExit((segment, slice, version) => {
    const body = encodeMaskNow(session.masks.get(segment, slice) ?? null, session.pixelCount);
    if (body.length > budget) return false;
    budget -= body.length;
    api.putMaskBytes(id, segment, slice, body, version, true).catch(() => undefined);
    return true;
  });
  // What could not go out (the session ended: the login is next; the budget ran out) waits
  // in this tab. A change the server refused for good makes the history wrong: not kept.
  const waiting = [...saver.dirty.values()].map(({ segment, slice }) => {
    const mask = session.masks.get(segment, slice);
    return { segment, slice, mask: mask ? packBits(mask) : new Uint8Array((session.pixelCount + 7) >> 3) };
  });
  keepHistory(id, saver.version, saver.diverged ? null : session.history, waiting);
}

