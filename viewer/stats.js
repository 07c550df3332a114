// @ts-check
/**
 * The statistics panel: per segment voxels, volume (mL, true per-slice spacing), mean ± SD,
 * min / max / median in modality units, painted slices and the largest 3D diameter, from
 * GET /api/annotations/{id}/statistics. It refreshes after each edit is saved (and after a
 * volume operation), not on every stroke, so a burst of strokes costs one request.
 */

import { request } from "./api.js";
import { clear, h } from "./dom.js";
import { SPACING_UNKNOWN, spacingNotice } from "./orientation.js";

/** @typedef {import("./viewstate.js").ViewState} ViewState */
/**
 * @typedef {{ number: number, label: string, voxels: number, volume_mm3: number, volume_ml: number,
 *   mean: number | null, sd: number | null, min: number | null, max: number | null, median: number | null,
 *   bbox: { slices: number[], rows: number[], columns: number[] } | null, slices: number[],
 *   max_diameter_mm: number }} SegmentStatistics
 */

/** @param {number | string} id @returns {Promise<{ segments: SegmentStatistics[] }>} */
export async function getStatistics(id) {
  const response = await request("GET", `api/annotations/${encodeURIComponent(String(id))}/statistics`);
  return response.json();
}

const fmt = (/** @type {number | null} */ v, digits = 1) => (v === null ? "–" : v.toFixed(digits));

export class StatsPanel {
  /**
   * @param {ViewState} state
   * @param {HTMLElement} root the panel's table goes here
   */
  constructor(state, root) {
    this.state = state;
    this.root = root;
    /** the annotation version last shown, so an unchanged status asks nothing */
    this.shownVersion = -1;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    this.requests = 0;
  }

  /**
   * The saver reported: once everything is saved at a new version, ask again.
   * @param {import("./saver.js").SaveStatus} status
   */
  saveStatus(status) {
    if (status.state === "saved" && status.version !== this.shownVersion) this.refreshSoon();
  }

  refreshSoon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), 150);
  }

  async refresh() {
    const session = this.state.session;
    if (!session || session.id === null) {
      this.show([]);
      return;
    }
    const asked = ++this.requests;
    const version = session.version;
    try {
      const body = await getStatistics(session.id);
      if (asked !== this.requests || this.state.session !== session) return;
      this.shownVersion = version;
      this.show(body.segments ?? []);
    } catch {
      if (asked === this.requests) this.root.dataset.state = "error";
    }
  }

  /**
   * Two rows per segment so that all ten figures fit the 290 px right panel (issue 12): the
   * sizes on the first (tr[data-segment]), the intensities on the second; short headers, the
   * full names in their title attributes.
   * @param {SegmentStatistics[]} segments
   */
  show(segments) {
    clear(this.root);
    const unit = this.state.series?.modality === "CT" ? " HU" : "";
    const th = (/** @type {string} */ text, /** @type {string} */ title) => h("th", { text, title });
    const head = [
      h("tr", {}, [
        th("Segment", "Segment label"),
        th("Voxels", "Painted voxels"),
        th("mL", "Volume in millilitres"),
        th("Slices", "First–last painted slice"),
        th("Ø mm", "Largest 3D diameter in mm"),
      ]),
      h("tr", { class: "stats-second" }, [
        h("th", { text: `Mean±SD${unit}`, title: `Mean ± standard deviation${unit}`, colspan: 2 }),
        th("Min", `Minimum${unit}`),
        th("Max", `Maximum${unit}`),
        th("Med", `Median${unit}`),
      ]),
    ];
    const rows = segments.flatMap((s) => [
      h("tr", { "data-segment": s.number, "data-voxels": s.voxels, "data-volume-ml": s.volume_ml.toFixed(4) }, [
        h("td", { text: s.label, title: s.label }),
        h("td", { text: String(s.voxels) }),
        h("td", { text: s.volume_ml.toFixed(2) }),
        h("td", { text: s.bbox ? `${s.bbox.slices[0] + 1}–${s.bbox.slices[1] + 1}` : "–" }),
        h("td", { text: s.max_diameter_mm.toFixed(1) }),
      ]),
      h("tr", { class: "stats-second", "data-segment-intensity": s.number }, [
        h("td", { text: s.mean === null ? "–" : `${fmt(s.mean)} ± ${fmt(s.sd)}`, title: "Mean ± SD", colspan: 2 }),
        h("td", { text: fmt(s.min, 0), title: "Min" }),
        h("td", { text: fmt(s.max, 0), title: "Max" }),
        h("td", { text: fmt(s.median), title: "Median" }),
      ]),
    ]);
    const table = h("table", { class: "stats-table", "data-testid": "stats-table" }, [
      h("thead", {}, head),
      h("tbody", {}, rows),
    ]);
    this.root.append(segments.length ? table : h("p", { class: "hint", text: "Nothing painted yet." }));
    if (segments.length && spacingNotice(this.state.series?.geometry)) {
      const text = `mL and mm are not true sizes: ${SPACING_UNKNOWN}.`;
      this.root.append(h("p", { class: "hint", text, "data-testid": "stats-spacing-unknown" }));
    }
    this.root.dataset.state = "shown";
    this.root.dataset.version = String(this.shownVersion);
  }
}
