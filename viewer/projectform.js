// @ts-check
/**
 * The admins' "New project" and "Edit project" form, in a dialog: name, description, labels
 * (from the presets or custom, with their codes under "#"), readers per case, review and export, C-STORE rules. An edit
 * sends only what changed; the server's refusal (400 naming the field, 409 when the change
 * would break readings already taken) stays next to the form until the next try.
 */
import { getPresets } from "./api.js";
import { freeColor } from "./colors.js";
import { byId, h } from "./dom.js";
import * as projects from "./projectapi.js";

const RULE_FIELDS = /** @type {const} */ ([
  ["calling_ae", "Calling AE"],
  ["modality", "Modality"],
  ["study_description", "Study description"],
  ["series_description", "Series description"],
]);

export class ProjectForm {
  /** @param {(project: projects.Project) => void} saved called with the project as the server answered */
  constructor(saved) {
    this.saved = saved;
    this.dialog = byId("project-dialog", HTMLDialogElement);
    this.form = byId("project-form", HTMLFormElement);
    this.labels = byId("label-rows", HTMLElement);
    this.rules = byId("rule-rows", HTMLElement);
    this.error = byId("project-form-error", HTMLElement);
    /** @type {projects.Project | null} the project edited, null for a new one */
    this.editing = null;
    /** @type {Map<string, string>} preset label (lower case) -> colour */
    this.presetColors = new Map();
    byId("add-label", HTMLButtonElement).addEventListener("click", () => this.labels.append(this.labelRow()));
    byId("add-rule", HTMLButtonElement).addEventListener("click", () => this.rules.append(this.ruleRow()));
    byId("project-cancel", HTMLButtonElement).addEventListener("click", () => this.dialog.close());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.submit();
    });
    void this.loadPresets();
  }

  async loadPresets() {
    const list = byId("label-presets", HTMLDataListElement);
    try {
      for (const preset of await getPresets()) {
        this.presetColors.set(preset.label.toLowerCase(), preset.color);
        list.append(h("option", { value: preset.label }));
      }
    } catch {
      // Without presets the labels are typed in full; the server still codes known ones.
    }
  }

  /** @param {projects.Project | null} project null: a new project */
  open(project) {
    this.editing = project;
    byId("project-dialog-title", HTMLElement).textContent = project ? `Edit ${project.name}` : "New project";
    byId("project-save", HTMLButtonElement).textContent = project ? "Save changes" : "Create project";
    this.field("name").value = project?.name ?? "";
    this.field("description").value = project?.description ?? "";
    this.field("readers_per_case").value = String(project?.readers_per_case ?? 1);
    this.check("review_required").checked = project?.review_required ?? true;
    this.check("export_on_approval").checked = project?.export_on_approval ?? false;
    this.labels.replaceChildren(); // before the first new row picks a colour none of the rows has
    this.labels.append(...(project?.labels ?? [undefined]).map((label) => this.labelRow(label)));
    this.rules.replaceChildren(...(project?.rules ?? []).map((rule) => this.ruleRow(rule)));
    this.showError("");
    this.dialog.showModal();
  }

  /** @param {string} name */
  field(name) {
    const node = this.form.elements.namedItem(name);
    if (!(node instanceof HTMLInputElement || node instanceof HTMLTextAreaElement || node instanceof HTMLSelectElement)) {
      throw new Error(`the project form has no field ${name}`);
    }
    return node;
  }

  /** @param {string} name */
  check(name) {
    const node = this.field(name);
    if (!(node instanceof HTMLInputElement)) throw new Error(`${name} is not a checkbox`);
    return node;
  }

  /**
   * A label row; an existing label keeps its codes while its name stays.
   * @param {projects.ProjectLabel} [label]
   */
  labelRow(label) {
    const name = h("input", {
      class: "label-name", "data-testid": "label-name", list: "label-presets", maxlength: 64, required: true,
      placeholder: "Liver, or a label of your own", "aria-label": "Label", value: label?.label ?? "",
    });
    // The colour shown is the colour sent: a new label shows one no other row and no preset
    // has (a custom label must not look like a preset), or its preset's once its name is a
    // preset's, until the admin picks one.
    const own = label?.color ?? freeColor(this.rowColors(), [...this.presetColors.values()]);
    const color = h("input", { type: "color", class: "label-color", "data-testid": "label-color", "aria-label": "Colour", value: own });
    color.dataset.chosen = label ? "true" : "";
    color.addEventListener("input", () => (color.dataset.chosen = "true"));
    name.addEventListener("input", () => {
      if (!color.dataset.chosen) color.value = this.presetColors.get(name.value.trim().toLowerCase()) ?? own;
    });
    const remove = h("button", { type: "button", class: "secondary row-remove", "aria-label": "Remove label", text: "×" });
    const codes = codeFields(label);
    const toggle = h("button", {
      type: "button", class: "secondary label-codes-toggle", "data-testid": "label-codes-toggle", "aria-expanded": "false",
      title: "The label's codes (type and category: code, scheme, meaning) that the SEG carries", text: "#",
    });
    toggle.addEventListener("click", () => {
      codes.hidden = !codes.hidden;
      toggle.setAttribute("aria-expanded", String(!codes.hidden));
    });
    const row = h("div", { class: "label-row", "data-testid": "label-row" }, [color, name, toggle, remove, codes]);
    remove.addEventListener("click", () => row.remove());
    if (label) labelOf.set(row, label);
    return row;
  }

  /** @returns {string[]} the colours of the label rows in the form */
  rowColors() {
    return [...this.labels.querySelectorAll(".label-color")].map((input) => /** @type {HTMLInputElement} */ (input).value);
  }

  /** @param {projects.Rule} [rule] */
  ruleRow(rule = {}) {
    const inputs = RULE_FIELDS.map(([key, text]) =>
      h("input", { name: `rule-${key}`, "data-field": key, maxlength: 64, placeholder: text, "aria-label": text, value: rule[key] ?? "" }),
    );
    const remove = h("button", { type: "button", class: "secondary row-remove", "aria-label": "Remove rule", text: "×" });
    const row = h("div", { class: "rule-row", "data-testid": "rule-row" }, [...inputs, remove]);
    remove.addEventListener("click", () => row.remove());
    return row;
  }

  /** @returns {projects.ProjectChange} every field as the form has it */
  values() {
    return {
      name: this.field("name").value.trim(),
      description: this.field("description").value,
      labels: [...this.labels.querySelectorAll(".label-row")].map((row) => labelValue(/** @type {HTMLElement} */ (row))),
      readers_per_case: Number(this.field("readers_per_case").value),
      review_required: this.check("review_required").checked,
      export_on_approval: this.check("export_on_approval").checked,
      rules: [...this.rules.querySelectorAll(".rule-row")].map(ruleValue).filter((rule) => Object.keys(rule).length),
    };
  }

  async submit() {
    const save = byId("project-save", HTMLButtonElement);
    save.disabled = true;
    this.showError("");
    try {
      const values = this.values();
      const project = this.editing
        ? await projects.updateProject(this.editing.id, changes(this.editing, values))
        : await projects.createProject(values);
      this.dialog.close();
      this.saved(project);
    } catch (err) {
      this.showError(err instanceof Error ? err.message : String(err));
    } finally {
      save.disabled = false;
    }
  }

  /** @param {string} text */
  showError(text) {
    this.error.textContent = text;
    this.error.hidden = !text;
  }
}

/** @type {WeakMap<Element, projects.ProjectLabel>} the label a row was made from */
const labelOf = new WeakMap();

const CODE_PARTS = /** @type {const} */ (["code", "scheme", "meaning"]);

/**
 * The codes of a label under its row, hidden until "#": type and category, each a code, its
 * scheme and meaning; those of an existing label filled in.
 * @param {projects.ProjectLabel} [label]
 */
function codeFields(label) {
  const line = (/** @type {"type" | "category"} */ which, /** @type {string} */ title) =>
    h("div", { class: "code-line" }, [
      h("span", { text: title }),
      ...CODE_PARTS.map((part) =>
        h("input", {
          "data-code": `${which}-${part}`, "data-testid": `label-${which}-${part}`, maxlength: part === "meaning" ? 64 : 16,
          placeholder: part, "aria-label": `${title} ${part}`, value: label?.[which]?.[part] ?? "",
        }),
      ),
    ]);
  return h("div", { class: "label-codes", hidden: true }, [
    line("type", "Type"),
    line("category", "Category"),
    h("p", { class: "hint", text: "Left empty: a preset label takes its codes, another label a generic tissue code." }),
  ]);
}

/**
 * The codes typed for a label, null when none were (the server codes it).
 * @param {HTMLElement} row
 * @param {string} label its name, for the error
 * @returns {{ category: projects.Code, type: projects.Code } | null}
 */
function typedCodes(row, label) {
  /** @type {Record<string, string>} */
  const typed = {};
  for (const input of row.querySelectorAll("[data-code]")) {
    typed[String(/** @type {HTMLInputElement} */ (input).dataset.code)] = /** @type {HTMLInputElement} */ (input).value.trim();
  }
  const values = Object.values(typed);
  if (values.every((v) => !v)) return null;
  if (values.some((v) => !v)) throw new Error(`label "${label}": fill in every code (code, scheme and meaning of type and category), or none`);
  const code = (/** @type {string} */ which) => ({ code: typed[`${which}-code`], scheme: typed[`${which}-scheme`], meaning: typed[`${which}-meaning`] });
  return { category: code("category"), type: code("type") };
}

/** @param {HTMLElement} row */
function labelValue(row) {
  const label = /** @type {HTMLInputElement} */ (row.querySelector(".label-name")).value.trim();
  const color = /** @type {HTMLInputElement} */ (row.querySelector(".label-color"));
  const before = labelOf.get(row);
  /** @type {{ label: string, color: string, category?: projects.Code, type?: projects.Code }} */
  const value = { label, color: color.value };
  const codes = typedCodes(row, label);
  // Codes as typed; an existing label's go back unchanged while its name stays (renamed, the
  // server codes it afresh, unless codes were typed).
  if (codes && !(before && before.label !== label && sameCodes(codes, before))) Object.assign(value, codes);
  else if (before && before.label === label) Object.assign(value, { category: before.category, type: before.type });
  return value;
}

/**
 * @param {{ category: projects.Code, type: projects.Code }} codes
 * @param {projects.ProjectLabel} label
 */
const sameCodes = (codes, label) =>
  JSON.stringify([codes.category, codes.type]) === JSON.stringify([label.category, label.type].map((c) => c && { code: c.code, scheme: c.scheme, meaning: c.meaning }));

/** @param {Element} row @returns {projects.Rule} the fields filled in */
function ruleValue(row) {
  /** @type {Record<string, string>} */
  const rule = {};
  for (const input of row.querySelectorAll("input")) {
    if (input.value.trim()) rule[String(input.dataset.field)] = input.value.trim();
  }
  return rule;
}

/**
 * The fields of `values` that differ from the project, so that an edit of the description
 * does not resend labels (which the server checks against readings already taken).
 * @param {projects.Project} project
 * @param {projects.ProjectChange} values
 * @returns {projects.ProjectChange}
 */
export function changes(project, values) {
  const before = {
    ...project,
    labels: project.labels.map(({ label, color, category, type }) => ({ label, color, category, type })),
  };
  /** @type {Record<string, unknown>} */
  const changed = {};
  for (const [key, value] of Object.entries(values)) {
    if (JSON.stringify(value) !== JSON.stringify(before[/** @type {keyof typeof before} */ (key)])) changed[key] = value;
  }
  return changed;
}
