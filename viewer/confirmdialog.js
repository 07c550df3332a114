// @ts-check
/**
 * A question the user answers before the page goes on (the page's own <dialog>, styled as the
 * project dialogs, rather than window.confirm): Escape or Cancel answers no.
 */

import { h } from "./dom.js";

/**
 * @param {{ title: string, text: string, yes: string, no?: string }} question
 * @returns {Promise<boolean>} whether the user chose `yes`
 */
export function askUser(question) {
  const no = h("button", { type: "button", class: "secondary", "data-testid": "confirm-no", text: question.no ?? "Cancel" });
  const yes = h("button", { type: "button", "data-testid": "confirm-yes", text: question.yes });
  const dialog = /** @type {HTMLDialogElement} */ (
    h("dialog", { class: "project-dialog confirm-dialog", "data-testid": "confirm-dialog", "aria-label": question.title }, [
      h("h2", { text: question.title }),
      h("p", { "data-testid": "confirm-text", text: question.text }),
      h("div", { class: "dialog-actions" }, [no, yes]),
    ])
  );
  document.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "yes");
    });
    no.addEventListener("click", () => dialog.close("no"));
    yes.addEventListener("click", () => dialog.close("yes"));
    dialog.showModal();
    no.focus();
  });
}
