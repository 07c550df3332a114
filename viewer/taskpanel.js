// @ts-check
/**
 * The task bar of the viewer, shown when a project task is opened (index.html?series=&annotation=
 * &task=): the task's state, Submit for its reader, Approve / Request changes for reviewers,
 * why an approved SEG did not reach the PACS (for reviewers), and the annotation's comments. A comment may be pinned to a point of the image: "Pin" and a
 * click on the image; pins of the slice on screen are drawn over the image, numbered as in the list
 * (those that would cover each other as one, commentpins.js), and clicking a comment in the list
 * shows its slice. The reader is warned shortly before the lease of their open reading runs out
 * (each save renews it once half of it is gone: the task is read again first), and asked before
 * submitting a reading with nothing painted.
 */
import { ApiError, request } from "./api.js";
import { numbersText, pinGroups } from "./commentpins.js";
import { askUser } from "./confirmdialog.js";
import { h } from "./dom.js";
import { showError, showInfo } from "./notify.js";
import * as projects from "./projectapi.js";
import { getStatistics } from "./stats.js";
import { exportError } from "./worklist.js";

/** How long before the lease runs out the reader is warned. */
const LEASE_WARNING_MS = 2 * 60 * 1000;
const OPEN = ["todo", "in_progress", "changes_requested"];

/**
 * @typedef {{ canvas: HTMLCanvasElement, wrap: HTMLElement, after: HTMLElement,
 *   series: () => { rows: number, columns: number } | null, slice: () => number,
 *   flush: () => Promise<boolean>, showSlice: (index: number) => void,
 *   taskChanged: (task: projects.Task) => void,
 *   annotation: () => { id: number | string | null, version: number } }} TaskParts taskChanged: its
 *   state may have changed; annotation: the one on screen, at the version the page holds
 */

export class TaskPanel {
  /** @param {number} taskId @param {TaskParts} parts */
  constructor(taskId, parts) {
    this.taskId = taskId;
    this.parts = parts;
    /** @type {projects.Task | null} */
    this.task = null;
    /** @type {projects.Comment[]} */
    this.comments = [];
    this.role = "annotator";
    this.user = "";
    this.pinning = false;
    /** @type {HTMLTextAreaElement | null} */
    this.textarea = null;
    this.bar = h("div", { class: "task-bar", "data-testid": "task-bar" });
    this.layer = h("div", { class: "comment-layer", "data-testid": "comment-layer" });
    /** @type {ReturnType<typeof setTimeout> | undefined} the next look at the lease */
    this.leaseTimer = undefined;
    /** the lease end the reader was warned of */
    this.warned = "";
    /** @type {Promise<void> | null} a reload under way */
    this.reloading = null;
  }

  async start() {
    this.parts.after.after(this.bar);
    this.parts.wrap.append(this.layer);
    const me = await (await request("GET", "/api/auth/me")).json();
    this.role = String(me.role);
    this.user = String(me.username);
    const observer = new MutationObserver(() => this.drawPins());
    observer.observe(this.parts.canvas, { attributes: true, attributeFilter: ["data-slice", "data-image-rect"] });
    this.parts.canvas.addEventListener("pointerdown", (e) => this.pin(e), { capture: true });
    await this.reload();
  }

  async reload() {
    this.task = await projects.getTask(this.taskId);
    this.parts.taskChanged(this.task);
    this.comments = this.task.annotation_id ? await projects.listComments(this.task.annotation_id) : [];
    this.render();
    this.drawPins();
    this.watchLease();
  }

  /** Read the task again (once at a time): the reading says its state changed meanwhile. */
  refresh() {
    this.reloading ??= this.reload()
      .catch((err) => showError(err, "Could not load the task"))
      .finally(() => (this.reloading = null));
    return this.reloading;
  }

  /**
   * The reader's open reading: warn them LEASE_WARNING_MS before its lease runs out, and read
   * the task again then (a save may have renewed it) and once it has run out.
   */
  watchLease() {
    clearTimeout(this.leaseTimer);
    const task = this.task;
    if (!task?.lease_expires || task.state !== "in_progress" || task.assignee !== this.user) return;
    const left = Date.parse(task.lease_expires) - Date.now();
    const again = (/** @type {number} */ ms) => (this.leaseTimer = setTimeout(() => void this.refresh(), ms));
    if (left > LEASE_WARNING_MS) return void again(left - LEASE_WARNING_MS);
    if (left <= 0) return;
    if (this.warned !== task.lease_expires) {
      this.warned = task.lease_expires;
      showError(
        new Error(
          `Your lease on this case runs out at ${clock(task.lease_expires)}: paint or submit before then to keep it. ` +
            "After that, another reader may take the case, and your changes here would not be saved.",
        ),
      );
    }
    again(left + 1000);
  }

  render() {
    const task = this.task;
    if (!task) return;
    const open = OPEN.includes(task.state);
    const mine = task.assignee === this.user || this.role === "admin";
    const reviewer = this.role === "reviewer" || this.role === "admin";
    const text = h("textarea", { "data-testid": "task-comment", placeholder: "Comment", maxlength: 10000 });
    const pin = h("button", { type: "button", "data-testid": "pin-comment", "aria-pressed": this.pinning, text: "Pin to image" });
    pin.addEventListener("click", () => {
      this.pinning = !this.pinning;
      pin.setAttribute("aria-pressed", String(this.pinning));
    });
    const say = h("button", { type: "button", "data-testid": "add-comment", text: "Comment" });
    say.addEventListener("click", () => void this.comment(text.value));
    /** @type {HTMLElement[]} */
    const actions = [];
    if (open && mine) actions.push(this.button("submit-task", "Submit", () => this.submit()));
    if (task.state === "submitted" && reviewer) {
      actions.push(this.button("approve-task", "Approve", () => this.review("approve", text.value)));
      actions.push(this.button("request-changes", "Request changes", () => this.review("request_changes", text.value)));
    }
    this.textarea = text;
    const list = h("ol", { class: "comment-list", "data-testid": "comment-list" }, this.comments.map((c) => this.commentItem(c)));
    this.bar.replaceChildren(
      h("strong", { text: `Task ${task.id}` }),
      h("span", { class: "state-chip", "data-testid": "task-state", "data-state": task.state, text: task.state }),
      h("span", { text: `reader ${task.assignee}` }),
      ...(open && task.lease_expires ? [h("span", { class: "hint", "data-testid": "task-lease", text: `lease until ${clock(task.lease_expires)}` })] : []),
      // Why the approved SEG is not in the PACS: for reviewers and admins, who deliver it.
      ...(reviewer && task.export_error ? [exportError(task.export_error)] : []),
      ...actions,
      text,
      say,
      pin,
      h("a", { href: `projects.html?project=${task.project_id}`, text: "Project" }),
      list,
    );
    list.scrollTop = list.scrollHeight; // the list scrolls in a few lines: the newest in view
  }

  /** @param {string} testId @param {string} label @param {() => Promise<void>} action */
  button(testId, label, action) {
    const button = h("button", { type: "button", "data-testid": testId, text: label });
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await action();
      } catch (err) {
        showError(err, label);
      } finally {
        button.disabled = false;
      }
    });
    return button;
  }

  async submit() {
    if (!(await this.parts.flush())) return;
    if (!(await this.paintedOrConfirmed())) return;
    try {
      await projects.submitTask(this.taskId);
    } catch (err) {
      // Closed meanwhile (released, submitted elsewhere): the bar shows it as it is now.
      if (err instanceof ApiError && err.error === "closed") await this.refresh();
      throw err;
    }
    showInfo("Submitted for review.");
    await this.reload();
  }

  /** True when the reading has a painted voxel, or its reader chose to submit it empty. */
  async paintedOrConfirmed() {
    const id = this.task?.annotation_id;
    if (!id) return true;
    const { segments } = await getStatistics(id);
    if (segments.some((s) => s.voxels > 0)) return true;
    return askUser({
      title: "Submit an empty reading?",
      text: "Nothing is painted in this reading: no segment has a single voxel. Submit it as it is (for a case with nothing to segment), or go back and paint?",
      yes: "Submit empty",
      no: "Go back",
    });
  }

  /** @param {"approve" | "request_changes"} decision @param {string} text */
  async review(decision, text) {
    if (decision === "request_changes" && !text.trim()) {
      this.textarea?.focus();
      throw new Error("write in the comment box what to change, then click Request changes again");
    }
    // The decision is about what the reviewer saw: the server refuses it (409) when the
    // annotation has changed since this page loaded it.
    const shown = this.parts.annotation();
    const version = this.task && String(shown.id) === String(this.task.annotation_id) ? shown.version : null;
    await projects.reviewTask(this.taskId, decision, text.trim(), version);
    await this.reload();
  }

  /** @param {string} text @param {[number, number]} [point] */
  async comment(text, point) {
    if (!this.task?.annotation_id || !text.trim()) return;
    /** @type {{ text: string, slice?: number, point?: [number, number] }} */
    const body = { text: text.trim(), slice: this.parts.slice() };
    if (point) body.point = point;
    try {
      await projects.addComment(this.task.annotation_id, body);
      await this.reload();
    } catch (err) {
      showError(err, "Could not add the comment");
    }
  }

  /** @param {projects.Comment} c */
  commentItem(c) {
    const where = c.slice === null ? "" : ` (slice ${c.slice + 1}${c.point ? ", pinned" : ""})`;
    const item = h("li", { "data-slice": c.slice ?? "", text: `${c.author}: ${c.text}${where}` });
    if (c.slice !== null) item.addEventListener("click", () => this.parts.showSlice(/** @type {number} */ (c.slice)));
    return item;
  }

  /** In pin mode a click on the image adds the comment typed, pinned there. @param {PointerEvent} e */
  pin(e) {
    if (!this.pinning) return;
    const place = this.imagePoint(e);
    if (!place) return;
    e.stopImmediatePropagation();
    e.preventDefault();
    this.pinning = false;
    void this.comment(this.textarea?.value || "Look here", place);
  }

  /** @param {PointerEvent} e @returns {[number, number] | null} */
  imagePoint(e) {
    const series = this.parts.series();
    const rect = imageRect(this.parts.canvas);
    if (!series || !rect) return null;
    const box = this.parts.canvas.getBoundingClientRect();
    const col = ((e.clientX - box.left - rect[0]) / rect[2]) * series.columns - 0.5;
    const row = ((e.clientY - box.top - rect[1]) / rect[3]) * series.rows - 0.5;
    if (row < 0 || col < 0 || row >= series.rows || col >= series.columns) return null;
    return [Math.round(row), Math.round(col)];
  }

  /** The pins of the slice on screen, over the image. */
  drawPins() {
    const series = this.parts.series();
    const rect = imageRect(this.parts.canvas);
    const slice = this.parts.slice();
    if (!series || !rect) {
      this.layer.replaceChildren();
      return;
    }
    const left = this.parts.canvas.offsetLeft;
    const top = this.parts.canvas.offsetTop;
    /** @type {import("./commentpins.js").Pin[]} */
    const points = this.comments.flatMap((c, i) => {
      if (!c.point || c.slice !== slice) return [];
      const [row, col] = c.point;
      const x = left + rect[0] + ((col + 0.5) / series.columns) * rect[2];
      const y = top + rect[1] + ((row + 0.5) / series.rows) * rect[3];
      return [{ number: i + 1, x, y, text: `${i + 1}. ${c.author}: ${c.text}` }];
    });
    const pins = pinGroups(points).map((group) => {
      const pin = h("span", {
        class: "comment-pin", title: group.title, "data-testid": "comment-pin", "data-count": group.numbers.length,
        text: numbersText(group.numbers),
      });
      pin.style.left = `${group.x}px`;
      pin.style.top = `${group.y}px`;
      return pin;
    });
    this.layer.replaceChildren(...pins);
  }
}

/** A time of day, hours and minutes. @param {string} iso */
function clock(iso) {
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** The image rectangle main.js keeps on the canvas (x, y, width, height in CSS pixels). @param {HTMLCanvasElement} canvas */
function imageRect(canvas) {
  const parts = (canvas.dataset.imageRect ?? "").split(",").map(Number);
  return parts.length === 4 && parts[2] > 0 && parts[3] > 0 ? parts : null;
}
