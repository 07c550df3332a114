// @ts-check
/**
 * Whose annotation is on screen, and whether it may be changed: a bar under the top bar names
 * the reader and the task's state of a project reading that is not the caller's own open one
 * (or says "Submitted — waiting for review" when it is theirs and closed), and the annotation
 * list of the series opens another one on purpose. The tools stay off while the annotation is
 * read-only (session.readOnly, access.js); an admin may choose to edit another's reading.
 */

import { whoAmI } from "./account.js";
import { mayChooseToEdit, ownerLine, readOnlyReason, shortOwner } from "./access.js";
import { h } from "./dom.js";

/** @typedef {import("./viewstate.js").ViewState} ViewState */
/** @typedef {import("./annotation.js").AnnotationSession} AnnotationSession */
/** @typedef {import("./account.js").Me} Me */

/** Who is signed in, or the open mode's user when the service cannot say. @returns {Promise<Me>} */
const me = () => whoAmI().catch(() => /** @type {Me} */ ({ username: "", role: "admin", via: "open" }));

export class ReadingBar {
  /**
   * @param {ViewState} state
   * @param {{ bar: HTMLElement, text: HTMLElement, edit: HTMLButtonElement, pick: HTMLSelectElement }} parts
   * @param {{ choose: (id: string) => void, changed: () => void }} handlers choose: open that
   *   annotation ("new": none yet); changed: read-only or not may have changed
   */
  constructor(state, parts, handlers) {
    this.state = state;
    this.parts = parts;
    this.handlers = handlers;
    /** @type {Set<number | string>} others' readings an admin chose to edit, in this page */
    this.chosen = new Set();
    /** @type {{ id: number, state: string, assignee: string } | null} the task bar's task */
    this.task = null;
    /** when the task bar read it (performance.now()): it wins over an older annotation answer */
    this.taskAt = 0;
    /** the annotation's answer is newer than the task bar's and says another state (a write
     * refused as closed: released, submitted elsewhere): the task bar reads its task again */
    this.taskStale = () => {};
  }

  start() {
    this.parts.edit.addEventListener("click", () => {
      const id = this.state.session?.id;
      if (id === null || id === undefined) return;
      this.chosen.add(id);
      void this.show();
    });
    this.parts.pick.addEventListener("change", () => this.handlers.choose(this.parts.pick.value));
  }

  /**
   * The task bar read its task again (submitted, reviewed): its state is the newer.
   * @param {{ id: number, state: string, assignee: string }} task
   */
  setTask(task) {
    this.task = task;
    this.taskAt = performance.now();
    void this.show();
  }

  /** Say whose annotation is open and set whether it may be changed. */
  async show() {
    const session = this.state.session;
    const who = await me();
    if (session !== this.state.session) return;
    const reading = session?.reading ?? null;
    if (reading && this.task && reading.task_id === this.task.id) {
      if (this.taskAt > (session?.readingAt ?? 0)) {
        reading.state = this.task.state;
        reading.reader = this.task.assignee;
      } else if (reading.state !== this.task.state) this.taskStale();
    }
    const opened = session && session.id !== null;
    const reason = opened ? readOnlyReason(reading, who, this.chosen.has(/** @type {number | string} */ (session.id))) : "";
    // The reader's own closed reading: the reason says its state ("Submitted — waiting for review").
    const ownClosed = Boolean(reason && reading?.reader === who.username);
    const line = opened ? ownerLine(reading, session.createdBy, who, !ownClosed) : "";
    if (session) session.readOnly = reason;
    const { bar, text, edit } = this.parts;
    bar.hidden = !(reason || (line && !line.startsWith("Your reading")));
    bar.dataset.readOnly = String(Boolean(reason));
    text.textContent = [line, reason].filter(Boolean).join(" — ");
    edit.hidden = !(reason && mayChooseToEdit(reading, who));
    this.state.canvas.dataset.readOnly = String(Boolean(reason));
    document.body.dataset.readOnly = String(Boolean(reason));
    this.fillList(session, who);
    this.handlers.changed();
  }

  /**
   * The series' annotations this user may see, the open one selected.
   * @param {AnnotationSession | null} session
   * @param {Me} who
   */
  fillList(session, who) {
    const pick = this.parts.pick;
    if (!session) {
      pick.replaceChildren();
      pick.hidden = true;
      return;
    }
    // Short texts that fit the select at 1024 px; each option's title, and the select's for
    // the chosen one, says it in full.
    const options = session.listed.map((a) => {
      const full = a.reading ? ownerLine(a.reading, "", who) : a.created_by === who.username ? "Your annotation" : `Annotation of ${a.created_by}`;
      return h("option", { value: String(a.id), text: `#${a.id} ${shortOwner(a, who)}`, title: `#${a.id} ${full}` });
    });
    const fresh = h("option", {
      value: "new", text: "New annotation",
      title: session.id === null ? "New annotation: made when you paint" : "New annotation",
    });
    pick.replaceChildren(fresh, ...options);
    pick.value = session.id === null ? "new" : String(session.id);
    pick.title = pick.selectedOptions[0]?.title ?? "";
    pick.hidden = false;
  }
}
