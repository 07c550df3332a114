// @ts-check
/**
 * The annotator's entry point. It makes the modules, gives each the shared ViewState and the
 * others it calls, and connects the pointer, the keys and the buttons to them; it keeps no state
 * of its own. The test hooks on the canvas #view are listed in README.md.
 */

import { showAccount } from "./account.js";
import * as api from "./api.js";
import { CrossViews } from "./crossviews.js";
import { OperationsPanel } from "./editor.js";
import { readOverlap, writeOverlap } from "./overlap.js";
import { byId } from "./dom.js";
import { ExportPanel } from "./exporter.js";
import { HelpOverlay } from "./help.js";
import { icon } from "./icons.js";
import { keymap } from "./keymap.js";
import { ViewLayout } from "./layout.js";
import { initNotify, showError } from "./notify.js";
import { Outage } from "./outage.js";
import { PacsBrowser } from "./pacs.js";
import { PaintOps } from "./paintops.js";
import { PlanePaint } from "./planepaint.js";
import { Renderer } from "./render.js";
import { SaveControls } from "./savecontrols.js";
import { SegmentOps } from "./segmentops.js";
import { SeriesOpener } from "./seriesopen.js";
import { SliceView } from "./sliceview.js";
import { StatsPanel } from "./stats.js";
import { linkedTask } from "./tasklink.js";
import { TaskPanel } from "./taskpanel.js";
import { showSources } from "./sources.js";
import { StudyBrowser } from "./studies.js";
import { ToolControls } from "./toolcontrols.js";
import { attachPointerTools } from "./tools.js";
import { UndoControls } from "./undo.js";
import { UploadPanel } from "./uploadpanel.js";
import { PlaceInUrl } from "./urlstate.js";
import { ReadingBar } from "./reading.js";
import { ViewState } from "./viewstate.js";
import { WindowControl } from "./windowcontrol.js";

/** The modules, each made once; they call one another only through what is wired here. */
function makeModules() {
  const canvas = byId("view", HTMLCanvasElement);
  const renderer = new Renderer(canvas, (rect) => {
    canvas.dataset.imageRect = [rect.x, rect.y, rect.width, rect.height].map((v) => v.toFixed(2)).join(",");
  });
  const state = new ViewState(canvas, renderer);
  const outage = new Outage({ banner: byId("outage-banner", HTMLElement), text: byId("outage-message", HTMLElement) });
  const place = new PlaceInUrl();
  const cross = new CrossViews(state, {
    showSlice: (i) => view.showSlice(i),
    paint: (axis) => ({
      begin: (row, col) => planePaint.begin(axis, row, col),
      extend: (row, col) => planePaint.extend(row, col),
      end: () => void planePaint.end(),
    }),
  });
  const windows = new WindowControl(state, (center, width, invert) => {
    cross.setWindow(center, width, invert);
    if (state.series) place.update({ window: { center, width } });
  });
  const layout = new ViewLayout((name) => place.update({ layout: name }));
  /** @type {ToolControls} */
  const tools = new ToolControls(state, {
    cursorChanged: () => view.updateCursor(),
    valueAt: (x, y) => view.valueAt(x, y),
  });
  /** @type {SliceView} */
  const view = new SliceView(state, {
    showing: (slice) => windows.showing(slice),
    sliceChanged: () => {
      cross.updateMarks();
      paint.preloadSphere();
      place.update({ series: state.series?.series_uid ?? null, slice: state.index });
    },
    masksChanged: () => cross.updateMasks(),
    brush: () => tools.brush(),
    loadFailed: (err, what) => {
      if (!outage.failed(err)) showError(err, what); // an outage has its banner, and a retry
    },
  });
  // What failed to load while the service was away is asked again (pixels, then masks).
  outage.onBack(() => view.showSlice(state.index));
  const refresh = () => view.refreshLayers();
  const exportPanel = new ExportPanel(
    {
      button: byId("export-seg", HTMLButtonElement),
      destination: byId("export-destination", HTMLSelectElement),
      status: byId("export-status", HTMLElement),
      link: byId("export-link", HTMLAnchorElement),
      retry: byId("export-retry", HTMLButtonElement),
      type: byId("export-type", HTMLSelectElement),
      measurements: byId("export-measurements", HTMLInputElement),
      srLink: byId("export-sr-link", HTMLAnchorElement),
    },
    { prepare: () => save.prepareExport(), error: showError },
  );
  const historyChanged = () => undo.updateButtons();
  const segments = new SegmentOps(state, {
    refresh,
    listed: (count) => exportPanel.setEnabled(count > 0),
    historyChanged,
    selected: (number) => place.update({ segment: number }),
  });
  const undo = new UndoControls(state, { refresh, showSlice: (i) => view.showSlice(i), select: (n) => segments.select(n) });
  const paint = new PaintOps(state, {
    tools,
    refresh,
    showSlice: (i) => view.showSlice(i),
    valueAt: (x, y) => view.valueAt(x, y),
    reveal: (n) => segments.toggle(n),
    historyChanged,
  });
  /** @type {PlanePaint} */
  const planePaint = new PlanePaint(state, {
    tools,
    view: (axis) => cross.viewOf(axis),
    editable: (quiet) => paint.editable(quiet),
    done: () => {
      refresh();
      historyChanged();
    },
  });
  const save = new SaveControls(state, { refresh });
  /** @type {StudyBrowser} */
  const studies = new StudyBrowser(byId("study-list", HTMLElement), {
    open: (uid) => void opener.openSeries(uid),
    importSeg: (studyUid, segSeriesUid) => opener.importSeg(studyUid, segSeriesUid),
    error: showError,
  });
  const stats = new StatsPanel(state, byId("stats-panel", HTMLElement));
  const operations = new OperationsPanel(state, byId("operations-panel", HTMLElement), {
    refresh,
    historyChanged,
    segmentsChanged: () => segments.sync(),
    applied: () => stats.refreshSoon(),
  });
  /** @type {ReadingBar} */
  const reading = new ReadingBar(
    state,
    {
      bar: byId("reading-bar", HTMLElement),
      text: byId("reading-text", HTMLElement),
      edit: byId("reading-edit", HTMLButtonElement),
      pick: byId("annotation-pick", HTMLSelectElement),
    },
    { choose: (id) => void opener.openAnnotation(id), changed: () => undo.updateButtons() },
  );
  const sessionChanged = () => {
    void reading.show();
    stats.refreshSoon();
    segments.sync();
    undo.updateButtons();
    if (state.session) view.loadMasks(state.index);
  };
  /** @type {SeriesOpener} */
  const opener = new SeriesOpener(state, {
    view, windows, cross, tools, save, studies, exportPanel, sessionChanged,
    saveStatus: (s) => {
      stats.saveStatus(s);
      outage.saveStatus(s);
    },
  });
  return {
    state, cross, windows, tools, view, exportPanel, segments, undo, paint, save, studies, opener, operations, layout, place,
    reading,
  };
}

/** @typedef {ReturnType<typeof makeModules>} Modules */

/** The panels that only report to the series opener. @param {Modules} m */
function makeSourcePanels({ opener }) {
  new PacsBrowser(
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
      open: (uid) => opener.arriving(uid),
      pulled: (uid) => opener.pulled(uid),
      imported: (uid) => opener.imported(uid),
      error: showError,
    },
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
    { uploaded: (result) => void opener.uploaded(result), error: showError },
  );
}

/** The buttons of the top bar and the painting panel. @param {Modules} m */
function wireButtons({ paint, undo, studies }) {
  for (const [id, name] of /** @type {[string, Parameters<typeof icon>[0]][]} */ ([
    ["undo", "undo"], ["redo", "redo"], ["help-button", "help"], ["refresh-studies", "refresh"],
  ])) byId(id, HTMLElement).prepend(icon(name));
  byId("undo", HTMLButtonElement).addEventListener("click", () => undo.undo());
  byId("redo", HTMLButtonElement).addEventListener("click", () => undo.redo());
  byId("refresh-studies", HTMLButtonElement).addEventListener("click", () => void studies.refresh());
  byId("clear-slice", HTMLButtonElement).addEventListener("click", () => paint.clearSlice());
  byId("fill-between", HTMLButtonElement).addEventListener("click", () => void paint.fillBetween());
  byId("brush-3d", HTMLInputElement).addEventListener("change", () => paint.preloadSphere());
  const overlap = byId("overlap", HTMLSelectElement);
  overlap.value = readOverlap();
  overlap.addEventListener("change", () => {
    writeOverlap(/** @type {import("./overlap.js").Overlap} */ (overlap.value));
    paint.preloadSphere();
  });
}

/** What the pointer does on the main view. @param {Modules} m */
function wirePointer({ state, tools, paint, windows, view, cross }) {
  const renderer = state.renderer;
  attachPointerTools(state.canvas, {
    tool: () => tools.tool,
    beginStroke: (x, y, erase) => paint.beginStroke(x, y, erase),
    extendStroke: (x, y) => paint.extendStroke(x, y),
    endStroke: () => paint.endStroke(),
    windowDrag: (dx, dy) => windows.drag(dx, dy),
    pan: (dx, dy) => renderer.panBy(dx, dy),
    hover: (p) => view.hover(p),
    scroll: (steps) => view.step(steps),
    zoom: (factor, x, y) => renderer.zoomBy(factor, x, y),
    fill: (x, y) => paint.floodFillAt(x, y),
    crosshair: (x, y) => cross.setCrossAt(x, y),
  });
}

/**
 * The keys, which also write the `?` overlay.
 * @param {Modules} m
 * @param {HelpOverlay} help
 */
function shortcuts({ state, view, windows, tools, paint, undo, segments, layout }, help) {
  const renderer = state.renderer;
  return keymap({
    step: (delta) => view.step(delta),
    jump: (where) => view.showSlice(where === "first" ? 0 : Number.MAX_SAFE_INTEGER),
    zoom: (factor) => renderer.zoomBy(factor),
    fit: () => renderer.resetView(),
    toggleSmooth: () => renderer.setSmooth(!renderer.smooth),
    preset: (i) => windows.applyPreset(i),
    autoWindow: () => windows.applyAuto(),
    invert: () => windows.toggleInvert(),
    toggleOutline: () => view.setOutline(!view.outline),
    pickRange: () => tools.pickAtPointer(),
    clearSlice: () => paint.clearSlice(),
    fillBetween: () => void paint.fillBetween(),
    toggleLock: () => segments.toggleActiveLock(),
    toggleReformats: () => layout.toggleSides(),
    cycleLayout: () => layout.cycle(),
    tool: (tool) => tools.setTool(tool),
    brush: (direction) => tools.stepBrush(direction),
    toggleActive: () => segments.toggleActive(),
    toggleMasks: () => view.toggleMasks(),
    cycleSegment: (direction) => segments.cycle(direction),
    addSegment: () => segments.addFromKeys(),
    opacity: (direction) => view.stepOpacity(direction),
    undo: () => undo.undo(),
    redo: () => undo.redo(),
    help: (show) => help.toggle(show),
  });
}

/** What the page asks the service once: who is signed in, the label presets, a PACS. @param {Modules} m */
function loadFromService({ exportPanel, segments, studies }) {
  exportPanel.setPacsAvailable(false);
  void showSources({ pacsAvailable: () => exportPanel.setPacsAvailable(true), localShown: () => void studies.refresh() });
  showAccount(byId("account-name", HTMLElement), byId("logout", HTMLButtonElement)).catch((err) =>
    showError(err, "Could not tell who is signed in"),
  );
  api.getPresets().then(
    (presets) => segments.setPresets(Array.isArray(presets) ? presets : []),
    (err) => showError(err, "Could not load the label presets"),
  );
}

function start() {
  initNotify(byId("toasts", HTMLElement));
  const m = makeModules();
  makeSourcePanels(m);
  wireButtons(m);
  m.tools.start();
  m.save.start();
  m.operations.start();
  m.reading.start();
  const help = new HelpOverlay(m.state.canvas);
  help.start(shortcuts(m, help));
  wirePointer(m);
  m.segments.render();
  m.view.updateSliceUi();
  void m.studies.refresh();
  // A link or a reload (?series=<uid>&slice=&layout=&window=, urlstate.js) reopens that place.
  const linked = m.place.initial;
  if (linked.layout) m.layout.set(linked.layout);
  if (linked.series) {
    void m.opener.openSeries(linked.series, false, { slice: linked.slice, window: linked.window, segment: linked.segment });
  }
  loadFromService(m);
  startTaskPanel(m);
}

/** A project task opened by its link (?task=): its bar, comments and pins. @param {Modules} m */
function startTaskPanel({ state, view, save, reading }) {
  const taskId = linkedTask();
  if (!taskId) return;
  const panel = new TaskPanel(taskId, {
    canvas: state.canvas,
    wrap: byId("view-wrap", HTMLElement),
    after: /** @type {HTMLElement} */ (document.querySelector("header.topbar")),
    series: () => state.series,
    slice: () => state.index,
    flush: () => save.leaveSeries(),
    showSlice: (i) => view.showSlice(i),
    taskChanged: (task) => reading.setTask(task),
    annotation: () => ({ id: state.session?.id ?? null, version: state.session?.version ?? 0 }),
  });
  reading.taskStale = () => void panel.refresh();
  panel.start().catch((err) => showError(err, "Could not load the task"));
}

start();
