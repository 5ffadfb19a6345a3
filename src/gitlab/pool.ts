/**
 * A bounded-concurrency limiter: at most `limit` tasks run at once, the rest wait in FIFO order.
 * The limit adapts to a throttle like TCP's congestion window: it starts at `initial` and grows
 * by one slot per success (doubling per round trip: slow start) until the first {@link Pool.cut};
 * from then on additive increase, multiplicative decrease — {@link Pool.cut} halves it (at least
 * 1) when GitLab answers 429 or 503, {@link Pool.grow} adds one slot per `limit` successes —
 * never past the limit the pool was created with.
 *
 * @module
 */

/** Runs async tasks with at most `limit` in flight. */
export class Pool {
  readonly #max: number;
  /** The congestion window: `limit` is its integer part. */
  #window: number;
  #active = 0;
  #slowStart = true;
  readonly #waiting: (() => void)[] = [];

  /**
   * Creates a pool; `limit` (the most it ever allows) must be a positive integer; it starts with
   * `initial` slots (default `limit`, at least 1).
   */
  constructor(limit: number, initial = limit) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${limit}`);
    }
    this.#max = limit;
    this.#window = Math.max(1, Math.min(limit, Math.floor(initial)));
  }

  /** The most tasks that run at once now. */
  get limit(): number {
    return Math.floor(this.#window);
  }

  /** The most tasks that ever run at once (the limit it was created with). */
  get max(): number {
    return this.#max;
  }

  /** Tasks running now. */
  get active(): number {
    return this.#active;
  }

  /** Tasks waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Multiplicative decrease: halves the limit, down to 1. Running tasks are not stopped. */
  cut(): void {
    this.#slowStart = false;
    this.#window = Math.max(1, this.#window / 2);
  }

  /** One more slot per call in slow start, else after `limit` calls; up to {@link max}. */
  grow(): void {
    if (this.#window >= this.#max) return;
    const step = this.#slowStart ? 1 : 1 / this.limit;
    this.#window = Math.min(this.#max, this.#window + step);
    this.#drain();
  }

  /** Runs `task` once a slot is free and resolves or rejects with its result. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active < this.limit && this.#waiting.length === 0) {
      this.#active++;
    } else {
      // `#drain` counts the slot as taken before it wakes the task.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    try {
      return await task();
    } finally {
      this.#active--;
      this.#drain();
    }
  }

  #drain(): void {
    while (this.#waiting.length > 0 && this.#active < this.limit) {
      this.#active++;
      this.#waiting.shift()!();
    }
  }
}
