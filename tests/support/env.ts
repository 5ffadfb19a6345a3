/**
 * The one test environment ({@link testEnv}): a {@link RuntimeEnv} with given variables, a fake
 * clock whose sleeps return at once (and advance time), a logger that keeps its lines, and a fixed
 * random value.
 *
 * @module
 */

import type { Clock, LogFields, Logger, LogLevel, RuntimeEnv } from "../../src/kernel/env.ts";

/** A clock that starts at `start` and only moves when something sleeps. */
export class FakeClock implements Clock {
  #now: number;
  /** Every sleep's length, in order. */
  readonly sleeps: number[] = [];

  /** Creates a clock at `start` (default 2026-01-01T00:00:00Z). */
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  /** The fake time. */
  now(): Date {
    return new Date(this.#now);
  }

  /** The fake time too: it moves with the sleeps (a test may step {@link now} apart from it). */
  monotonic(): number {
    return this.#now;
  }

  /** Records the sleep, advances the time, returns at once. */
  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.#now += ms;
    return Promise.resolve();
  }
}

/** One captured log line. */
export interface LogLine {
  level: LogLevel;
  message: string;
  fields: LogFields | undefined;
}

/** A logger that keeps every line. */
export class CaptureLogger implements Logger {
  /** Lines logged so far. */
  readonly lines: LogLine[] = [];
  /** Logs at debug. */
  debug(message: string, fields?: LogFields): void {
    this.lines.push({ level: "debug", message, fields });
  }
  /** Logs at info. */
  info(message: string, fields?: LogFields): void {
    this.lines.push({ level: "info", message, fields });
  }
  /** Logs at warn. */
  warn(message: string, fields?: LogFields): void {
    this.lines.push({ level: "warn", message, fields });
  }
  /** Logs at error. */
  error(message: string, fields?: LogFields): void {
    this.lines.push({ level: "error", message, fields });
  }
  /** Every line and its fields as one string, for "does not contain" checks. */
  dump(): string {
    return this.lines.map((l) => `${l.level} ${l.message} ${JSON.stringify(l.fields ?? {})}`).join(
      "\n",
    );
  }
}

/** What {@link testEnv} can be told; everything has a default. */
export interface TestEnvOptions {
  /** Environment variables `getEnv` answers (default none). */
  vars?: Record<string, string>;
  /** The host name (default `test-host`). */
  hostname?: string;
  /** The value `random()` always returns (default 0.5). */
  random?: number;
}

/** A test environment; its clock is a {@link FakeClock} and its logger a {@link CaptureLogger}. */
export function testEnv(
  options: TestEnvOptions = {},
): RuntimeEnv & { clock: FakeClock; logger: CaptureLogger } {
  const vars = options.vars ?? {};
  const random = options.random ?? 0.5;
  return {
    hostname: options.hostname ?? "test-host",
    getEnv: (name) => vars[name],
    clock: new FakeClock(),
    logger: new CaptureLogger(),
    random: () => random,
  };
}
