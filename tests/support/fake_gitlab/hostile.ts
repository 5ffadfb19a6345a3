/**
 * The fake's hostile mode: replies a broken or malicious GitLab (or something posing as it on the
 * network) could send, to test that register-runner's bounds and redaction hold. None of this is
 * GitLab behaviour (so nothing here cites GitLab's source): each is what an attacker or a broken
 * proxy can do with HTTP. They are installed as {@link Fault}s (`kind: "hostile"`), matched by
 * method and path like every fault.
 *
 * @module
 */

/** What a hostile reply does. */
export type HostileKind =
  | "echo-credentials"
  | "huge-body"
  | "trickle"
  | "rewrite"
  | "endless-pages";

/** A hostile reply; see each field for the kinds that use it. */
export interface Hostile {
  /**
   * - `echo-credentials`: an error reply whose message repeats the request's `PRIVATE-TOKEN`
   *   header and every `token` body parameter in the given `encodings`, after `padding`
   *   characters (to make a credential straddle a clipping point).
   * - `huge-body`: a 200 reply with a JSON-looking body of `bytes` bytes, streamed in 64 KiB
   *   chunks (with a `Content-Length` only when `declareLength`).
   * - `trickle`: the real reply, its body sent `chunkBytes` at a time every `intervalMs`.
   * - `rewrite`: the real reply with its JSON body passed through `rewrite` (wrong types,
   *   missing fields) and `headers` applied.
   * - `endless-pages`: a listing page with one runner of another host, `x-next-page` and a
   *   `rel="next"` link to the page after, forever; `headers` (e.g. lying totals) applied.
   */
  kind: HostileKind;
  /** `echo-credentials`: the status. Default 400. */
  status?: number;
  /** `echo-credentials`: how each credential is written. Default `["raw"]`. */
  encodings?: ("raw" | "json" | "url")[];
  /** `echo-credentials`: characters before the first credential. Default 0. */
  padding?: number;
  /** `huge-body`: the body's size. Default 400 MiB. */
  bytes?: number;
  /** `huge-body`: send `Content-Length`. Default false (chunked). */
  declareLength?: boolean;
  /** `trickle`: bytes per chunk. Default 1. */
  chunkBytes?: number;
  /** `trickle`: ms between chunks. Default 200. */
  intervalMs?: number;
  /** `rewrite`: changes the parsed JSON body (return the new body). */
  rewrite?: (body: unknown) => unknown;
  /** `rewrite`, `endless-pages`: headers set on the reply. */
  headers?: Record<string, string>;
}

/** What a hostile reply may read from the request. */
export interface HostileRequest {
  url: URL;
  headers: Headers;
  params: Record<string, unknown>;
}

const CHUNK = 64 * 1024;

/** The reply for a hostile fault; `real` builds the reply the fake would have sent. */
export async function hostileResponse(
  hostile: Hostile,
  request: HostileRequest,
  real: () => Response,
  signal: AbortSignal,
): Promise<Response> {
  switch (hostile.kind) {
    case "echo-credentials":
      return echo(hostile, request);
    case "huge-body":
      return huge(hostile.bytes ?? 400 * 1024 * 1024, hostile.declareLength ?? false, signal);
    case "trickle":
      return trickle(real(), hostile.chunkBytes ?? 1, hostile.intervalMs ?? 200, signal);
    case "rewrite":
      return await rewrite(real(), hostile);
    case "endless-pages":
      return endless(request.url, hostile.headers ?? {});
  }
}

function echo(hostile: Hostile, request: HostileRequest): Response {
  const credentials = [request.headers.get("private-token") ?? ""];
  for (const [key, value] of Object.entries(request.params)) {
    if (/token/i.test(key) && typeof value === "string") credentials.push(value);
  }
  const shown = credentials.filter((c) => c !== "").flatMap((c) =>
    (hostile.encodings ?? ["raw"]).map((e) =>
      e === "json" ? JSON.stringify(c).slice(1, -1) : e === "url" ? encodeURIComponent(c) : c
    )
  );
  const message = "x".repeat(hostile.padding ?? 0) + shown.map((c) => `bad token ${c}`).join(", ");
  // The message goes into the JSON body as is: a "json" encoding is escaped once more by
  // JSON.stringify, which is what a double-encoding proxy would show.
  const status = hostile.status ?? 400;
  return new Response(JSON.stringify({ message }), {
    status,
    headers: { "content-type": "application/json" },
  });
}

function huge(bytes: number, declareLength: boolean, signal: AbortSignal): Response {
  let sent = 0;
  const chunk = new TextEncoder().encode(" ".repeat(CHUNK));
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (signal.aborted || sent >= bytes) return controller.close();
      const piece = sent === 0 ? new TextEncoder().encode("[") : chunk;
      const n = Math.min(piece.byteLength, bytes - sent);
      controller.enqueue(piece.subarray(0, n));
      sent += n;
    },
  });
  const headers = new Headers({ "content-type": "application/json" });
  if (declareLength) headers.set("content-length", String(bytes));
  return new Response(body, { status: 200, headers });
}

function trickle(
  response: Response,
  chunkBytes: number,
  intervalMs: number,
  signal: AbortSignal,
): Response {
  const source = response.body;
  let pending = new Uint8Array();
  const reader = source?.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pending.byteLength === 0) {
        const next = await reader?.read();
        if (next === undefined || next.done) return controller.close();
        pending = next.value;
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
      if (signal.aborted) return controller.close();
      controller.enqueue(pending.subarray(0, chunkBytes));
      pending = pending.subarray(chunkBytes);
    },
    cancel: () => reader?.cancel(),
  });
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  return new Response(body, { status: response.status, headers });
}

async function rewrite(response: Response, hostile: Hostile): Promise<Response> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the rewrite sees the text
  }
  const headers = new Headers(response.headers);
  for (const [k, v] of Object.entries(hostile.headers ?? {})) headers.set(k, v);
  const out = hostile.rewrite ? hostile.rewrite(body) : body;
  headers.delete("content-length");
  return new Response(typeof out === "string" ? out : JSON.stringify(out), {
    status: response.status,
    headers,
  });
}

function endless(url: URL, extra: Record<string, string>): Response {
  const page = Math.max(1, Number(url.searchParams.get("page") ?? "1") || 1);
  const next = new URL(url);
  next.searchParams.set("page", String(page + 1));
  const runner = {
    id: 1_000_000 + page,
    description: `elsewhere${page} main shell Runner`,
    ip_address: null,
    active: true,
    paused: false,
    is_shared: true,
    runner_type: "instance_type",
    name: null,
    online: false,
    status: "never_contacted",
  };
  const headers = new Headers({
    "content-type": "application/json",
    "x-page": String(page),
    "x-per-page": url.searchParams.get("per_page") ?? "20",
    "x-next-page": String(page + 1),
    "link": `<${next}>; rel="next"`,
  });
  for (const [k, v] of Object.entries(extra)) headers.set(k, v);
  return new Response(JSON.stringify([runner]), { status: 200, headers });
}
