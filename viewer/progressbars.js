// @ts-check
/**
 * The progress bars of the project page. The overall bar is out of every reading the project
 * needs (cases × readers per case), the part nobody has taken yet shown as "not started"; an
 * annotator's bar is out of that annotator's readings. Every bar spans its column, whatever its
 * counts, which are written under it.
 */
import { h } from "./dom.js";
import * as projects from "./projectapi.js";

const COLORS = {
  todo: "#8a8f98", in_progress: "#3b82f6", submitted: "#f59e0b", changes_requested: "#ef4444", approved: "#22c55e", released: "#4b5563",
};
const NOT_STARTED = "not_started";

/**
 * Render the overall bar into `overall` and one bar per reader into `readers`.
 * @param {projects.Project} project with its `progress` (reader -> state -> count) and `num_cases`
 * @param {{ overall: HTMLElement, readers: HTMLElement, whole: boolean }} into whole: `progress`
 *   holds every reader's readings (staff); an annotator is sent only theirs, so their overall
 *   bar cannot say what nobody has taken
 */
export function renderProgress(project, into) {
  const progress = project.progress ?? {};
  /** @type {Record<string, number>} */
  const perState = {};
  for (const counts of Object.values(progress)) {
    for (const [state, n] of Object.entries(counts)) perState[state] = (perState[state] ?? 0) + n;
  }
  const missing = into.whole ? notStarted(project, perState) : 0;
  into.overall.replaceChildren(bar(into.whole ? "all" : "yours", perState, missing));
  const readers = Object.entries(progress).sort().map(([reader, counts]) => bar(reader, counts, 0));
  into.readers.replaceChildren(...(readers.length ? readers : [h("p", { class: "hint", text: "Nobody has taken a case yet." })]));
}

/**
 * The readings the project still needs that nobody has taken. A released reading gave its
 * case's slot back (another reader took it or will), so it does not fill one.
 * @param {projects.Project} project
 * @param {Record<string, number>} perState
 */
export function notStarted(project, perState) {
  const needed = (project.num_cases ?? 0) * project.readers_per_case;
  const taken = Object.entries(perState).reduce((sum, [state, n]) => sum + (state === "released" ? 0 : n), 0);
  return Math.max(0, needed - taken);
}

/**
 * A bar of counts by state, then `missing` readings not started, with the counts under it.
 * @param {string} name
 * @param {Record<string, number>} counts
 * @param {number} missing
 */
function bar(name, counts, missing) {
  /** @type {[string, number][]} */
  const shown = projects.STATES.filter((s) => counts[s]).map((s) => [s, counts[s]]);
  if (missing) shown.push([NOT_STARTED, missing]);
  const total = shown.reduce((sum, [, n]) => sum + n, 0);
  const parts = shown.map(([state, n]) => {
    const words = state.replaceAll("_", " ");
    const part = h("span", { class: "bar-part", title: `${words}: ${n}`, "data-state": state, "data-count": n });
    part.style.width = `${(100 * n) / total}%`;
    if (state !== NOT_STARTED) part.style.background = COLORS[/** @type {keyof typeof COLORS} */ (state)];
    return part;
  });
  // A count stays on one line with its state's words (no-break spaces).
  const text = shown.map(([state, n]) => `${state.replaceAll("_", "\u00a0")}\u00a0${n}`).join(", ") || "no readings";
  return h("div", { class: "bar-row", "data-reader": name, "data-total": total }, [
    h("span", { class: "bar-name", text: name }),
    h("span", { class: "bar", "data-testid": "progress-bar" }, parts),
    h("span", { class: "bar-text", text }),
  ]);
}
