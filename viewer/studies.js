// @ts-check
/**
 * The list of local studies; a study unfolds into its series, and a click on a series opens it.
 */

import * as api from "./api.js";
import { clear, h } from "./dom.js";

/**
 * @param {string} date DICOM DA "YYYYMMDD"
 */
export function formatDate(date) {
  return /^\d{8}$/.test(date) ? `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6)}` : date;
}

/**
 * DICOM PN "Family^Given^Middle" as "Family, Given Middle".
 * @param {string} name
 */
export function formatName(name) {
  const [family = "", given = "", middle = ""] = (name || "").split("=")[0].split("^");
  const rest = [given, middle].filter(Boolean).join(" ");
  return [family, rest].filter(Boolean).join(", ") || "(no name)";
}

/** @param {string | number} n @param {string} one @param {string} many */
const count = (n, one, many) => `${n} ${Number(n) === 1 ? one : many}`;

export class StudyBrowser {
  /**
   * @param {HTMLElement} list
   * @param {{ open: (seriesUid: string) => void, importSeg: (studyUid: string, segSeriesUid: string) => Promise<void>,
   *   error: (err: unknown, context: string) => void }} handlers
   */
  constructor(list, handlers) {
    this.list = list;
    this.handlers = handlers;
    /** @type {Set<string>} */
    this.expanded = new Set();
    /** @type {string | null} */
    this.current = null;
  }

  async refresh() {
    this.list.setAttribute("aria-busy", "true");
    try {
      const studies = await api.listStudies();
      clear(this.list);
      if (!studies.length) {
        this.list.append(h("li", { class: "empty", text: "No local studies yet. Open files or a folder." }));
      }
      for (const study of studies) this.list.append(this.studyItem(study));
    } catch (err) {
      this.handlers.error(err, "Could not list studies");
    } finally {
      this.list.removeAttribute("aria-busy");
    }
  }

  /**
   * Unfold a study (after an upload, to show what arrived).
   * @param {string} studyUid
   */
  expand(studyUid) {
    this.expanded.add(studyUid);
  }

  /** @param {string | null} seriesUid */
  setCurrent(seriesUid) {
    this.current = seriesUid;
    for (const item of this.list.querySelectorAll("[data-series-uid]")) {
      item.classList.toggle("current", item.getAttribute("data-series-uid") === seriesUid);
    }
  }

  /** @param {import("./api.js").Study} study */
  studyItem(study) {
    const modalities = Array.isArray(study.modalities) ? study.modalities.join(", ") : String(study.modalities ?? "");
    const seriesList = h("ul", { class: "series-list" });
    const header = h("button", { type: "button", class: "study-header", "aria-expanded": "false" }, [
      h("span", { class: "study-patient", text: formatName(study.patient_name) }),
      h("span", { class: "study-meta", text: [study.patient_id, formatDate(study.study_date), modalities].filter(Boolean).join(" · ") }),
      h("span", { class: "study-desc", text: study.description || "(no description)" }),
      h("span", { class: "study-counts", text: `${count(study.num_series, "series", "series")} · ${count(study.num_instances, "image", "images")}` }),
    ]);
    const item = h("li", { class: "study", "data-testid": "study", "data-study-uid": study.study_uid }, [header, seriesList]);
    const toggle = async (/** @type {boolean} */ open) => {
      header.setAttribute("aria-expanded", String(open));
      item.classList.toggle("open", open);
      if (open) this.expanded.add(study.study_uid);
      else this.expanded.delete(study.study_uid);
      if (open) await this.loadSeries(study.study_uid, seriesList);
    };
    header.addEventListener("click", () => toggle(!item.classList.contains("open")));
    if (this.expanded.has(study.study_uid)) void toggle(true);
    return item;
  }

  /**
   * @param {string} studyUid
   * @param {HTMLElement} target
   */
  async loadSeries(studyUid, target) {
    clear(target);
    target.append(h("li", { class: "empty", text: "Loading…" }));
    try {
      const series = await api.listSeries(studyUid);
      clear(target);
      for (const s of series) {
        const button = h("button", { type: "button", class: "series-item", "data-testid": "series", "data-series-uid": s.series_uid }, [
          h("span", { class: "series-modality", text: s.modality || "?" }),
          h("span", { class: "series-desc", text: s.description || "(no description)" }),
          h("span", { class: "series-count", text: String(s.num_instances) }),
        ]);
        button.classList.toggle("current", s.series_uid === this.current);
        /** @type {HTMLElement[]} */
        const extra = [];
        if (s.modality === "SEG") {
          // A segmentation is not a volume to paint on; it becomes an annotation of its source series.
          button.classList.add("not-image");
          button.title = "A DICOM SEG: import it as an annotation of the series it segments";
          const importButton = h("button", {
            type: "button", class: "seg-import", "data-testid": "seg-import", "data-series-uid": s.series_uid,
            text: "Import as annotation",
          });
          importButton.addEventListener("click", async () => {
            importButton.disabled = true;
            try {
              await this.handlers.importSeg(studyUid, s.series_uid);
            } finally {
              importButton.disabled = false;
            }
          });
          extra.push(importButton);
        } else {
          button.addEventListener("click", () => this.handlers.open(s.series_uid));
        }
        target.append(h("li", {}, [button, ...extra]));
      }
      if (!series.length) target.append(h("li", { class: "empty", text: "No series." }));
    } catch (err) {
      clear(target);
      this.handlers.error(err, "Could not list series");
    }
  }
}
