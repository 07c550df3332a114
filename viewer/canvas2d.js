// @ts-check
/** Canvas helpers shared by the views: offscreen canvases, a 2D context, the frame's backing store. */

/**
 * @param {number} width
 * @param {number} height
 * @returns {HTMLCanvasElement}
 */
export function offscreen(width, height) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

/**
 * @param {HTMLCanvasElement} canvas
 * @returns {CanvasRenderingContext2D}
 */
export function context2d(canvas) {
  const ctx = canvas.getContext("2d");
  if (!ctx) throw new Error("2D canvas is not available");
  return ctx;
}

/**
 * Size the canvas's backing store to its CSS size at the device pixel ratio and clear it to
 * black; the transform is left at identity (device pixels).
 * @param {HTMLCanvasElement} canvas
 * @param {CanvasRenderingContext2D} ctx
 * @returns {number} the device pixel ratio
 */
export function clearCanvas(canvas, ctx) {
  const dpr = window.devicePixelRatio || 1;
  const pw = Math.max(1, Math.round(canvas.clientWidth * dpr));
  const ph = Math.max(1, Math.round(canvas.clientHeight * dpr));
  if (canvas.width !== pw || canvas.height !== ph) {
    canvas.width = pw;
    canvas.height = ph;
  }
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, pw, ph);
  return dpr;
}
