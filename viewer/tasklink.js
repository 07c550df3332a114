// @ts-check
/** What a project task's link (index.html?series=&annotation=&task=, urlstate.js) asks the viewer to open. */

import { readPlace } from "./urlstate.js";

/** The task named in the page's URL, if any. */
export function linkedTask() {
  return readPlace(location.search).task;
}

/**
 * The annotation the page's URL asks for, when it is of `seriesUid`.
 * @param {string} seriesUid
 */
export function linkedAnnotation(seriesUid) {
  const place = readPlace(location.search);
  return place.series === seriesUid ? place.annotation : null;
}
