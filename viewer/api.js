// @ts-check
/**
 * The HTTP client for the SegDICOM service (DESIGN.md, "HTTP API").
 * Every URL is relative, so the viewer works wherever the service mounts it.
 * Failures become ApiError with the server's `detail` as the message.
 */

/**
 * @typedef {{ series_uid: string, study_uid: string, num_instances: number, received?: number,
 *   modality?: string }} UploadedSeries
 * @typedef {{ name: string, reason: string }} Rejected
 * @typedef {{ series: UploadedSeries[], rejected: Rejected[] }} UploadResult
 * @typedef {{ study_uid: string, patient_id: string, patient_name: string, study_date: string,
 *   modalities: string[] | string, description: string, num_series: number, num_instances: number }} Study
 * @typedef {{ series_uid: string, modality: string, description: string, num_instances: number }} SeriesSummary
 * @typedef {{ name: string, center: number, width: number, header?: boolean }} WindowPreset
 * @typedef {"int16" | "uint16" | "int32" | "float32" | "uint8"} Dtype
 * @typedef {{ series_uid: string, study_uid: string, modality: string, rows: number, columns: number,
 *   dtype: Dtype, num_slices: number, spacing: number[], orientation: number[] | null,
 *   slices: { sop_instance_uid: string, position: number[], slice_location?: number | null }[],
 *   windows: WindowPreset[], invert?: boolean,
 *   geometry?: import("./orientation.js").Geometry,
 *   excluded?: { sop_instance_uid: string, reason: string, detail?: string, frames?: number[] }[],
 *   reformat?: { sagittal?: import("./patientspace.js").Planes, coronal?: import("./patientspace.js").Planes } }} SeriesInfo
 * @typedef {{ code?: string, scheme?: string, meaning?: string, [k: string]: unknown }} Code
 * @typedef {{ number: number, label: string, color: string, category?: Code, type?: Code,
 *   slices?: number[] }} SegmentInfo
 * @typedef {{ project_id: number, case_id: number, task_id: number | null, reader: string | null,
 *   state: string | null }} Reading a project reading (task_id null: the consensus of a case)
 * @typedef {{ id: number | string, series_uid: string, version: number, segments: SegmentInfo[],
 *   created_at?: string, updated_at?: string, created_by?: string, reading?: Reading | null }} AnnotationInfo
 * @typedef {{ label: string, color: string, category?: Code, type?: Code }} Preset
 * @typedef {{ id: number | string, sop_instance_uid?: string, series_instance_uid?: string,
 *   status: string, attempts?: number, error?: string, segmentation_type?: string,
 *   sr_sop_instance_uid?: string | null, sr_url?: string | null }} ExportInfo
 */

/** An HTTP or network failure; `message` is what the user should read. */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, 0 for a network failure
   * @param {string} error the server's short error kind
   * @param {string} detail the server's human message
   */
  constructor(status, error, detail) {
    super(detail || error || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.error = error;
    this.detail = detail;
  }

  /** A failure that may pass by itself: network, overload, server error. */
  get retryable() {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

/**
 * @param {Response} response
 * @returns {Promise<ApiError>}
 */
async function errorFrom(response) {
  let error = response.statusText || "error";
  let detail = "";
  try {
    const body = await response.json();
    if (body && typeof body === "object") {
      error = String(body.error ?? error);
      detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail ?? "");
    }
  } catch {
    detail = `${response.status} ${response.statusText}`.trim();
  }
  return new ApiError(response.status, error, detail);
}

/**
 * @typedef {{ json?: unknown, body?: BodyInit, headers?: Record<string, string>,
 *   ifMatch?: number, signal?: AbortSignal, okStatuses?: number[], keepalive?: boolean }} RequestOptions
 */

/**
 * Send a request; resolve with the response when it is 2xx (or listed in okStatuses).
 * @param {string} method
 * @param {string} path relative URL, e.g. "api/studies"
 * @param {RequestOptions} [options]
 * @returns {Promise<Response>}
 */
export async function request(method, path, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json", ...options.headers };
  let body = options.body;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.json);
  }
  if (options.ifMatch !== undefined) headers["If-Match"] = String(options.ifMatch);
  if (!SAFE_METHODS.has(method) && csrfToken()) headers["X-CSRF-Token"] = csrfToken();
  let response;
  try {
    response = await fetch(path, { method, headers, body, signal: options.signal, keepalive: options.keepalive });
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiError(0, "network", "The service cannot be reached. Check the connection.");
  }
  if (response.ok || options.okStatuses?.includes(response.status)) return response;
  const error = await errorFrom(response);
  // The session ended: callers learn it (the saver keeps what is pending), then the login page.
  if (response.status === 401) toLogin(true);
  throw error;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The largest mask body sent with keepalive (the browser's budget is 64 KiB in flight). */
export const KEEPALIVE_BYTES = 16 * 1024;

/** The CSRF token the login set (SECURITY.md); every state change echoes it in X-CSRF-Token. */
export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)segdicom_csrf=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : "";
}

/**
 * The session ended or never was: go to the login page, then come back here. `ended`: a
 * request was refused, and the login page says the session ended when there was one (the
 * CSRF cookie of a login is still here).
 * @param {boolean} [ended]
 */
export function toLogin(ended = false) {
  const here = location.pathname + location.search;
  const flag = ended && csrfToken() ? "&ended=1" : "";
  location.assign(`login.html?next=${encodeURIComponent(here)}${flag}`);
}

/**
 * @param {string} path
 * @returns {Promise<any>}
 */
async function getJson(path) {
  return (await request("GET", path)).json();
}

/**
 * @param {string} method
 * @param {string} path
 * @param {unknown} json
 * @param {number} [ifMatch]
 * @returns {Promise<any>}
 */
async function sendJson(method, path, json, ifMatch) {
  const response = await request(method, path, { json, ifMatch });
  return response.status === 204 ? {} : response.json();
}

const enc = encodeURIComponent;

/** @returns {Promise<Study[]>} */
export const listStudies = () => getJson("api/studies?source=local");

/** @param {number} limit @param {number} offset @returns {Promise<Study[]>} a page of the local studies */
export const listStudiesPage = (limit, offset) => getJson(`api/studies?source=local&limit=${limit}&offset=${offset}`);

/** @param {string} studyUid @returns {Promise<SeriesSummary[]>} */
export const listSeries = (studyUid) => getJson(`api/studies/${enc(studyUid)}/series?source=local`);

/** @param {string} seriesUid @returns {Promise<SeriesInfo>} */
export const getSeries = (seriesUid) => getJson(`api/series/${enc(seriesUid)}`);

/**
 * The raw little-endian values of one slice.
 * @param {string} seriesUid
 * @param {number} index
 * @param {AbortSignal} [signal]
 * @returns {Promise<ArrayBuffer>}
 */
export async function getSliceBytes(seriesUid, index, signal) {
  const response = await request("GET", `api/series/${enc(seriesUid)}/slices/${index}`, {
    headers: { Accept: "application/octet-stream" },
    signal,
  });
  return response.arrayBuffer();
}

/**
 * The raw little-endian values of a sagittal (at a column) or coronal (at a row) reformat:
 * one row of values per slice, slice 0 first.
 * @param {string} seriesUid
 * @param {"sagittal" | "coronal"} axis
 * @param {number} index
 * @param {AbortSignal} [signal]
 * @returns {Promise<ArrayBuffer>}
 */
export async function getReformatBytes(seriesUid, axis, index, signal) {
  const response = await request("GET", `api/series/${enc(seriesUid)}/reformat/${axis}/${index}`, {
    headers: { Accept: "application/octet-stream" },
    signal,
  });
  return response.arrayBuffer();
}

/** @returns {Promise<Preset[]>} */
export const getPresets = () => getJson("api/presets");

/** @param {string} seriesUid @returns {Promise<AnnotationInfo[]>} */
export const listAnnotations = (seriesUid) => getJson(`api/annotations?series_uid=${enc(seriesUid)}`);

/** @param {string} seriesUid @returns {Promise<AnnotationInfo>} */
export const createAnnotation = (seriesUid) => sendJson("POST", "api/annotations", { series_uid: seriesUid });

/** @param {number | string} id @returns {Promise<AnnotationInfo>} */
export const getAnnotation = (id) => getJson(`api/annotations/${enc(String(id))}`);

/**
 * @param {number | string} id
 * @param {number} number
 */
const segmentPath = (id, number) => `api/annotations/${enc(String(id))}/segments/${number}`;

/**
 * Create or update a segment.
 * @param {number | string} id
 * @param {number} number
 * @param {{ label: string, color: string, category?: Code, type?: Code }} segment
 * @param {number} version the annotation version last seen, sent as If-Match (required: 409 when stale)
 * @returns {Promise<{ version: number }>}
 */
export const putSegment = (id, number, segment, version) =>
  sendJson("PUT", segmentPath(id, number), segment, version);

/**
 * Delete a segment and its masks.
 * @param {number | string} id
 * @param {number} number
 * @param {number} version the annotation version last seen, sent as If-Match (required: 409 when stale)
 * @returns {Promise<{ version?: number }>}
 */
export async function deleteSegment(id, number, version) {
  const response = await request("DELETE", segmentPath(id, number), { ifMatch: version });
  if (response.status === 204) return {};
  return response.json().catch(() => ({}));
}

/**
 * A slice mask in the wire format, or null when the server has none (204 or 404).
 * @param {number | string} id
 * @param {number} number
 * @param {number} index
 * @returns {Promise<Uint8Array | null>}
 */
export async function getMaskBytes(id, number, index) {
  const response = await request("GET", `${segmentPath(id, number)}/slices/${index}`, {
    headers: { Accept: "application/octet-stream" },
    okStatuses: [404],
  });
  if (response.status === 204 || response.status === 404) return null;
  const bytes = new Uint8Array(await response.arrayBuffer());
  return bytes.length ? bytes : null;
}

/**
 * @param {number | string} id
 * @param {number} number
 * @param {number} index
 * @param {Uint8Array} body the wire format (zlib of packed bits)
 * @param {number} version
 * @param {boolean} [keepalive] the request outlives the page (default: when the body is small)
 * @returns {Promise<{ version: number }>}
 */
export async function putMaskBytes(id, number, index, body, version, keepalive = body.length <= KEEPALIVE_BYTES) {
  const response = await request("PUT", `${segmentPath(id, number)}/slices/${index}`, {
    headers: { "Content-Type": "application/octet-stream" },
    body: new Blob([/** @type {BlobPart} */ (body)]),
    ifMatch: version,
    // A write in flight outlives the page (closed or reloaded right after a stroke); the
    // browser allows 64 KiB of keepalive bodies at a time.
    keepalive,
  });
  return response.json();
}

/**
 * @param {number | string} id
 * @param {"local" | "pacs"} destination
 * @param {{ segmentation_type?: "binary" | "labelmap", measurements?: boolean }} [options]
 *   a label map SEG (Supplement 243); a TID 1500 SR of the measurements beside the SEG
 * @returns {Promise<ExportInfo>}
 */
export const createExport = (id, destination, options = {}) =>
  sendJson("POST", `api/annotations/${enc(String(id))}/exports`, { destination, ...options });

/** @param {number | string} exportId */
export const exportSrUrl = (exportId) => `api/exports/${enc(String(exportId))}/sr`;

/** @param {number | string} exportId @returns {Promise<ExportInfo>} */
export const getExport = (exportId) => getJson(`api/exports/${enc(String(exportId))}`);

/** @param {number | string} exportId */
export const exportFileUrl = (exportId) => `api/exports/${enc(String(exportId))}/file`;

// ---- PACS (DESIGN.md "PACS"): search, retrieve as a job, SEG import, export retry -------

/**
 * @typedef {{ study_uid: string, patient_id: string, patient_name: string, study_date: string,
 *   modalities: string[], description: string, accession?: string, num_series: number,
 *   num_instances: number }} PacsStudy
 * @typedef {{ series_uid: string, study_uid?: string, modality: string, description: string,
 *   series_number?: number | null, num_instances: number }} PacsSeries
 * @typedef {{ annotation_id?: number, series_uid?: string }} JobResult what a finished job made
 *   (a SEG import: the annotation and the series it segments)
 * @typedef {{ id: string, state: string, done: number, total: number, error: string | null,
 *   result?: JobResult | null }} Job
 * @typedef {{ sop_instance_uid: string, series_uid: string, study_uid: string, description: string,
 *   content_label: string, segments: string[], source: string }} SegInfo
 * @typedef {SegInfo & { instance_number?: number | null }} PacsSeg a SEG of the PACS; the
 *   service saves again into the same SEG series with a higher instance number
 * @typedef {{ patient_name?: string, patient_id?: string, modality?: string, date_from?: string,
 *   date_to?: string, accession?: string }} PacsQuery
 */

/** @returns {Promise<{ pacs: string | null, pacs_vias?: string[], [k: string]: unknown }>} */
export const health = () => getJson("healthz");

/**
 * @param {PacsQuery} query empty fields are left out
 * @param {number} limit
 * @param {number} offset
 * @returns {Promise<PacsStudy[]>}
 */
export function searchPacsStudies(query, limit, offset) {
  const params = new URLSearchParams({ source: "pacs" });
  for (const [key, value] of Object.entries(query)) if (value) params.set(key, value);
  params.set("limit", String(limit));
  params.set("offset", String(offset));
  return getJson(`api/studies?${params}`);
}

/** @param {string} studyUid @returns {Promise<PacsSeries[]>} */
export const listPacsSeries = (studyUid) => getJson(`api/studies/${enc(studyUid)}/series?source=pacs`);

/**
 * Start pulling a series from the PACS; answers the job to follow.
 * @param {string} studyUid
 * @param {string} seriesUid
 * @param {"dicomweb" | "dimse"} via
 * @returns {Promise<{ job_id: string }>}
 */
export const retrieveSeries = (studyUid, seriesUid, via) =>
  sendJson("POST", `api/series/${enc(seriesUid)}/retrieve`, { study_uid: studyUid, via });

/** @param {string} jobId @returns {Promise<Job>} */
export const getJob = (jobId) => getJson(`api/jobs/${enc(jobId)}`);

/** @param {number | string} exportId @returns {Promise<ExportInfo>} */
export const retryExport = (exportId) => sendJson("POST", `api/exports/${enc(String(exportId))}/retry`, {});

/**
 * SEGs of the local store that reference a series.
 * @param {string} seriesUid
 * @returns {Promise<SegInfo[]>}
 */
export const listLocalSegs = (seriesUid) => getJson(`api/series/${enc(seriesUid)}/segs?source=local`);

/**
 * Turn a SEG of the local store into a new annotation of its source series.
 * @param {string} sopInstanceUid
 * @returns {Promise<AnnotationInfo & { unmatched_frames?: number }>}
 */
export const importAnnotation = (sopInstanceUid) =>
  sendJson("POST", "api/annotations/import", { sop_instance_uid: sopInstanceUid });

/**
 * SEGs in the PACS that reference a series.
 * @param {string} seriesUid
 * @param {string} studyUid
 * @returns {Promise<PacsSeg[]>}
 */
export function listPacsSegs(seriesUid, studyUid) {
  const params = new URLSearchParams({ source: "pacs", study_uid: studyUid });
  return getJson(`api/series/${enc(seriesUid)}/segs?${params}`);
}

/**
 * Import a SEG of the PACS in one job (it pulls the SEG and what is missing of the series it
 * segments); answers the job to follow, whose `result` names the annotation.
 * @param {string} seriesUid the series the SEG segments
 * @param {string} sopInstanceUid the SEG
 * @param {string} studyUid
 * @param {"dicomweb" | "dimse"} via
 * @returns {Promise<{ job_id: string }>}
 */
export const importPacsSeg = (seriesUid, sopInstanceUid, studyUid, via) =>
  sendJson("POST", `api/series/${enc(seriesUid)}/segs/${enc(sopInstanceUid)}/import`, { study_uid: studyUid, via });
