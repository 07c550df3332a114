// @ts-check
/**
 * The annotator: wires the panels, the view and the annotation session together. State lives in
 * one App object; the modules it uses know nothing of each other.
 *
 * Test hooks (read-only, on the canvas #view): data-series-uid, data-num-slices, data-rows,
 * data-columns, data-slice (0-based index), data-ready ("true" once the slice's pixels and masks
 * are shown), data-annotation-id, data-version, data-active-segment, data-tool, data-window
 * ("center,width") and data-image-rect ("x,y,width,height": where the image lies, CSS pixels
 * relative to the canvas's top-left corner).
 */

import { showAccount } from "./account.js";
import * as api from "./api.js";
import { AnnotationSession } from "./annotation.js";
import { nextColor, toHex, toRgb } from "./colors.js";
import { byId } from "./dom.js";
import { ExportPanel } from "./exporter.js";
import { icon } from "./icons.js";
import { keymap } from "./keymap.js";
import { PacsBrowser } from "./pacs.js";
import { initNotify, showError, showInfo } from "./notify.js";
import { floodFill, interpolateMasks } from "./fill.js";
import { applyEdits, continueStroke, finishStroke, gridOf, replayStep, startStroke } from "./painting.js";
import { record } from "./perf.js";
import { ReformatView } from "./reformat.js";
import { seriesPlaneLayout } from "./planes.js";
import { Renderer } from "./render.js";
import { showSaveStatus } from "./savestatus.js";
import { SegmentPanel } from "./segments.js";
import { installShortcuts, renderHelp } from "./shortcuts.js";
import { SliceCache } from "./slices.js";
import { StudyBrowser } from "./studies.js";
import { attachPointerTools } from "./tools.js";
import { UploadPanel } from "./uploadpanel.js";
import { autoWindow, dragWindow, formatValue, fullRange, initialPreset, renderPresetButtons, windowPresets } from "./windowing.js";

/** @typedef {import("./tools.js").Tool} Tool */
/** @typedef {import("./windowing.js").WindowPreset} WindowPreset */
/** @typedef {import("./slices.js").Slice} Slice */
/** @typedef {import("./painting.js").Stroke} Stroke */

const BRUSH_SIZES = [0.5, 1, 1.5, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50];

/** @param {number} v @param {number} lo @param {number} hi */
const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

/**
 * Where a slice lies along the slice normal (row x column direction cosines, PS3.3 C.7.6.2.1.1),
 * which is meaningful for sagittal and oblique series, unlike z.
 * @param {import("./api.js").SeriesInfo} series
 * @param {number} index
 * @returns {number | null}
 */
function sliceLocation(series, index) {
  const p = series.slices?.[index]?.position;
  const o = series.orientation;
  if (!p || p.length < 3) return null;
  if (!o || o.length < 6) return Number(p[2]);
  const n = [o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]];
  return p[0] * n[0] + p[1] * n[1] + p[2] * n[2];
}

class App {
  constructor() {
    this.canvas = byId("view", HTMLCanvasElement);
    this.renderer = new Renderer(this.canvas, (rect) => {
      this.canvas.dataset.imageRect = [rect.x, rect.y, rect.width, rect.height].map((v) => v.toFixed(2)).join(",");
    });
    /** @type {import("./api.js").SeriesInfo | null} */
    this.series = null;
    /** @type {string | null} a series still being pulled: no painting until it is complete */
    this.arriving = null;
    /** @type {SliceCache | null} */
    this.cache = null;
    /** @type {AnnotationSession | null} */
    this.session = null;
    this.index = 0;
    /** @type {Slice | null} the slice whose pixels are on screen */
    this.shown = null;
    /** @type {Tool} */
    this.tool = "brush";
    this.brushMm = 5;
    this.opacity = 0.45;
    this.showMasks = true;
    /** @type {number | null} */
    this.activeSegment = null;
    /** @type {Stroke | null} */
    this.stroke = null;
    /** @type {WindowPreset[]} */
    this.windows = [];
    this.window = { center: 40, width: 400 };
    this.windowSet = false;
    /** @type {import("./api.js").Preset[]} */
    this.labelPresets = [];
    this.openToken = 0;
    /** @type {{ x: number, y: number } | null} */
    this.pointer = null;
    this.outline = false;
    /** the user's invert, on top of MONOCHROME1's */
    this.inverted = false;
    /** the threshold brush's and the flood fill's value range (HU for CT) */
    this.range = { low: -100, high: 300 };
    /** the next click on the view sets the range from the pixel under it */
    this.picking = false;
    /** @type {{ col: number, row: number }} where the reformatted views cut */
    this.cross = { col: 0, row: 0 };
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.reformatTimer = undefined;
    /** @type {number | null} timeStamp of the key press whose slice is not drawn yet */
    this.inputAt = null;
    const reformatHandlers = {
      fetch: api.getReformatBytes,
      error: (/** @type {unknown} */ err) => showError(err, "Could not load the reformatted view"),
    };
    this.sagittal = new ReformatView(byId("view-sagittal", HTMLCanvasElement), "sagittal", {
      ...reformatHandlers,
      pick: (row, slice) => this.pickReformat({ row }, slice),
    });
    this.coronal = new ReformatView(byId("view-coronal", HTMLCanvasElement), "coronal", {
      ...reformatHandlers,
      pick: (col, slice) => this.pickReformat({ col }, slice),
    });

    this.sliceSlider = byId("slice-slider", HTMLInputElement);
    this.sliceNumber = byId("slice-number", HTMLElement);
    this.studies = new StudyBrowser(byId("study-list", HTMLElement), {
      open: (uid) => void this.openSeries(uid),
      importSeg: (studyUid, segSeriesUid) => this.importSeg(studyUid, segSeriesUid),
      error: showError,
    });
    this.pacs = new PacsBrowser(
      {
        form: byId("pacs-search", HTMLFormElement),
        results: byId("pacs-results", HTMLElement),
        more: byId("pacs-more", HTMLButtonElement),
        status: byId("pacs-status", HTMLElement),
        via: byId("pacs-via", HTMLSelectElement),
        progress: byId("pacs-progress", HTMLProgressElement),
        progressText: byId("pacs-progress-text", HTMLElement),
      },
      {
        open: (uid) => {
          this.arriving = uid;
          return this.openSeries(uid);
        },
        pulled: (uid) => this.pulled(uid),
        imported: (uid) => {
          this.arriving = null;
          return this.openSeries(uid, true);
        },
        error: showError,
      },
    );
    this.segmentPanel = new SegmentPanel(
      {
        list: byId("segment-list", HTMLElement),
        presetSelect: byId("segment-preset", HTMLSelectElement),
        labelInput: byId("segment-label", HTMLInputElement),
        form: byId("add-segment-form", HTMLFormElement),
      },
      {
        select: (n) => this.selectSegment(n),
        add: (preset, label) => void this.addSegment(preset, label),
        rename: (n, label) => void this.renameSegment(n, label),
        recolor: (n, color) => void this.segmentOp(() => this.session?.updateSegment(n, { color }), "Could not change the colour"),
        toggle: (n) => this.toggleSegment(n),
        lock: (n) => this.toggleLock(n),
        remove: (n) => void this.deleteSegment(n),
      },
    );
    this.exportPanel = new ExportPanel(
      {
        button: byId("export-seg", HTMLButtonElement),
        destination: byId("export-destination", HTMLSelectElement),
        status: byId("export-status", HTMLElement),
        link: byId("export-link", HTMLAnchorElement),
        retry: byId("export-retry", HTMLButtonElement),
      },
      { prepare: () => this.prepareExport(), error: showError },
    );
    new UploadPanel(
      {
        fileInput: byId("file-input", HTMLInputElement),
        folderInput: byId("folder-input", HTMLInputElement),
        dropTarget: document.body,
        dropHint: byId("drop-hint", HTMLElement),
        progress: byId("upload-progress", HTMLProgressElement),
        progressText: byId("upload-status", HTMLElement),
        rejected: byId("rejected-list", HTMLElement),
      },
      { uploaded: (result) => void this.uploaded(result), error: showError },
    );
  }

  start() {
    initNotify(byId("toasts", HTMLElement));
    this.wireControls();
    this.wireView();
    this.setTool("brush");
    this.setBrush(this.brushMm);
    this.renderSegments();
    this.updateSliceUi();
    void this.studies.refresh();
    // A link to a series (?series=<uid>) opens it.
    const linked = new URLSearchParams(location.search).get("series");
    if (linked) void this.openSeries(linked);
    this.exportPanel.setPacsAvailable(false);
    void this.detectPacs();
    showAccount(byId("account-name", HTMLElement), byId("logout", HTMLButtonElement)).catch((err) =>
      showError(err, "Could not tell who is signed in"),
    );
    api.getPresets().then(
      (presets) => {
        this.labelPresets = Array.isArray(presets) ? presets : [];
        this.segmentPanel.setPresets(this.labelPresets);
        this.renderSegments();
      },
      (err) => showError(err, "Could not load the label presets"),
    );
    // A hidden tab may be closed or frozen next: write now instead of after the debounce.
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") this.session?.saver?.flush().catch(() => undefined);
    });
    window.addEventListener("beforeunload", (e) => {
      if (this.unsaved()) {
        e.preventDefault();
        e.returnValue = "";
      }
    });
  }

  // ---- wiring -------------------------------------------------------------------------

  wireControls() {
    for (const [id, name] of /** @type {[string, Parameters<typeof icon>[0]][]} */ ([
      ["undo", "undo"], ["redo", "redo"], ["help-button", "help"], ["refresh-studies", "refresh"],
    ])) byId(id, HTMLElement).prepend(icon(name));
    byId("undo", HTMLButtonElement).addEventListener("click", () => this.undo());
    byId("redo", HTMLButtonElement).addEventListener("click", () => this.redo());
    byId("help-button", HTMLButtonElement).addEventListener("click", () => this.toggleHelp());
    byId("help-close", HTMLButtonElement).addEventListener("click", () => this.toggleHelp(false));
    byId("help-overlay", HTMLElement).addEventListener("click", (e) => {
      if (e.target === e.currentTarget) this.toggleHelp(false);
    });
    byId("refresh-studies", HTMLButtonElement).addEventListener("click", () => void this.studies.refresh());
    /** @type {[string, Parameters<typeof icon>[0]][]} */
    const tools = [
      ["tool-brush", "brush"], ["tool-threshold", "layers"], ["tool-fill", "bucket"], ["tool-eraser", "eraser"],
      ["tool-wl", "contrast"],
    ];
    for (const [id, name] of tools) {
      const button = byId(id, HTMLButtonElement);
      button.prepend(icon(name));
      button.addEventListener("click", () => this.setTool(/** @type {Tool} */ (button.dataset.tool)));
    }
    const size = byId("brush-size", HTMLInputElement);
    size.addEventListener("input", () => this.setBrush(Number(size.value)));
    const opacity = byId("opacity", HTMLInputElement);
    opacity.addEventListener("input", () => this.setOpacity(Number(opacity.value)));
    this.sliceSlider.addEventListener("input", () => this.showSlice(Number(this.sliceSlider.value)));
    const center = byId("window-center", HTMLInputElement);
    const width = byId("window-width", HTMLInputElement);
    const typed = () => {
      if (center.value !== "" && Number(width.value) > 0) this.setWindow(Number(center.value), Number(width.value));
    };
    center.addEventListener("change", typed);
    width.addEventListener("change", typed);
    const low = byId("threshold-low", HTMLInputElement);
    const high = byId("threshold-high", HTMLInputElement);
    const typedRange = () => {
      if (low.value !== "" && high.value !== "") this.setRange(Number(low.value), Number(high.value));
    };
    low.addEventListener("change", typedRange);
    high.addEventListener("change", typedRange);
    this.setRange(this.range.low, this.range.high);
    byId("threshold-pick", HTMLButtonElement).addEventListener("click", () => this.setPicking(!this.picking));
    byId("clear-slice", HTMLButtonElement).addEventListener("click", () => this.clearSlice());
    byId("fill-between", HTMLButtonElement).addEventListener("click", () => void this.fillBetween());
    const outline = byId("outline", HTMLInputElement);
    outline.addEventListener("change", () => this.setOutline(outline.checked));
    byId("invert", HTMLButtonElement).addEventListener("click", () => this.setInverted(!this.inverted));
    // The key press's own time, to measure key press -> slice drawn (perf.js).
    document.addEventListener("keydown", (e) => {
      this.inputAt = e.timeStamp;
      setTimeout(() => {
        this.inputAt = null;
      });
    }, true);
    byId("conflict-reload", HTMLButtonElement).addEventListener("click", () => void this.resolveConflict(false));
    byId("conflict-overwrite", HTMLButtonElement).addEventListener("click", () => void this.resolveConflict(true));
    const help = this.shortcuts();
    renderHelp(byId("help-body", HTMLElement), help);
    installShortcuts(help, () => !byId("help-overlay", HTMLElement).hidden);
  }

  wireView() {
    attachPointerTools(this.canvas, {
      tool: () => this.tool,
      beginStroke: (x, y, erase) => this.beginStroke(x, y, erase),
      extendStroke: (x, y) => this.extendStroke(x, y),
      endStroke: () => this.endStroke(),
      windowDrag: (dx, dy) => {
        const range = this.shown ? this.shown.max - this.shown.min : 1000;
        const next = dragWindow(this.window, dx, dy, range);
        this.setWindow(next.center, next.width);
      },
      pan: (dx, dy) => this.renderer.panBy(dx, dy),
      hover: (p) => this.hover(p),
      scroll: (steps) => this.showSlice(this.index + steps),
      zoom: (factor, x, y) => this.renderer.zoomBy(factor, x, y),
      fill: (x, y) => this.floodFillAt(x, y),
      crosshair: (x, y) => {
        const { col, row } = this.renderer.viewToImage(x, y);
        this.setCross({ col: Math.floor(col), row: Math.floor(row) });
      },
    });
  }

  /** @returns {import("./shortcuts.js").Shortcut[]} */
  shortcuts() {
    return keymap({
      step: (delta) => this.showSlice(this.index + delta),
      jump: (where) => this.showSlice(where === "first" ? 0 : Number.MAX_SAFE_INTEGER),
      zoom: (factor) => this.renderer.zoomBy(factor),
      fit: () => this.renderer.resetView(),
      toggleSmooth: () => this.renderer.setSmooth(!this.renderer.smooth),
      preset: (i) => this.applyPreset(i),
      autoWindow: () => this.applyAuto(),
      invert: () => this.setInverted(!this.inverted),
      toggleOutline: () => this.setOutline(!this.outline),
      pickRange: () => this.pickAtPointer(),
      clearSlice: () => this.clearSlice(),
      fillBetween: () => void this.fillBetween(),
      toggleLock: () => this.activeSegment !== null && this.toggleLock(this.activeSegment),
      toggleReformats: () => this.toggleReformats(),
      tool: (tool) => this.setTool(tool),
      brush: (direction) => this.stepBrush(direction),
      toggleActive: () => this.activeSegment !== null && this.toggleSegment(this.activeSegment),
      toggleMasks: () => this.setShowMasks(!this.showMasks),
      cycleSegment: (direction) => this.cycleSegment(direction),
      undo: () => this.undo(),
      redo: () => this.redo(),
      help: (show) => this.toggleHelp(show),
    });
  }

  // ---- PACS ---------------------------------------------------------------------------

  /**
   * Show the PACS tab when a PACS is configured: /healthz lists the ways to reach it
   * (`pacs_vias`; an older service only names its DICOMweb URL in `pacs`). No probing search:
   * its 400 would be an error in the console.
   */
  async detectPacs() {
    /** @type {string[]} */
    let vias = [];
    try {
      const health = await api.health();
      if (Array.isArray(health.pacs_vias)) vias = health.pacs_vias.map(String);
      else if (health.pacs) vias = ["dicomweb"];
    } catch (err) {
      showError(err, "Could not ask the service whether a PACS is configured");
    }
    vias = vias.filter((v) => v === "dicomweb" || v === "dimse");
    if (!vias.length) return;
    const viaSelect = byId("pacs-via", HTMLSelectElement);
    for (const option of [...viaSelect.options]) if (!vias.includes(option.value)) option.remove();
    viaSelect.value = vias[0];
    byId("pacs-via-field", HTMLElement).hidden = vias.length < 2;
    this.exportPanel.setPacsAvailable(true);
    byId("source-tabs", HTMLElement).hidden = false;
    const tabs = { local: byId("tab-local", HTMLButtonElement), pacs: byId("tab-pacs", HTMLButtonElement) };
    const panels = { local: byId("local-panel", HTMLElement), pacs: byId("pacs-panel", HTMLElement) };
    const select = (/** @type {"local" | "pacs"} */ which) => {
      for (const key of /** @type {("local" | "pacs")[]} */ (["local", "pacs"])) {
        tabs[key].setAttribute("aria-selected", String(key === which));
        panels[key].hidden = key !== which;
      }
      if (which === "local") void this.studies.refresh();
    };
    tabs.local.addEventListener("click", () => select("local"));
    tabs.pacs.addEventListener("click", () => select("pacs"));
  }

  /**
   * A retrieve finished: when that series is on screen with fewer slices than now held, open it
   * again (same slice), so the slice count and the slice indices match the whole series.
   * @param {string} seriesUid
   */
  async pulled(seriesUid) {
    if (this.arriving === seriesUid) this.arriving = null;
    if (this.series?.series_uid !== seriesUid) return;
    try {
      const info = await api.getSeries(seriesUid);
      if (this.series?.series_uid !== seriesUid || info.num_slices === this.series.num_slices) return;
      const sop = this.series.slices?.[this.index]?.sop_instance_uid;
      await this.openSeries(seriesUid, true);
      const at = sop ? (this.series?.slices ?? []).findIndex((s) => s.sop_instance_uid === sop) : -1;
      if (at > 0) this.showSlice(at);
    } catch (err) {
      showError(err, "Could not reload the series");
    }
  }

  /**
   * Import a SEG of the local store as an annotation, then open its source series with it.
   * The SEG is found among the SEGs that reference each image series of its study.
   * @param {string} studyUid
   * @param {string} segSeriesUid
   */
  async importSeg(studyUid, segSeriesUid) {
    try {
      const series = await api.listSeries(studyUid);
      for (const s of series.filter((x) => x.modality !== "SEG")) {
        const segs = await api.listLocalSegs(s.series_uid);
        const seg = segs.find((x) => x.series_uid === segSeriesUid);
        if (!seg) continue;
        const imported = await api.importAnnotation(seg.sop_instance_uid);
        const unmatched = imported.unmatched_frames ? ` (${imported.unmatched_frames} frames matched no slice)` : "";
        showInfo(`Imported "${seg.content_label || seg.description || "SEG"}" as an annotation${unmatched}.`);
        await this.openSeries(s.series_uid, true);
        return;
      }
      showError(new Error("None of this study's image series is the source of this SEG."), "Could not import the SEG");
    } catch (err) {
      showError(err, "Could not import the SEG");
    }
  }

  // ---- series -------------------------------------------------------------------------

  /** @param {import("./api.js").UploadResult} result */
  async uploaded(result) {
    for (const s of result.series) this.studies.expand(s.study_uid);
    await this.studies.refresh();
    if (result.series.length && !this.series) await this.openSeries(result.series[0].series_uid);
    else if (result.series.length) showInfo(`${result.series.length} series received. Open one from the list.`);
  }

  unsaved() {
    return Boolean(this.stroke) || (this.session?.saver?.pending ?? 0) > 0;
  }

  /** Before leaving a series: write what is pending, or let the user decide to drop it. */
  async leaveSeries() {
    if (!this.unsaved()) return true;
    try {
      await this.session?.saver?.flush();
      return true;
    } catch (err) {
      return confirm(`Some changes could not be saved (${err instanceof Error ? err.message : err}). Discard them?`);
    }
  }

  /**
   * @param {string} seriesUid
   * @param {boolean} [force] open again even when it is on screen (new slices, new annotation)
   */
  async openSeries(seriesUid, force = false) {
    if (this.series?.series_uid === seriesUid && !force) return;
    if (!(await this.leaveSeries())) return;
    const token = ++this.openToken;
    this.setMessage("Loading series…");
    try {
      const series = await api.getSeries(seriesUid);
      if (token !== this.openToken) return;
      this.closeSeries();
      this.series = series;
      this.setupSeries(series);
      const session = this.newSession(series);
      this.showSlice(0);
      // The session is usable only once the existing annotation is known: adding a segment
      // before would create a second annotation.
      try {
        await session.open();
      } catch (err) {
        showError(err, "Could not load the existing annotation");
      }
      if (token !== this.openToken) {
        session.dispose();
        return;
      }
      this.session = session;
      this.activeSegment = session.segments[0]?.number ?? null;
      this.sessionChanged();
      void this.loadPaintedMasks(session);
    } catch (err) {
      if (token === this.openToken) {
        this.setMessage(this.series ? "" : "Could not open the series.");
        showError(err, "Could not open the series");
      }
    }
  }

  closeSeries() {
    this.sagittal.setPlane(null);
    this.coronal.setPlane(null);
    this.renderer.setCrosshair(null);
    this.cache?.dispose();
    this.session?.dispose();
    this.cache = null;
    this.session = null;
    this.series = null;
    this.shown = null;
    this.stroke = null;
    this.activeSegment = null;
    this.exportPanel.reset();
    this.showSaveStatus({ state: "saved", version: 0, pending: 0, message: "" });
    this.sessionChanged();
  }

  /** @param {import("./api.js").SeriesInfo} series */
  setupSeries(series) {
    const [rowSpacing = 1, colSpacing = 1] = series.spacing ?? [];
    this.renderer.setGeometry({ rows: series.rows, columns: series.columns, rowSpacing, colSpacing });
    this.cache = new SliceCache({
      fetch: (i, signal) => api.getSliceBytes(series.series_uid, i, signal),
      dtype: series.dtype,
      rows: series.rows,
      columns: series.columns,
      numSlices: series.num_slices,
    });
    this.windows = windowPresets(series);
    renderPresetButtons(byId("window-presets", HTMLElement), this.windows, (i) => this.applyPreset(i));
    this.windowSet = false;
    const first = initialPreset(this.windows);
    if (first && !first.auto) this.setWindow(first.center, first.width);
    this.setupReformats(series);
    const ds = this.canvas.dataset;
    ds.seriesUid = series.series_uid;
    ds.numSlices = String(series.num_slices);
    ds.rows = String(series.rows);
    ds.columns = String(series.columns);
    this.studies.setCurrent(series.series_uid);
    byId("series-title", HTMLElement).textContent =
      `${series.modality} · ${series.num_slices} slices · ${series.columns}×${series.rows}`;
    byId("info-series", HTMLElement).textContent =
      `${series.modality}  ${series.columns}×${series.rows}  ${(colSpacing).toFixed(2)}×${(rowSpacing).toFixed(2)} mm`;
    this.sliceSlider.max = String(Math.max(0, series.num_slices - 1));
    this.sliceSlider.disabled = series.num_slices < 2;
    this.setMessage(series.num_slices ? "" : "This series has no slices.");
  }

  /** @param {import("./api.js").SeriesInfo} series */
  newSession(series) {
    const session = new AnnotationSession({
      seriesUid: series.series_uid,
      pixelCount: series.rows * series.columns,
      onStatus: (status) => this.showSaveStatus(status),
      onChange: () => {
        if (this.session === session) this.sessionChanged();
      },
    });
    return session;
  }

  // ---- slices -------------------------------------------------------------------------

  /** @param {number} index */
  showSlice(index) {
    const series = this.series;
    const cache = this.cache;
    if (!series || !cache || this.stroke || !series.num_slices) return;
    const i = clamp(Math.round(index), 0, series.num_slices - 1);
    this.index = i;
    this.updateSliceUi();
    const cached = cache.peek(i);
    if (cached) {
      this.display(cached);
      this.renderer.drawNow();
      if (this.inputAt !== null) record("key-to-draw", this.inputAt);
    } else {
      cache.get(i).then(
        (slice) => {
          if (this.cache === cache && this.index === slice.index) this.display(slice);
        },
        (err) => {
          if (this.cache === cache) showError(err, `Could not load slice ${i + 1}`);
        },
      );
    }
    this.inputAt = null;
    cache.prefetch(i);
    this.loadMasks(i);
    this.updateReformatMarks();
  }

  /** @param {Slice} slice */
  display(slice) {
    this.shown = slice;
    if (!this.windowSet) {
      const first = initialPreset(this.windows);
      const w = first && !first.auto ? first : autoWindow(slice.pixels);
      this.setWindow(w.center, w.width);
    }
    this.renderer.setWindow(this.window.center, this.window.width, this.invertOn());
    this.renderer.setPixels(slice.pixels);
    this.refreshLayers();
    this.updateCursorInfo();
  }

  /** @param {number} i */
  loadMasks(i) {
    const session = this.session;
    if (!session) return;
    this.refreshLayers();
    session.loadSlice(i).then(
      () => {
        if (this.session === session && this.index === i) this.refreshLayers();
      },
      (err) => {
        if (this.session === session) showError(err, `Could not load the masks of slice ${i + 1}`);
      },
    );
    for (const j of [i + 1, i - 1]) {
      if (j >= 0 && this.series && j < this.series.num_slices) session.loadSlice(j).catch(() => undefined);
    }
  }

  refreshLayers() {
    const session = this.session;
    const layers = [];
    if (session) {
      for (const s of session.segments) {
        const mask = s.visible ? session.masks.get(s.number, this.index) : null;
        if (mask) layers.push({ mask, color: toRgb(s.color) });
      }
    }
    this.renderer.setLayers(layers, this.opacity, this.showMasks);
    this.updateReady();
    this.updateReformatMasks();
  }

  /**
   * The segments in the reformatted views, from the masks in memory; 100 ms after the last
   * change, so scrolling and strokes don't pay for it.
   */
  updateReformatMasks() {
    clearTimeout(this.reformatTimer);
    this.reformatTimer = setTimeout(() => this.drawReformatMasks(), 100);
  }

  drawReformatMasks() {
    const session = this.session;
    /** @type {import("./reformat.js").MaskLayer[]} */
    const layers = [];
    if (session && this.showMasks) {
      for (const s of session.segments) {
        if (s.visible) layers.push({ maskAt: (slice) => session.masks.get(s.number, slice), color: toRgb(s.color) });
      }
    }
    this.sagittal.setMasks(layers, this.opacity);
    this.coronal.setMasks(layers, this.opacity);
  }

  /**
   * Load, in the background and two at a time, the masks of every painted slice, so the
   * reformatted views show whole segments.
   * @param {AnnotationSession} session
   */
  async loadPaintedMasks(session) {
    /** @type {{ segment: number, slice: number }[]} */
    const wanted = [];
    for (const [segment, slices] of session.painted) for (const slice of slices) wanted.push({ segment, slice });
    let loaded = 0;
    const worker = async () => {
      for (let next = wanted.shift(); next && this.session === session; next = wanted.shift()) {
        await session.masks.load(next.segment, next.slice).catch(() => undefined);
        if (++loaded % 8 === 0 && this.session === session) this.updateReformatMasks();
      }
    };
    await Promise.all([worker(), worker()]);
    if (this.session === session) this.updateReformatMasks();
  }

  updateSliceUi() {
    const n = this.series?.num_slices ?? 0;
    this.sliceSlider.value = String(this.index);
    this.sliceNumber.textContent = n ? `${this.index + 1} / ${n}` : "–";
    this.canvas.dataset.slice = n ? String(this.index) : "";
    const location = this.series ? sliceLocation(this.series, this.index) : null;
    byId("info-slice", HTMLElement).textContent = n
      ? `Slice ${this.index + 1}/${n}` + (location === null ? "" : `  loc ${location.toFixed(1)} mm`)
      : "";
    this.updateReady();
  }

  updateReady() {
    const ready = this.shown !== null && this.shown.index === this.index && (this.session?.sliceLoaded(this.index) ?? true);
    this.canvas.dataset.ready = String(ready);
    byId("view-wrap", HTMLElement).classList.toggle("loading", this.series !== null && !ready);
  }

  /** @param {string} text */
  setMessage(text) {
    const message = byId("view-message", HTMLElement);
    message.textContent = text;
    message.hidden = !text;
  }

  // ---- window / level -----------------------------------------------------------------

  /**
   * @param {number} center
   * @param {number} width
   */
  setWindow(center, width) {
    this.window = { center, width: Math.max(width, 1e-6) };
    this.windowSet = true;
    this.renderer.setWindow(center, this.window.width, this.invertOn());
    this.sagittal.setWindow(center, this.window.width, this.invertOn());
    this.coronal.setWindow(center, this.window.width, this.invertOn());
    byId("window-center", HTMLInputElement).value = formatValue(Math.round(center * 100) / 100);
    byId("window-width", HTMLInputElement).value = formatValue(Math.round(width * 100) / 100);
    byId("info-window", HTMLElement).textContent = `W ${formatValue(Math.round(width))}  L ${formatValue(Math.round(center))}`;
    this.canvas.dataset.window = `${center},${width}`;
  }

  /** @param {number} i */
  applyPreset(i) {
    const preset = this.windows[i];
    if (!preset) return;
    if (preset.auto) {
      if (!this.shown) return;
      const w = preset.auto === "full" ? fullRange(this.shown.min, this.shown.max) : autoWindow(this.shown.pixels);
      this.setWindow(w.center, w.width);
    } else this.setWindow(preset.center, preset.width);
    for (const b of document.querySelectorAll("#window-presets .preset")) {
      b.classList.toggle("active", b.getAttribute("data-index") === String(i));
    }
  }

  invertOn() {
    return Boolean(this.series?.invert) !== this.inverted;
  }

  /** @param {boolean} on */
  setInverted(on) {
    this.inverted = on;
    byId("invert", HTMLButtonElement).setAttribute("aria-pressed", String(on));
    this.canvas.dataset.invert = String(on);
    this.setWindow(this.window.center, this.window.width);
  }

  /** The 1st-99th percentile window of the slice on screen (the "Auto" preset). */
  applyAuto() {
    const i = this.windows.findIndex((w) => w.auto === "percentile");
    if (i >= 0) this.applyPreset(i);
  }

  /** @param {boolean} on */
  setOutline(on) {
    this.outline = on;
    byId("outline", HTMLInputElement).checked = on;
    this.canvas.dataset.outline = String(on);
    this.renderer.setOutline(on);
  }

  // ---- reformatted views --------------------------------------------------------------

  /** @param {import("./api.js").SeriesInfo} series */
  setupReformats(series) {
    const [rowSpacing = 1, colSpacing = 1] = series.spacing ?? [];
    const n = series.num_slices;
    const first = sliceLocation(series, 0);
    const last = sliceLocation(series, n - 1);
    const sliceMm = first !== null && last !== null && n > 1 ? Math.abs(last - first) / (n - 1) || 1 : 1;
    const common = { seriesUid: series.series_uid, dtype: series.dtype, slices: n, sliceMm, columns: series.columns };
    // Each view turned upright (planes.js): a sagittal acquisition's views read "Coronal" and
    // "Axial", head-foot vertical and anterior up, not the slice axis down the screen.
    const [head, tail] = [series.slices?.[0]?.position, series.slices?.[n - 1]?.position];
    const sagittal = seriesPlaneLayout("sagittal", series.orientation, head, tail);
    const coronal = seriesPlaneLayout("coronal", series.orientation, head, tail);
    const usable = n > 1;
    byId("reformats", HTMLElement).classList.toggle("unavailable", !usable);
    this.sagittal.setPlane(usable ? { ...common, width: series.rows, widthMm: rowSpacing || 1, layout: sagittal } : null);
    this.coronal.setPlane(usable ? { ...common, width: series.columns, widthMm: colSpacing || 1, layout: coronal } : null);
    this.setCross({ col: Math.floor(series.columns / 2), row: Math.floor(series.rows / 2) });
    byId("reformat-label-sagittal", HTMLElement).textContent = sagittal.name;
    byId("reformat-label-coronal", HTMLElement).textContent = coronal.name;
  }

  /**
   * Move the cut of the reformatted views to image pixel (col, row) of the main view.
   * @param {{ col: number, row: number }} cross
   */
  setCross(cross) {
    const series = this.series;
    if (!series) return;
    this.cross = { col: clamp(cross.col, 0, series.columns - 1), row: clamp(cross.row, 0, series.rows - 1) };
    this.canvas.dataset.cross = `${this.cross.col},${this.cross.row}`;
    this.renderer.setCrosshair(series.num_slices > 1 ? this.cross : null);
    this.sagittal.setIndex(this.cross.col);
    this.coronal.setIndex(this.cross.row);
    this.updateReformatMarks();
    this.updateReformatMasks();
  }

  /**
   * A click in a reformatted view: the main view goes to that slice, the other view's cut there.
   * @param {{ col?: number, row?: number }} at
   * @param {number} slice
   */
  pickReformat(at, slice) {
    this.setCross({ col: at.col ?? this.cross.col, row: at.row ?? this.cross.row });
    this.showSlice(slice);
  }

  updateReformatMarks() {
    this.sagittal.setMarks(this.cross.row, this.index);
    this.coronal.setMarks(this.cross.col, this.index);
  }

  toggleReformats() {
    const panel = byId("reformats", HTMLElement);
    panel.hidden = !panel.hidden;
  }

  // ---- tools --------------------------------------------------------------------------

  /** @param {Tool} tool */
  setTool(tool) {
    this.tool = tool;
    for (const b of document.querySelectorAll(".tool-buttons .tool")) {
      b.setAttribute("aria-checked", String(b.getAttribute("data-tool") === tool));
    }
    this.canvas.dataset.tool = tool;
    this.canvas.classList.toggle("painting", this.brushTool());
    this.canvas.classList.toggle("filling", tool === "fill");
    this.updateCursor();
  }

  brushTool() {
    return this.tool === "brush" || this.tool === "eraser" || this.tool === "threshold";
  }

  /** @param {number} mm diameter */
  setBrush(mm) {
    this.brushMm = clamp(mm, 0.5, 50);
    byId("brush-size", HTMLInputElement).value = String(this.brushMm);
    byId("brush-size-value", HTMLOutputElement).textContent = `${formatValue(this.brushMm)} mm`;
    this.updateCursor();
  }

  /** @param {number} direction */
  stepBrush(direction) {
    const larger = BRUSH_SIZES.find((s) => s > this.brushMm + 1e-9);
    const smaller = [...BRUSH_SIZES].reverse().find((s) => s < this.brushMm - 1e-9);
    this.setBrush(direction > 0 ? larger ?? 50 : smaller ?? 0.5);
  }

  /** @param {number} value */
  setOpacity(value) {
    this.opacity = clamp(value, 0, 1);
    byId("opacity-value", HTMLOutputElement).textContent = `${Math.round(this.opacity * 100)} %`;
    this.refreshLayers();
  }

  /** @param {boolean} show */
  setShowMasks(show) {
    this.showMasks = show;
    this.refreshLayers();
  }

  /** @param {{ x: number, y: number } | null} p */
  hover(p) {
    this.pointer = p;
    this.updateCursor();
    this.updateCursorInfo();
  }

  updateCursor() {
    const p = this.pointer;
    const painting = this.brushTool() && this.series !== null;
    this.renderer.setCursor(p && painting ? { ...p, radiusMm: this.brushMm / 2, erase: this.tool === "eraser" } : null);
  }

  updateCursorInfo() {
    const info = byId("info-cursor", HTMLElement);
    const p = this.pointer;
    const series = this.series;
    if (!p || !series || !this.shown) {
      info.textContent = "";
      return;
    }
    const { col, row } = this.renderer.viewToImage(p.x, p.y);
    const c = Math.floor(col);
    const r = Math.floor(row);
    if (c < 0 || r < 0 || c >= series.columns || r >= series.rows) {
      info.textContent = "";
      return;
    }
    const value = this.shown.pixels[r * series.columns + c];
    const unit = series.modality === "CT" ? " HU" : "";
    info.textContent = `x ${c}  y ${r}  ${formatValue(value)}${unit}`;
  }

  // ---- painting -----------------------------------------------------------------------

  /**
   * @param {number} x
   * @param {number} y
   * @param {boolean} erase
   */
  beginStroke(x, y, erase) {
    if (this.picking) {
      this.pickRange(x, y);
      return false;
    }
    const target = this.editable();
    if (!target || !this.series) return false;
    const { session, segment } = target;
    const { col, row } = this.renderer.viewToImage(x, y);
    const grid = gridOf(this.series);
    const shown = /** @type {Slice} */ (this.shown);
    const gate = this.tool === "threshold" && !erase ? { pixels: shown.pixels, ...this.range } : null;
    this.stroke = startStroke(session, { segment, slice: this.index, grid, col, row, radiusMm: this.brushMm / 2, erase, gate });
    this.refreshLayers();
    return true;
  }

  /**
   * The session and the active segment when the slice on screen may be painted, after telling
   * the user why not otherwise.
   * @param {boolean} [quiet] no message (a key press that has nothing to do)
   * @returns {{ session: AnnotationSession, segment: number } | null}
   */
  editable(quiet = false) {
    const session = this.session;
    const segment = this.activeSegment;
    if (!session || !this.series) return null;
    const tell = (/** @type {string} */ text) => {
      if (!quiet) showInfo(text);
      return null;
    };
    if (this.arriving === this.series.series_uid) {
      // Masks are stored per slice index; while instances still arrive, indexes shift.
      return tell("This series is still arriving from the PACS; painting starts once it is complete.");
    }
    const seg = segment === null ? undefined : session.segment(segment);
    if (segment === null || !seg) {
      byId("segment-label", HTMLInputElement).focus();
      return tell("Add a segment first (Segments panel on the right).");
    }
    if (seg.locked) return tell(`"${seg.label}" is locked. Unlock it in the Segments panel (or press L).`);
    if (this.shown?.index !== this.index || !session.masks.isLoaded(segment, this.index)) {
      return tell("This slice is still loading.");
    }
    if (!seg.visible) this.toggleSegment(segment);
    return { session, segment };
  }

  // ---- region tools -------------------------------------------------------------------

  /**
   * @param {number} low
   * @param {number} high
   */
  setRange(low, high) {
    this.range = { low: Math.min(low, high), high: Math.max(low, high) };
    byId("threshold-low", HTMLInputElement).value = formatValue(this.range.low);
    byId("threshold-high", HTMLInputElement).value = formatValue(this.range.high);
    this.canvas.dataset.range = `${this.range.low},${this.range.high}`;
  }

  /** @param {boolean} on */
  setPicking(on) {
    this.picking = on;
    byId("threshold-pick", HTMLButtonElement).setAttribute("aria-pressed", String(on));
    this.canvas.classList.toggle("picking", on);
  }

  /** The value of the pixel under a view point, or null outside the image. @param {number} x @param {number} y */
  valueAt(x, y) {
    const series = this.series;
    if (!series || !this.shown || this.shown.index !== this.index) return null;
    const { col, row } = this.renderer.viewToImage(x, y);
    const c = Math.floor(col);
    const r = Math.floor(row);
    if (c < 0 || r < 0 || c >= series.columns || r >= series.rows) return null;
    return { index: r * series.columns + c, value: this.shown.pixels[r * series.columns + c] };
  }

  /**
   * Set the range around the value of the pixel under (x, y): +- the tolerance field.
   * @param {number} x
   * @param {number} y
   */
  pickRange(x, y) {
    this.setPicking(false);
    const at = this.valueAt(x, y);
    if (!at) return;
    const tolerance = Math.abs(Number(byId("threshold-tolerance", HTMLInputElement).value) || 0);
    this.setRange(at.value - tolerance, at.value + tolerance);
    showInfo(`Range ${formatValue(this.range.low)} to ${formatValue(this.range.high)}${this.unit()}`);
  }

  pickAtPointer() {
    if (this.pointer) this.pickRange(this.pointer.x, this.pointer.y);
  }

  unit() {
    return this.series?.modality === "CT" ? " HU" : "";
  }

  /**
   * Flood fill: the 4-connected pixels within the range that hold the clicked one.
   * @param {number} x
   * @param {number} y
   */
  floodFillAt(x, y) {
    if (this.picking) {
      this.pickRange(x, y);
      return;
    }
    const target = this.editable();
    const at = this.valueAt(x, y);
    if (!target || !at || !this.series) return;
    const { low, high } = this.range;
    if (!(at.value >= low && at.value <= high)) {
      showInfo(`The pixel is ${formatValue(at.value)}${this.unit()}, outside the range ${formatValue(low)} to ${formatValue(high)}.`);
      return;
    }
    const { session, segment } = target;
    const { rows, columns } = this.series;
    const shown = /** @type {Slice} */ (this.shown);
    const filled = floodFill(shown.pixels, session.masks.get(segment, this.index) ?? null, rows, columns, at.index, low, high);
    applyEdits(session, segment, [{ slice: this.index, target: filled }]);
    this.afterEdit();
  }

  /** Clear the active segment on the slice on screen. */
  clearSlice() {
    const target = this.editable();
    if (!target || !this.series) return;
    const { session, segment } = target;
    applyEdits(session, segment, [{ slice: this.index, target: new Uint8Array(this.series.rows * this.series.columns) }]);
    this.afterEdit();
  }

  /**
   * Interpolate the active segment on every empty slice between two painted slices (shape-based,
   * fill.js); one undo step, each filled slice saved like a stroke.
   */
  async fillBetween() {
    const target = this.editable();
    const series = this.series;
    if (!target || !series) return;
    const { session, segment } = target;
    const slices = [...Array(series.num_slices).keys()];
    try {
      await Promise.all(slices.map((i) => session.masks.load(segment, i)));
    } catch (err) {
      showError(err, "Could not load the masks to fill between");
      return;
    }
    if (this.session !== session || this.stroke) return;
    const painted = slices.filter((i) => session.masks.get(segment, i)?.some((v) => v !== 0));
    if (painted.length < 2) {
      showInfo("Paint the segment on two slices first; the slices between them are filled.");
      return;
    }
    const grid = gridOf(series);
    /** @type {import("./painting.js").SliceEdit[]} */
    const edits = [];
    for (let k = 1; k < painted.length; k++) {
      const a = painted[k - 1];
      const b = painted[k];
      if (b - a < 2) continue;
      const first = /** @type {Uint8Array} */ (session.masks.get(segment, a));
      const last = /** @type {Uint8Array} */ (session.masks.get(segment, b));
      interpolateMasks(first, last, b - a - 1, grid).forEach((mask, j) => edits.push({ slice: a + 1 + j, target: mask }));
    }
    const changed = applyEdits(session, segment, edits);
    showInfo(changed ? `Filled ${changed} slices between ${painted.length} painted slices.` : "No gaps between painted slices.");
    this.afterEdit();
  }

  afterEdit() {
    this.refreshLayers();
    this.updateHistoryButtons();
  }

  /**
   * @param {number} x
   * @param {number} y
   */
  extendStroke(x, y) {
    if (!this.stroke || !this.series) return;
    const { col, row } = this.renderer.viewToImage(x, y);
    continueStroke(this.stroke, gridOf(this.series), col, row, this.brushMm / 2);
    this.renderer.invalidateMasks();
  }

  endStroke() {
    const stroke = this.stroke;
    this.stroke = null;
    if (!stroke || !this.session) return;
    finishStroke(this.session, stroke);
    this.refreshLayers();
    this.updateHistoryButtons();
  }

  undo() {
    this.replay(-1);
  }

  redo() {
    this.replay(1);
  }

  /**
   * Undo or redo one step and show its slice.
   * @param {-1 | 1} direction
   */
  replay(direction) {
    if (!this.session || this.stroke) return;
    const step = replayStep(this.session, direction);
    if (!step) return;
    if (!step.parts.some((p) => p.slice === this.index)) this.showSlice(step.parts[0].slice);
    else this.refreshLayers();
    this.updateHistoryButtons();
  }

  updateHistoryButtons() {
    const history = this.session?.history;
    byId("undo", HTMLButtonElement).disabled = !history?.canUndo;
    byId("redo", HTMLButtonElement).disabled = !history?.canRedo;
  }

  // ---- segments -----------------------------------------------------------------------

  sessionChanged() {
    const session = this.session;
    if (session && this.activeSegment !== null && !session.segment(this.activeSegment)) {
      this.activeSegment = session.segments[0]?.number ?? null;
    }
    const ds = this.canvas.dataset;
    ds.annotationId = session?.id === null || session?.id === undefined ? "" : String(session.id);
    ds.version = session?.saver ? String(session.saver.version) : "";
    ds.activeSegment = this.activeSegment === null ? "" : String(this.activeSegment);
    this.renderSegments();
    this.updateHistoryButtons();
    if (session) this.loadMasks(this.index);
  }

  renderSegments() {
    this.segmentPanel.render(this.session?.segments ?? [], this.activeSegment, this.session !== null);
    this.exportPanel.setEnabled(Boolean(this.session?.segments.length));
  }

  /** @param {number} number */
  selectSegment(number) {
    this.activeSegment = number;
    this.canvas.dataset.activeSegment = String(number);
    this.renderSegments();
  }

  /** @param {number} direction */
  cycleSegment(direction) {
    const segments = this.session?.segments ?? [];
    if (!segments.length) return;
    const at = segments.findIndex((s) => s.number === this.activeSegment);
    const next = segments[(at + direction + segments.length) % segments.length];
    this.selectSegment(next.number);
  }

  /** @param {number} number */
  toggleSegment(number) {
    const segment = this.session?.segment(number);
    if (!segment) return;
    segment.visible = !segment.visible;
    this.renderSegments();
    this.refreshLayers();
  }

  /** @param {number} number */
  toggleLock(number) {
    const segment = this.session?.segment(number);
    if (!segment) return;
    segment.locked = !segment.locked;
    this.renderSegments();
  }

  /**
   * Run a segment change and report its failure.
   * @param {() => Promise<unknown> | undefined} run
   * @param {string} context
   */
  async segmentOp(run, context) {
    try {
      await run();
    } catch (err) {
      showError(err, context);
    }
  }

  /**
   * The coded preset whose label this is, ignoring case.
   * @param {string} label
   */
  presetFor(label) {
    const wanted = label.trim().toLowerCase();
    return this.labelPresets.find((p) => p.label.toLowerCase() === wanted) ?? null;
  }

  /**
   * @param {import("./api.js").Preset | null} preset
   * @param {string} label
   */
  async addSegment(preset, label) {
    const session = this.session;
    if (!session) return;
    const coded = preset ?? this.presetFor(label);
    const used = session.segments.map((s) => s.color);
    // A preset's colour when free; a second segment with the same label gets its own colour.
    const color = coded?.color && !used.includes(toHex(coded.color)) ? coded.color : nextColor(used);
    const fields = coded
      ? { label: coded.label, color, category: coded.category, type: coded.type }
      : { label, color };
    await this.segmentOp(async () => {
      const segment = await session.addSegment(fields);
      if (this.session === session) this.selectSegment(segment.number);
    }, "Could not add the segment");
  }

  /**
   * A new label takes the codes of a preset with that label; otherwise the service codes it.
   * @param {number} number
   * @param {string} label
   */
  async renameSegment(number, label) {
    const coded = this.presetFor(label);
    const changes = coded
      ? { label, category: coded.category, type: coded.type }
      : { label, category: undefined, type: undefined };
    await this.segmentOp(() => this.session?.updateSegment(number, changes), "Could not rename the segment");
  }

  /** @param {number} number */
  async deleteSegment(number) {
    await this.segmentOp(() => this.session?.deleteSegment(number), "Could not delete the segment");
    this.refreshLayers();
  }

  // ---- saving -------------------------------------------------------------------------

  /** @param {import("./saver.js").SaveStatus} status */
  showSaveStatus(status) {
    showSaveStatus(status);
    this.canvas.dataset.version = String(status.version);
  }

  /** @param {boolean} keepLocal */
  async resolveConflict(keepLocal) {
    const session = this.session;
    if (!session) return;
    try {
      await session.resolveConflict(keepLocal);
      this.refreshLayers();
      showInfo(keepLocal ? "Writing your changes over the server's." : "Reloaded from the server.");
    } catch (err) {
      showError(err, "Could not reload the annotation");
    }
  }

  /** Write everything pending; the annotation id to export, or null when there is none. */
  async prepareExport() {
    const session = this.session;
    if (!session || session.id === null || !session.saver) return null;
    await session.saver.flush();
    return session.id;
  }

  // ---- help ---------------------------------------------------------------------------

  /** @param {boolean} [show] */
  toggleHelp(show) {
    const overlay = byId("help-overlay", HTMLElement);
    overlay.hidden = !(show ?? overlay.hidden);
    if (!overlay.hidden) byId("help-close", HTMLButtonElement).focus();
    else this.canvas.focus();
  }
}

new App().start();
