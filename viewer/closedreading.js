// @ts-check
/**
 * The server refused a write because the reading closed meanwhile (submitted in another tab,
 * approved, or released: its lease ran out and the case went to another reader). The page
 * takes the server's state, which says so, drops what was refused, stops writing (the save
 * indicator stays "not saved"), and tells the reader once, in words, what happened.
 */

import * as api from "./api.js";
import { closedNotice } from "./access.js";
import { showError } from "./notify.js";

/**
 * @param {import("./annotation.js").AnnotationSession} session
 * @param {string} why the server's detail
 */
export async function readingClosed(session, why) {
  try {
    const info = await api.getAnnotation(/** @type {number | string} */ (session.id));
    session.reading = info.reading ?? null;
    session.readingAt = performance.now();
    session.readOnly ||= why;
    await session.resolveConflict(false, info, true);
  } catch (err) {
    showError(err, "Could not reload the annotation");
  }
  showError(new Error(closedNotice(session.reading, why)));
}
