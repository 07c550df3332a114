// @ts-check
/**
 * Upload DICOM files with progress: `POST api/uploads` in batches, so that a whole folder
 * neither builds one giant request nor loses everything on one failure.
 */

import { ApiError, csrfToken, toLogin } from "./api.js";

/** @typedef {import("./api.js").UploadResult} UploadResult */
/** @typedef {(sentBytes: number, totalBytes: number, doneFiles: number, totalFiles: number) => void} Progress */

const BATCH_BYTES = 64 * 1024 * 1024;
const BATCH_FILES = 200;

/**
 * Split files into batches bounded in bytes and count.
 * @param {File[]} files
 * @returns {File[][]}
 */
export function batches(files) {
  /** @type {File[][]} */
  const out = [];
  let current = /** @type {File[]} */ ([]);
  let bytes = 0;
  for (const file of files) {
    if (current.length && (bytes + file.size > BATCH_BYTES || current.length >= BATCH_FILES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(file);
    bytes += file.size;
  }
  if (current.length) out.push(current);
  return out;
}

/**
 * The name the server sees: the path inside a dropped or picked folder when there is one.
 * @param {File} file
 */
function nameOf(file) {
  return file.webkitRelativePath || file.name;
}

/**
 * One multipart request through XMLHttpRequest (fetch has no upload progress).
 * @param {File[]} files
 * @param {(loaded: number) => void} onBytes
 * @returns {Promise<UploadResult>}
 */
function sendBatch(files, onBytes) {
  const form = new FormData();
  for (const file of files) form.append("files", file, nameOf(file));
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "api/uploads");
    xhr.setRequestHeader("Accept", "application/json");
    if (csrfToken()) xhr.setRequestHeader("X-CSRF-Token", csrfToken());
    xhr.responseType = "text";
    xhr.upload.addEventListener("progress", (e) => onBytes(e.loaded));
    xhr.addEventListener("error", () =>
      reject(new ApiError(0, "network", "The upload failed: the service cannot be reached.")),
    );
    xhr.addEventListener("load", () => {
      if (xhr.status === 401) toLogin();
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      // A batch with no storable file is a 422 that still lists each file's reason.
      const listed = body && Array.isArray(body.rejected) && (xhr.status < 300 || xhr.status === 422);
      if (listed) {
        resolve({ series: body.series ?? [], rejected: body.rejected });
      } else {
        const detail = body?.detail ?? `${xhr.status} ${xhr.statusText}`;
        reject(new ApiError(xhr.status, body?.error ?? "upload_failed", String(detail)));
      }
    });
    xhr.send(form);
  });
}

/**
 * Merge per-batch results: one entry per series, rejected files in order.
 * @param {UploadResult[]} results
 * @returns {UploadResult}
 */
export function mergeResults(results) {
  /** @type {Map<string, import("./api.js").UploadedSeries>} */
  const series = new Map();
  /** @type {import("./api.js").Rejected[]} */
  const rejected = [];
  for (const result of results) {
    for (const s of result.series) {
      const seen = series.get(s.series_uid);
      // A series split over batches: num_instances counts the store (keep the latest, largest),
      // `received` counts this request (add up).
      const received = (seen?.received ?? 0) + (s.received ?? 0);
      const total = Math.max(seen?.num_instances ?? 0, s.num_instances);
      series.set(s.series_uid, { ...s, num_instances: total, received });
    }
    rejected.push(...result.rejected);
  }
  return { series: [...series.values()], rejected };
}

/**
 * Upload every file, batch after batch. A failed batch rejects its files with the reason
 * and the upload goes on with the next one.
 * @param {File[]} files
 * @param {Progress} onProgress
 * @returns {Promise<UploadResult>}
 */
export async function uploadFiles(files, onProgress) {
  const total = files.reduce((sum, f) => sum + f.size, 0);
  let sentBefore = 0;
  let doneFiles = 0;
  /** @type {UploadResult[]} */
  const results = [];
  for (const batch of batches(files)) {
    const batchBytes = batch.reduce((sum, f) => sum + f.size, 0);
    try {
      const result = await sendBatch(batch, (loaded) =>
        onProgress(sentBefore + Math.min(loaded, batchBytes), total, doneFiles, files.length),
      );
      results.push(result);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      results.push({ series: [], rejected: batch.map((f) => ({ name: nameOf(f), reason })) });
    }
    sentBefore += batchBytes;
    doneFiles += batch.length;
    onProgress(sentBefore, total, doneFiles, files.length);
  }
  return mergeResults(results);
}

/**
 * Every file under the dropped items, walking into folders.
 * @param {DataTransfer} transfer
 * @returns {Promise<File[]>}
 */
export async function filesFromDrop(transfer) {
  const entries = [...transfer.items]
    .map((item) => (item.kind === "file" ? item.webkitGetAsEntry?.() : null))
    .filter((e) => e !== null && e !== undefined);
  if (!entries.length) return [...transfer.files];
  /** @type {File[]} */
  const files = [];
  for (const entry of entries) await collect(/** @type {FileSystemEntry} */ (entry), files);
  return files;
}

/**
 * @param {FileSystemEntry} entry
 * @param {File[]} out
 */
async function collect(entry, out) {
  if (entry.isFile) {
    const fileEntry = /** @type {FileSystemFileEntry} */ (entry);
    const file = await new Promise((resolve, reject) => fileEntry.file(resolve, reject));
    out.push(/** @type {File} */ (file));
    return;
  }
  if (!entry.isDirectory) return;
  const reader = /** @type {FileSystemDirectoryEntry} */ (entry).createReader();
  // readEntries answers in chunks (about 100 entries); an empty chunk ends the folder.
  for (;;) {
    /** @type {FileSystemEntry[]} */
    const chunk = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!chunk.length) break;
    for (const child of chunk) await collect(child, out);
  }
}
