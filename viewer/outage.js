// @ts-check
/**
 * Whether the service can be reached, said plainly while it cannot ("The service cannot be
 * reached — 3 changes waiting; they will be saved when it is back"), and what to do when it
 * answers again: the slice and masks that failed to load meanwhile are asked again, so that a
 * slice is not left refusing paint after the outage.
 *
 * Signals: a request that could not reach the service (network error, or a gateway's 502-504)
 * and the saver's retries start a probe of /healthz with backoff; the probe, or a write the
 * saver got through, ends the outage.
 */
import { ApiError, health } from "./api.js";

/** Statuses that say the service itself is not there, not that it refused. */
const UNREACHABLE = new Set([0, 502, 503, 504]);

export class Outage {
  /**
   * @param {{ banner: HTMLElement, text: HTMLElement, probe?: () => Promise<unknown>,
   *   firstDelayMs?: number, maxDelayMs?: number }} options
   */
  constructor(options) {
    this.banner = options.banner;
    this.text = options.text;
    this.probe = options.probe ?? health;
    this.firstDelayMs = options.firstDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 10000;
    this.down = false;
    this.probing = false;
    this.pending = 0;
    this.saverRetrying = false;
    /** @type {(() => void)[]} */
    this.backListeners = [];
  }

  /** @param {() => void} listener called each time the service answers after an outage */
  onBack(listener) {
    this.backListeners.push(listener);
  }

  /**
   * A request failed: when the service could not be reached, the outage is shown and
   * probed, and true says the caller need not report it themselves.
   * @param {unknown} err
   */
  failed(err) {
    if (!(err instanceof ApiError) || !UNREACHABLE.has(err.status)) return false;
    this.setDown(true);
    void this.watch();
    return true;
  }

  /** The saver's state: its retries start a probe; a write that went through ends the outage. @param {import("./saver.js").SaveStatus} status */
  saveStatus(status) {
    this.pending = status.pending;
    const retrying = status.state === "retrying";
    if (retrying && !this.saverRetrying) void this.watch();
    if (!retrying && this.saverRetrying && this.down && status.state !== "signed_out") this.back();
    this.saverRetrying = retrying;
    this.render();
  }

  /** Probe until the service answers (one probe loop at a time). */
  async watch() {
    if (this.probing) return;
    this.probing = true;
    let delay = this.firstDelayMs;
    try {
      for (;;) {
        try {
          await this.probe();
          if (this.down) this.back();
          return;
        } catch (err) {
          if (err instanceof ApiError && !UNREACHABLE.has(err.status)) return; // it answered
          this.setDown(true);
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, this.maxDelayMs);
      }
    } finally {
      this.probing = false;
    }
  }

  back() {
    this.setDown(false);
    for (const listener of this.backListeners) listener();
  }

  /** @param {boolean} down */
  setDown(down) {
    this.down = down;
    this.render();
  }

  render() {
    this.banner.hidden = !this.down;
    this.banner.dataset.pending = String(this.pending);
    const waiting = this.pending
      ? `${this.pending} ${this.pending === 1 ? "change" : "changes"} waiting; they will be saved when it is back.`
      : "what failed to load will load again when it is back.";
    this.text.textContent = `The service cannot be reached — ${waiting}`;
  }
}
