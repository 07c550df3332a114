// @ts-check
/**
 * Studies and their series in the admins' "Add cases" dialog, from the local store or the PACS
 * alike: a study unfolds into its series, each with a checkbox, except series that are no
 * images to read and those that are cases of the project already.
 */
import { h } from "./dom.js";
import { formatDate, formatName } from "./studies.js";

/** Series that are not images to read: segmentations, reports, presentation states. */
const NOT_IMAGES = new Set(["SEG", "SR", "KO", "PR", "RTSTRUCT", "RTPLAN", "RTDOSE", "DOC"]);

/**
 * @typedef {{ study_uid: string, patient_name?: string, patient_id?: string, study_date?: string,
 *   description?: string }} StudyFields
 * @typedef {{ series_uid: string, modality: string, description: string, num_instances: number }} SeriesFields
 */

/**
 * A study that unfolds, on a click, into the series `list` answers (asked once).
 * @param {StudyFields} study
 * @param {string} testid
 * @param {() => Promise<SeriesFields[]>} list
 * @param {(s: SeriesFields) => HTMLElement} item a series' row
 */
export function studyItem(study, testid, list, item) {
  const series = h("ul", { class: "case-series" });
  const header = h("button", { type: "button", class: "study-header", "aria-expanded": "false" }, [
    h("span", { class: "study-patient", text: formatName(study.patient_name ?? "") }),
    h("span", { class: "study-meta", text: [study.patient_id, formatDate(study.study_date ?? "")].filter(Boolean).join(" · ") }),
    h("span", { class: "study-desc", text: study.description || "(no description)" }),
  ]);
  const element = h("li", { class: "study", "data-testid": testid, "data-study-uid": study.study_uid }, [header, series]);
  header.addEventListener("click", async () => {
    const open = !element.classList.contains("open");
    element.classList.toggle("open", open);
    header.setAttribute("aria-expanded", String(open));
    if (!open || series.childElementCount) return;
    series.replaceChildren(h("li", { class: "empty", text: "Loading…" }));
    try {
      const found = await list();
      series.replaceChildren(...found.map(item));
      if (!found.length) series.replaceChildren(h("li", { class: "empty", text: "No series." }));
    } catch (err) {
      series.replaceChildren(h("li", { class: "empty error", text: err instanceof Error ? err.message : String(err) }));
    }
  });
  return element;
}

/**
 * A series' row: its checkbox (`testid`), disabled when it is a case already or no images.
 * @param {SeriesFields} s
 * @param {boolean} already a case of the project
 * @param {string} testid
 * @param {(checked: boolean) => void} toggled
 */
export function seriesItem(s, already, testid, toggled) {
  const notImage = NOT_IMAGES.has(s.modality);
  const box = h("input", {
    type: "checkbox", "data-testid": testid, "data-series-uid": s.series_uid,
    checked: already, disabled: already || notImage,
  });
  box.addEventListener("change", () => toggled(box.checked));
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

/**
 * Once cases were added: the ticked boxes under `list` cannot be ticked again.
 * @param {HTMLElement} list
 */
export function lockTicked(list) {
  for (const box of list.querySelectorAll("input[type=checkbox]:checked:not(:disabled)")) {
    /** @type {HTMLInputElement} */ (box).disabled = true;
  }
}
