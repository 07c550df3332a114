// @ts-check
/**
 * Whose annotation is open and whether this user may change it (SECURITY.md, the server's
 * workflows/tasks.py says the same): a project reading is its reader's, closed once submitted,
 * approved or released; reviewers only read other readers' readings; admins may edit them, but
 * only once they choose to; a case's consensus is edited by reviewers and admins. Annotations
 * outside projects are not restricted.
 */

/** @typedef {import("./api.js").Reading} Reading */
/** @typedef {import("./account.js").Me} Me */

/** What a closed reading says to its reader, by task state. @type {Record<string, string>} */
const CLOSED = {
  submitted: "Submitted — waiting for review",
  approved: "Approved — this reading is final",
  released: "Released — its lease ran out and the case went to another reader",
};

/** What a reader is told when a change of theirs was refused because the reading closed meanwhile. @type {Record<string, string>} */
const REFUSED = {
  released:
    "Your lease on this case ran out and it went to another reader; your changes here were not saved. " +
    "Take your next case from the project page.",
  submitted: "This reading was submitted meanwhile; your changes here were not saved. It takes changes again if a reviewer asks for them.",
  approved: "This reading was approved meanwhile; your changes here were not saved.",
};

/**
 * The notice of a change refused as closed, by the reading's state now.
 * @param {Reading | null | undefined} reading
 * @param {string} why the server's detail, said when the state tells nothing
 */
export function closedNotice(reading, why) {
  return REFUSED[reading?.state ?? ""] ?? `Your changes here were not saved: ${why}`;
}

/**
 * Why `me` may not change the annotation now; "" when they may.
 * @param {Reading | null | undefined} reading the project reading the annotation is, if any
 * @param {Me} me
 * @param {boolean} chosen an admin chose to edit another reader's reading
 */
export function readOnlyReason(reading, me, chosen) {
  if (!reading) return "";
  if (reading.task_id === null) return me.role === "annotator" ? "The consensus of the case: reviewers and admins edit it" : "";
  if (reading.reader === me.username) return CLOSED[reading.state ?? ""] ?? "";
  if (me.role === "admin" && chosen) return "";
  return `${reading.reader}'s reading: read-only`;
}

/**
 * Who the annotation is of, said in a line: "" for the caller's own open reading or annotation.
 * @param {Reading | null | undefined} reading
 * @param {string} createdBy
 * @param {Me} me
 * @param {boolean} [withState] false: leave the task's state out (something else beside it says it)
 */
export function ownerLine(reading, createdBy, me, withState = true) {
  if (!reading) return createdBy && createdBy !== me.username ? `Annotation of ${createdBy}` : "";
  if (reading.task_id === null) return `Consensus of case ${reading.case_id} (project ${reading.project_id})`;
  const whose = reading.reader === me.username ? "Your reading" : `Reading of ${reading.reader}`;
  const state = withState ? ` · ${reading.state}` : "";
  return `${whose} · task ${reading.task_id}${state} (project ${reading.project_id})`;
}

/**
 * The short name of an annotation in the annotation list, which is narrow: "bert · submitted",
 * "mine · in progress", "consensus", "of alice"; ownerLine says it in full (the option's title).
 * @param {{ reading?: Reading | null, created_by?: string }} annotation
 * @param {Me} me
 */
export function shortOwner(annotation, me) {
  const reading = annotation.reading;
  if (!reading) return annotation.created_by === me.username ? "mine" : `of ${annotation.created_by}`;
  if (reading.task_id === null) return "consensus";
  const whose = reading.reader === me.username ? "mine" : reading.reader;
  return `${whose} · ${String(reading.state ?? "").replaceAll("_", " ")}`;
}

/** An admin may choose to edit another reader's reading (the server lets admins write it). @param {Reading | null | undefined} reading @param {Me} me */
export function mayChooseToEdit(reading, me) {
  return Boolean(reading?.task_id !== null && reading?.reader !== me.username && me.role === "admin");
}
