// @ts-check
/**
 * The arrangement of the views: one view, 1+2 (a large view and two beside it), 2x2 and 1x3.
 * The panes (the main view, the sagittal and coronal views; the 2x2 layout's fourth cell is
 * the geometry summary) sit in slots that CSS places per layout (`data-layout` on the grid,
 * `data-slot` on each pane), so every view resizes with the layout. Double-click a pane: it
 * fills the viewport (again: back to the layout before); its ⇄ button swaps it with slot 0.
 *
 * Test hooks: `#view-grid[data-layout]`, each pane `[data-pane][data-slot]`, `#layout` (the
 * toolbar's select).
 */

import { byId } from "./dom.js";

/** @typedef {"1" | "1+2" | "2x2" | "1x3"} LayoutName */
/** @typedef {"view" | "sagittal" | "coronal"} PaneName */

/** @type {LayoutName[]} */
export const LAYOUTS = ["1", "1+2", "2x2", "1x3"];

/** @param {string | null | undefined} value @returns {LayoutName | null} */
export const parseLayout = (value) => /** @type {LayoutName[]} */ (LAYOUTS).find((l) => l === value) ?? null;

export class ViewLayout {
  /** @param {(layout: LayoutName) => void} changed told after every change (the URL) */
  constructor(changed) {
    this.changed = changed;
    this.grid = byId("view-grid", HTMLElement);
    this.select = byId("layout", HTMLSelectElement);
    /** @type {LayoutName} */
    this.layout = "1+2";
    /** @type {PaneName[]} the panes by slot */
    this.order = ["view", "sagittal", "coronal"];
    /** @type {{ layout: LayoutName, order: PaneName[] } | null} what a double-click enlarged from */
    this.before = null;
    this.select.addEventListener("change", () => this.set(parseLayout(this.select.value) ?? "1+2"));
    for (const pane of this.grid.querySelectorAll("[data-pane]")) {
      const name = /** @type {PaneName} */ (pane.getAttribute("data-pane"));
      if (name !== "view" && name !== "sagittal" && name !== "coronal") continue;
      pane.addEventListener("dblclick", () => this.enlarge(name));
      pane.querySelector(".pane-swap")?.addEventListener("click", () => this.swap(name));
    }
    this.apply();
  }

  /** @param {LayoutName} layout */
  set(layout) {
    this.before = null;
    this.layout = layout;
    this.apply();
  }

  /** The next layout (key V). */
  cycle() {
    this.set(LAYOUTS[(LAYOUTS.indexOf(this.layout) + 1) % LAYOUTS.length]);
  }

  /** One view or back (key R: the side views hidden or shown). */
  toggleSides() {
    if (this.layout === "1") this.set(this.before?.layout ?? "1+2");
    else {
      const before = { layout: this.layout, order: [...this.order] };
      this.set("1");
      this.before = before;
    }
  }

  /** A pane fills the viewport; the same again restores the layout before. @param {PaneName} pane */
  enlarge(pane) {
    if (this.layout === "1" && this.before && this.order[0] === pane) {
      const { layout, order } = this.before;
      this.before = null;
      this.layout = layout;
      this.order = order;
    } else {
      this.before ??= { layout: this.layout, order: [...this.order] };
      this.swap(pane, false);
      this.layout = "1";
    }
    this.apply();
  }

  /** A pane goes to slot 0 and the one there takes its place. @param {PaneName} pane @param {boolean} [apply] */
  swap(pane, apply = true) {
    const at = this.order.indexOf(pane);
    [this.order[0], this.order[at]] = [this.order[at], this.order[0]];
    if (apply) this.apply();
  }

  apply() {
    this.grid.dataset.layout = this.layout;
    this.select.value = this.layout;
    this.order.forEach((name, slot) => {
      const pane = this.grid.querySelector(`[data-pane="${name}"]`);
      if (pane instanceof HTMLElement) pane.dataset.slot = String(slot);
    });
    this.changed(this.layout);
  }
}
