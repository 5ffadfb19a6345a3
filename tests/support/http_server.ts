/**
 * A scripted HTTP server on 127.0.0.1 for the GitLab client's unit tests: each request is
 * recorded and answered by the test's handler. (End-to-end tests use the fake GitLab instead.)
 *
 * @module
 */

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

/** A port nothing listens on (it was just free). */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}
