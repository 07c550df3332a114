// @ts-check
/**
 * The project page: pick a project, take the next case, follow progress per state and per
 * annotator, the worklist (filtered by state and annotator) with the time spent on each
 * reading (from the task events of the audit log), and the agreement of the readers.
 */
import { showAccount } from "./account.js";
import { request } from "./api.js";
import { byId, h } from "./dom.js";
import { initNotify, showError } from "./notify.js";
import * as projects from "./projectapi.js";

const COLORS = {
  todo: "#8a8f98", in_progress: "#3b82f6", submitted: "#f59e0b", changes_requested: "#ef4444", approved: "#22c55e", released: "#4b5563",
};

class ProjectPage {
  constructor() {
    this.select = byId("project-select", HTMLSelectElement);
    this.next = byId("next-case", HTMLButtonElement);
    this.filters = byId("task-filters", HTMLFormElement);
    /** @type {projects.Project | null} */
    this.project = null;
    /** @type {Map<number, number>} seconds worked per task id */
    this.seconds = new Map();
    this.role = "annotator";
  }

  async start() {
    const stateFilter = byId("filter-state", HTMLSelectElement);
    for (const state of projects.STATES) stateFilter.append(h("option", { value: state, text: state }));
    this.select.addEventListener("change", () => void this.show(Number(this.select.value)));
    this.next.addEventListener("click", () => void this.takeNext());
    this.filters.addEventListener("input", () => void this.renderTasks());
    this.filters.addEventListener("submit", (e) => e.preventDefault());
    this.role = String((await (await request("GET", "api/auth/me")).json()).role);
    const list = await projects.listProjects();
    for (const p of list) this.select.append(h("option", { value: p.id, text: p.name }));
    const wanted = Number(new URLSearchParams(location.search).get("project")) || list[0]?.id;
    if (wanted) {
      this.select.value = String(wanted);
      await this.show(wanted);
    }
  }

  /** @param {number} id */
  async show(id) {
    this.project = await projects.getProject(id);
    byId("project-name", HTMLElement).textContent = this.project.name;
    byId("project-description", HTMLElement).textContent =
      `${this.project.description} ${this.project.num_cases ?? 0} cases, ` +
      `${this.project.readers_per_case} reader(s) per case${this.project.blinded ? " (blinded)" : ""}`;
    this.next.disabled = false;
    this.renderProgress(this.project.progress ?? {});
    await this.loadTimes();
    await this.renderTasks();
    await this.renderAgreement();
  }

  async takeNext() {
    if (!this.project) return;
    this.next.disabled = true;
    try {
      const task = await projects.nextTask(this.project.id);
      if (!task) {
        byId("next-status", HTMLElement).textContent = "No case left for you in this project.";
        return;
      }
      location.assign(projects.taskUrl(task));
    } catch (err) {
      showError(err, "Could not take the next case");
    } finally {
      this.next.disabled = false;
    }
  }

  /** @param {Record<string, Record<string, number>>} progress reader -> state -> count */
  renderProgress(progress) {
    /** @type {Record<string, number>} */
    const perState = {};
    for (const counts of Object.values(progress)) {
      for (const [state, n] of Object.entries(counts)) perState[state] = (perState[state] ?? 0) + n;
    }
    byId("progress-states", HTMLElement).replaceChildren(bar("all", perState));
    byId("progress-readers", HTMLElement).replaceChildren(
      ...Object.entries(progress).sort().map(([reader, counts]) => bar(reader, counts)),
    );
  }

  async loadTimes() {
    try {
      this.seconds = secondsPerTask(await projects.taskEvents());
    } catch {
      this.seconds = new Map(); // the log may be out of reach for this role: no times
    }
  }

  async renderTasks() {
    if (!this.project) return;
    const data = new FormData(this.filters);
    const tasks = await projects.listTasks({
      project: this.project.id,
      state: String(data.get("state") ?? ""),
      assignee: String(data.get("assignee") ?? "").trim(),
    }).catch((err) => {
      showError(err, "Could not load the worklist");
      return [];
    });
    byId("worklist", HTMLElement).replaceChildren(...tasks.map((t) => this.taskRow(t)));
  }

  /** @param {projects.Task} task */
  taskRow(task) {
    const seconds = this.seconds.get(task.id);
    return h("tr", { "data-task": task.id, "data-state": task.state }, [
      h("td", { text: task.id }),
      h("td", { text: task.case_id }),
      h("td", { text: task.assignee }),
      h("td", {}, [h("span", { class: "state-chip", "data-state": task.state, text: task.state })]),
      h("td", { text: seconds === undefined ? "" : minutes(seconds) }),
      h("td", { text: task.reviewed_by ?? "" }),
      h("td", {}, [h("a", { href: projects.taskUrl(task), text: "Open" })]),
    ]);
  }

  async renderAgreement() {
    if (!this.project) return;
    const status = byId("agreement-status", HTMLElement);
    const body = byId("agreement", HTMLElement);
    body.replaceChildren();
    if (this.project.readers_per_case < 2) {
      status.textContent = "One reader per case: no agreement to show.";
      return;
    }
    if (this.role === "annotator") {
      status.textContent = "Readers are blinded to each other: agreement is shown to reviewers.";
      return;
    }
    try {
      const rows = await projects.agreement(this.project.id);
      body.replaceChildren(
        ...rows.map((r) =>
          h("tr", {}, [
            h("td", { text: r.case_id }),
            h("td", { text: `${r.segment_number} ${r.label}` }),
            h("td", { text: `${r.reader_a} / ${r.reader_b}` }),
            h("td", { text: fixed(r.dice, 3) }),
            h("td", { text: fixed(r.hd95_mm, 1) }),
            h("td", { text: fixed(r.volume_difference_ml, 2) }),
          ]),
        ),
      );
      status.textContent = rows.length ? "" : "No case has two submitted readings yet.";
    } catch (err) {
      status.textContent = err instanceof Error ? err.message : String(err);
    }
  }
}

/**
 * A bar of counts by state.
 * @param {string} name
 * @param {Record<string, number>} counts
 */
function bar(name, counts) {
  const total = Object.values(counts).reduce((a, b) => a + b, 0) || 1;
  const parts = projects.STATES.filter((s) => counts[s]).map((state) => {
    const part = h("span", { class: "bar-part", title: `${state}: ${counts[state]}`, "data-state": state });
    part.style.width = `${(100 * counts[state]) / total}%`;
    part.style.background = COLORS[/** @type {keyof typeof COLORS} */ (state)];
    return part;
  });
  const text = projects.STATES.filter((s) => counts[s]).map((s) => `${s} ${counts[s]}`).join(", ");
  return h("div", { class: "bar-row", "data-reader": name }, [
    h("span", { class: "bar-name", text: name }),
    h("span", { class: "bar" }, parts),
    h("span", { class: "bar-text", text }),
  ]);
}

/**
 * Seconds each task was worked on: from each start (next, resume, take-over) to its submit.
 * @param {Record<string, string>[]} events
 * @returns {Map<number, number>}
 */
export function secondsPerTask(events) {
  /** @type {Map<number, number>} */
  const started = new Map();
  /** @type {Map<number, number>} */
  const worked = new Map();
  for (const event of events) {
    const match = /task (\d+)/.exec(event.detail ?? "");
    if (!match) continue;
    const id = Number(match[1]);
    const at = Date.parse(event.timestamp);
    if (["task_next", "task_resume", "task_take_over"].includes(event.action)) {
      if (!started.has(id)) started.set(id, at);
    } else if (event.action === "task_submit" && started.has(id)) {
      worked.set(id, (worked.get(id) ?? 0) + (at - /** @type {number} */ (started.get(id))) / 1000);
      started.delete(id);
    }
  }
  return worked;
}

/** @param {number} seconds */
function minutes(seconds) {
  return seconds < 60 ? `${Math.round(seconds)} s` : `${(seconds / 60).toFixed(1)} min`;
}

/** @param {string | undefined} value @param {number} digits */
function fixed(value, digits) {
  return value === undefined || value === "" ? "–" : Number(value).toFixed(digits);
}

initNotify(byId("toasts", HTMLElement));
showAccount(byId("account-name", HTMLElement), byId("logout", HTMLButtonElement)).catch((err) =>
  showError(err, "Could not tell who is signed in"),
);
new ProjectPage().start().catch((err) => showError(err, "Could not load the projects"));
