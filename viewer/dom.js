// @ts-check
/** Small DOM helpers: build elements without innerHTML, find required elements. */

/**
 * @typedef {string | number | boolean | undefined | null} AttrValue
 */

/**
 * Create an element. `class` sets className, `text` sets textContent, other keys are attributes
 * (`true` gives an empty attribute; `false`, `null` and `undefined` are skipped).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, AttrValue>} [attrs]
 * @param {(Node | string | null | undefined | false)[]} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = String(value);
    else if (key === "text") node.textContent = String(value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

/**
 * The element with this id, checked to be of the expected class.
 * @template {Element} T
 * @param {string} id
 * @param {{ new (...args: any[]): T }} type
 * @returns {T}
 */
export function byId(id, type) {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new Error(`#${id} is missing or not a ${type.name}`);
  return node;
}

/**
 * Remove every child of a node.
 * @param {Node} node
 */
export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/**
 * True when keyboard input goes to a form field, so shortcuts must stay out of the way.
 * @param {EventTarget | null} target
 */
export function isTextInput(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !["button", "checkbox", "radio", "range", "color", "file", "submit"].includes(target.type);
  }
  return false;
}
