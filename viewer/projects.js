// @ts-check
/**
 * The project page: pick a project, take the next case, follow progress per state and per
 * annotator (progressbars.js), the worklist (filtered by state and annotator, the filters kept in the URL) with
 * the time spent on each reading (from the task events of the audit log), and the agreement
 * of the readers. Admins also create and edit projects and add cases (projectform.js,
 * casepicker.js).
 */
import { showAccount } from "./account.js";
import { request } from "./api.js";
import { CasePicker } from "./casepicker.js";
import { byId, h } from "./dom.js";
import { initNotify, showError } from "./notify.js";
import * as projects from "./projectapi.js";
import { renderProgress } from "./progressbars.js";
import { ProjectForm } from "./projectform.js";
import { assigneeMatches, filtersFrom, filtersQuery, taskRow } from "./worklist.js";

class ProjectPage {
  constructor() {
    this.select = byId("project-select", HTMLSelectElement);
    this.next = byId("next-case", HTMLButtonElement);
    this.filters = byId("task-filters", HTMLFormElement);
    this.stateFilter = byId("filter-state", HTMLSelectElement);
    this.assigneeFilter = byId("filter-assignee", HTMLInputElement);
    /** @type {projects.Project | null} */
    this.project = null;
    /** @type {Map<number, number>} seconds worked per task id */
    this.seconds = new Map();
    /** @type {Map<number, projects.Case>} the project's cases by id */
    this.cases = new Map();
    this.role = "annotator";
    this.user = "";
    /** @type {ProjectForm | null} */
    this.form = null;
    /** @type {CasePicker | null} */
    this.picker = null;
  }

  async start() {
    for (const state of projects.STATES) this.stateFilter.append(h("option", { value: state, text: state }));
    const wanted = filtersFrom(location.search);
    this.stateFilter.value = wanted.state;
    this.assigneeFilter.value = wanted.assignee;
    this.select.addEventListener("change", () => void this.show(Number(this.select.value)));
    this.next.addEventListener("click", () => void this.takeNext());
    this.filters.addEventListener("input", () => {
      this.keepInUrl();
      void this.renderTasks();
    });
    this.filters.addEventListener("submit", (e) => e.preventDefault());
    const me = await (await request("GET", "api/auth/me")).json();
    this.role = String(me.role);
    this.user = String(me.username ?? "");
    if (this.role === "reviewer") this.next.title = "Open the reading that has waited longest for review";
    if (this.role === "admin") this.startAdmin();
    await this.fillSelect(wanted.project);
  }

  /** New project, Edit and Add cases: admins only (the server refuses others anyway). */
  startAdmin() {
    this.form = new ProjectForm((project) => void this.saved(project));
    this.picker = new CasePicker(() => {
      if (this.project) void this.show(this.project.id);
    });
    const create = byId("new-project", HTMLButtonElement);
    create.hidden = false;
    create.addEventListener("click", () => this.form?.open(null));
    byId("edit-project", HTMLButtonElement).addEventListener("click", () => this.form?.open(this.project));
    byId("add-cases", HTMLButtonElement).addEventListener("click", () => {
      if (this.project) void this.picker?.open(this.project.id);
    });
  }

  /** @param {number | null} wanted the project to show, else the first */
  async fillSelect(wanted) {
    const list = await projects.listProjects();
    this.select.replaceChildren(...list.map((p) => h("option", { value: p.id, text: p.name })));
    const id = list.some((p) => p.id === wanted) ? wanted : list[0]?.id;
    if (id) {
      this.select.value = String(id);
      await this.show(id);
    } else {
      byId("project-description", HTMLElement).textContent =
        this.role === "admin" ? "No project yet: create one with New project." : "No project yet.";
    }
  }

  /** @param {projects.Project} project as created or changed */
  async saved(project) {
    await this.fillSelect(project.id);
  }

  /** The project and the filters in the address bar, for a reload or a shared link. */
  keepInUrl() {
    const query = filtersQuery({
      project: this.project?.id ?? null,
      state: this.stateFilter.value,
      assignee: this.assigneeFilter.value,
    });
    history.replaceState(null, "", `${location.pathname}${query}`);
  }

  /** @param {number} id */
  async show(id) {
    this.project = await projects.getProject(id);
    this.keepInUrl();
    byId("project-name", HTMLElement).textContent = this.project.name;
    byId("project-description", HTMLElement).textContent = this.project.description;
    byId("project-summary", HTMLElement).replaceChildren(...summary(this.project).map((text) => h("li", { text })));
    byId("admin-actions", HTMLElement).hidden = this.role !== "admin";
    this.next.disabled = false;
    const progress = this.project.progress ?? {};
    renderProgress(this.project, {
      overall: byId("progress-states", HTMLElement), readers: byId("progress-readers", HTMLElement), whole: this.role !== "annotator",
    });
    byId("project-readers", HTMLElement).replaceChildren(...Object.keys(progress).sort().map((r) => h("option", { value: r })));
    await Promise.all([this.loadTimes(), this.loadCases()]);
    await this.renderTasks();
    await this.renderAgreement();
  }

  async takeNext() {
    if (!this.project) return;
    this.next.disabled = true;
    try {
      const reviewer = this.role === "reviewer";
      const task = reviewer ? await this.nextToReview(this.project.id) : await projects.nextTask(this.project.id);
      if (!task) {
        byId("next-status", HTMLElement).textContent = reviewer
          ? "No reading waits for review in this project."
          : "No case left for you in this project.";
        return;
      }
      location.assign(projects.taskUrl(task));
    } catch (err) {
      showError(err, "Could not take the next case");
    } finally {
      this.next.disabled = false;
    }
  }

  /**
   * A reviewer's next case: the submitted reading of the project that has waited longest
   * (submitted first), not their own.
   * @param {number} projectId
   */
  async nextToReview(projectId) {
    const waiting = (await projects.listTasks({ project: projectId, state: "submitted" })).filter((t) => t.assignee !== this.user);
    waiting.sort((a, b) => Date.parse(a.updated_at) - Date.parse(b.updated_at) || a.id - b.id);
    return waiting[0] ?? null;
  }

  async loadTimes() {
    try {
      this.seconds = secondsPerTask(await projects.taskEvents());
    } catch {
      this.seconds = new Map(); // the log may be out of reach for this role: no times
    }
  }

  async loadCases() {
    if (!this.project) return;
    try {
      this.cases = new Map((await projects.listCases(this.project.id)).map((c) => [c.id, c]));
    } catch {
      this.cases = new Map(); // rows then show case numbers only
    }
  }

  async renderTasks() {
    if (!this.project) return;
    const typed = this.assigneeFilter.value;
    const tasks = await projects.listTasks({ project: this.project.id, state: this.stateFilter.value }).catch((err) => {
      showError(err, "Could not load the worklist");
      return [];
    });
    const staff = this.role !== "annotator";
    const rows = tasks
      .filter((t) => assigneeMatches(t, typed))
      .map((t) => taskRow(t, { case: this.cases.get(t.case_id), seconds: this.seconds.get(t.id), staff }));
    const filtered = Boolean(typed || this.stateFilter.value);
    const none = h("tr", { class: "worklist-empty" }, [
      h("td", { colspan: 7, class: "hint", text: filtered ? "No reading matches the filters." : "No readings yet." }),
    ]);
    byId("worklist", HTMLElement).replaceChildren(...(rows.length ? rows : [none]));
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
            // Neither reader painted it: agreeing on nothing, not a perfect overlap.
            ...(Number(r.volume_a_ml) === 0 && Number(r.volume_b_ml) === 0
              ? [h("td", { text: "both empty" }), h("td", { text: "–" })]
              : [h("td", { text: fixed(r.dice, 3) }), h("td", { text: fixed(r.hd95_mm, 1) })]),
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

/**
 * The project's settings, one fact each.
 * @param {projects.Project} p
 */
export function summary(p) {
  const plural = (/** @type {number} */ n, /** @type {string} */ one) => `${n} ${one}${n === 1 ? "" : "s"}`;
  return [
    plural(p.num_cases ?? 0, "case"),
    `${plural(p.readers_per_case, "reader")} per case${p.blinded ? ", blinded" : ""}`,
    `${plural(p.labels.length, "label")}: ${p.labels.map((l) => l.label).join(", ")}`,
    p.review_required ? "review required" : "no review",
    p.export_on_approval ? "SEG sent to the PACS on approval" : "",
  ].filter(Boolean);
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
