/**
 * Test helpers for the GitLab client: a real HTTP server on 127.0.0.1 that records requests, a
 * fake clock whose sleeps return at once (and advance time), and a logger that keeps lines.
 *
 * @module
 */

import type { Clock, LogFields, Logger, LogLevel, RuntimeEnv } from "../../src/kernel/env.ts";

/** One request the test server received. */
export interface Recorded {
  method: string;
  /** Path below `/api/v4`. */
  path: string;
  query: URLSearchParams;
  headers: Headers;
  body: string;
}

/** A running test server. */
export interface TestServer {
  /** `http(s)://127.0.0.1:PORT`. */
  url: string;
  /** `${url}/api/v4`. */
  apiBase: string;
  port: number;
  requests: Recorded[];
  /** Stops the server and waits for it. */
  close(): Promise<void>;
}

/** Answers one request; `n` counts requests from 1. */
export type Handler = (req: Recorded, n: number) => Response | Promise<Response>;

/** Starts a server on 127.0.0.1, port 0; pass `tls` for HTTPS. */
export function startServer(handler: Handler, tls?: { cert: string; key: string }): TestServer {
  const requests: Recorded[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {}, ...(tls ?? {}) },
    async (request) => {
      const url = new URL(request.url);
      const recorded: Recorded = {
        method: request.method,
        path: url.pathname.replace(/^\/api\/v4/, ""),
        query: url.searchParams,
        headers: request.headers,
        body: await request.text(),
      };
      requests.push(recorded);
      return await handler(recorded, requests.length);
    },
  );
  const url = `${tls ? "https" : "http"}://127.0.0.1:${server.addr.port}`;
  return {
    url,
    apiBase: `${url}/api/v4`,
    port: server.addr.port,
    requests,
    close: () => server.shutdown(),
  };
}

/** A JSON response. */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** A plain-text response. */
export function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain", ...headers } });
}

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

/** A test environment with a fake clock, a capturing logger and a fixed random value. */
export function testEnv(random = 0.5): RuntimeEnv & { clock: FakeClock; logger: CaptureLogger } {
  return {
    hostname: "host1",
    getEnv: () => undefined,
    clock: new FakeClock(),
    logger: new CaptureLogger(),
    random: () => random,
  };
}

/** A port nothing listens on (it was just free). */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}
