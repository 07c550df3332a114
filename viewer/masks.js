// @ts-check
/**
 * The masks of one annotation in memory: one per segment per slice, a Uint8Array of 0/1, or null
 * when known to be empty (most are, and then they cost nothing). A mask is "loaded" once the
 * server's copy has arrived; only loaded masks may be painted, so a late answer never overwrites
 * local strokes.
 */

/** @typedef {{ mask: Uint8Array | null, loaded: boolean, promise: Promise<void> | null }} Entry */

/**
 * @param {number} segment
 * @param {number} slice
 */
export const maskKey = (segment, slice) => `${segment}:${slice}`;

export class MaskStore {
  /**
   * @param {number} pixelCount rows x columns
   * @param {(segment: number, slice: number) => Promise<Uint8Array | null>} fetchMask
   */
  constructor(pixelCount, fetchMask) {
    this.pixelCount = pixelCount;
    this.fetchMask = fetchMask;
    /** @type {Map<string, Entry>} */
    this.entries = new Map();
    /** Bumped by clear(): answers to older requests are dropped. */
    this.epoch = 0;
  }

  /**
   * @param {number} segment
   * @param {number} slice
   * @returns {Uint8Array | null | undefined} undefined while not loaded
   */
  get(segment, slice) {
    const entry = this.entries.get(maskKey(segment, slice));
    return entry?.loaded ? entry.mask : undefined;
  }

  /**
   * @param {number} segment
   * @param {number} slice
   */
  isLoaded(segment, slice) {
    return this.entries.get(maskKey(segment, slice))?.loaded ?? false;
  }

  /**
   * Load from the server unless already loaded or loading.
   * @param {number} segment
   * @param {number} slice
   * @returns {Promise<void>}
   */
  load(segment, slice) {
    const key = maskKey(segment, slice);
    const existing = this.entries.get(key);
    if (existing?.loaded) return Promise.resolve();
    if (existing?.promise) return existing.promise;
    const epoch = this.epoch;
    /** @type {Entry} */
    const entry = { mask: null, loaded: false, promise: null };
    entry.promise = this.fetchMask(segment, slice).then(
      (mask) => {
        if (epoch !== this.epoch || this.entries.get(key) !== entry) return;
        entry.mask = mask;
        entry.loaded = true;
        entry.promise = null;
      },
      (err) => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
        throw err;
      },
    );
    this.entries.set(key, entry);
    return entry.promise;
  }

  /**
   * The mask to paint into, allocated when it was empty. Only for loaded masks.
   * @param {number} segment
   * @param {number} slice
   * @returns {Uint8Array}
   */
  writable(segment, slice) {
    const entry = this.entries.get(maskKey(segment, slice));
    if (!entry?.loaded) throw new Error(`mask of segment ${segment} on slice ${slice} is not loaded`);
    if (!entry.mask) entry.mask = new Uint8Array(this.pixelCount);
    return entry.mask;
  }

  /**
   * A mask known without asking the server (a deleted segment brought back): loaded, with
   * these contents, or empty for null.
   * @param {number} segment
   * @param {number} slice
   * @param {Uint8Array | null} mask
   */
  set(segment, slice, mask) {
    this.entries.set(maskKey(segment, slice), { mask, loaded: true, promise: null });
  }

  /**
   * Drop the memory of a mask that became empty.
   * @param {number} segment
   * @param {number} slice
   */
  compact(segment, slice) {
    const entry = this.entries.get(maskKey(segment, slice));
    if (entry?.mask && !entry.mask.some((v) => v !== 0)) entry.mask = null;
  }

  /** @param {number} segment */
  dropSegment(segment) {
    const prefix = `${segment}:`;
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.entries.delete(key);
  }

  clear() {
    this.entries.clear();
    this.epoch++;
  }
}
