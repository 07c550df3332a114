// @ts-check
/**
 * The PACS tab: search studies (QIDO-RS or C-FIND through the service), unfold their series,
 * and "Open" a series: the service pulls it as a job; its progress shows in a bar, and the
 * series opens as soon as its first instances are held locally. A SEG series has "Import"
 * instead: one job pulls the SEG and the series it segments (what is not held yet) and makes
 * an annotation of it, which then opens.
 */

import * as api from "./api.js";
import { clear, h } from "./dom.js";
import { showInfo } from "./notify.js";
import { formatDate, formatName } from "./studies.js";

const PAGE = 25;
const POLL_MS = 300;

/**
 * @typedef {{ form: HTMLFormElement, results: HTMLElement, more: HTMLButtonElement,
 *   status: HTMLElement, via: HTMLSelectElement, progress: HTMLProgressElement,
 *   progressText: HTMLElement }} PacsElements
 * @typedef {{ open: (seriesUid: string) => Promise<void>, pulled: (seriesUid: string) => Promise<void>,
 *   error: (err: unknown, context: string) => void,
 *   imported?: (seriesUid: string, annotationId: number) => Promise<void> }} PacsHandlers
 *   open: show the series (partially pulled); pulled: the job is done, reload its slice count;
 *   imported: a SEG became this annotation: show its series with it, even when already shown
 *   (without it: open, then pulled, which leave a series already on screen as it is)
 * @typedef {api.PacsSeg} PacsSeg
 */

/**
 * The latest version: the service saves again into the same SEG series with a higher
 * instance number.
 * @param {PacsSeg[]} segs
 */
const latestSeg = (segs) => segs.reduce((a, b) => ((b.instance_number ?? 0) > (a.instance_number ?? 0) ? b : a));

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class PacsBrowser {
  /**
   * @param {PacsElements} elements
   * @param {PacsHandlers} handlers
   */
  constructor(elements, handlers) {
    this.el = elements;
    this.handlers = handlers;
    /** @type {api.PacsQuery} */
    this.query = {};
    this.offset = 0;
    /** @type {string | null} series being pulled */
    this.pulling = null;
    elements.form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.search(true);
    });
    elements.more.addEventListener("click", () => void this.search(false));
  }

  /** @returns {api.PacsQuery} */
  readForm() {
    const data = new FormData(this.el.form);
    /** @param {string} name */
    const get = (name) => String(data.get(name) ?? "").trim();
    return {
      patient_name: get("patient_name"),
      patient_id: get("patient_id"),
      modality: get("modality"),
      date_from: get("date_from").replaceAll("-", ""),
      date_to: get("date_to").replaceAll("-", ""),
      accession: get("accession"),
    };
  }

  /** @param {boolean} fresh a new search (else: the next page of the last one) */
  async search(fresh) {
    if (fresh) {
      this.query = this.readForm();
      this.offset = 0;
      clear(this.el.results);
    }
    this.el.more.hidden = true;
    this.setStatus("Searching the PACS…", "busy");
    this.el.results.setAttribute("aria-busy", "true");
    try {
      const studies = await api.searchPacsStudies(this.query, PAGE, this.offset);
      this.offset += studies.length;
      for (const study of studies) this.el.results.append(this.studyItem(study));
      const total = this.el.results.querySelectorAll("[data-testid=pacs-study]").length;
      this.setStatus(total ? `${total} stud${total === 1 ? "y" : "ies"}` : "No study matches.", "done");
      this.el.more.hidden = studies.length < PAGE;
    } catch (err) {
      this.setStatus(err instanceof Error ? err.message : String(err), "error");
      this.handlers.error(err, "PACS search failed");
    } finally {
      this.el.results.removeAttribute("aria-busy");
    }
  }

  /**
   * @param {string} text
   * @param {string} state
   */
  setStatus(text, state) {
    this.el.status.textContent = text;
    this.el.status.dataset.state = state;
  }

  /** @param {api.PacsStudy} study */
  studyItem(study) {
    const seriesList = h("ul", { class: "series-list" });
    const meta = [study.patient_id, formatDate(study.study_date), (study.modalities ?? []).join(", "), study.accession]
      .filter(Boolean)
      .join(" · ");
    const header = h("button", { type: "button", class: "study-header", "aria-expanded": "false" }, [
      h("span", { class: "study-patient", text: formatName(study.patient_name) }),
      h("span", { class: "study-meta", text: meta }),
      h("span", { class: "study-desc", text: study.description || "(no description)" }),
      h("span", { class: "study-counts", text: `${study.num_series} series · ${study.num_instances} images` }),
    ]);
    const item = h("li", { class: "study", "data-testid": "pacs-study", "data-study-uid": study.study_uid }, [
      header,
      seriesList,
    ]);
    header.addEventListener("click", () => {
      const open = !item.classList.contains("open");
      item.classList.toggle("open", open);
      header.setAttribute("aria-expanded", String(open));
      if (open) void this.loadSeries(study.study_uid, seriesList);
    });
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
      const series = await api.listPacsSeries(studyUid);
      clear(target);
      const images = series.filter((s) => s.modality !== "SEG").map((s) => s.series_uid);
      for (const s of series) {
        const row = h("div", { class: "series-item pacs-series", "data-testid": "pacs-series", "data-series-uid": s.series_uid }, [
          h("span", { class: "series-modality", text: s.modality || "?" }),
          h("span", { class: "series-desc", text: s.description || "(no description)" }),
          h("span", { class: "series-count", text: String(s.num_instances) }),
          s.modality === "SEG" ? this.importButton(studyUid, s.series_uid, images) : this.openButton(studyUid, s.series_uid),
        ]);
        target.append(h("li", {}, [row]));
      }
      if (!series.length) target.append(h("li", { class: "empty", text: "No series." }));
    } catch (err) {
      clear(target);
      target.append(h("li", { class: "empty error", text: err instanceof Error ? err.message : String(err) }));
      this.handlers.error(err, "Could not list the series");
    }
  }

  /**
   * @param {string} studyUid
   * @param {string} seriesUid
   */
  openButton(studyUid, seriesUid) {
    const open = h("button", { type: "button", class: "pacs-open", "data-testid": "pacs-open", text: "Open" });
    open.addEventListener("click", () => void this.pull(studyUid, seriesUid));
    return open;
  }

  /**
   * @param {string} studyUid
   * @param {string} segSeriesUid
   * @param {string[]} imageSeriesUids the study's other series, one of which the SEG segments
   */
  importButton(studyUid, segSeriesUid, imageSeriesUids) {
    const button = h("button", {
      type: "button", class: "pacs-open", "data-testid": "pacs-seg-import", text: "Import",
      title: "A DICOM SEG: import it as an annotation of the series it segments (pulls both as needed)",
    });
    button.addEventListener("click", () => void this.importSeg(studyUid, segSeriesUid, imageSeriesUids));
    return button;
  }

  /** @returns {"dicomweb" | "dimse"} */
  via() {
    return this.el.via.value === "dimse" ? "dimse" : "dicomweb";
  }

  /**
   * One job at a time: a second click while one runs says so.
   * @param {string} uid
   */
  begin(uid) {
    if (this.pulling) {
      this.handlers.error(new Error("Another series is being retrieved."), "Please wait");
      return false;
    }
    this.pulling = uid;
    this.showProgress(0, 0, "Asking the PACS…", "running");
    return true;
  }

  /**
   * Poll a job, showing its progress, until it is done (answered) or failed (thrown).
   * @param {string} jobId
   * @param {string} unit what `done` and `total` count
   * @param {(job: api.Job) => Promise<void>} onUpdate after each poll
   * @returns {Promise<api.Job>}
   */
  async follow(jobId, unit, onUpdate) {
    for (;;) {
      const job = await api.getJob(jobId);
      this.showProgress(job.done, job.total, `${job.done} / ${job.total || "?"} ${unit}`, job.state);
      if (job.state === "failed") throw new Error(job.error || "The job failed.");
      await onUpdate(job);
      if (job.state === "done") return job;
      await sleep(POLL_MS);
    }
  }

  /**
   * @param {unknown} err
   * @param {string} context
   */
  failed(err, context) {
    this.showProgress(0, 1, err instanceof Error ? err.message : String(err), "failed");
    this.handlers.error(err, context);
  }

  /**
   * Pull a series: start the job, follow it, open the series once its first instances arrive.
   * @param {string} studyUid
   * @param {string} seriesUid
   */
  async pull(studyUid, seriesUid) {
    if (!this.begin(seriesUid)) return;
    let opened = false;
    try {
      const { job_id: jobId } = await api.retrieveSeries(studyUid, seriesUid, this.via());
      const job = await this.follow(jobId, "images", async (update) => {
        if (!opened && (update.done > 0 || update.state === "done")) {
          opened = true;
          await this.handlers.open(seriesUid);
        }
      });
      if (job.error) this.handlers.error(new Error(job.error), "Some images were refused");
      this.showProgress(job.done, job.total || job.done, `Retrieved ${job.done} images`, "done");
      await this.handlers.pulled(seriesUid);
    } catch (err) {
      this.failed(err, "Could not retrieve the series");
      // Nothing more will arrive: what is there can be shown in full and painted.
      if (opened) await this.handlers.pulled(seriesUid);
    } finally {
      this.pulling = null;
    }
  }

  /**
   * Import a SEG series of the PACS as an annotation, in one job, then open it. The SEG is
   * found among the SEGs that reference each image series of the study (its latest version).
   * @param {string} studyUid
   * @param {string} segSeriesUid
   * @param {string[]} imageSeriesUids
   */
  async importSeg(studyUid, segSeriesUid, imageSeriesUids) {
    if (!this.begin(segSeriesUid)) return;
    try {
      this.showProgress(0, 0, "Finding the SEG in the PACS…", "running");
      const { seg, sourceUid } = await this.findSeg(studyUid, segSeriesUid, imageSeriesUids);
      const { job_id: jobId } = await api.importPacsSeg(sourceUid, seg.sop_instance_uid, studyUid, this.via());
      const job = await this.follow(jobId, "instances (SEG and images)", async () => {});
      const seriesUid = job.result?.series_uid ?? sourceUid;
      const name = seg.content_label || seg.description || "SEG";
      if (job.error) this.handlers.error(new Error(job.error), "Some images were refused");
      this.showProgress(job.done, job.total || job.done, `Imported "${name}" as an annotation`, "done");
      showInfo(`Imported "${name}" as an annotation.`);
      if (this.handlers.imported) await this.handlers.imported(seriesUid, Number(job.result?.annotation_id));
      else {
        await this.handlers.open(seriesUid);
        await this.handlers.pulled(seriesUid);
      }
    } catch (err) {
      this.failed(err, "Could not import the SEG");
    } finally {
      this.pulling = null;
    }
  }

  /**
   * @param {string} studyUid
   * @param {string} segSeriesUid
   * @param {string[]} imageSeriesUids
   * @returns {Promise<{ seg: PacsSeg, sourceUid: string }>}
   */
  async findSeg(studyUid, segSeriesUid, imageSeriesUids) {
    for (const sourceUid of imageSeriesUids) {
      const segs = (await api.listPacsSegs(sourceUid, studyUid)).filter((x) => x.series_uid === segSeriesUid);
      if (segs.length) return { seg: latestSeg(segs), sourceUid };
    }
    throw new Error("None of this study's image series in the PACS is the source of this SEG.");
  }

  /**
   * @param {number} done
   * @param {number} total
   * @param {string} text
   * @param {string} state
   */
  showProgress(done, total, text, state) {
    const bar = this.el.progress;
    bar.hidden = false;
    if (total > 0) {
      bar.max = total;
      bar.value = Math.min(done, total);
    } else bar.removeAttribute("value");
    bar.dataset.state = state;
    this.el.progressText.textContent = text;
    this.el.progressText.dataset.state = state;
  }
}
