/**
 * A bounded-concurrency limiter: at most `limit` tasks run at once, the rest wait in FIFO order.
 *
 * @module
 */

/** Runs async tasks with at most `limit` in flight. */
export class Pool {
  readonly #limit: number;
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  /** Creates a pool; `limit` must be a positive integer. */
  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${limit}`);
    }
    this.#limit = limit;
  }

  /** The most tasks that run at once. */
  get limit(): number {
    return this.#limit;
  }

  /** Tasks running now. */
  get active(): number {
    return this.#active;
  }

  /** Tasks waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Runs `task` once a slot is free and resolves or rejects with its result. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active < this.#limit) {
      this.#active++;
    } else {
      // The releasing task hands its slot over, so `#active` stays the same.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active--;
    }
  }
}
