// @ts-check
/**
 * The admins' "Add cases" dialog: the local store's studies (a page at a time), each unfolding
 * into its image series with a checkbox; the chosen ones become cases of the project. The
 * answer (added, already cases, missing, being pulled) stays in the dialog, as does an error.
 */
import * as api from "./api.js";
import { byId, h } from "./dom.js";
import * as projects from "./projectapi.js";
import { formatDate, formatName } from "./studies.js";

const PAGE = 50;
/** Series that are not images to read: segmentations, reports, presentation states. */
const NOT_IMAGES = new Set(["SEG", "SR", "KO", "PR", "RTSTRUCT", "RTPLAN", "RTDOSE", "DOC"]);

export class CasePicker {
  /** @param {() => void} added called when cases were added */
  constructor(added) {
    this.added = added;
    this.dialog = byId("cases-dialog", HTMLDialogElement);
    this.list = byId("case-studies", HTMLElement);
    this.more = byId("case-studies-more", HTMLButtonElement);
    this.addButton = byId("cases-add", HTMLButtonElement);
    this.result = byId("cases-result", HTMLElement);
    /** @type {number | null} */
    this.projectId = null;
    /** @type {Set<string>} series already cases of the project */
    this.existing = new Set();
    /** @type {Set<string>} series ticked */
    this.chosen = new Set();
    this.offset = 0;
    this.more.addEventListener("click", () => void this.page());
    this.addButton.addEventListener("click", () => void this.add());
    byId("cases-close", HTMLButtonElement).addEventListener("click", () => this.dialog.close());
  }

  /** @param {number} projectId */
  async open(projectId) {
    this.projectId = projectId;
    this.chosen.clear();
    this.offset = 0;
    this.list.replaceChildren();
    this.say("", "");
    this.update();
    this.dialog.showModal();
    try {
      this.existing = new Set((await projects.listCases(projectId)).map((c) => c.series_uid));
    } catch (err) {
      this.say(message(err), "error");
    }
    await this.page();
  }

  /** The next page of local studies. */
  async page() {
    this.more.disabled = true;
    try {
      const studies = await api.listStudiesPage(PAGE, this.offset);
      this.offset += studies.length;
      this.list.append(...studies.map((s) => this.studyItem(s)));
      if (!this.offset) this.list.append(h("li", { class: "empty", text: "No study in the local store: upload or pull one first." }));
      this.more.hidden = studies.length < PAGE;
    } catch (err) {
      this.say(message(err), "error");
    } finally {
      this.more.disabled = false;
    }
  }

  /** @param {api.Study} study */
  studyItem(study) {
    const series = h("ul", { class: "case-series" });
    const header = h("button", { type: "button", class: "study-header", "aria-expanded": "false" }, [
      h("span", { class: "study-patient", text: formatName(study.patient_name) }),
      h("span", { class: "study-meta", text: [study.patient_id, formatDate(study.study_date)].filter(Boolean).join(" · ") }),
      h("span", { class: "study-desc", text: study.description || "(no description)" }),
    ]);
    const item = h("li", { class: "study", "data-testid": "case-study", "data-study-uid": study.study_uid }, [header, series]);
    header.addEventListener("click", async () => {
      const open = !item.classList.contains("open");
      item.classList.toggle("open", open);
      header.setAttribute("aria-expanded", String(open));
      if (open && !series.childElementCount) await this.loadSeries(study.study_uid, series);
    });
    return item;
  }

  /** @param {string} studyUid @param {HTMLElement} target */
  async loadSeries(studyUid, target) {
    try {
      const list = await api.listSeries(studyUid);
      target.replaceChildren(...list.map((s) => this.seriesItem(s)));
    } catch (err) {
      target.replaceChildren(h("li", { class: "empty error", text: message(err) }));
    }
  }

  /** @param {api.SeriesSummary} s */
  seriesItem(s) {
    const already = this.existing.has(s.series_uid);
    const notImage = NOT_IMAGES.has(s.modality);
    const box = h("input", {
      type: "checkbox", "data-testid": "case-series", "data-series-uid": s.series_uid,
      checked: already, disabled: already || notImage,
    });
    box.addEventListener("change", () => {
      if (box.checked) this.chosen.add(s.series_uid);
      else this.chosen.delete(s.series_uid);
      this.update();
    });
    const note = already ? "already a case" : notImage ? "not an image series" : `${s.num_instances} images`;
    return h("li", {}, [
      h("label", { class: "case-series-item" }, [
        box,
        h("span", { class: "series-modality", text: s.modality || "?" }),
        h("span", { class: "series-desc", text: s.description || "(no description)" }),
        h("span", { class: "series-count", text: note }),
      ]),
    ]);
  }

  update() {
    this.addButton.disabled = !this.chosen.size;
    this.addButton.textContent = this.chosen.size ? `Add ${count(this.chosen.size, "series", "series")}` : "Add series";
  }

  async add() {
    if (this.projectId === null || !this.chosen.size) return;
    this.addButton.disabled = true;
    try {
      const answer = await projects.addCases(this.projectId, [...this.chosen]);
      for (const uid of [...answer.added.map((c) => c.series_uid), ...answer.existing]) this.existing.add(uid);
      for (const box of this.list.querySelectorAll("input[type=checkbox]:checked:not(:disabled)")) {
        /** @type {HTMLInputElement} */ (box).disabled = true;
      }
      this.chosen.clear();
      this.say(summary(answer), answer.missing.length ? "error" : "done");
      if (answer.added.length) this.added();
    } catch (err) {
      this.say(message(err), "error");
    } finally {
      this.update();
    }
  }

  /** @param {string} text @param {string} state */
  say(text, state) {
    this.result.textContent = text;
    this.result.dataset.state = state;
    this.result.setAttribute("role", state === "error" ? "alert" : "status");
  }
}

/**
 * What the server did with the series: every part of the answer, so nothing goes unseen.
 * @param {projects.CasesAdded} answer
 */
export function summary(answer) {
  const parts = [`${count(answer.added.length, "case", "cases")} added`];
  if (answer.existing.length) parts.push(`${answer.existing.length} already in the project`);
  if (answer.pulling.length) parts.push(`${answer.pulling.length} being pulled from the PACS`);
  if (answer.missing.length) parts.push(`${answer.missing.length} not found: ${answer.missing.join(", ")}`);
  return parts.join(" · ");
}

/** @param {number} n @param {string} one @param {string} many */
const count = (n, one, many) => `${n} ${n === 1 ? one : many}`;

/** @param {unknown} err */
const message = (err) => (err instanceof Error ? err.message : String(err));
