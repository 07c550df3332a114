// @ts-check
/**
 * Where studies come from: the local store always, the PACS when the service has one. The PACS
 * tab, its DICOMweb/DIMSE choice and the "pacs" export destination show only then.
 */

import * as api from "./api.js";
import { byId } from "./dom.js";
import { showError } from "./notify.js";

/** @typedef {"local" | "pacs"} Source */

/**
 * The ways the service reaches a PACS: /healthz lists them (`pacs_vias`; an older service only
 * names its DICOMweb URL in `pacs`). No probing search: its 400 would be an error in the console.
 * @returns {Promise<string[]>}
 */
export async function pacsVias() {
  try {
    const health = await api.health();
    const vias = Array.isArray(health.pacs_vias) ? health.pacs_vias.map(String) : health.pacs ? ["dicomweb"] : [];
    return vias.filter((v) => v === "dicomweb" || v === "dimse");
  } catch (err) {
    showError(err, "Could not ask the service whether a PACS is configured");
    return [];
  }
}

/**
 * Show the PACS tab when a PACS is configured.
 * @param {{ pacsAvailable: () => void, localShown: () => void }} handlers
 *   pacsAvailable: there is a PACS; localShown: the local tab was chosen again
 */
export async function showSources(handlers) {
  const vias = await pacsVias();
  if (!vias.length) return;
  const viaSelect = byId("pacs-via", HTMLSelectElement);
  for (const option of [...viaSelect.options]) if (!vias.includes(option.value)) option.remove();
  viaSelect.value = vias[0];
  byId("pacs-via-field", HTMLElement).hidden = vias.length < 2;
  handlers.pacsAvailable();
  byId("source-tabs", HTMLElement).hidden = false;
  const tabs = { local: byId("tab-local", HTMLButtonElement), pacs: byId("tab-pacs", HTMLButtonElement) };
  const panels = { local: byId("local-panel", HTMLElement), pacs: byId("pacs-panel", HTMLElement) };
  const select = (/** @type {Source} */ which) => {
    for (const key of /** @type {Source[]} */ (["local", "pacs"])) {
      tabs[key].setAttribute("aria-selected", String(key === which));
      panels[key].hidden = key !== which;
    }
    if (which === "local") handlers.localShown();
  };
  tabs.local.addEventListener("click", () => select("local"));
  tabs.pacs.addEventListener("click", () => select("pacs"));
}
