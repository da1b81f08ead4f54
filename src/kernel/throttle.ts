/**
 * Lets at most `limit` things through per window of `windowMs`, and counts what it held back: a
 * log line that repeats under a failure storm is written a few times, not thousands.
 */
export class Throttle {
  readonly #limit: number;
  readonly #windowMs: number;
  #windowStart = Number.NEGATIVE_INFINITY;
  #passed = 0;
  #held = 0;

  constructor(limit: number, windowMs: number) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /**
   * Null when this one must be held back; otherwise how many were held back since the last one
   * let through (to say so with it).
   */
  take(now: number = Date.now()): number | null {
    if (now - this.#windowStart >= this.#windowMs) {
      this.#windowStart = now;
      this.#passed = 0;
    }
    if (this.#passed >= this.#limit) {
      this.#held++;
      return null;
    }
    this.#passed++;
    const held = this.#held;
    this.#held = 0;
    return held;
  }
}
