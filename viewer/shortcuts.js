// @ts-check
/**
 * Keyboard shortcuts from one table, which also writes the `?` overlay, so the help can never
 * disagree with the keys. Shortcuts stay quiet while a form field has the focus.
 */

import { clear, h, isTextInput } from "./dom.js";

/**
 * @typedef {object} Shortcut
 * @property {string[]} keys specs such as "ArrowUp", "Ctrl+Z", "Ctrl+Shift+Z", "[", "1"
 * @property {string} group heading in the help
 * @property {string} description
 * @property {(e: KeyboardEvent) => void} [run] absent for mouse gestures listed in the help only
 * @property {string} [display] how to write the keys in the help, when not the specs
 */

/**
 * @param {string} spec
 * @returns {{ key: string, ctrl: boolean, shift: boolean, alt: boolean }}
 */
function parse(spec) {
  const parts = spec.length > 1 && spec.includes("+") ? spec.split("+") : [spec];
  const key = /** @type {string} */ (parts.pop());
  return {
    key: key.toLowerCase(),
    ctrl: parts.includes("Ctrl"),
    shift: parts.includes("Shift"),
    alt: parts.includes("Alt"),
  };
}

/**
 * @param {KeyboardEvent} e
 * @param {string} spec
 */
export function matches(e, spec) {
  const want = parse(spec);
  if (e.key.toLowerCase() !== want.key) return false;
  if ((e.ctrlKey || e.metaKey) !== want.ctrl || e.altKey !== want.alt) return false;
  // Shift is part of typing "?" or "}" on most layouts; it only matters for letters and named keys.
  const shiftMatters = want.key.length > 1 || /[a-z]/.test(want.key);
  return !shiftMatters || e.shiftKey === want.shift;
}

/**
 * @param {Shortcut[]} shortcuts
 * @param {() => boolean} [blocked] true while a modal overlay owns the keyboard
 */
export function installShortcuts(shortcuts, blocked = () => false) {
  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || isTextInput(e.target)) return;
    for (const shortcut of shortcuts) {
      if (!shortcut.run || !shortcut.keys.some((spec) => matches(e, spec))) continue;
      if (blocked() && !shortcut.keys.includes("Escape") && !shortcut.keys.includes("?")) return;
      e.preventDefault();
      shortcut.run(e);
      return;
    }
  });
}

/**
 * Fill the help overlay: one table per group.
 * @param {HTMLElement} container
 * @param {Shortcut[]} shortcuts
 */
export function renderHelp(container, shortcuts) {
  clear(container);
  const groups = [...new Set(shortcuts.map((s) => s.group))];
  for (const group of groups) {
    const rows = shortcuts
      .filter((s) => s.group === group)
      .map((s) =>
        h("tr", {}, [
          h("td", { class: "keys" }, keyLabels(s)),
          h("td", { text: s.description }),
        ]),
      );
    container.append(h("section", { class: "help-group" }, [h("h3", { text: group }), h("table", {}, [h("tbody", {}, rows)])]));
  }
}

/**
 * @param {Shortcut} shortcut
 * @returns {HTMLElement[]}
 */
function keyLabels(shortcut) {
  const labels = shortcut.display ? [shortcut.display] : shortcut.keys;
  return labels.map((label) => h("kbd", { text: pretty(label) }));
}

/** @param {string} spec */
function pretty(spec) {
  const names = /** @type {Record<string, string>} */ ({
    ArrowUp: "↑", ArrowDown: "↓", ArrowLeft: "←", ArrowRight: "→", PageUp: "Page Up", PageDown: "Page Down",
  });
  return spec.length > 1 && spec.includes("+")
    ? spec.split("+").map((p) => names[p] ?? p).join(" + ")
    : names[spec] ?? spec;
}
