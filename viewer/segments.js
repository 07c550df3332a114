// @ts-check
/**
 * The segment panel: the list (select, rename, recolour, show/hide, delete) and the form that adds
 * a segment from a coded preset or with a custom label. It renders what it is given and reports
 * intents; the annotation session does the work.
 */

import { clear, h } from "./dom.js";
import { icon } from "./icons.js";

/** @typedef {import("./annotation.js").Segment} Segment */
/** @typedef {import("./api.js").Preset} Preset */

/**
 * @typedef {object} SegmentHandlers
 * @property {(number: number) => void} select
 * @property {(preset: Preset | null, label: string) => void} add preset null for a custom label
 * @property {(number: number, label: string) => void} rename
 * @property {(number: number, color: string) => void} recolor
 * @property {(number: number) => void} toggle
 * @property {(number: number) => void} lock lock or unlock against painting
 * @property {(number: number) => void} remove
 * @property {(number: number, status: string) => void} [status] set the segment's status
 * @property {(number: number, codes: { category: Code, type: Code }) => void} [recode] a custom label's codes
 */
/** @typedef {import("./api.js").Code} Code */

/** What the service codes a custom label with until the user says better (SCT Tissue). */
const FALLBACK_CODE = { code: "85756007", scheme: "SCT", meaning: "Tissue" };

/** The segment statuses the service keeps, with what the list shows. */
export const STATUSES = [
  ["not_started", "Not started"],
  ["in_progress", "In progress"],
  ["completed", "Completed"],
  ["flagged", "Flagged"],
];

export class SegmentPanel {
  /**
   * @param {{ list: HTMLElement, presetSelect: HTMLSelectElement, labelInput: HTMLInputElement,
   *   form: HTMLFormElement }} elements
   * @param {SegmentHandlers} handlers
   */
  constructor(elements, handlers) {
    this.list = elements.list;
    this.presetSelect = elements.presetSelect;
    this.labelInput = elements.labelInput;
    this.submitButton = elements.form.querySelector("button");
    this.handlers = handlers;
    /** @type {Preset[]} */
    this.presets = [];
    this.editing = false;
    elements.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    this.presetSelect.addEventListener("change", () => this.syncLabel());
    this.setPresets([]);
  }

  /** @param {Preset[]} presets */
  setPresets(presets) {
    this.presets = presets;
    clear(this.presetSelect);
    this.presetSelect.append(h("option", { value: "", text: "Preset labels…" }));
    /** @type {Map<string, HTMLOptGroupElement>} */
    const groups = new Map();
    presets.forEach((preset, i) => {
      const name = String(preset.category?.meaning ?? "Presets");
      let group = groups.get(name);
      if (!group) {
        group = h("optgroup", { label: name });
        groups.set(name, group);
        this.presetSelect.append(group);
      }
      group.append(h("option", { value: String(i), text: preset.label }));
    });
    this.syncLabel();
  }

  selectedPreset() {
    const value = this.presetSelect.value;
    return value === "" ? null : this.presets[Number(value)] ?? null;
  }

  syncLabel() {
    const preset = this.selectedPreset();
    this.labelInput.placeholder = preset ? preset.label : "Custom label";
  }

  /** Whether the form holds a label or a chosen preset. */
  hasInput() {
    return this.labelInput.value.trim() !== "" || this.selectedPreset() !== null;
  }

  /** @param {string} label @returns {boolean} not one of the presets (the user may code it) */
  isCustom(label) {
    const wanted = label.trim().toLowerCase();
    return !this.presets.some((p) => p.label.toLowerCase() === wanted);
  }

  /** A typed label wins over the preset menu; the session matches it to a preset by name. */
  submit() {
    const typed = this.labelInput.value.trim();
    const preset = typed ? null : this.selectedPreset();
    const label = typed || preset?.label || "";
    if (!label) {
      this.labelInput.focus();
      return;
    }
    this.handlers.add(preset, label);
    this.labelInput.value = "";
    this.presetSelect.value = "";
    this.syncLabel();
  }

  /**
   * @param {Segment[]} segments
   * @param {number | null} active
   * @param {boolean} enabled false while no series is open
   */
  render(segments, active, enabled) {
    if (this.editing) return;
    clear(this.list);
    for (const control of [this.presetSelect, this.labelInput, this.submitButton]) if (control) control.disabled = !enabled;
    if (enabled) this.syncLabel();
    if (!segments.length) {
      this.list.append(h("li", { class: "empty", text: enabled ? "No segments yet. Add one below." : "Open a series first." }));
      return;
    }
    for (const segment of segments) this.list.append(this.row(segment, segment.number === active));
  }

  /**
   * @param {Segment} segment
   * @param {boolean} active
   */
  row(segment, active) {
    const n = segment.number;
    const color = h("input", { type: "color", class: "seg-color", value: segment.color, title: "Colour", "aria-label": `Colour of ${segment.label}` });
    color.addEventListener("change", () => this.handlers.recolor(n, color.value));
    const coded = segment.type?.meaning ? ` — ${segment.type.meaning} (${segment.type.scheme ?? ""} ${segment.type.code ?? ""})` : "";
    const label = h("span", { class: "seg-label", text: segment.label, title: `${segment.label}${coded}\nDouble-click to rename` });
    const show = h("button", { type: "button", class: "icon-button seg-visibility", title: segment.visible ? "Hide" : "Show", "aria-pressed": String(!segment.visible) }, [icon(segment.visible ? "eye" : "eyeOff")]);
    const lock = h("button", { type: "button", class: "icon-button seg-lock", title: segment.locked ? "Unlock (allow painting)" : "Lock (no painting)", "aria-pressed": String(Boolean(segment.locked)) }, [icon(segment.locked ? "lock" : "unlock")]);
    const rename = h("button", { type: "button", class: "icon-button seg-rename", title: "Rename" }, [icon("pencil")]);
    const remove = h("button", { type: "button", class: "icon-button seg-delete", title: "Delete segment" }, [icon("trash")]);
    const custom = this.isCustom(segment.label);
    const code = custom ? h("button", { type: "button", class: "icon-button seg-code", title: "Codes of this custom label (category and type)", text: "#" }) : null;
    const status = h("select", { class: "seg-status", title: "Status", "aria-label": `Status of ${segment.label}`, "data-status": segment.status ?? "not_started" },
      STATUSES.map(([value, text]) => h("option", { value, text, selected: value === (segment.status ?? "not_started") })));
    status.addEventListener("change", () => this.handlers.status?.(n, status.value));
    const row = h("li", {
      class: `segment${active ? " active" : ""}${segment.visible ? "" : " hidden-segment"}${segment.locked ? " locked" : ""}`,
      "data-locked": String(Boolean(segment.locked)),
      "data-testid": "segment-row",
      "data-number": n,
      "data-label": segment.label,
      "data-custom": String(custom),
      "data-type-code": segment.type?.code ?? "",
      "data-status": segment.status ?? "not_started",
      "aria-selected": String(active),
      role: "option",
      title: segment.label,
    }, [h("span", { class: "seg-number", text: String(n) }), color, label, status, show, lock, rename, code, remove]);
    code?.addEventListener("click", () => this.editCodes(segment, row));
    row.addEventListener("click", (e) => {
      if (!(e.target instanceof Element) || !e.target.closest("button, input")) this.handlers.select(n);
    });
    label.addEventListener("dblclick", () => this.editLabel(segment, label));
    rename.addEventListener("click", () => this.editLabel(segment, label));
    show.addEventListener("click", () => this.handlers.toggle(n));
    lock.addEventListener("click", () => this.handlers.lock(n));
    // Two clicks delete, without a modal dialog: the first arms the button for a few seconds.
    remove.addEventListener("click", () => {
      if (remove.classList.contains("armed")) {
        this.handlers.remove(n);
        return;
      }
      remove.classList.add("armed");
      remove.title = `Click again to delete "${segment.label}" and its masks on every slice (Ctrl+Z brings them back)`;
      setTimeout(() => {
        remove.classList.remove("armed");
        remove.title = "Delete segment";
      }, 3000);
    });
    return row;
  }

  /**
   * Open the codes of a custom label under its row: type and category (code, scheme, meaning);
   * Save sends them with the segment, Cancel or Escape closes.
   * @param {Segment} segment
   * @param {HTMLElement} row
   */
  editCodes(segment, row) {
    if (this.editing) return;
    this.editing = true;
    /** @type {Record<string, HTMLInputElement>} */
    const inputs = {};
    const line = (/** @type {"type" | "category"} */ which, /** @type {string} */ title) => {
      const now = segment[which] ?? FALLBACK_CODE;
      const field = (/** @type {"code" | "scheme" | "meaning"} */ part, /** @type {number} */ max) => {
        const input = h("input", { type: "text", class: `code-${which}-${part}`, value: String(now[part] ?? ""), maxlength: max, "aria-label": `${title} ${part}`, placeholder: part });
        inputs[`${which}-${part}`] = input;
        return input;
      };
      return h("div", { class: "code-line" }, [h("span", { text: title }), field("code", 16), field("scheme", 16), field("meaning", 64)]);
    };
    const save = h("button", { type: "submit", class: "code-save", text: "Save" });
    const cancel = h("button", { type: "button", class: "secondary code-cancel", text: "Cancel" });
    const form = h("form", { class: "seg-code-form", "data-testid": "seg-code-form" }, [line("type", "Type"), line("category", "Category"), h("div", { class: "edit-buttons" }, [save, cancel])]);
    const item = h("li", { class: "seg-code-item" }, [form]);
    row.after(item);
    inputs["type-code"].focus();
    const close = () => {
      this.editing = false;
      item.remove();
    };
    const read = (/** @type {string} */ which) => ({
      code: inputs[`${which}-code`].value.trim(), scheme: inputs[`${which}-scheme`].value.trim(), meaning: inputs[`${which}-meaning`].value.trim(),
    });
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const codes = { type: read("type"), category: read("category") };
      const empty = Object.values(inputs).find((i) => !i.value.trim());
      if (empty) {
        empty.focus();
        return;
      }
      close();
      this.handlers.recode?.(segment.number, codes);
    });
    cancel.addEventListener("click", close);
    form.addEventListener("keydown", (e) => {
      if (e.key === "Escape") close();
      e.stopPropagation();
    });
  }

  /**
   * Replace the label by an input: Enter saves, Escape or leaving cancels.
   * @param {Segment} segment
   * @param {HTMLElement} label
   */
  editLabel(segment, label) {
    const input = h("input", { type: "text", class: "seg-label-input", value: segment.label, maxlength: 64, "aria-label": "Segment label" });
    this.editing = true;
    label.replaceWith(input);
    input.focus();
    input.select();
    let done = false;
    const finish = (/** @type {boolean} */ save) => {
      if (done) return;
      done = true;
      this.editing = false;
      const value = input.value.trim();
      input.replaceWith(label);
      if (save && value && value !== segment.label) this.handlers.rename(segment.number, value);
    };
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") finish(true);
      else if (e.key === "Escape") finish(false);
      e.stopPropagation();
    });
    input.addEventListener("blur", () => finish(true));
  }
}
