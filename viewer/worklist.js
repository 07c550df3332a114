// @ts-check
/**
 * The project page's worklist: its filters (kept in the URL, so a reload or a shared link
 * shows the same list), the annotator matched by any part of the name, each case told apart
 * by patient, date and series, and why an approved SEG did not reach the PACS.
 */
import { h } from "./dom.js";
import * as projects from "./projectapi.js";
import { formatDate, formatName } from "./studies.js";

/** @typedef {{ project: number | null, state: string, assignee: string }} Filters */

/**
 * The page's place and filters from its URL.
 * @param {string} search location.search
 * @returns {Filters}
 */
export function filtersFrom(search) {
  const params = new URLSearchParams(search);
  const state = params.get("state") ?? "";
  return {
    project: Number(params.get("project")) || null,
    state: projects.STATES.includes(state) ? state : "",
    assignee: (params.get("assignee") ?? "").slice(0, 64),
  };
}

/**
 * The URL's query for these filters (empty ones left out).
 * @param {Filters} filters
 */
export function filtersQuery(filters) {
  const params = new URLSearchParams();
  if (filters.project) params.set("project", String(filters.project));
  if (filters.state) params.set("state", filters.state);
  if (filters.assignee.trim()) params.set("assignee", filters.assignee.trim());
  const query = params.toString();
  return query ? `?${query}` : "";
}

/**
 * Whether the task's annotator matches what was typed: any part of the name, case ignored.
 * @param {projects.Task} task
 * @param {string} typed
 */
export function assigneeMatches(task, typed) {
  return task.assignee.toLowerCase().includes(typed.trim().toLowerCase());
}

/**
 * What tells a case apart: its patient, then date, modality, series and images.
 * @param {number} caseId
 * @param {projects.Case | undefined} c
 * @returns {{ title: string, meta: string }}
 */
export function caseLabel(caseId, c) {
  if (!c) return { title: `Case ${caseId}`, meta: "" };
  if (!c.num_instances) return { title: `Case ${caseId}`, meta: "no images here yet" };
  const series = [c.series_number == null ? "" : `#${c.series_number}`, c.series_description].filter(Boolean).join(" ");
  const images = `${c.num_instances} ${c.num_instances === 1 ? "image" : "images"}`;
  return {
    title: `${formatName(c.patient_name ?? "")}${c.patient_id ? ` (${c.patient_id})` : ""}`,
    meta: [`Case ${caseId}`, formatDate(c.study_date ?? ""), c.modality, series, images].filter(Boolean).join(" · "),
  };
}

/**
 * A worklist row.
 * @param {projects.Task} task
 * @param {{ case?: projects.Case, seconds?: number, staff: boolean }} context staff: reviewers and admins
 */
export function taskRow(task, context) {
  const label = caseLabel(task.case_id, context.case);
  const failed = context.staff && task.export_error;
  return h("tr", { "data-task": task.id, "data-state": task.state, class: failed ? "export-failed" : "" }, [
    h("td", { text: task.id }),
    h("td", { class: "case-cell", "data-case": task.case_id }, [
      h("span", { class: "case-title", text: label.title }),
      h("span", { class: "case-meta", text: label.meta }),
    ]),
    h("td", { text: task.assignee }),
    h("td", {}, [
      h("span", { class: "state-chip", "data-state": task.state, text: task.state }),
      failed ? exportError(task.export_error ?? "") : null,
    ]),
    h("td", { text: context.seconds === undefined ? "" : minutes(context.seconds) }),
    h("td", { text: task.reviewed_by ?? "" }),
    h("td", {}, [h("a", { href: projects.taskUrl(task), text: "Open" })]),
  ]);
}

/**
 * Why an approved reading's SEG is not in the PACS, for those who can act on it.
 * @param {string} error
 */
export function exportError(error) {
  return h("div", { class: "export-error", "data-testid": "export-error", role: "note", title: error }, [
    h("strong", { text: "Not sent to the PACS: " }),
    error.replace(/^the SEG was not sent to the PACS: /, ""),
  ]);
}

/** @param {number} seconds */
function minutes(seconds) {
  return seconds < 60 ? `${Math.round(seconds)} s` : `${(seconds / 60).toFixed(1)} min`;
}
