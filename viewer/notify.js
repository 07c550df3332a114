// @ts-check
/** Messages for the user: errors carry the server's `detail`, infos fade by themselves. */

import { h } from "./dom.js";

/** @type {HTMLElement | null} */
let area = null;

/** @param {HTMLElement} container where messages stack */
export function initNotify(container) {
  area = container;
}

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
  setTimeout(() => toast.remove(), kind === "error" ? 12000 : 4000);
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
