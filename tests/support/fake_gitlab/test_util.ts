/**
 * Small helpers for the fake GitLab's own tests: one `fetch` wrapper that sends JSON or form
 * bodies and a PAT, and always reads the body.
 *
 * @module
 */

import type { FakeGitLab } from "./server.ts";

/** How to send a request. */
export interface CallOptions {
  /** Sent as `PRIVATE-TOKEN`. */
  pat?: string;
  /** Sent as `application/json`. */
  json?: unknown;
  /** Sent as `application/x-www-form-urlencoded` (repeat a key with an array). */
  form?: Record<string, string | string[]>;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

/** A fully read reply. */
export interface Reply {
  /** HTTP status. */
  status: number;
  /** Response headers. */
  headers: Headers;
  /** Parsed JSON when the reply is JSON, else the text (`""` for no body). */
  body: unknown;
}

/** Calls `${gitlab.apiUrl}${path}` and reads the whole reply. */
export async function call(
  gitlab: FakeGitLab,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Reply> {
  const headers = new Headers(options.headers);
  if (options.pat !== undefined) headers.set("PRIVATE-TOKEN", options.pat);
  let body: string | undefined;
  if (options.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(options.json);
  } else if (options.form !== undefined) {
    const form = new URLSearchParams();
    for (const [key, value] of Object.entries(options.form)) {
      for (const item of Array.isArray(value) ? value : [value]) form.append(key, item);
    }
    headers.set("content-type", "application/x-www-form-urlencoded");
    body = form.toString();
  }
  const res = await fetch(`${gitlab.apiUrl}${path}`, { method, headers, body: body ?? null });
  const text = await res.text();
  const isJson = res.headers.get("content-type")?.startsWith("application/json") ?? false;
  return { status: res.status, headers: res.headers, body: isJson ? JSON.parse(text) : text };
}

/** Creates an instance runner with the admin PAT and returns `{id, token}`. */
export async function createRunner(
  gitlab: FakeGitLab,
  extra: Record<string, unknown> = {},
): Promise<{ id: number; token: string }> {
  const reply = await call(gitlab, "POST", "/user/runners", {
    pat: gitlab.tokens.adminPat,
    json: { runner_type: "instance_type", ...extra },
  });
  if (reply.status !== 201) throw new Error(`create failed: ${reply.status}`);
  return reply.body as { id: number; token: string };
}
