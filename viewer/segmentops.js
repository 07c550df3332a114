// @ts-check
/**
 * The segments of the open annotation, between the panel (segments.js) and the session
 * (annotation.js): which one is active, showing, hiding and locking them, and adding, renaming,
 * recolouring and deleting them on the server, each one an undo step (undo.js replays it), each
 * failure told to the user.
 */

import { customColor, toHex } from "./colors.js";
import { byId } from "./dom.js";
import { showError } from "./notify.js";
import { SegmentPanel } from "./segments.js";

/** @typedef {import("./viewstate.js").ViewState} ViewState */
/** @typedef {import("./api.js").Preset} Preset */
/**
 * @typedef {object} SegmentOpsHandlers
 * @property {() => void} refresh the masks on screen may look different
 * @property {(count: number) => void} listed the panel now lists `count` segments
 * @property {() => void} historyChanged a step was added
 * @property {(number: number | null) => void} [selected] the active segment is now `number`
 */
/** @typedef {import("./history.js").SegmentState} SegmentState */

export class SegmentOps {
  /**
   * @param {ViewState} state
   * @param {SegmentOpsHandlers} handlers
   */
  constructor(state, handlers) {
    this.state = state;
    this.handlers = handlers;
    /** @type {Preset[]} */
    this.presets = [];
    this.panel = new SegmentPanel(
      {
        list: byId("segment-list", HTMLElement),
        presetSelect: byId("segment-preset", HTMLSelectElement),
        labelInput: byId("segment-label", HTMLInputElement),
        form: byId("add-segment-form", HTMLFormElement),
      },
      {
        select: (n) => this.select(n),
        add: (preset, label) => void this.add(preset, label),
        rename: (n, label) => void this.rename(n, label),
        recolor: (n, color) => void this.recolor(n, color),
        toggle: (n) => this.toggle(n),
        lock: (n) => this.toggleLock(n),
        remove: (n) => void this.remove(n),
        recode: (n, codes) => void this.recode(n, codes),
        status: (n, status) => {
          this.state.session?.setStatus(n, status).catch((err) => showError(err, "Could not set the status"));
        },
      },
    );
  }

  /** @param {Preset[]} presets the coded labels offered when adding */
  setPresets(presets) {
    this.presets = presets;
    this.panel.setPresets(presets);
    this.render();
  }

  /** The session or its segments changed: keep the active segment valid and the hooks current. */
  sync() {
    const { session, canvas } = this.state;
    if (session && this.state.activeSegment !== null && !session.segment(this.state.activeSegment)) {
      this.state.activeSegment = session.segments[0]?.number ?? null;
    }
    const ds = canvas.dataset;
    ds.annotationId = session?.id === null || session?.id === undefined ? "" : String(session.id);
    ds.version = session?.saver ? String(session.saver.version) : "";
    ds.activeSegment = this.state.activeSegment === null ? "" : String(this.state.activeSegment);
    this.handlers.selected?.(this.state.activeSegment);
    this.render();
  }

  render() {
    const session = this.state.session;
    this.panel.render(session?.segments ?? [], this.state.activeSegment, session !== null);
    this.handlers.listed(session?.segments.length ?? 0);
  }

  /** @param {number | null} number */
  select(number) {
    this.state.activeSegment = number;
    this.state.canvas.dataset.activeSegment = number === null ? "" : String(number);
    this.handlers.selected?.(number);
    this.render();
  }

  /** @param {number} direction the next segment when > 0, else the previous */
  cycle(direction) {
    const segments = this.state.session?.segments ?? [];
    if (!segments.length) return;
    const at = segments.findIndex((s) => s.number === this.state.activeSegment);
    const next = segments[(at + direction + segments.length) % segments.length];
    this.select(next.number);
  }

  /** Show or hide a segment's masks. @param {number} number */
  toggle(number) {
    const segment = this.state.session?.segment(number);
    if (!segment) return;
    segment.visible = !segment.visible;
    this.render();
    this.handlers.refresh();
  }

  /** Lock or unlock a segment against painting (kept in this browser). @param {number} number */
  toggleLock(number) {
    const session = this.state.session;
    const segment = session?.segment(number);
    if (!session || !segment) return;
    session.setLocked(number, !segment.locked);
    this.render();
  }

  toggleActive() {
    if (this.state.activeSegment !== null) this.toggle(this.state.activeSegment);
  }

  toggleActiveLock() {
    if (this.state.activeSegment !== null) this.toggleLock(this.state.activeSegment);
  }

  /**
   * The coded preset whose label this is, ignoring case.
   * @param {string} label
   */
  presetFor(label) {
    const wanted = label.trim().toLowerCase();
    return this.presets.find((p) => p.label.toLowerCase() === wanted) ?? null;
  }

  /**
   * @param {Preset | null} preset
   * @param {string} label
   */
  async add(preset, label) {
    const session = this.state.session;
    if (!session) return;
    const coded = preset ?? this.presetFor(label);
    const used = session.segments.map((s) => s.color);
    // A preset's colour when free; a custom label, or a second segment with the same label,
    // gets its own: far from every colour in use and from the presets' colours.
    const avoid = this.presets.map((p) => p.color);
    const color = coded?.color && !used.includes(toHex(coded.color)) ? coded.color : customColor(used, avoid);
    const fields = coded
      ? { label: coded.label, color, category: coded.category, type: coded.type }
      : { label, color };
    await run(async () => {
      const segment = await session.addSegment(fields);
      this.record(session, null, session.stateOf(segment));
      if (this.state.session === session) this.select(segment.number);
    }, "Could not add the segment");
  }

  /** Shift+A: add what the form holds, else a custom "Segment n". */
  addFromKeys() {
    const session = this.state.session;
    if (!session) return;
    if (this.panel.hasInput()) this.panel.submit();
    else void this.add(null, `Segment ${Math.max(0, ...session.segments.map((s) => s.number)) + 1}`);
  }

  /**
   * A custom label's codes, as the user typed them (one undo step).
   * @param {number} number
   * @param {{ category: import("./api.js").Code, type: import("./api.js").Code }} codes
   */
  async recode(number, codes) {
    await this.update(number, codes, "Could not change the codes");
  }

  /**
   * A new label takes the codes of a preset with that label; otherwise the service codes it.
   * @param {number} number
   * @param {string} label
   */
  async rename(number, label) {
    const coded = this.presetFor(label);
    const changes = coded
      ? { label, category: coded.category, type: coded.type }
      : { label, category: undefined, type: undefined };
    await this.update(number, changes, "Could not rename the segment");
  }

  /**
   * @param {number} number
   * @param {string} color "#rrggbb"
   */
  async recolor(number, color) {
    await this.update(number, { color }, "Could not change the colour");
  }

  /**
   * @param {number} number
   * @param {Partial<import("./history.js").SegmentFields>} changes
   * @param {string} context what failed, for the user
   */
  async update(number, changes, context) {
    const session = this.state.session;
    const segment = session?.segment(number);
    if (!session || !segment) return;
    const before = session.stateOf(segment);
    await run(async () => {
      await session.updateSegment(number, changes);
      const after = session.segment(number);
      if (after) this.record(session, before, session.stateOf(after));
    }, context);
  }

  /** Delete a segment and its masks on every slice (undo brings them all back). @param {number} number */
  async remove(number) {
    const session = this.state.session;
    if (!session) return;
    await run(async () => {
      const before = await session.deleteSegment(number);
      if (before) this.record(session, before, null);
    }, "Could not delete the segment");
    this.handlers.refresh();
  }

  /**
   * @param {import("./annotation.js").AnnotationSession} session
   * @param {SegmentState | null} before null: the segment is new
   * @param {SegmentState | null} after null: the segment is gone
   */
  record(session, before, after) {
    session.history.push({ parts: [], segment: { before, after } });
    if (this.state.session === session) this.handlers.historyChanged();
  }
}

/**
 * Run a segment change and report its failure.
 * @param {() => Promise<unknown> | undefined} change
 * @param {string} context
 */
async function run(change, context) {
  try {
    await change();
  } catch (err) {
    showError(err, context);
  }
}
