// @ts-check
/**
 * Decoded slices of one series: a bounded LRU cache, request de-duplication and prefetch of
 * the neighbours of the slice on screen, nearest first.
 */

/** @typedef {import("./api.js").Dtype} Dtype */
/** @typedef {Int16Array | Uint16Array | Int32Array | Float32Array | Uint8Array} Pixels */
/** @typedef {{ index: number, pixels: Pixels, min: number, max: number }} Slice */

const ARRAYS = {
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  float32: Float32Array,
  uint8: Uint8Array,
};

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * How many bytes `count` values of `dtype` take on the wire.
 * @param {Dtype} dtype
 * @param {number} count
 */
export function bytesOf(dtype, count) {
  const Type = ARRAYS[dtype];
  if (!Type) throw new Error(`unknown dtype ${dtype}`);
  return count * Type.BYTES_PER_ELEMENT;
}

/**
 * Read raw little-endian values into a typed array.
 * @param {ArrayBuffer} buffer
 * @param {Dtype} dtype
 * @param {number} count expected number of values (rows x columns)
 * @returns {Pixels}
 */
export function decodePixels(buffer, dtype, count) {
  const Type = ARRAYS[dtype];
  if (!Type) throw new Error(`unknown dtype ${dtype}`);
  const expected = count * Type.BYTES_PER_ELEMENT;
  if (buffer.byteLength !== expected) {
    throw new Error(`slice has ${buffer.byteLength} bytes, expected ${expected} (${count} x ${dtype})`);
  }
  if (LITTLE_ENDIAN || Type.BYTES_PER_ELEMENT === 1) return new Type(buffer);
  const view = new DataView(buffer);
  const out = new Type(count);
  const get = {
    int16: (/** @type {number} */ i) => view.getInt16(i * 2, true),
    uint16: (/** @type {number} */ i) => view.getUint16(i * 2, true),
    int32: (/** @type {number} */ i) => view.getInt32(i * 4, true),
    float32: (/** @type {number} */ i) => view.getFloat32(i * 4, true),
    uint8: (/** @type {number} */ i) => view.getUint8(i),
  }[dtype];
  for (let i = 0; i < count; i++) out[i] = get(i);
  return out;
}

/**
 * @param {Pixels} pixels
 * @returns {{ min: number, max: number }}
 */
function range(pixels) {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return Number.isFinite(min) ? { min, max } : { min: 0, max: 0 };
}

export class SliceCache {
  /**
   * @param {{ fetch: (index: number, signal: AbortSignal) => Promise<ArrayBuffer>, dtype: Dtype,
   *   rows: number, columns: number, numSlices: number, budgetBytes?: number,
   *   prefetchRadius?: number, concurrency?: number }} options
   */
  constructor(options) {
    this.fetch = options.fetch;
    this.dtype = options.dtype;
    this.count = options.rows * options.columns;
    this.numSlices = options.numSlices;
    const bytesPerSlice = this.count * ARRAYS[options.dtype].BYTES_PER_ELEMENT;
    this.capacity = Math.max(8, Math.floor((options.budgetBytes ?? 384 * 2 ** 20) / bytesPerSlice));
    this.prefetchRadius = options.prefetchRadius ?? 4;
    this.concurrency = options.concurrency ?? 3;
    /** @type {Map<number, Slice>} insertion order is recency order */
    this.cache = new Map();
    /** @type {Map<number, Promise<Slice>>} */
    this.inflight = new Map();
    /** @type {number[]} */
    this.queue = [];
    this.active = 0;
    this.controller = new AbortController();
  }

  /**
   * The slice when it is cached, without a request.
   * @param {number} index
   * @returns {Slice | undefined}
   */
  peek(index) {
    const slice = this.cache.get(index);
    if (slice) {
      this.cache.delete(index);
      this.cache.set(index, slice);
    }
    return slice;
  }

  /**
   * The slice, from the cache or the network.
   * @param {number} index
   * @returns {Promise<Slice>}
   */
  get(index) {
    const cached = this.peek(index);
    if (cached) return Promise.resolve(cached);
    const pending = this.inflight.get(index);
    if (pending) return pending;
    const promise = this.load(index);
    this.inflight.set(index, promise);
    promise.then(
      () => this.inflight.delete(index),
      () => this.inflight.delete(index),
    );
    return promise;
  }

  /**
   * @param {number} index
   * @returns {Promise<Slice>}
   */
  async load(index) {
    const buffer = await this.fetch(index, this.controller.signal);
    const pixels = decodePixels(buffer, this.dtype, this.count);
    const slice = { index, pixels, ...range(pixels) };
    this.cache.set(index, slice);
    while (this.cache.size > this.capacity) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
    return slice;
  }

  /**
   * Queue the neighbours of `center`, nearest first, dropping what was queued for an older center.
   * @param {number} center
   */
  prefetch(center) {
    /** @type {number[]} */
    const wanted = [];
    for (let d = 1; d <= this.prefetchRadius; d++) {
      for (const i of [center + d, center - d]) {
        if (i >= 0 && i < this.numSlices && !this.cache.has(i) && !this.inflight.has(i)) wanted.push(i);
      }
    }
    this.queue = wanted;
    this.pump();
  }

  pump() {
    while (this.active < this.concurrency && this.queue.length) {
      const index = /** @type {number} */ (this.queue.shift());
      if (this.cache.has(index) || this.inflight.has(index)) continue;
      this.active++;
      this.get(index)
        .catch(() => undefined)
        .finally(() => {
          this.active--;
          this.pump();
        });
    }
  }

  /** Stop every request of this series (another series was opened). */
  dispose() {
    this.controller.abort();
    this.queue = [];
    this.cache.clear();
  }
}
