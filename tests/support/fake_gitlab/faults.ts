/**
 * Fault injection: canned error replies, lost connections and slow replies, matched by method
 * and path, each for a limited number of requests.
 *
 * @module
 */

import type { Hostile } from "./hostile.ts";
import { json, reasonPhrase, throttled } from "./responses.ts";

/** What a fault does to a matching request. */
export type FaultKind =
  | "status"
  | "throttle"
  | "drop-after-act"
  | "drop-before-act"
  | "delay"
  | "hostile";

/**
 * A fault. It matches a request when `method` (case-insensitive) and `path` match; a missing
 * criterion matches everything. Faults are checked in the order they were added, the first match
 * applies, and it is removed once it has applied `times` times.
 */
export interface Fault {
  /** HTTP method, e.g. `POST`. */
  method?: string;
  /** Path without `/api/v4` and without query (`/user/runners`); a string matches exactly. */
  path?: string | RegExp;
  /** How many matching requests it applies to. Default 1; `Infinity` allowed. */
  times?: number;
  /**
   * - `status`: reply with `status`/`body`/`headers` and do nothing else.
   * - `drop-after-act`: do what the request asks, then close the connection without replying.
   * - `drop-before-act`: close the connection without replying or acting.
   * - `throttle`: Rack::Attack's 429 (`Retry later`, RateLimit headers, `Retry-After` = the
   *   seconds left in a `periodSeconds` window) and do nothing else.
   * - `delay`: wait `delayMs`, then handle the request normally.
   * - `hostile`: the reply `hostile` describes (see `hostile.ts`); `trickle` and `rewrite` act
   *   on the request first, the others do not.
   */
  kind: FaultKind;
  /** For `hostile`: what the reply does. */
  hostile?: Hostile;
  /** For `status`: the HTTP status. Default 503. */
  status?: number;
  /**
   * For `status`: the body. JSON text is sent as `application/json`, anything else as
   * `text/plain` (unless `headers` sets a content type). Default `{"message":"<status> <reason>"}`.
   */
  body?: string;
  /** For `status`: extra headers, e.g. `{"Retry-After": "1"}`. */
  headers?: Record<string, string>;
  /** For `throttle`: the throttle's window in seconds. Default 60. */
  periodSeconds?: number;
  /** For `delay`: milliseconds to wait. Default 1000. */
  delayMs?: number;
}

interface ActiveFault {
  fault: Fault;
  remaining: number;
}

function pathMatches(pattern: string | RegExp | undefined, path: string): boolean {
  if (pattern === undefined) return true;
  if (typeof pattern === "string") return pattern.replace(/^\/api\/v4(?=\/)/, "") === path;
  pattern.lastIndex = 0;
  return pattern.test(path);
}

/** The installed faults, in order. */
export class FaultList {
  #active: ActiveFault[] = [];

  /** Installs `fault` after the existing ones. */
  add(fault: Fault): void {
    const remaining = fault.times ?? 1;
    if (!(remaining > 0)) throw new Error("fault.times must be positive");
    this.#active.push({ fault, remaining });
  }

  /** Removes all faults. */
  clear(): void {
    this.#active = [];
  }

  /** The faults still armed (copies). */
  pending(): Fault[] {
    return this.#active.map(({ fault, remaining }) => ({ ...fault, times: remaining }));
  }

  /** Whether a `drop-*` fault is armed. */
  hasDrops(): boolean {
    return this.#active.some(({ fault }) => isDrop(fault));
  }

  /** Finds the first fault matching the request and uses up one of its `times`. */
  take(method: string, path: string): Fault | undefined {
    const index = this.#active.findIndex(({ fault }) =>
      (fault.method === undefined || fault.method.toUpperCase() === method) &&
      pathMatches(fault.path, path)
    );
    const entry = this.#active[index];
    if (entry === undefined) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.#active.splice(index, 1);
    return entry.fault;
  }
}

/** Whether the fault loses the connection. */
export function isDrop(fault: Fault): boolean {
  return fault.kind === "drop-after-act" || fault.kind === "drop-before-act";
}

/** The canned reply of a `status` or `throttle` fault. */
export function faultResponse(fault: Fault, now: Date = new Date()): Response {
  if (fault.kind === "throttle") return throttled(now, fault.periodSeconds ?? 60);
  const status = fault.status ?? 503;
  const headers = new Headers(fault.headers);
  if (status === 204 || status === 205 || status === 304) {
    return new Response(null, { status, headers });
  }
  if (fault.body === undefined) {
    return json(status, { message: `${status} ${reasonPhrase(status)}` }, headers);
  }
  if (!headers.has("content-type")) {
    headers.set("content-type", isJson(fault.body) ? "application/json" : "text/plain");
  }
  return new Response(fault.body, { status, headers });
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
