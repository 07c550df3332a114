// @ts-check
/**
 * Opening a series, from wherever it comes: the local list, a link, an upload, a PACS pull (opened
 * on its first instances, opened again once complete) or a SEG imported as an annotation. Opening
 * writes what is pending first, then sets every part up for the series and reopens its latest
 * annotation; an older open still under way is dropped.
 */

import * as api from "./api.js";
import { AnnotationSession } from "./annotation.js";
import { byId } from "./dom.js";
import { showError, showInfo } from "./notify.js";
import { NOTHING_TO_SAVE } from "./savecontrols.js";
import { SliceCache } from "./slices.js";

/** @typedef {import("./viewstate.js").ViewState} ViewState */
/** @typedef {import("./api.js").SeriesInfo} SeriesInfo */
/**
 * @typedef {object} OpenerParts
 * @property {import("./sliceview.js").SliceView} view
 * @property {import("./windowcontrol.js").WindowControl} windows
 * @property {import("./crossviews.js").CrossViews} cross
 * @property {import("./toolcontrols.js").ToolControls} tools
 * @property {import("./savecontrols.js").SaveControls} save
 * @property {import("./studies.js").StudyBrowser} studies
 * @property {import("./exporter.js").ExportPanel} exportPanel
 * @property {() => void} sessionChanged the session, its segments or its id changed
 * @property {(status: import("./saver.js").SaveStatus) => void} [saveStatus] the saver reported
 */

export class SeriesOpener {
  /**
   * @param {ViewState} state
   * @param {OpenerParts} parts
   */
  constructor(state, parts) {
    this.state = state;
    this.parts = parts;
    /** bumped by every open: an older open that answers late is dropped */
    this.openToken = 0;
  }

  /**
   * @param {string} seriesUid
   * @param {boolean} [force] open again even when it is on screen (new slices, new annotation)
   * @param {{ slice?: number | null, window?: { center: number, width: number } | null, segment?: number | null }} [start]
   *   where to open it (a link or a reload): the slice, the window, the segment to paint
   */
  async openSeries(seriesUid, force = false, start = {}) {
    if (this.state.series?.series_uid === seriesUid && !force) return;
    if (!(await this.parts.save.leaveSeries())) return;
    const token = ++this.openToken;
    this.parts.view.setMessage("Loading series…");
    try {
      const series = await api.getSeries(seriesUid);
      if (token !== this.openToken) return;
      this.closeSeries();
      this.state.series = series;
      this.setup(series);
      if (start.window) this.parts.windows.setManual(start.window.center, start.window.width);
      const session = this.newSession(series);
      this.parts.view.showSlice(start.slice ?? 0);
      await this.openSession(session, token, undefined, start.segment ?? null);
    } catch (err) {
      if (token === this.openToken) {
        this.parts.view.setMessage(this.state.series ? "" : "Could not open the series.");
        showError(err, "Could not open the series");
      }
    }
  }

  /**
   * Make the session current once the existing annotation is known: adding a segment before
   * would create a second annotation.
   * @param {AnnotationSession} session
   * @param {number} token
   * @param {number | string | "new"} [chosen] the annotation to open (annotation.js open)
   * @param {number | null} [segment] the segment to make active, when the annotation has it
   */
  async openSession(session, token, chosen = undefined, segment = null) {
    try {
      await session.open(chosen);
    } catch (err) {
      showError(err, "Could not load the existing annotation");
    }
    if (token !== this.openToken) {
      session.dispose();
      return;
    }
    this.state.session = session;
    const wanted = segment !== null && session.segment(segment) ? segment : null;
    this.state.activeSegment = wanted ?? session.segments[0]?.number ?? null;
    this.parts.sessionChanged();
    void this.parts.cross.loadPaintedMasks(session);
  }

  /**
   * Open another annotation of the series on screen (the annotation list): `chosen` is its id,
   * or "new" for none yet (made at the first segment).
   * @param {string} chosen
   */
  async openAnnotation(chosen) {
    const series = this.state.series;
    const old = this.state.session;
    if (!series || String(old?.id ?? "new") === chosen) return;
    if (!(await this.parts.save.leaveSeries())) return;
    const token = ++this.openToken;
    await this.openSession(this.newSession(series), token, chosen);
    if (this.state.session !== old) old?.dispose();
  }

  closeSeries() {
    const state = this.state;
    this.parts.cross.clear();
    state.cache?.dispose();
    state.session?.dispose();
    state.cache = null;
    state.session = null;
    state.series = null;
    state.shown = null;
    state.stroke = null;
    state.activeSegment = null;
    this.parts.exportPanel.reset();
    this.parts.save.showStatus(NOTHING_TO_SAVE);
    this.parts.sessionChanged();
  }

  /** @param {SeriesInfo} series */
  setup(series) {
    this.parts.view.setup(series);
    this.state.cache = new SliceCache({
      fetch: (i, signal) => api.getSliceBytes(series.series_uid, i, signal),
      dtype: series.dtype,
      rows: series.rows,
      columns: series.columns,
      numSlices: series.num_slices,
    });
    this.parts.windows.setup(series);
    this.parts.tools.seriesOpened(series);
    this.parts.cross.setup(series);
    this.parts.studies.setCurrent(series.series_uid);
    const [rowSpacing = 1, colSpacing = 1] = series.spacing ?? [];
    byId("series-title", HTMLElement).textContent =
      `${series.modality} · ${series.num_slices} slices · ${series.columns}×${series.rows}`;
    byId("info-series", HTMLElement).textContent =
      `${series.modality}  ${series.columns}×${series.rows}  ${colSpacing.toFixed(2)}×${rowSpacing.toFixed(2)} mm`;
  }

  /** @param {SeriesInfo} series */
  newSession(series) {
    const session = new AnnotationSession({
      seriesUid: series.series_uid,
      pixelCount: series.rows * series.columns,
      sliceCount: series.num_slices,
      onStatus: (status) => {
        this.parts.save.showStatus(status);
        this.parts.saveStatus?.(status);
      },
      onChange: () => {
        if (this.state.session === session) this.parts.sessionChanged();
      },
    });
    return session;
  }

  // ---- where series come from ---------------------------------------------------------

  /** @param {import("./api.js").UploadResult} result */
  async uploaded(result) {
    const studies = this.parts.studies;
    for (const s of result.series) studies.expand(s.study_uid);
    await studies.refresh();
    if (result.series.length && !this.state.series) await this.openSeries(result.series[0].series_uid);
    else if (result.series.length) showInfo(`${result.series.length} series received. Open one from the list.`);
  }

  /**
   * A PACS pull began: show the series on its first instances, no painting until it is complete.
   * @param {string} seriesUid
   */
  arriving(seriesUid) {
    this.state.arriving = seriesUid;
    return this.openSeries(seriesUid);
  }

  /**
   * A retrieve finished: when that series is on screen with fewer slices than now held, open it
   * again (same slice), so the slice count and the slice indices match the whole series.
   * @param {string} seriesUid
   */
  async pulled(seriesUid) {
    const state = this.state;
    if (state.arriving === seriesUid) state.arriving = null;
    if (state.series?.series_uid !== seriesUid) return;
    try {
      const info = await api.getSeries(seriesUid);
      if (state.series?.series_uid !== seriesUid || info.num_slices === state.series.num_slices) return;
      const sop = state.series.slices?.[state.index]?.sop_instance_uid;
      await this.openSeries(seriesUid, true);
      const at = sop ? (state.series?.slices ?? []).findIndex((s) => s.sop_instance_uid === sop) : -1;
      if (at > 0) this.parts.view.showSlice(at);
    } catch (err) {
      showError(err, "Could not reload the series");
    }
  }

  /**
   * A SEG of the PACS became an annotation of this series: show it, even when on screen.
   * @param {string} seriesUid
   */
  imported(seriesUid) {
    this.state.arriving = null;
    return this.openSeries(seriesUid, true);
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
}
