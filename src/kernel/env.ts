/**
 * The environment register-runner runs in, passed in explicitly so tests need no global patching:
 * host name, environment variables, clock, logger and random source.
 *
 * @module
 */

/** Log levels, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Structured fields attached to a log line. Values must never be secrets. */
export type LogFields = Record<string, string | number | boolean | undefined>;

/** Where register-runner writes its progress (always stderr in the CLI). */
export interface Logger {
  /** Logs at `debug`. */
  debug(message: string, fields?: LogFields): void;
  /** Logs at `info`. */
  info(message: string, fields?: LogFields): void;
  /** Logs at `warn`. */
  warn(message: string, fields?: LogFields): void;
  /** Logs at `error`. */
  error(message: string, fields?: LogFields): void;
}

/**
 * Time, injectable so retry and expiry logic is tested without sleeping. Two clocks: the wall
 * clock ({@link Clock.now}) only for timestamps people read and compare with other hosts, and a
 * monotonic one ({@link Clock.monotonic}) for every deadline, timeout and wait, so that a wall
 * clock stepped by NTP at boot cannot make a run time out at once or wait for hours.
 */
export interface Clock {
  /** The current wall-clock time. */
  now(): Date;
  /** Milliseconds on a clock that never jumps (arbitrary origin); only differences mean anything. */
  monotonic(): number;
  /** Resolves after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
}

/** The clock's current time as ISO-8601 UTC to the second (`2025-12-07T05:27:35Z`). */
export function isoSeconds(clock: Clock): string {
  return clock.now().toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Everything register-runner takes from the host besides files. */
export interface RuntimeEnv {
  /** The host name used in tags and descriptions. */
  hostname: string;
  /** Reads an environment variable. */
  getEnv(name: string): string | undefined;
  clock: Clock;
  logger: Logger;
  /** A random number in [0, 1), for retry jitter. */
  random(): number;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => new Date(),
  monotonic: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
