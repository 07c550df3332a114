// @ts-check
/**
 * Undo and redo of the open annotation (Ctrl+Z; Ctrl+Shift+Z or Ctrl+Y; the two buttons). Mask
 * steps replay at once and show their slice; segment steps (add, rename, recolour, delete) go
 * through the server, one at a time: undoing a delete PUTs the segment again, then its masks.
 */

import { ApiError } from "./api.js";
import { byId } from "./dom.js";
import { showError, showInfo } from "./notify.js";
import { replayStep } from "./painting.js";

/** @typedef {import("./viewstate.js").ViewState} ViewState */
/** @typedef {import("./annotation.js").AnnotationSession} AnnotationSession */
/**
 * @typedef {object} UndoHandlers
 * @property {() => void} refresh the masks on screen changed
 * @property {(index: number) => void} showSlice
 * @property {(segment: number) => void} select make a segment brought back the active one
 */

export class UndoControls {
  /**
   * @param {ViewState} state
   * @param {UndoHandlers} handlers
   */
  constructor(state, handlers) {
    this.state = state;
    this.handlers = handlers;
    /** a segment step is going through the server: undo and redo wait for it */
    this.busy = false;
  }

  undo() {
    void this.replay(-1);
  }

  redo() {
    void this.replay(1);
  }

  /** @param {-1 | 1} direction */
  async replay(direction) {
    const session = this.state.session;
    if (!session || this.state.stroke || this.busy) return;
    if (session.readOnly) {
      showInfo(`${session.readOnly}.`);
      return;
    }
    const history = session.history;
    const next = direction < 0 ? history.done.at(-1) : history.undone.at(-1);
    if (next?.segment) await this.replaySegment(session, direction);
    else if (next) {
      // After a reload the history is back before its masks are (historystore.js): load them.
      this.busy = true;
      try {
        await Promise.all(next.parts.map((p) => session.masks.load(p.segment, p.slice)));
      } catch (err) {
        showError(err, direction < 0 ? "Could not undo" : "Could not redo");
        return;
      } finally {
        this.busy = false;
      }
      if (this.state.session === session && !this.state.stroke) this.replayMasks(session, direction);
    }
  }

  /**
   * Flip one mask step back or again, and show its slice.
   * @param {AnnotationSession} session
   * @param {-1 | 1} direction
   */
  replayMasks(session, direction) {
    const step = replayStep(session, direction);
    if (!step) return;
    if (!step.parts.some((p) => p.slice === this.state.index)) this.handlers.showSlice(step.parts[0].slice);
    else this.handlers.refresh();
    this.updateButtons();
  }

  /**
   * @param {AnnotationSession} session
   * @param {-1 | 1} direction
   */
  async replaySegment(session, direction) {
    this.busy = true;
    try {
      const back = await replaySegmentStep(session, direction);
      if (back !== null && this.state.session === session) this.handlers.select(back);
    } catch (err) {
      // A conflict has its banner (reload or overwrite); the step stays to be tried again.
      if (!(err instanceof ApiError && err.status === 409)) showError(err, direction < 0 ? "Could not undo" : "Could not redo");
    } finally {
      this.busy = false;
      if (this.state.session === session) {
        this.handlers.refresh();
        this.updateButtons();
      }
    }
  }

  updateButtons() {
    const session = this.state.session;
    const history = session?.history;
    byId("undo", HTMLButtonElement).disabled = !history?.canUndo || Boolean(session?.readOnly);
    byId("redo", HTMLButtonElement).disabled = !history?.canRedo || Boolean(session?.readOnly);
  }
}

/**
 * Undo (-1) or redo (+1) the segment step on top, through the server. When the server refuses,
 * the step goes back where it was (unless the history moved on meanwhile).
 * @param {AnnotationSession} session
 * @param {-1 | 1} direction
 * @returns {Promise<number | null>} the number of a segment brought back, else null
 */
async function replaySegmentStep(session, direction) {
  const history = session.history;
  const step = direction < 0 ? history.undo() : history.redo();
  const change = step?.segment;
  if (!step || !change) return null;
  const [from, to] = direction < 0 ? [change.after, change.before] : [change.before, change.after];
  try {
    if (from && !to) await session.deleteSegment(from.number);
    else if (!from && to) await session.restoreSegment(to);
    else if (to) await session.updateSegment(to.number, to.fields);
  } catch (err) {
    const moved = direction < 0 ? history.undone : history.done;
    if (moved.at(-1) === step) {
      if (direction < 0) history.redo();
      else history.undo();
    }
    throw err;
  }
  return !from && to ? to.number : null;
}
