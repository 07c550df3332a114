// @ts-check
/**
 * The HTTP calls of team projects (DESIGN.md API table: projects, cases, next, tasks, submit,
 * review, comments, agreement.csv). Failures are ApiError, as in api.js.
 */
import { request } from "./api.js";

/**
 * @typedef {{ code: string, scheme: string, meaning: string }} Code
 * @typedef {{ number: number, label: string, color: string, category?: Code, type?: Code }} ProjectLabel
 * @typedef {{ calling_ae?: string, modality?: string, study_description?: string,
 *   series_description?: string }} Rule
 * @typedef {{ id: number, name: string, description: string, labels: ProjectLabel[],
 *   readers_per_case: number, blinded: boolean, review_required: boolean, export_on_approval: boolean,
 *   rules: Rule[], num_cases?: number, progress?: Record<string, Record<string, number>> }} Project
 * @typedef {{ name?: string, description?: string,
 *   labels?: { label: string, color?: string, category?: Code, type?: Code }[],
 *   readers_per_case?: number, review_required?: boolean, export_on_approval?: boolean,
 *   rules?: Rule[] }} ProjectChange the fields of a new project, or those a PATCH changes
 * @typedef {{ id: number, series_uid: string, study_uid: string, readings: number,
 *   num_instances?: number, patient_name?: string, patient_id?: string, study_date?: string,
 *   modality?: string, series_description?: string, series_number?: number | null }} Case
 * @typedef {{ added: Case[], existing: string[], missing: string[],
 *   pulling: { series_uid: string, study_uid: string, job_id: string }[] }} CasesAdded
 * @typedef {{ id: number, project_id: number, case_id: number, series_uid: string, study_uid: string,
 *   annotation_id: number | null, assignee: string, state: string, lease_expires: string | null,
 *   reviewed_by: string | null, export_id: number | null, export_error?: string | null,
 *   updated_at: string }} Task
 * @typedef {{ id: number, annotation_id: number, author: string, text: string, slice: number | null,
 *   point: [number, number] | null, created_at: string }} Comment
 */

export const STATES = ["todo", "in_progress", "submitted", "changes_requested", "approved", "released"];

/** @param {string} path */
async function getJson(path) {
  return (await request("GET", path)).json();
}

/** @param {string} path @param {unknown} json */
async function postJson(path, json) {
  return (await request("POST", path, { json })).json();
}

/** @returns {Promise<Project[]>} */
export const listProjects = () => getJson("api/projects");

/** @param {number} id @returns {Promise<Project>} */
export const getProject = (id) => getJson(`api/projects/${id}`);

/** @param {ProjectChange} fields @returns {Promise<Project>} */
export const createProject = (fields) => postJson("api/projects", fields);

/**
 * Change a project (409 when the change would break readings already taken).
 * @param {number} id
 * @param {ProjectChange} fields only those that change
 * @returns {Promise<Project>}
 */
export const updateProject = async (id, fields) =>
  (await request("PATCH", `api/projects/${id}`, { json: fields })).json();

/** @param {number} id @returns {Promise<Case[]>} */
export const listCases = (id) => getJson(`api/projects/${id}/cases`);

/**
 * @param {number} id
 * @param {(string | { series_uid: string, study_uid: string })[]} series of the local store (a
 *   UID), or to pull from the PACS `via` (with its study)
 * @param {string} [via] "dicomweb" or "dimse"
 * @returns {Promise<CasesAdded>}
 */
export const addCases = (id, series, via) =>
  postJson(`api/projects/${id}/cases`, via ? { series_uids: series, via } : { series_uids: series });

/**
 * The caller's next reading, or null when none is left (404).
 * @param {number} projectId
 * @returns {Promise<Task | null>}
 */
export async function nextTask(projectId) {
  const response = await request("POST", `api/projects/${projectId}/next`, { okStatuses: [404] });
  return response.status === 404 ? null : response.json();
}

/**
 * @param {{ project?: number, assignee?: string, state?: string }} filters
 * @returns {Promise<Task[]>}
 */
export function listTasks(filters) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) if (value) params.set(key, String(value));
  return getJson(`api/tasks?${params}`);
}

/** @param {number} id @returns {Promise<Task>} */
export const getTask = (id) => getJson(`api/tasks/${id}`);

/** @param {number} id @returns {Promise<Task>} */
export const submitTask = (id) => postJson(`api/tasks/${id}/submit`, {});

/**
 * @param {number} id
 * @param {"approve" | "request_changes"} decision
 * @param {string} comment
 * @param {number | null} version the annotation's version the reviewer looked at (409 when it
 *   has changed since); null when the page shows another annotation
 * @returns {Promise<Task>}
 */
export const reviewTask = (id, decision, comment, version) =>
  postJson(`api/tasks/${id}/review`, version ? { decision, comment, version } : { decision, comment });

/** @param {number} annotationId @returns {Promise<Comment[]>} */
export const listComments = (annotationId) => getJson(`api/annotations/${annotationId}/comments`);

/**
 * @param {number} annotationId
 * @param {{ text: string, slice?: number, point?: [number, number] }} body
 * @returns {Promise<Comment>}
 */
export const addComment = (annotationId, body) => postJson(`api/annotations/${annotationId}/comments`, body);

/**
 * The agreement CSV parsed into rows keyed by its header.
 * @param {number} projectId
 * @returns {Promise<Record<string, string>[]>}
 */
export async function agreement(projectId) {
  const text = await (await request("GET", `api/projects/${projectId}/agreement.csv`)).text();
  return parseCsv(text);
}

/**
 * The event log rows of task transitions (for the time spent per case).
 * @returns {Promise<Record<string, string>[]>}
 */
export async function taskEvents() {
  const text = await (await request("GET", "api/log.csv")).text();
  return parseCsv(text).filter((row) => (row.action ?? "").startsWith("task_"));
}

/**
 * A small CSV reader for the service's own files (RFC 4180 quoting).
 * @param {string} text
 * @returns {Record<string, string>[]}
 */
export function parseCsv(text) {
  /** @type {string[][]} */
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(cell); cell = ""; }
    else if (c === "\n") { row.push(cell.replace(/\r$/, "")); rows.push(row); row = []; cell = ""; }
    else cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  const [header = [], ...body] = rows;
  return body.map((cells) => Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ""])));
}

/**
 * The viewer URL that opens a task: its series, its annotation, its task bar (urlstate.js).
 * @param {Task} task
 */
export function taskUrl(task) {
  const params = new URLSearchParams({
    series: task.series_uid,
    annotation: String(task.annotation_id ?? ""),
    task: String(task.id),
  });
  return `index.html?${params}`;
}
