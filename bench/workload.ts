/**
 * The workload shared by the request-count tests and the benchmark: a prefix with N executor
 * files pointed at the fake GitLab (which counts the connections clients open), the request tally
 * by route, and the counts and round trips a sync should need.
 *
 * @module
 */

import { type FakeGitLabOptions, startFakeGitLab } from "../tests/support/fake_gitlab/server.ts";
import type { ConnectionStats, FakeGitLab } from "../tests/support/fake_gitlab/server.ts";
import type { RecordedRequest } from "../tests/support/fake_gitlab/server.ts";
import { Prefix } from "../tests/support/prefix.ts";

/** `fresh`: nothing in GitLab nor on disk. `restart`: everything in sync already. */
export type Scenario = "fresh" | "restart";

/** The `per_page` register-runner asks for (GitLab's maximum). */
export const PER_PAGE = 100;

/** A fake GitLab and a prefix with N executor files. */
export interface Workload extends AsyncDisposable {
  gitlab: FakeGitLab;
  /** The connections clients opened to the fake (`gitlab.connections`). */
  counter: ConnectionStats;
  prefix: Prefix;
  /** The GitLab URL the prefix uses. */
  url: string;
  /** Stops the fake, removes the prefix. */
  close(): Promise<void>;
}

/** Starts a fake GitLab with `options` and writes a prefix with `executors` shell executors. */
export async function startWorkload(
  executors: number,
  options: FakeGitLabOptions = {},
): Promise<Workload> {
  const gitlab = await startFakeGitLab(options);
  const prefix = await Prefix.create();
  const url = gitlab.url;
  await prefix.writeTemplate([{ url, personal_access_token: gitlab.tokens.adminPat }]);
  const width = String(executors).length;
  for (let i = 1; i <= executors; i++) {
    const name = `e${String(i).padStart(width, "0")}`;
    await prefix.writeExecutor(name, `url = "${url}"\nexecutor = "shell"\n`);
  }
  const close = async () => {
    await gitlab.close();
    await prefix.cleanup();
  };
  return {
    gitlab,
    counter: gitlab.connections,
    prefix,
    url,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A request's route: method and path with numeric ids replaced by `:id`. */
export function route(r: Pick<RecordedRequest, "method" | "path">): string {
  return `${r.method} ${r.path.replace(/\/\d+(?=\/|$)/g, "/:id")}`;
}

/** How many requests went to each route. */
export function tally(requests: readonly RecordedRequest[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of requests) counts[route(r)] = (counts[route(r)] ?? 0) + 1;
  return counts;
}

/**
 * The requests a sync of `n` executors should make, by route:
 * - fresh: one (empty) listing page, one `POST /user/runners` per executor;
 * - restart: every listing page, one token check and one details read per runner;
 * - both: one check of the access token's scopes (`GET /personal_access_tokens/self`).
 */
export function expectedRequests(
  n: number,
  scenario: Scenario,
  perPage = PER_PAGE,
): Record<string, number> {
  const self = { "GET /personal_access_tokens/self": 1 };
  if (scenario === "fresh") {
    return { "GET /runners/all": 1, ...self, ...(n > 0 ? { "POST /user/runners": n } : {}) };
  }
  return {
    "GET /runners/all": Math.max(1, Math.ceil(n / perPage)),
    ...self,
    ...(n > 0 ? { "POST /runners/verify": n, "GET /runners/:id": n } : {}),
  };
}

/**
 * The fewest round trips a sync can take with `concurrency` requests in flight: the longer of
 * the dependency chain and the total work spread over the pool.
 * - fresh: the listing (and beside it the access token's check), then the creations;
 * - restart: the details of known runners, the token checks and the access token's check start
 *   with page 1; only pages 2..k wait for page 1.
 */
export function expectedRounds(
  n: number,
  scenario: Scenario,
  concurrency: number,
  perPage = PER_PAGE,
): number {
  if (scenario === "fresh") return Math.ceil(2 / concurrency) + Math.ceil(n / concurrency);
  const pages = Math.max(1, Math.ceil(n / perPage));
  const depth = pages > 1 ? 2 : 1;
  const total = pages + 2 * n + 1;
  return Math.max(depth, Math.ceil(total / concurrency));
}
