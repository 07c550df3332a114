// @ts-check
/**
 * Timings of the hot paths (key press to slice drawn, brush stroke segment, mask overlay), the
 * last 2000 of each, for the benchmark: `globalThis.segdicomTimings[name]` is a list of ms.
 */

const KEEP = 2000;

/** @type {Record<string, number[]>} */
const timings = {};
/** @type {any} */ (globalThis).segdicomTimings = timings;

/**
 * @param {string} name
 * @param {number} started a performance.now() or event timeStamp
 */
export function record(name, started) {
  const list = (timings[name] ??= []);
  list.push(performance.now() - started);
  if (list.length > KEEP) list.splice(0, list.length - KEEP);
}
