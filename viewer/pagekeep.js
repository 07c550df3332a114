// @ts-check
/**
 * What one page of an annotation leaves to the next: on pagehide the pending masks are written
 * with keepalive requests, and kept in this browser until a next page sees them on the server
 * (exitstore.js); the rest waits in this tab with the undo history; a reload or a new login
 * takes them back (annotation.js). And which annotation a series reopens.
 */

import { knownUser, whoAmI } from "./account.js";
import * as api from "./api.js";
import { dropSent, keepSent, readSent } from "./exitstore.js";
import { keepHistory, restoreHistory } from "./historystore.js";
import { deflate, encodeMaskNow, packBits, unpackBits } from "./maskcodec.js";

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
 * A reload, a new login or a new tab: take back what the last page left. The masks it sent as
 * it closed that did not reach the server are written again. Then, from this tab, the masks
 * waiting to be written (written now) and the undo history (when nothing else changed the
 * annotation since). When something did, the waiting masks meet the server's as a conflict,
 * for the user to decide, and the history is dropped: its steps no longer match the server.
 */
/** @param {AnnotationSession} session */
export async function takeBack(session) {
  const saver = /** @type {Saver} */ (session.saver);
  const id = /** @type {number | string} */ (session.id);
  const sent = await sentByMe(id);
  if (session.saver !== saver) return; // another annotation was opened meanwhile
  // The version the last page's history and waiting masks were made at, when only its own
  // writes (landed or written again now) stand between it and the server's.
  const version = sent ? resend(session, sent) : saver.version;
  const kept = restoreHistory(id, version, session.history);
  if (kept) {
    for (const w of kept.waiting) writeAgain(session, w.segment, w.slice, unpackBits(w.mask, session.pixelCount));
    if (kept.waiting.length && kept.version !== version) {
      saver.conflict = true;
      saver.message = `it is at version ${saver.version}; your ${kept.waiting.length} waiting changes were made on version ${kept.version}`;
      saver.emit();
    }
    loadHistoryMasks(session);
  }
  if (sent || kept) session.onChange();
}

/**
 * What a closed page of this user sent for the annotation (taken out of the browser), or null.
 * @param {number | string} id
 */
async function sentByMe(id) {
  const me = await whoAmI().catch(() => null);
  if (!me) return null;
  // "": a page that closed before the server had said who was signed in.
  for (const user of new Set([me.username, ""])) {
    const sent = readSent(id, user);
    if (!sent) continue;
    dropSent(id, user);
    return sent;
  }
  return null;
}

/**
 * Write again what a closed page sent and the server did not get; answers the version the
 * page was at when it closed, when the server's is one of that page's own (else the server's).
 * @param {AnnotationSession} session
 * @param {import("./exitstore.js").Sent} sent
 */
function resend(session, sent) {
  const saver = /** @type {Saver} */ (session.saver);
  const end = sent.start + sent.masks.length;
  if (saver.version < sent.base || saver.version > end) {
    void compareSent(session, sent);
    return saver.version;
  }
  // Each write waited for the one before: those from the server's version on did not land.
  const rest = sent.masks.slice(Math.max(0, saver.version - sent.start));
  for (const m of rest) session.masks.set(m.segment, m.slice, unpackBits(m.mask, session.pixelCount));
  if (rest.length) saver.enqueue((version) => writeSent(session, sent, version)).catch(() => undefined);
  return end;
}

/**
 * Write the sent masks the server lacks, one after the other, from `version`. A 409 that the
 * closed page's own write explains, arriving late (the server moved on within that page's
 * versions), skips what it wrote: the same masks. Any other 409 is a conflict, the masks left
 * waiting for the user's choice; so is a version outside the page's (a stroke written first).
 * @param {AnnotationSession} session
 * @param {import("./exitstore.js").Sent} sent
 * @param {number} version
 * @returns {Promise<{ version: number }>}
 */
async function writeSent(session, sent, version) {
  const id = /** @type {number | string} */ (session.id);
  const end = sent.start + sent.masks.length;
  const own = (/** @type {number} */ v) => v >= sent.base && v <= end;
  let at = version;
  let next = Math.max(0, at - sent.start);
  const waitRest = () => {
    for (const m of sent.masks.slice(next)) writeAgain(session, m.segment, m.slice, unpackBits(m.mask, session.pixelCount));
  };
  if (!own(at)) waitRest();
  while (own(at) && next < sent.masks.length) {
    const m = sent.masks[next];
    try {
      at = (await api.putMaskBytes(id, m.segment, m.slice, await deflate(m.mask), at, false)).version;
      next += 1;
    } catch (error) {
      const stale = error instanceof api.ApiError && error.status === 409 && error.error !== "closed";
      const server = stale ? await api.getAnnotation(id).then((a) => Number(a.version), () => NaN) : NaN;
      if (server > at && own(server)) {
        [at, next] = [server, Math.max(next, server - sent.start)];
        continue;
      }
      if (!(error instanceof api.ApiError && error.retryable)) waitRest(); // else tried again
      throw error;
    }
  }
  return { version: at };
}

/**
 * Someone else wrote the annotation since the page closed: the masks it sent that are not what
 * the server holds meet the server's as a conflict, for the user to decide.
 * @param {AnnotationSession} session
 * @param {import("./exitstore.js").Sent} sent
 */
async function compareSent(session, sent) {
  const saver = /** @type {Saver} */ (session.saver);
  const differ = [];
  for (const m of sent.masks) {
    await session.masks.load(m.segment, m.slice).catch(() => undefined);
    const server = session.masks.get(m.segment, m.slice);
    const mine = unpackBits(m.mask, session.pixelCount);
    if (!server ? mine.some((v) => v) : server.some((v, i) => Boolean(v) !== Boolean(mine[i]))) differ.push({ ...m, mine });
  }
  if (session.saver !== saver || !differ.length) return;
  for (const m of differ) writeAgain(session, m.segment, m.slice, m.mine);
  saver.conflict = true;
  const when = new Date(sent.at).toLocaleString();
  saver.message = `${differ.length} changes you made as a page of it closed (${when}) may not have reached the server, and it has changed since (version ${saver.version})`;
  saver.emit();
  session.onChange();
}

/**
 * A mask the last page had and the server may not: shown, and written soon.
 * @param {AnnotationSession} session
 * @param {number} segment
 * @param {number} slice
 * @param {Uint8Array} mask
 */
function writeAgain(session, segment, slice, mask) {
  session.masks.set(segment, slice, mask);
  /** @type {Saver} */ (session.saver).markDirty(segment, slice);
}

/** A mask of the page, packed 8 pixels a byte (all zeros for none). @param {AnnotationSession} session @param {Uint8Array | null | undefined} mask */
const packed = (session, mask) => (mask ? packBits(mask) : new Uint8Array((session.pixelCount + 7) >> 3));

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
  const base = saver.version;
  /** @type {import("./exitstore.js").SentMask[]} */
  const sent = [];
  let start = base;
  saver.writeOnExit((segment, slice, version) => {
    const mask = session.masks.get(segment, slice) ?? null;
    const body = encodeMaskNow(mask, session.pixelCount);
    if (body.length > budget) return false;
    budget -= body.length;
    api.putMaskBytes(id, segment, slice, body, version, true).catch(() => undefined);
    if (!sent.length) start = version;
    sent.push({ segment, slice, mask: packed(session, mask) });
    return true;
  });
  // A browser may cut those requests off: the next page of the annotation checks (exitstore.js).
  if (sent.length) keepSent(id, { user: knownUser(), at: Date.now(), base, start, masks: sent });
  // What could not go out (the session ended: the login is next; the budget ran out) waits
  // in this tab. A change the server refused for good makes the history wrong: not kept.
  const waiting = [...saver.dirty.values()].map(({ segment, slice }) => ({
    segment,
    slice,
    mask: packed(session, session.masks.get(segment, slice)),
  }));
  keepHistory(id, saver.version, saver.diverged ? null : session.history, waiting);
}
