// @ts-check
/**
 * Messages for the user: errors carry the server's `detail`, infos fade by themselves (not
 * while the pointer is on them); over the image, the brush paints through them.
 */

import { h } from "./dom.js";

/** @type {HTMLElement | null} */
let area = null;

/** @param {HTMLElement} container where messages stack */
export function initNotify(container) {
  area = container;
  document.addEventListener("pointermove", seeThrough, { passive: true });
  // The pointer left the window: no message has it any more.
  document.documentElement.addEventListener("pointerleave", () => {
    for (const toast of /** @type {HTMLCollectionOf<HTMLElement>} */ (container.children)) toast.dataset.pointer = "";
    container.classList.remove("see-through");
  });
}

/**
 * Messages stand over the bottom of the image: when the pointer is over one (not on its
 * close button, unless a stroke is under way), they turn see-through and let the pointer
 * through, so the brush paints what is under them and the user sees it.
 * @param {PointerEvent} event
 */
function seeThrough(event) {
  if (!area) return;
  let through = false;
  for (const toast of /** @type {HTMLCollectionOf<HTMLElement>} */ (area.children)) {
    const over = inside(toast.getBoundingClientRect(), event);
    toast.dataset.pointer = over ? "over" : "";
    if (!over) continue;
    const close = toast.querySelector(".toast-close")?.getBoundingClientRect();
    through = event.buttons !== 0 || !close || !inside(close, event);
  }
  area.classList.toggle("see-through", through);
}

/** @param {DOMRect} rect @param {PointerEvent} event */
const inside = (rect, event) =>
  event.clientX >= rect.left && event.clientX <= rect.right && event.clientY >= rect.top && event.clientY <= rect.bottom;

/**
 * @param {string} text
 * @param {"error" | "info"} kind
 */
function show(text, kind) {
  if (!area) return;
  const close = h("button", { class: "toast-close", type: "button", "aria-label": "Dismiss", text: "×" });
  const toast = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status", "data-testid": "toast" }, [
    h("span", { class: "toast-text", text }),
    close,
  ]);
  close.addEventListener("click", () => toast.remove());
  area.append(toast);
  while (area.childElementCount > 5) area.firstElementChild?.remove();
  // It goes after a while, not while the pointer is on it (being read, or painted beneath).
  const expire = () => (toast.dataset.pointer ? setTimeout(expire, 1000) : toast.remove());
  setTimeout(expire, kind === "error" ? 12000 : 4000);
}

/**
 * Show what went wrong; `context` says what the user was doing.
 * @param {unknown} err
 * @param {string} [context]
 */
export function showError(err, context) {
  if (err instanceof DOMException && err.name === "AbortError") return;
  const message = err instanceof Error ? err.message : String(err);
  show(context ? `${context}: ${message}` : message, "error");
  console.warn(context ?? "error", err);
}

/** @param {string} text */
export function showInfo(text) {
  show(text, "info");
}
