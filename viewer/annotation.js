// @ts-check
/**
 * One annotation of the open series: its segments, their masks, undo history and background
 * saving. The annotation is created on the server only when the first segment is added, and the
 * caller's latest existing one is reopened, so browsing series leaves nothing behind. Another
 * user's annotation, a project reading or a consensus is opened only when asked for (a task's
 * link, the annotation list): never in place of the caller's own.
 */

import { whoAmI } from "./account.js";
import * as api from "./api.js";
import { readingClosed } from "./closedreading.js";
import { linkedAnnotation } from "./tasklink.js";
import { toHex } from "./colors.js";
import { History, segmentBody } from "./history.js";
import { latest, takeBack } from "./pagekeep.js";
import { readLocks, writeLocks } from "./locks.js";
import { anySet, decodeMask, encodeMask, packBits, unpackBits } from "./maskcodec.js";
import { MaskStore } from "./masks.js";
import { Saver } from "./saver.js";

/** @typedef {import("./api.js").Code} Code */
/**
 * @typedef {{ number: number, label: string, color: string, category?: Code, type?: Code, visible: boolean,
 *   locked?: boolean, status?: string }} Segment visible is this page's view; locked is kept in this browser
 *   (locks.js); status is the server's (not_started, in_progress, completed, flagged)
 */
/** @typedef {import("./history.js").SegmentFields} SegmentFields */
/** @typedef {import("./history.js").SegmentState} SegmentState */

export class AnnotationSession {
  /**
   * @param {{ seriesUid: string, pixelCount: number, sliceCount: number,
   *   onStatus: (status: import("./saver.js").SaveStatus) => void, onChange: () => void }} options
   */
  constructor(options) {
    this.seriesUid = options.seriesUid;
    this.pixelCount = options.pixelCount;
    this.sliceCount = options.sliceCount;
    this.onStatus = options.onStatus;
    this.onChange = options.onChange;
    /** @type {number | string | null} */
    this.id = null;
    /** @type {Segment[]} */
    this.segments = [];
    /** Segments created in this session: the server has no masks for them yet. */
    this.fresh = new Set();
    /** @type {Set<number>} segment numbers being created */
    this.reserved = new Set();
    /** @type {Map<number, Set<number>>} slices known to hold a mask, by segment */
    this.painted = new Map();
    this.masks = new MaskStore(this.pixelCount, (segment, slice) => this.fetchMask(segment, slice));
    this.history = new History(200);
    /** @type {Saver | null} */
    this.saver = null;
    /** @type {Promise<void> | null} */
    this.creating = null;
    /** @type {import("./api.js").AnnotationInfo[]} the series' annotations this user may see */
    this.listed = [];
    /** @type {import("./api.js").Reading | null} the project reading the annotation is */
    this.reading = null;
    /** when the server last said what `reading` is (performance.now()) */
    this.readingAt = 0;
    this.createdBy = "";
    /** why this user may not change it now ("" when they may): access.js, set by ReadingBar */
    this.readOnly = "";
  }

  get version() {
    return this.saver?.version ?? 0;
  }

  /**
   * Open an annotation of the series: `chosen` (an id, or "new" for none yet), else the one a
   * task's link names, else the caller's latest that is no project reading; else none yet.
   * @param {number | string | "new"} [chosen]
   */
  async open(chosen) {
    this.listed = await api.listAnnotations(this.seriesUid);
    if (chosen === "new") return;
    const id = chosen ?? linkedAnnotation(this.seriesUid) ?? (await this.ownLatest())?.id;
    if (!id) return;
    this.attach(await api.getAnnotation(id));
  }

  /** The caller's latest annotation of the series outside projects. */
  async ownLatest() {
    const me = await whoAmI();
    return latest(this.listed.filter((a) => !a.reading && (!me.username || a.created_by === me.username)));
  }

  /** @param {import("./api.js").AnnotationInfo} info */
  attach(info) {
    this.id = info.id;
    this.reading = info.reading ?? null;
    this.readingAt = performance.now();
    this.createdBy = String(info.created_by ?? "");
    if (!this.listed.some((a) => a.id === info.id)) this.listed = [...this.listed, info];
    this.setSegments(info.segments ?? []);
    this.setPainted(info.segments ?? []);
    this.saver?.dispose();
    this.saver = new Saver({
      version: Number(info.version) || 0,
      writeMask: (segment, slice, version) => this.writeMask(segment, slice, version),
      onChange: (status) => this.onStatus(status),
      onClosed: (why) => void readingClosed(this, why),
    });
    this.onStatus(this.saver.status());
    void takeBack(this);
    this.onChange();
  }

  /** Throw when this user may not change the annotation now (a closed or another's reading). */
  checkWritable() {
    if (this.readOnly) throw new Error(`${this.readOnly}.`);
  }

  /** @param {import("./api.js").SegmentInfo[]} infos */
  setSegments(infos) {
    const visible = new Map(this.segments.map((s) => [s.number, s.visible]));
    // The locks this browser keeps for the annotation; without storage, this page's.
    const stored = this.id === null ? null : readLocks(this.id);
    const locked = stored
      ? new Map([...stored].map((n) => [n, true]))
      : new Map(this.segments.map((s) => [s.number, Boolean(s.locked)]));
    this.segments = infos
      .map((s) => ({
        number: Number(s.number),
        label: String(s.label ?? ""),
        color: toHex(s.color),
        category: s.category,
        type: s.type,
        visible: visible.get(Number(s.number)) ?? true,
        locked: locked.get(Number(s.number)) ?? false,
        status: String(/** @type {{ status?: string }} */ (s).status ?? "not_started"),
      }))
      .sort((a, b) => a.number - b.number);
  }

  /**
   * Remember which slices each segment is painted on, when the service says so (GET of one
   * annotation): the other slices need no request.
   * @param {import("./api.js").SegmentInfo[]} infos
   */
  setPainted(infos) {
    this.painted.clear();
    // The service lists `slices` only for painted segments; when it lists any, the rest are empty.
    if (!infos.some((s) => Array.isArray(s.slices))) return;
    for (const s of infos) this.painted.set(Number(s.number), new Set((s.slices ?? []).map(Number)));
  }

  /** Create the annotation on the server when it does not exist yet. */
  ensureCreated() {
    if (this.id !== null) return Promise.resolve();
    this.creating ??= api.createAnnotation(this.seriesUid).then(
      (info) => this.attach({ ...info, segments: info.segments ?? [] }),
      (err) => {
        this.creating = null;
        throw err;
      },
    );
    return this.creating;
  }

  /** @param {number} number */
  segment(number) {
    return this.segments.find((s) => s.number === number);
  }

  /**
   * @param {SegmentFields} fields
   * @returns {Promise<Segment>}
   */
  async addSegment(fields) {
    this.checkWritable();
    await this.ensureCreated();
    const saver = /** @type {Saver} */ (this.saver);
    // Reserve the number now: a second add before this one answers must not take it too.
    const number = Math.max(0, ...this.segments.map((s) => s.number), ...this.reserved) + 1;
    this.reserved.add(number);
    try {
      await saver.enqueue((version) => api.putSegment(/** @type {number} */ (this.id), number, segmentBody(fields), version));
    } finally {
      this.reserved.delete(number);
    }
    /** @type {Segment} */
    const segment = { number, ...fields, color: toHex(fields.color), visible: true };
    this.segments.push(segment);
    this.fresh.add(number);
    this.onChange();
    return segment;
  }

  /**
   * Rename, recolour or recode a segment.
   * @param {number} number
   * @param {Partial<SegmentFields>} changes
   */
  async updateSegment(number, changes) {
    const current = this.segment(number);
    if (!current || !this.saver) return;
    this.checkWritable();
    const fields = { label: current.label, color: current.color, category: current.category, type: current.type, ...changes };
    await this.saver.enqueue((version) => api.putSegment(/** @type {number} */ (this.id), number, segmentBody(fields), version));
    Object.assign(current, fields, { color: toHex(fields.color) });
    this.onChange();
  }

  /**
   * Set a segment's status (not an undo step: it says where the work is, not what it is).
   * @param {number} number
   * @param {string} status
   */
  async setStatus(number, status) {
    const current = this.segment(number);
    if (!current || !this.saver) return;
    this.checkWritable();
    await this.saver.enqueue((version) => api.putSegment(/** @type {number} */ (this.id), number, /** @type {any} */ ({ status }), version));
    current.status = status;
    this.onChange();
  }

  /**
   * Delete a segment and its masks; answers it as it was, masks included, to bring it back.
   * @param {number} number
   * @returns {Promise<SegmentState | null>} null when there is no such segment
   */
  async deleteSegment(number) {
    const saver = this.saver;
    if (!saver || !this.segment(number)) return null;
    this.checkWritable();
    await Promise.all([...Array(this.sliceCount).keys()].map((i) => this.masks.load(number, i)));
    saver.dropSegment(number);
    await saver.enqueue((version) => api.deleteSegment(/** @type {number} */ (this.id), number, version));
    const gone = this.segment(number);
    if (!gone) return null;
    // Taken once the server agreed, so a stroke made meanwhile is in it (and undone after it).
    const state = this.stateOf(gone, true);
    saver.dropSegment(number);
    this.segments = this.segments.filter((s) => s.number !== number);
    this.masks.dropSegment(number);
    this.fresh.delete(number);
    this.painted.delete(number);
    this.saveLocks();
    this.onChange();
    return state;
  }

  /**
   * Bring back a deleted segment: PUT it again, then each of its masks, written like strokes
   * (If-Match, in order; a 409 stops them for the user to decide).
   * @param {SegmentState} state
   */
  async restoreSegment(state) {
    const { number } = state;
    const saver = this.saver;
    if (!saver) return;
    this.checkWritable();
    if (this.segment(number) || this.reserved.has(number)) {
      throw new Error(`segment ${number} exists again; "${state.fields.label}" cannot be brought back`);
    }
    this.reserved.add(number);
    try {
      await saver.enqueue((version) => api.putSegment(/** @type {number} */ (this.id), number, segmentBody(state.fields), version));
    } finally {
      this.reserved.delete(number);
    }
    /** @type {Segment} */
    const segment = { number, ...state.fields, color: toHex(state.fields.color), visible: true, locked: state.locked };
    this.segments = [...this.segments, segment].sort((a, b) => a.number - b.number);
    // The server holds none of its masks now: every slice is known here, none is asked for.
    this.fresh.add(number);
    this.painted.delete(number);
    for (let i = 0; i < this.sliceCount; i++) {
      const packed = state.masks.get(i);
      this.masks.set(number, i, packed ? unpackBits(packed, this.pixelCount) : null);
      if (packed) saver.markDirty(number, i);
    }
    this.saveLocks();
    this.onChange();
  }

  /**
   * A segment as it is now, for an undo step; with its masks (every slice loaded) or without.
   * @param {Segment} segment
   * @param {boolean} [withMasks]
   * @returns {SegmentState}
   */
  stateOf(segment, withMasks = false) {
    /** @type {Map<number, Uint8Array>} */
    const masks = new Map();
    for (let i = 0; withMasks && i < this.sliceCount; i++) {
      const mask = this.masks.get(segment.number, i);
      if (mask && anySet(mask)) masks.set(i, packBits(mask));
    }
    const fields = { label: segment.label, color: segment.color, category: segment.category, type: segment.type };
    return { number: segment.number, fields, locked: Boolean(segment.locked), masks };
  }

  /** Lock or unlock a segment against painting; kept in this browser. @param {number} number @param {boolean} locked */
  setLocked(number, locked) {
    const segment = this.segment(number);
    if (!segment) return;
    segment.locked = locked;
    this.saveLocks();
  }

  saveLocks() {
    if (this.id !== null) writeLocks(this.id, this.segments.filter((s) => s.locked).map((s) => s.number));
  }

  /**
   * @param {number} segment
   * @param {number} slice
   * @returns {Promise<Uint8Array | null>}
   */
  async fetchMask(segment, slice) {
    if (this.id === null || this.fresh.has(segment)) return null;
    if (this.painted.get(segment)?.has(slice) === false) return null;
    const bytes = await api.getMaskBytes(this.id, segment, slice);
    return bytes ? decodeMask(bytes, this.pixelCount) : null;
  }

  /**
   * Load the masks of every segment on a slice.
   * @param {number} slice
   */
  loadSlice(slice) {
    return Promise.all(this.segments.map((s) => this.masks.load(s.number, slice)));
  }

  /** @param {number} slice */
  sliceLoaded(slice) {
    return this.segments.every((s) => this.masks.isLoaded(s.number, slice));
  }

  /**
   * @param {number} segment
   * @param {number} slice
   * @param {number} version
   */
  async writeMask(segment, slice, version) {
    const body = await encodeMask(this.masks.get(segment, slice) ?? null, this.pixelCount);
    return api.putMaskBytes(/** @type {number} */ (this.id), segment, slice, body, version);
  }

  /**
   * A stroke or an undo changed a mask.
   * @param {number} segment
   * @param {number} slice
   */
  changed(segment, slice) {
    this.masks.compact(segment, slice);
    this.saver?.markDirty(segment, slice);
  }

  /**
   * After a conflict: take the server's state. `keepLocal` writes the local changes over it.
   * After a closed refusal (`closed`), the local changes are dropped and nothing more is written.
   * @param {boolean} keepLocal
   * @param {import("./api.js").AnnotationInfo} [known] the server's state, when just read
   */
  async resolveConflict(keepLocal, known = undefined, closed = false) {
    if (this.id === null || !this.saver) return;
    const info = known ?? (await api.getAnnotation(this.id));
    this.setSegments(info.segments ?? []);
    this.setPainted(info.segments ?? []);
    if (!keepLocal) {
      this.masks.clear();
      this.history.clear();
      this.fresh.clear();
    }
    if (closed) this.saver.discard();
    else this.saver.resume(Number(info.version) || 0, keepLocal);
    this.onChange();
  }

  dispose() {
    this.saver?.dispose();
    this.masks.clear();
  }
}
