// @ts-check
/** The annotator's keys and mouse gestures: one table, which also writes the `?` overlay. */

import { CT_WINDOWS } from "./windowing.js";

/** @typedef {import("./shortcuts.js").Shortcut} Shortcut */

/**
 * @typedef {object} KeyActions
 * @property {(delta: number) => void} step move by slices
 * @property {(where: "first" | "last") => void} jump
 * @property {(factor: number) => void} zoom
 * @property {() => void} fit
 * @property {() => void} toggleSmooth
 * @property {(index: number) => void} preset window preset, 0-based
 * @property {() => void} autoWindow
 * @property {() => void} invert
 * @property {() => void} toggleOutline
 * @property {() => void} pickRange
 * @property {() => void} clearSlice
 * @property {() => void} fillBetween
 * @property {() => void} toggleLock
 * @property {() => void} toggleReformats
 * @property {() => void} cycleLayout
 * @property {(tool: import("./tools.js").Tool) => void} tool
 * @property {(direction: number) => void} brush
 * @property {() => void} toggleActive
 * @property {() => void} toggleMasks
 * @property {(direction: number) => void} cycleSegment
 * @property {() => void} addSegment
 * @property {(direction: number) => void} opacity
 * @property {() => void} undo
 * @property {() => void} redo
 * @property {(show?: boolean) => void} help
 */

export const PAGE_STEP = 10;

/**
 * @param {KeyActions} a
 * @returns {Shortcut[]}
 */
export function keymap(a) {
  const nav = "Navigation";
  const win = "Window / level";
  const paint = "Painting";
  const general = "General";
  return [
    { keys: ["ArrowUp", "ArrowLeft"], group: nav, description: "Previous slice", run: () => a.step(-1) },
    { keys: ["ArrowDown", "ArrowRight"], group: nav, description: "Next slice", run: () => a.step(1) },
    { keys: ["PageUp"], group: nav, description: `${PAGE_STEP} slices back`, run: () => a.step(-PAGE_STEP) },
    { keys: ["PageDown"], group: nav, description: `${PAGE_STEP} slices on`, run: () => a.step(PAGE_STEP) },
    { keys: ["Home"], group: nav, description: "First slice", run: () => a.jump("first") },
    { keys: ["End"], group: nav, description: "Last slice", run: () => a.jump("last") },
    { keys: [], display: "Mouse wheel", group: nav, description: "Scroll through slices" },
    { keys: ["+", "="], group: nav, description: "Zoom in", run: () => a.zoom(1.25) },
    { keys: ["-"], group: nav, description: "Zoom out", run: () => a.zoom(0.8) },
    { keys: ["0"], group: nav, description: "Fit the image to the view", run: () => a.fit() },
    { keys: ["S"], group: nav, description: "Smooth or exact pixels when magnified", run: () => a.toggleSmooth() },
    { keys: [], display: "Ctrl + wheel", group: nav, description: "Zoom at the pointer" },
    { keys: [], display: "Middle drag", group: nav, description: "Pan" },
    { keys: [], display: "Space + drag", group: nav, description: "Pan" },
    { keys: [], display: "Shift + click", group: nav, description: "Move the crosshair (sagittal and coronal views)" },
    { keys: [], display: "Click in sagittal / coronal", group: nav, description: "Go to that slice and point" },
    { keys: ["R"], group: nav, description: "Show or hide the sagittal and coronal views", run: () => a.toggleReformats() },
    { keys: ["V"], group: nav, description: "Next layout: one view, 1 + 2, 2 × 2, 1 × 3", run: () => a.cycleLayout() },
    { keys: [], display: "Double-click a view", group: nav, description: "Enlarge it to the whole viewport (again: back)" },
    { keys: [], display: "Shift + drag in sagittal / coronal", group: nav, description: "Go to that slice and point while a brush is on" },
    ...CT_WINDOWS.map((w, i) => ({
      keys: [String(i + 1)], group: win, description: `${w.name} window, C ${w.center} / W ${w.width} (CT; other series: their preset ${i + 1})`, run: () => a.preset(i),
    })),
    { keys: ["A"], group: win, description: "Auto window: 1st-99th percentile of the slice on screen (MR)", run: () => a.autoWindow() },
    { keys: ["I"], group: win, description: "Invert", run: () => a.invert() },
    { keys: ["W"], group: win, description: "Window/level tool (left drag)", run: () => a.tool("wl") },
    { keys: [], display: "Right drag", group: win, description: "Window/level with any tool: ↔ width, ↕ centre" },
    { keys: ["B"], group: paint, description: "Brush", run: () => a.tool("brush") },
    { keys: ["E"], group: paint, description: "Eraser", run: () => a.tool("eraser") },
    { keys: ["T"], group: paint, description: "Threshold brush (paints only values in the range)", run: () => a.tool("threshold") },
    { keys: ["F"], group: paint, description: "Flood fill within the range (click)", run: () => a.tool("fill") },
    { keys: ["P"], group: paint, description: "Set the range from the pixel under the pointer", run: () => a.pickRange() },
    { keys: ["Shift+F"], group: paint, description: "Fill between slices (interpolate the active segment)", run: () => a.fillBetween() },
    { keys: ["Delete"], group: paint, description: "Clear the active segment on this slice", run: () => a.clearSlice() },
    { keys: ["["], group: paint, description: "Smaller brush", run: () => a.brush(-1) },
    { keys: ["]"], group: paint, description: "Larger brush", run: () => a.brush(1) },
    { keys: [], display: "Left click / drag", group: paint, description: "Paint or erase the active segment (in any view: a stroke in the sagittal or coronal view is written to every slice it crosses)" },
    { keys: ["H"], group: paint, description: "Hide or show the active segment", run: () => a.toggleActive() },
    { keys: ["M"], group: paint, description: "Hide or show all masks", run: () => a.toggleMasks() },
    { keys: ["O"], group: paint, description: "Outline or filled masks", run: () => a.toggleOutline() },
    { keys: ["L"], group: paint, description: "Lock or unlock the active segment", run: () => a.toggleLock() },
    { keys: ["N"], group: paint, description: "Next segment", run: () => a.cycleSegment(1) },
    { keys: ["Shift+N"], group: paint, description: "Previous segment", run: () => a.cycleSegment(-1) },
    { keys: ["Shift+A"], group: paint, description: "Add a segment (the label typed or the preset chosen, else \"Segment n\")", run: () => a.addSegment() },
    { keys: [","], group: paint, description: "Masks more transparent", run: () => a.opacity(-1) },
    { keys: ["."], group: paint, description: "Masks more opaque", run: () => a.opacity(1) },
    { keys: ["Ctrl+Z"], group: general, description: "Undo", run: () => a.undo() },
    { keys: ["Ctrl+Y", "Ctrl+Shift+Z"], group: general, description: "Redo", run: () => a.redo() },
    { keys: ["?"], group: general, description: "Show or hide this help", run: () => a.help() },
    { keys: ["Escape"], group: general, description: "Close this help", run: () => a.help(false) },
  ];
}
