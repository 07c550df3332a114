// @ts-check
/**
 * The PACS side of the "Add cases" dialog, when the service has a PACS: search its studies,
 * unfold their series and tick those to add; the service pulls each as a job, and a case can
 * be read once its images are here.
 */
import * as api from "./api.js";
import { byId } from "./dom.js";
import { seriesItem, studyItem } from "./caseseries.js";

const PAGE = 25;
const POLL_MS = 500;

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class CasePacs {
  /** @param {() => void} changed the ticked series changed */
  constructor(changed) {
    this.changed = changed;
    this.form = byId("case-pacs-search", HTMLFormElement);
    this.list = byId("case-pacs-studies", HTMLElement);
    this.more = byId("case-pacs-more", HTMLButtonElement);
    this.status = byId("case-pacs-status", HTMLElement);
    this.viaSelect = byId("case-pacs-via", HTMLSelectElement);
    /** @type {Map<string, string>} series ticked, with their study */
    this.chosen = new Map();
    /** @type {Set<string>} series that are cases already */
    this.existing = new Set();
    /** @type {api.PacsQuery} */
    this.query = {};
    this.offset = 0;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.search(true);
    });
    this.more.addEventListener("click", () => void this.search(false));
  }

  /**
   * Keep the ways to pull the service offers; false when it has no PACS.
   * @param {string[]} vias
   */
  offer(vias) {
    for (const option of [...this.viaSelect.options]) if (!vias.includes(option.value)) option.remove();
    byId("case-pacs-via-field", HTMLElement).hidden = vias.length < 2;
    return vias.length > 0;
  }

  /** @param {Set<string>} existing */
  reset(existing) {
    this.existing = existing;
    this.chosen.clear();
  }

  /** @returns {{ series_uid: string, study_uid: string }[]} */
  items() {
    return [...this.chosen].map(([series_uid, study_uid]) => ({ series_uid, study_uid }));
  }

  via() {
    return this.viaSelect.value;
  }

  /** @param {boolean} fresh a new search (else: the next page of the last one) */
  async search(fresh) {
    if (fresh) {
      const data = new FormData(this.form);
      const get = (/** @type {string} */ name) => String(data.get(name) ?? "").trim();
      this.query = {
        patient_name: get("patient_name"), patient_id: get("patient_id"), modality: get("modality"),
        accession: get("accession"), date_from: get("date_from").replaceAll("-", ""), date_to: get("date_to").replaceAll("-", ""),
      };
      this.offset = 0;
      this.list.replaceChildren();
    }
    this.more.hidden = true;
    this.say("Searching the PACS…", "busy");
    try {
      const studies = await api.searchPacsStudies(this.query, PAGE, this.offset);
      this.offset += studies.length;
      this.list.append(...studies.map((study) => studyItem(study, "case-pacs-study", () => api.listPacsSeries(study.study_uid), (s) => this.row(study.study_uid, s))));
      this.say(this.offset ? `${this.offset} ${this.offset === 1 ? "study" : "studies"}` : "No study matches.", "done");
      this.more.hidden = studies.length < PAGE;
    } catch (err) {
      this.say(err instanceof Error ? err.message : String(err), "error");
    }
  }

  /** @param {string} studyUid @param {import("./caseseries.js").SeriesFields} s */
  row(studyUid, s) {
    return seriesItem(s, this.existing.has(s.series_uid), "case-pacs-series", (checked) => {
      if (checked) this.chosen.set(s.series_uid, studyUid);
      else this.chosen.delete(s.series_uid);
      this.changed();
    });
  }

  /**
   * Follow the pulls the service started in `line` until each is done or failed, while
   * `current` says the dialog still shows them; then `ended`.
   * @param {{ series_uid: string, job_id: string }[]} pulls
   * @param {HTMLElement} line
   * @param {() => boolean} current
   * @param {() => void} ended
   */
  async followPulls(pulls, line, current, ended) {
    line.hidden = false;
    for (;;) {
      const jobs = await Promise.all(
        pulls.map((p) => api.getJob(p.job_id).catch((err) => ({ state: "failed", done: 0, total: 0, error: String(err?.message ?? err) }))),
      );
      if (!current()) return;
      const done = jobs.reduce((n, j) => n + j.done, 0);
      const total = jobs.reduce((n, j) => n + j.total, 0);
      const failed = jobs.filter((j) => j.state === "failed");
      const running = jobs.length - failed.length - jobs.filter((j) => j.state === "done").length;
      line.dataset.state = running ? "busy" : failed.length ? "error" : "done";
      line.textContent = running
        ? `Pulling from the PACS: ${done} of ${total || "?"} images`
        : failed.length
          ? `${failed.length} of ${pulls.length} pulls failed: ${failed.map((j) => j.error).join("; ")}`
          : `Pulled from the PACS: ${pulls.length} series, ${done} images`;
      if (!running) break;
      await sleep(POLL_MS);
    }
    ended();
  }

  /** @param {string} text @param {string} state */
  say(text, state) {
    this.status.textContent = text;
    this.status.dataset.state = state;
  }
}
