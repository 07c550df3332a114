// @ts-check
/**
 * The PACS tab: search studies (QIDO-RS or C-FIND through the service), unfold their series,
 * and "Open" a series: the service pulls it as a job; its progress shows in a bar, and the
 * series opens as soon as its first instances are held locally.
 */

import * as api from "./api.js";
import { clear, h } from "./dom.js";
import { formatDate, formatName } from "./studies.js";

const PAGE = 25;
const POLL_MS = 300;

/**
 * @typedef {{ form: HTMLFormElement, results: HTMLElement, more: HTMLButtonElement,
 *   status: HTMLElement, via: HTMLSelectElement, progress: HTMLProgressElement,
 *   progressText: HTMLElement }} PacsElements
 * @typedef {{ open: (seriesUid: string) => Promise<void>, pulled: (seriesUid: string) => Promise<void>,
 *   error: (err: unknown, context: string) => void }} PacsHandlers
 *   open: show the series (partially pulled); pulled: the job is done, reload its slice count
 */

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
      for (const s of series) {
        const open = h("button", { type: "button", class: "pacs-open", "data-testid": "pacs-open", text: "Open" });
        open.addEventListener("click", () => void this.pull(studyUid, s.series_uid));
        const row = h("div", { class: "series-item pacs-series", "data-testid": "pacs-series", "data-series-uid": s.series_uid }, [
          h("span", { class: "series-modality", text: s.modality || "?" }),
          h("span", { class: "series-desc", text: s.description || "(no description)" }),
          h("span", { class: "series-count", text: String(s.num_instances) }),
          open,
        ]);
        if (s.modality === "SEG") {
          open.disabled = true;
          open.title = "A DICOM SEG: open the image series it segments";
        }
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
   * Pull a series: start the job, follow it, open the series once its first instances arrive.
   * @param {string} studyUid
   * @param {string} seriesUid
   */
  async pull(studyUid, seriesUid) {
    if (this.pulling) {
      this.handlers.error(new Error("Another series is being retrieved."), "Please wait");
      return;
    }
    this.pulling = seriesUid;
    const via = /** @type {"dicomweb" | "dimse"} */ (this.el.via.value === "dimse" ? "dimse" : "dicomweb");
    this.showProgress(0, 0, "Asking the PACS…", "running");
    let opened = false;
    try {
      const { job_id: jobId } = await api.retrieveSeries(studyUid, seriesUid, via);
      for (;;) {
        const job = await api.getJob(jobId);
        this.showProgress(job.done, job.total, `${job.done} / ${job.total || "?"} images`, job.state);
        if (job.state === "failed") throw new Error(job.error || "The retrieve failed.");
        if (!opened && (job.done > 0 || job.state === "done")) {
          opened = true;
          await this.handlers.open(seriesUid);
        }
        if (job.state === "done") {
          if (job.error) this.handlers.error(new Error(job.error), "Some images were refused");
          this.showProgress(job.done, job.total || job.done, `Retrieved ${job.done} images`, "done");
          await this.handlers.pulled(seriesUid);
          return;
        }
        await sleep(POLL_MS);
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.showProgress(0, 1, message, "failed");
      this.handlers.error(err, "Could not retrieve the series");
      // Nothing more will arrive: what is there can be shown in full and painted.
      if (opened) await this.handlers.pulled(seriesUid);
    } finally {
      this.pulling = null;
    }
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
