// @ts-check
/**
 * Comment pins that would cover each other on screen become one marker, numbered as in the
 * comment list ("2–4,7"), at the middle of its points, its tooltip listing every comment.
 */

export const PIN = 18; // a pin's size in CSS pixels (projects.css)

/**
 * @typedef {{ number: number, x: number, y: number, text: string }} Pin a comment's number in
 *   the list, where it points on screen, and its tooltip line
 * @typedef {{ x: number, y: number, numbers: number[], title: string }} PinGroup
 */

/**
 * Pins closer than a pin's size to one another (through any chain of them) in one group.
 * @param {Pin[]} pins
 * @returns {PinGroup[]}
 */
export function pinGroups(pins) {
  /** @type {Pin[][]} */
  let groups = [];
  for (const pin of pins) {
    const near = groups.filter((g) => g.some((p) => Math.abs(p.x - pin.x) < PIN && Math.abs(p.y - pin.y) < PIN));
    groups = [...groups.filter((g) => !near.includes(g)), [...near.flat(), pin]];
  }
  return groups.map((group) => {
    group.sort((a, b) => a.number - b.number);
    return {
      x: group.reduce((sum, p) => sum + p.x, 0) / group.length,
      y: group.reduce((sum, p) => sum + p.y, 0) / group.length,
      numbers: group.map((p) => p.number),
      title: group.map((p) => p.text).join("\n"),
    };
  });
}

/**
 * Numbers written short: runs as ranges ([1, 2, 3, 5] gives "1–3,5").
 * @param {number[]} numbers ascending
 */
export function numbersText(numbers) {
  /** @type {string[]} */
  const parts = [];
  let start = 0;
  for (let i = 1; i <= numbers.length; i++) {
    if (i < numbers.length && numbers[i] === numbers[i - 1] + 1) continue;
    const [first, last] = [numbers[start], numbers[i - 1]];
    parts.push(first === last ? String(first) : `${first}${last === first + 1 ? "," : "–"}${last}`);
    start = i;
  }
  return parts.join(",");
}
