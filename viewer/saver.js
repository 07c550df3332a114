// @ts-check
/**
 * Background saving of one annotation. Every write carries the version last seen and answers the
 * next one, so writes go one at a time, in order: segment operations first (as the user made
 * them), then changed slice masks, debounced so that a stroke burst costs one write per slice.
 * Network and server failures retry with backoff; a 409 stops everything until the user chooses
 * to reload or to overwrite. A 401 (the session ended) stops everything too, keeping the pending
 * masks: the page goes to the login and takes them along (annotation.js leavePage). A 409 that
 * is not a stale version (error "closed": a submitted reading, or one whose lease ran out) is
 * a refusal, not a conflict: `onClosed` hears of it once, and the state stays "closed" (not
 * saved) for good, whatever is discarded after.
 */

import { ApiError } from "./api.js";
import { maskKey } from "./masks.js";

/** @typedef {"saved" | "saving" | "retrying" | "conflict" | "signed_out" | "closed" | "error"} SaveState */
/** @typedef {{ state: SaveState, version: number, pending: number, message: string }} SaveStatus */
/** @typedef {{ run: (version: number) => Promise<any>, resolve: (v: any) => void, reject: (e: unknown) => void }} Op */

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class Saver {
  /**
   * @param {{ version: number,
   *   writeMask: (segment: number, slice: number, version: number) => Promise<{ version: number }>,
   *   onChange: (status: SaveStatus) => void, onClosed?: (why: string) => void,
   *   debounceMs?: number, maxDelayMs?: number }} options
   */
  constructor(options) {
    this.version = options.version;
    this.writeMask = options.writeMask;
    this.onChange = options.onChange;
    this.onClosed = options.onClosed ?? (() => undefined);
    this.debounceMs = options.debounceMs ?? 400;
    this.maxDelayMs = options.maxDelayMs ?? 3000;
    /** @type {Op[]} */
    this.ops = [];
    /** @type {Map<string, { segment: number, slice: number, gen: number }>} */
    this.dirty = new Map();
    this.firstDirtyAt = 0;
    this.lastChangeAt = 0;
    this.urgent = false;
    this.running = false;
    this.retrying = false;
    this.conflict = false;
    /** the server answered 401: nothing is written until a new page signs in again */
    this.signedOut = false;
    /** the server refused a write as closed (a submitted reading): why; nothing more is written */
    this.closed = "";
    /** a change was refused for good: the page's masks differ from the server's */
    this.diverged = false;
    this.disposed = false;
    this.message = "";
    this.lastError = "";
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    /** @type {(() => void)[]} */
    this.idleWaiters = [];
  }

  /** @returns {SaveState} */
  get state() {
    if (this.conflict) return "conflict";
    if (this.signedOut) return "signed_out";
    if (this.closed) return "closed";
    if (this.retrying) return "retrying";
    if (this.running || this.ops.length || this.dirty.size) return "saving";
    return this.lastError ? "error" : "saved";
  }

  /** Writes not yet confirmed by the server. */
  get pending() {
    return this.ops.length + this.dirty.size;
  }

  /** Nothing more is written by this page (a conflict to resolve, or the session ended). */
  get stopped() {
    return this.conflict || this.signedOut || Boolean(this.closed);
  }

  /** @returns {SaveStatus} */
  status() {
    const state = this.state;
    const message = state === "error" ? this.lastError : state === "closed" ? this.closed : state === "saved" ? "" : this.message;
    return { state, version: this.version, pending: this.pending, message };
  }

  emit() {
    if (this.disposed) return;
    this.onChange(this.status());
    // Waiters of flush() learn the outcome once the queue is empty or stopped by a conflict.
    if (!this.running && (!this.pending || this.stopped)) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /**
   * A slice mask changed: write it soon.
   * @param {number} segment
   * @param {number} slice
   */
  markDirty(segment, slice) {
    const key = maskKey(segment, slice);
    const now = performance.now();
    if (!this.dirty.size) this.firstDirtyAt = now;
    this.lastChangeAt = now;
    this.dirty.set(key, { segment, slice, gen: (this.dirty.get(key)?.gen ?? 0) + 1 });
    this.emit();
    this.schedule();
  }

  /**
   * Run a write now, in order with the others; `run` gets the current version and answers
   * `{ version }`.
   * @template T
   * @param {(version: number) => Promise<T>} run
   * @returns {Promise<T>}
   */
  enqueue(run) {
    if (this.conflict) {
      return Promise.reject(new ApiError(409, "conflict", "Resolve the save conflict first."));
    }
    if (this.signedOut) return Promise.reject(new ApiError(401, "unauthorized", "Sign in again first."));
    return new Promise((resolve, reject) => {
      this.ops.push({ run, resolve, reject });
      this.emit();
      this.pump();
    });
  }

  /** Forget pending writes of a deleted segment. @param {number} segment */
  dropSegment(segment) {
    for (const [key, item] of this.dirty) if (item.segment === segment) this.dirty.delete(key);
    this.emit();
  }

  /**
   * Resolve when everything is written; reject when a conflict or an error stops it.
   * @returns {Promise<void>}
   */
  flush() {
    this.urgent = true;
    this.pump();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.conflict) reject(new ApiError(409, "conflict", this.message));
        else if (this.signedOut) reject(new ApiError(401, "unauthorized", this.message));
        else if (this.closed && this.pending) reject(new ApiError(409, "closed", this.closed));
        else if (this.lastError && !this.pending) reject(new ApiError(0, "error", this.lastError));
        else resolve();
      };
      if (!this.running && (!this.pending || this.stopped)) check();
      else this.idleWaiters.push(check);
    });
  }

  /**
   * After a conflict: continue from the server's version, either dropping local changes
   * (reload) or writing them over the server's (overwrite).
   * @param {number} version
   * @param {boolean} keepLocal
   */
  resume(version, keepLocal) {
    this.version = version;
    this.conflict = false;
    this.closed = "";
    this.message = "";
    this.lastError = "";
    if (!keepLocal) {
      this.dirty.clear();
      for (const op of this.ops.splice(0)) op.reject(new ApiError(409, "conflict", "Reloaded."));
    }
    this.emit();
    this.pump();
  }

  /**
   * The page is going away: hand every dirty mask to `send` now, each with the version it will
   * be written at (one after the other, after a write in flight), and forget it; `send` answers
   * false when it cannot take one more (the keepalive budget), which stops there.
   * @param {(segment: number, slice: number, version: number) => boolean} send
   * @returns {number} the masks sent
   */
  writeOnExit(send) {
    if (this.stopped || this.disposed) return 0;
    let version = this.version + (this.running ? 1 : 0);
    let sent = 0;
    for (const [key, item] of [...this.dirty]) {
      if (!send(item.segment, item.slice, version)) break;
      this.dirty.delete(key);
      version += 1;
      sent += 1;
    }
    this.version = version;
    return sent;
  }

  /** The reading closed: drop what it refused and what waits; the state stays "closed". */
  discard() {
    clearTimeout(this.timer);
    for (const op of this.ops.splice(0)) op.reject(new ApiError(409, "closed", this.closed));
    this.dirty.clear();
    this.emit();
  }

  dispose() {
    this.disposed = true;
    clearTimeout(this.timer);
    for (const op of this.ops.splice(0)) op.reject(new Error("annotation closed"));
    this.dirty.clear();
  }

  schedule() {
    clearTimeout(this.timer);
    const wait = this.dueIn();
    this.timer = setTimeout(() => this.pump(), wait);
  }

  /** Milliseconds until the dirty masks are due: a quiet pause, or at most maxDelay after the first. */
  dueIn() {
    if (this.urgent) return 0;
    const due = Math.min(this.lastChangeAt + this.debounceMs, this.firstDirtyAt + this.maxDelayMs);
    return Math.max(0, due - performance.now());
  }

  async pump() {
    if (this.running || this.stopped || this.disposed) return;
    this.running = true;
    try {
      while (!this.stopped && !this.disposed) {
        if (this.ops.length) await this.runOp(this.ops[0]);
        else if (this.dirty.size && this.dueIn() <= 0) await this.runMask();
        else break;
      }
    } finally {
      this.running = false;
      if (!this.pending) this.urgent = false;
      else if (this.dirty.size && !this.stopped) this.schedule();
      this.emit();
    }
  }

  /** @param {Op} op */
  async runOp(op) {
    const result = await this.attempt(() => op.run(this.version));
    if (this.ops[0] === op) this.ops.shift();
    if (result.ok) op.resolve(result.value);
    else op.reject(result.error);
  }

  async runMask() {
    const [key, item] = /** @type {[string, { segment: number, slice: number, gen: number }]} */ (
      this.dirty.entries().next().value
    );
    const result = await this.attempt(() => this.writeMask(item.segment, item.slice, this.version));
    const now = this.dirty.get(key);
    if (result.ok) {
      if (now && now.gen === item.gen) this.dirty.delete(key);
      if (this.dirty.size) this.firstDirtyAt = performance.now();
    } else if (!this.stopped && now && now.gen === item.gen) {
      // Not retryable (the server refused this mask): keep the rest going, say what failed.
      this.dirty.delete(key);
      this.diverged = true;
    }
  }

  /**
   * Try a write until it succeeds, fails for good, or conflicts.
   * @template T
   * @param {() => Promise<T>} write
   * @returns {Promise<{ ok: true, value: T } | { ok: false, error: unknown }>}
   */
  async attempt(write) {
    let delay = 1000;
    for (;;) {
      this.message = "";
      try {
        const value = await write();
        const version = Number(/** @type {any} */ (value)?.version);
        if (!this.disposed && Number.isFinite(version)) this.version = version;
        this.retrying = false;
        this.lastError = "";
        this.emit();
        return { ok: true, value };
      } catch (error) {
        if (this.disposed) return { ok: false, error };
        const apiError = error instanceof ApiError ? error : null;
        if (apiError?.status === 401) {
          // The session ended: keep every pending write for after the login (api.js goes there).
          this.retrying = false;
          this.signedOut = true;
          this.message = "Your session ended: log in again to save.";
          this.emit();
          return { ok: false, error };
        }
        if (apiError?.status === 409 && apiError.error === "closed") {
          // Not a stale version: the reading is closed; writing again, or over it, cannot help.
          this.retrying = false;
          const first = !this.closed;
          this.closed = apiError.message;
          this.emit();
          if (first) this.onClosed(this.closed);
          return { ok: false, error };
        }
        if (apiError?.status === 409) {
          this.retrying = false;
          this.conflict = true;
          this.message = apiError.message;
          this.emit();
          return { ok: false, error };
        }
        if (apiError?.retryable) {
          this.retrying = true;
          this.message = `${apiError.message} Retrying in ${Math.round(delay / 1000)} s.`;
          this.emit();
          await sleep(delay);
          if (this.disposed) return { ok: false, error };
          delay = Math.min(delay * 2, 30000);
          continue;
        }
        this.retrying = false;
        this.lastError = error instanceof Error ? error.message : String(error);
        this.emit();
        return { ok: false, error };
      }
    }
  }
}
