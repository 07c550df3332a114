// @ts-check
/**
 * The masks a closing page sent in keepalive requests (pagekeep.js leavePage), kept in this
 * browser (localStorage, one key per annotation) until the next page of that annotation, in any
 * tab, has seen whether they arrived. A browser may cut such a request off when it tears a page
 * down on a busy machine, and a closed tab's sessionStorage goes with it. Kept per user who sent
 * them (another user's page leaves them be; two users of one browser each keep their own) and
 * with versions: the writes go one after the other, each If-Match the one before, so the
 * server's version says how many of them landed.
 */

import { fromBase64, toBase64 } from "./maskcodec.js";

/** @typedef {{ segment: number, slice: number, mask: Uint8Array }} SentMask a whole slice mask, packed 8 pixels a byte */
/**
 * @typedef {{ user: string, at: number, base: number, start: number, masks: SentMask[] }} Sent
 * base: the version before the page's last write (one in flight, when `start` is one more);
 * start: the version the first of `masks` was sent at, each next one at one more
 */

const PREFIX = "segdicom.sent.";
/** A record nobody took back (the annotation was never opened again, or deleted) goes after this. */
const MAX_AGE_MS = 30 * 24 * 3600 * 1000;

/**
 * The key of an annotation's record for a user ("" when the page did not know who).
 * @param {number | string} id
 * @param {string} user
 */
const keyOf = (id, user) => `${PREFIX}${id}/${user}`;

/**
 * Keep what a closing page sent.
 * @param {number | string} id
 * @param {Sent} sent
 */
export function keepSent(id, sent) {
  const masks = sent.masks.map((m) => ({ segment: m.segment, slice: m.slice, mask: toBase64(m.mask) }));
  try {
    dropStale(sent.at);
    localStorage.setItem(keyOf(id, sent.user), JSON.stringify({ ...sent, masks }));
  } catch {
    // Storage full or off: the keepalive requests are all there is, as before.
  }
}

/** @param {number} now */
function dropStale(now) {
  for (let i = localStorage.length - 1; i >= 0; i--) {
    const key = localStorage.key(i);
    if (!key?.startsWith(PREFIX)) continue;
    const at = Number(JSON.parse(localStorage.getItem(key) ?? "{}").at);
    if (!(now - at < MAX_AGE_MS)) localStorage.removeItem(key);
  }
}

/**
 * What a page of this user that closed sent for an annotation, or null.
 * @param {number | string} id
 * @param {string} user
 * @returns {Sent | null}
 */
export function readSent(id, user) {
  try {
    const text = localStorage.getItem(keyOf(id, user));
    if (!text) return null;
    const kept = JSON.parse(text);
    const masks = kept.masks.map((/** @type {any} */ m) => ({ segment: m.segment, slice: m.slice, mask: fromBase64(m.mask) }));
    return { user: String(kept.user ?? ""), at: Number(kept.at), base: Number(kept.base), start: Number(kept.start), masks };
  } catch {
    return null;
  }
}

/** @param {number | string} id @param {string} user */
export function dropSent(id, user) {
  try {
    localStorage.removeItem(keyOf(id, user));
  } catch {
    // Storage off: nothing was kept.
  }
}
