// @ts-check
/**
 * The admins' "Add cases" dialog: the local store's studies (a page at a time), and the PACS's
 * when the service has one (casepacs.js), each unfolding into its image series with a checkbox;
 * the chosen ones become cases of the project (those of the PACS pulled as jobs). The answer
 * (added, already cases, missing, being pulled) stays in the dialog, as does an error.
 */
import * as api from "./api.js";
import { CasePacs } from "./casepacs.js";
import { lockTicked, seriesItem, studyItem } from "./caseseries.js";
import { byId, h } from "./dom.js";
import * as projects from "./projectapi.js";
import { pacsVias } from "./sources.js";

const PAGE = 50;

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
    /** @type {Set<string>} series of the local store ticked */
    this.chosen = new Set();
    this.offset = 0;
    /** counts the dialog's openings: a pull followed for an earlier one stops showing */
    this.opened = 0;
    this.pacs = new CasePacs(() => this.update());
    this.more.addEventListener("click", () => void this.page());
    this.addButton.addEventListener("click", () => void this.add());
    byId("cases-close", HTMLButtonElement).addEventListener("click", () => this.dialog.close());
    void this.offerPacs();
  }

  /** The PACS tab, when the service has a PACS. */
  async offerPacs() {
    if (!this.pacs.offer(await pacsVias())) return;
    const tabs = { local: byId("case-tab-local", HTMLButtonElement), pacs: byId("case-tab-pacs", HTMLButtonElement) };
    const panels = { local: byId("case-local", HTMLElement), pacs: byId("case-pacs", HTMLElement) };
    for (const which of /** @type {("local" | "pacs")[]} */ (["local", "pacs"])) {
      tabs[which].addEventListener("click", () => {
        for (const key of /** @type {("local" | "pacs")[]} */ (["local", "pacs"])) {
          tabs[key].setAttribute("aria-selected", String(key === which));
          panels[key].hidden = key !== which;
        }
      });
    }
    byId("case-sources", HTMLElement).hidden = false;
  }

  /** @param {number} projectId */
  async open(projectId) {
    this.projectId = projectId;
    this.opened += 1;
    byId("cases-pulls", HTMLElement).hidden = true;
    this.chosen.clear();
    this.offset = 0;
    this.list.replaceChildren();
    byId("case-pacs-studies", HTMLElement).replaceChildren();
    this.say("", "");
    this.pacs.reset(this.existing);
    this.update();
    this.dialog.showModal();
    try {
      this.existing = new Set((await projects.listCases(projectId)).map((c) => c.series_uid));
      this.pacs.reset(this.existing);
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
      this.list.append(...studies.map((s) => studyItem(s, "case-study", () => api.listSeries(s.study_uid), (one) => this.row(one))));
      if (!this.offset) this.list.append(h("li", { class: "empty", text: "No study in the local store: upload or pull one first." }));
      this.more.hidden = studies.length < PAGE;
    } catch (err) {
      this.say(message(err), "error");
    } finally {
      this.more.disabled = false;
    }
  }

  /** @param {api.SeriesSummary} s */
  row(s) {
    return seriesItem(s, this.existing.has(s.series_uid), "case-series", (checked) => {
      if (checked) this.chosen.add(s.series_uid);
      else this.chosen.delete(s.series_uid);
      this.update();
    });
  }

  update() {
    const n = this.chosen.size + this.pacs.chosen.size;
    this.addButton.disabled = !n;
    this.addButton.textContent = n ? `Add ${count(n, "series", "series")}` : "Add series";
  }

  async add() {
    const pulled = this.pacs.items();
    if (this.projectId === null || !(this.chosen.size + pulled.length)) return;
    this.addButton.disabled = true;
    try {
      const via = pulled.length ? this.pacs.via() : undefined;
      const answer = await projects.addCases(this.projectId, [...this.chosen, ...pulled], via);
      const taken = [...answer.added.map((c) => c.series_uid), ...answer.existing, ...answer.pulling.map((p) => p.series_uid)];
      for (const uid of taken) this.existing.add(uid);
      lockTicked(this.dialog);
      this.chosen.clear();
      this.pacs.chosen.clear();
      this.say(summary(answer), answer.missing.length ? "error" : "done");
      if (answer.added.length || answer.pulling.length) this.added();
      if (answer.pulling.length) {
        const opened = this.opened;
        void this.pacs.followPulls(answer.pulling, byId("cases-pulls", HTMLElement), () => opened === this.opened, this.added);
      }
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
