// @ts-check
/** What a project task's link (index.html?series=&annotation=&task=) asks the viewer to open. */

/** The task named in the page's URL, if any. */
export function linkedTask() {
  return Number(new URLSearchParams(location.search).get("task")) || null;
}

/**
 * The annotation the page's URL asks for, when it is of `seriesUid`.
 * @param {string} seriesUid
 */
export function linkedAnnotation(seriesUid) {
  const params = new URLSearchParams(location.search);
  return params.get("series") === seriesUid ? Number(params.get("annotation")) || null : null;
}
