// @ts-check
/**
 * Scissors: draw a lasso (freehand), a polygon (clicks; double-click or Enter closes it) or a
 * rectangle (drag) on the main view, in image pixels. While armed, the left button draws here
 * instead of painting; Escape cancels. The shape is drawn on an SVG over the view.
 */

/** @typedef {"lasso" | "polygon" | "rectangle"} Shape */
/** @typedef {[number, number]} Point (row, column) in image pixels, pixel centres at integers */

const SVG = "http://www.w3.org/2000/svg";

export class Scissors {
  /** @param {HTMLCanvasElement} canvas the main view (its data-image-rect, data-rows, data-columns) */
  constructor(canvas) {
    this.canvas = canvas;
    /** @type {((points: Point[] | null) => void) | null} */
    this.done = null;
    /** @type {Shape} */
    this.shape = "lasso";
    /** @type {Point[]} */
    this.points = [];
    /** @type {{ x: number, y: number }[]} client points drawn */
    this.drawn = [];
    this.down = false;
    this.svg = document.createElementNS(SVG, "svg");
    this.svg.setAttribute("class", "scissors-overlay");
    this.svg.setAttribute("data-testid", "scissors-overlay");
    this.path = document.createElementNS(SVG, "polygon");
    this.svg.append(this.path);
    this.listeners = /** @type {[string, (e: any) => void][]} */ ([
      ["pointerdown", (e) => this.onDown(e)],
      ["pointermove", (e) => this.onMove(e)],
      ["pointerup", (e) => this.onUp(e)],
      ["dblclick", (e) => this.onDouble(e)],
    ]);
    this.onKey = (/** @type {KeyboardEvent} */ e) => {
      if (e.key === "Escape") this.finish(null);
      else if (e.key === "Enter" && this.shape === "polygon") this.finish(this.points);
    };
  }

  get armed() {
    return this.done !== null;
  }

  /**
   * Wait for one shape; null when cancelled.
   * @param {Shape} shape
   * @returns {Promise<Point[] | null>}
   */
  draw(shape) {
    this.finish(null);
    this.shape = shape;
    this.points = [];
    this.drawn = [];
    const parent = this.canvas.parentElement;
    if (parent && getComputedStyle(parent).position === "static") parent.style.position = "relative";
    parent?.append(this.svg);
    this.place();
    for (const [name, fn] of this.listeners) this.canvas.addEventListener(name, fn, { capture: true });
    document.addEventListener("keydown", this.onKey);
    this.canvas.dataset.scissors = shape;
    return new Promise((resolve) => {
      this.done = resolve;
    });
  }

  /** @param {Point[] | null} points */
  finish(points) {
    const done = this.done;
    if (!done) return;
    this.done = null;
    this.down = false;
    for (const [name, fn] of this.listeners) this.canvas.removeEventListener(name, fn, { capture: true });
    document.removeEventListener("keydown", this.onKey);
    this.svg.remove();
    delete this.canvas.dataset.scissors;
    done(points && points.length >= 3 ? points : null);
  }

  place() {
    const box = this.canvas.getBoundingClientRect();
    const parentBox = this.canvas.parentElement?.getBoundingClientRect() ?? box;
    Object.assign(this.svg.style, {
      position: "absolute", pointerEvents: "none", left: `${box.left - parentBox.left}px`, top: `${box.top - parentBox.top}px`,
      width: `${box.width}px`, height: `${box.height}px`,
    });
  }

  /** @param {PointerEvent} e @returns {Point} */
  toImage(e) {
    const box = this.canvas.getBoundingClientRect();
    const [rx, ry, width, height] = (this.canvas.dataset.imageRect ?? "0,0,1,1").split(",").map(Number);
    const columns = Number(this.canvas.dataset.columns) || 1;
    const rows = Number(this.canvas.dataset.rows) || 1;
    const col = ((e.clientX - box.left - rx) / width) * columns - 0.5;
    const row = ((e.clientY - box.top - ry) / height) * rows - 0.5;
    return [row, col];
  }

  /** @param {PointerEvent} e */
  take(e) {
    e.preventDefault();
    e.stopImmediatePropagation();
  }

  /** @param {PointerEvent} e */
  onDown(e) {
    if (e.button !== 0) return;
    this.take(e);
    this.down = true;
    if (this.shape === "polygon") this.add(e);
    else {
      this.points = [];
      this.drawn = [];
      this.add(e);
    }
  }

  /** @param {PointerEvent} e */
  onMove(e) {
    if (!this.down) return;
    this.take(e);
    if (this.shape === "lasso") this.add(e);
    else if (this.shape === "rectangle") this.rectangleTo(e);
  }

  /** @param {PointerEvent} e */
  onUp(e) {
    if (!this.down) return;
    this.take(e);
    this.down = false;
    if (this.shape === "rectangle") this.rectangleTo(e);
    if (this.shape !== "polygon") this.finish(this.points);
  }

  /** @param {MouseEvent} e */
  onDouble(e) {
    if (this.shape !== "polygon") return;
    e.preventDefault();
    e.stopImmediatePropagation();
    this.finish(this.points);
  }

  /** @param {PointerEvent} e */
  add(e) {
    this.points.push(this.toImage(e));
    const box = this.canvas.getBoundingClientRect();
    this.drawn.push({ x: e.clientX - box.left, y: e.clientY - box.top });
    this.redraw();
  }

  /** @param {PointerEvent} e */
  rectangleTo(e) {
    const [r0, c0] = this.points[0];
    const [r1, c1] = this.toImage(e);
    this.points = [[r0, c0], [r0, c1], [r1, c1], [r1, c0]];
    const box = this.canvas.getBoundingClientRect();
    const start = this.drawn[0];
    const x = e.clientX - box.left;
    const y = e.clientY - box.top;
    this.drawn = [start, { x, y: start.y }, { x, y }, { x: start.x, y }];
    this.redraw();
  }

  redraw() {
    this.path.setAttribute("points", this.drawn.map((p) => `${p.x},${p.y}`).join(" "));
  }
}
