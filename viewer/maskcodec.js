// @ts-check
/**
 * The mask wire format (DESIGN.md, "Mask format"): rows x columns booleans, row-major,
 * packed 8 to a byte with the first pixel in the highest bit (numpy.packbits), then zlib
 * (CompressionStream "deflate" is the zlib format of RFC 1950, as Python's zlib.compress).
 * In memory a mask is a Uint8Array of 0/1, one byte a pixel.
 */

/**
 * @param {Uint8Array} mask one byte a pixel, 0 or 1
 * @returns {Uint8Array} ceil(n / 8) bytes
 */
export function packBits(mask) {
  const n = mask.length;
  const out = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) {
    if (mask[i]) out[i >> 3] |= 0x80 >> (i & 7);
  }
  return out;
}

/**
 * @param {Uint8Array} packed
 * @param {number} n number of pixels
 * @returns {Uint8Array}
 */
export function unpackBits(packed, n) {
  if (packed.length !== (n + 7) >> 3) {
    throw new Error(`mask has ${packed.length} bytes, expected ${(n + 7) >> 3} for ${n} pixels`);
  }
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = (packed[i >> 3] >> (7 - (i & 7))) & 1;
  }
  return out;
}

/**
 * @param {Uint8Array} bytes
 * @param {CompressionStream | DecompressionStream} transform
 * @returns {Promise<Uint8Array>}
 */
async function pipe(bytes, transform) {
  const stream = new Blob([/** @type {BlobPart} */ (bytes)]).stream().pipeThrough(transform);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** @param {Uint8Array} bytes */
export const deflate = (bytes) => pipe(bytes, new CompressionStream("deflate"));

/** @param {Uint8Array} bytes */
export const inflate = (bytes) => pipe(bytes, new DecompressionStream("deflate"));

/**
 * @param {Uint8Array} mask
 * @returns {boolean} whether any pixel is set
 */
export function anySet(mask) {
  for (let i = 0; i < mask.length; i++) if (mask[i]) return true;
  return false;
}

/**
 * Mask (or null = empty) to the wire format.
 * @param {Uint8Array | null} mask
 * @param {number} n number of pixels
 * @returns {Promise<Uint8Array>}
 */
export function encodeMask(mask, n) {
  return deflate(mask ? packBits(mask) : new Uint8Array((n + 7) >> 3));
}

/**
 * Wire format to a mask; null when no pixel is set, so empty masks cost no memory.
 * @param {Uint8Array} bytes
 * @param {number} n number of pixels
 * @returns {Promise<Uint8Array | null>}
 */
export async function decodeMask(bytes, n) {
  const mask = unpackBits(await inflate(bytes), n);
  return anySet(mask) ? mask : null;
}

/**
 * Mask to the wire format at once, without compressing: zlib (RFC 1950) of stored deflate
 * blocks (RFC 1951 3.2.4), for the page's last moments, when the asynchronous
 * CompressionStream would not finish (savecontrols.js: writes on pagehide).
 * @param {Uint8Array | null} mask
 * @param {number} n number of pixels
 * @returns {Uint8Array}
 */
export function encodeMaskNow(mask, n) {
  const raw = mask ? packBits(mask) : new Uint8Array((n + 7) >> 3);
  const blocks = Math.max(1, Math.ceil(raw.length / 65535));
  const out = new Uint8Array(2 + raw.length + blocks * 5 + 4);
  out[0] = 0x78;
  out[1] = 0x01; // deflate, 32K window, no dictionary; (0x78 << 8 | 0x01) % 31 === 0
  let at = 2;
  for (let b = 0; b < blocks; b++) {
    const chunk = raw.subarray(b * 65535, Math.min(raw.length, (b + 1) * 65535));
    out[at++] = b === blocks - 1 ? 1 : 0; // BFINAL, BTYPE 00 (stored)
    out[at++] = chunk.length & 0xff;
    out[at++] = chunk.length >> 8;
    out[at++] = ~chunk.length & 0xff;
    out[at++] = (~chunk.length >> 8) & 0xff;
    out.set(chunk, at);
    at += chunk.length;
  }
  let a = 1;
  let c = 0;
  for (let i = 0; i < raw.length; i++) {
    a = (a + raw[i]) % 65521;
    c = (c + a) % 65521;
  }
  const adler = ((c << 16) | a) >>> 0;
  out.set([adler >>> 24, (adler >>> 16) & 0xff, (adler >>> 8) & 0xff, adler & 0xff], at);
  return out;
}

/** @param {Uint8Array | Uint32Array} bytes */
export function toBase64(bytes) {
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let text = "";
  for (let i = 0; i < view.length; i += 0x8000) text += String.fromCharCode(...view.subarray(i, i + 0x8000));
  return btoa(text);
}

/** @param {string} text base64 @returns {Uint8Array} */
export function fromBase64(text) {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}
