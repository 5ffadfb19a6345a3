/**
 * A boot storm: K hosts start register-runner at the same instant against one throttled fake
 * GitLab. Shared by `deno task bench:fleet` and the storm test.
 *
 * The hosts run inside this process, each through the commands' own entry (`runCommand` on the
 * parsed command line, as `main.ts` calls it) with an environment of its own: host name, logger,
 * clock and random source, its own prefix, and its own GitLab client (its own connection pool).
 * So they share nothing a fleet would not share but the event loop — 100 `deno` processes on 2
 * cores would spend the storm starting up (about 0.2 s of CPU each), which spreads the hosts out
 * and makes the storm milder than the real one, where every host is already up when the network
 * comes.
 *
 * @module
 */

import { parseCli } from "../src/cli/options.ts";
import { runCommand } from "../src/commands/run.ts";
import { exitCodeOf } from "../src/commands/report.ts";
import { loadLocalConfig } from "../src/inputs/mod.ts";
import { type RuntimeEnv, systemClock } from "../src/kernel/env.ts";
import { createLogger } from "../src/kernel/log.ts";
import {
  type FakeGitLab,
  type RecordedRequest,
  startFakeGitLab,
} from "../tests/support/fake_gitlab/server.ts";
import { Prefix } from "../tests/support/prefix.ts";
import { expectedRequests, type Scenario } from "./workload.ts";

/** The storm's shape. */
export interface FleetOptions {
  hosts: number;
  /** Shell executors per host. */
  executors: number;
  /** Requests GitLab allows per second, overall (Rack::Attack, 1 s windows). */
  ratePerSecond: number;
  /** Latency the fake adds to every reply, ms. */
  latencyMs: number;
  /** `--timeout` of every host, s. */
  timeoutSeconds: number;
  /** `--concurrency` of every host. */
  concurrency: number;
}

/** One storm's figures. */
export interface StormResult {
  scenario: Scenario;
  wallMs: number;
  /** Hosts whose run ended with a non-zero exit code, and the first message of each. */
  failed: { host: string; code: number; message: string }[];
  /** Hosts that exited 0 but could not reach GitLab (kept their last good config). */
  degraded: string[];
  /** Hosts whose GitLab runners or config.toml are not exactly their executors' runners. */
  wrong: string[];
  /** Replies other than 429. */
  successful: number;
  /** 429 replies. */
  throttled: number;
  /** Requests that changed GitLab's state. */
  mutations: number;
  /** The fewest requests the storm needs (the single-host minimum, summed over the hosts). */
  minimum: number;
  /** The slowest host's run, ms. */
  slowestMs: number;
}

/** A fleet: one fake GitLab and K prefixes, ready for storms. */
export interface Fleet extends AsyncDisposable {
  gitlab: FakeGitLab;
  hosts: { name: string; prefix: Prefix }[];
  /** Starts every host at once and waits for all. */
  storm(scenario: Scenario): Promise<StormResult>;
}

/** Starts the fake GitLab with a throttle and writes every host's prefix. */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const gitlab = await startFakeGitLab({
    latencyMs: options.latencyMs,
    throttle: { limit: options.ratePerSecond, periodSeconds: 1 },
  });
  const hosts: Fleet["hosts"] = [];
  const width = String(options.hosts).length;
  for (let i = 1; i <= options.hosts; i++) {
    const prefix = await Prefix.create();
    await prefix.writeTemplate([{
      url: gitlab.url,
      personal_access_token: gitlab.tokens.adminPat,
    }]);
    for (let e = 1; e <= options.executors; e++) {
      await prefix.writeExecutor(`e${e}`, `url = "${gitlab.url}"\nexecutor = "shell"\n`);
    }
    hosts.push({ name: `node${String(i).padStart(width, "0")}`, prefix });
  }
  const close = async () => {
    await gitlab.close();
    for (const h of hosts) await h.prefix.cleanup().catch(() => {});
  };
  return {
    gitlab,
    hosts,
    storm: (scenario) => storm(gitlab, hosts, options, scenario),
    [Symbol.asyncDispose]: close,
  };
}

async function storm(
  gitlab: FakeGitLab,
  hosts: Fleet["hosts"],
  options: FleetOptions,
  scenario: Scenario,
): Promise<StormResult> {
  await gitlab.settled();
  const seen = gitlab.requests.length;
  const mutationsBefore = gitlab.mutations().length;
  const t0 = performance.now();
  const runs = await Promise.all(hosts.map(async ({ name, prefix }) => {
    const lines: string[] = [];
    const env: RuntimeEnv = {
      hostname: name,
      getEnv: () => undefined,
      clock: systemClock,
      logger: createLogger({
        level: "warn",
        format: "text",
        journald: false,
        write: (line) => lines.push(line),
        now: () => new Date(),
      }),
      random: Math.random,
    };
    const cli = parseCli([
      "--prefix",
      prefix.dir,
      "--service-instance",
      prefix.instance,
      "--quiet",
      "--timeout",
      String(options.timeoutSeconds),
      "--concurrency",
      String(options.concurrency),
    ]);
    const started = performance.now();
    let code: number;
    let message = "";
    let degraded = false;
    try {
      const result = await runCommand(cli, env);
      code = result.exitCode;
      degraded = result.sync?.clients.some((c) => c.status === "unreachable") ?? false;
    } catch (error) {
      code = exitCodeOf(error);
      message = error instanceof Error ? error.message : String(error);
    }
    return { name, code, degraded, message, ms: performance.now() - started, lines };
  }));
  const wallMs = performance.now() - t0;
  await gitlab.settled();
  const requests: RecordedRequest[] = gitlab.requests.slice(seen);
  const wrong: string[] = [];
  for (const { name, prefix } of hosts) {
    if (!(await ownsExactly(gitlab, name, prefix, options.executors))) wrong.push(name);
  }
  const perHost = expectedRequests(options.executors, scenario);
  const minimum = hosts.length * Object.values(perHost).reduce((a, b) => a + b, 0);
  return {
    scenario,
    wallMs,
    failed: runs.filter((r) => r.code !== 0).map((r) => ({
      host: r.name,
      code: r.code,
      message: r.message || r.lines.at(-1) || "",
    })),
    wrong,
    degraded: runs.filter((r) => r.degraded).map((r) => r.name),
    successful: requests.filter((r) => r.status !== 429).length,
    throttled: requests.filter((r) => r.status === 429).length,
    mutations: gitlab.mutations().length - mutationsBefore,
    minimum,
    slowestMs: Math.max(...runs.map((r) => r.ms)),
  };
}

/** Whether GitLab holds exactly `executors` runners of `host` and its config.toml exactly those. */
async function ownsExactly(
  gitlab: FakeGitLab,
  host: string,
  prefix: Prefix,
  executors: number,
): Promise<boolean> {
  const inGitLab = gitlab.runners().filter((r) => r.tag_list.includes(host));
  const local = await loadLocalConfig(prefix.outputFile).catch(() => undefined);
  const runners = local?.runners ?? [];
  if (inGitLab.length !== executors || runners.length !== executors) return false;
  return inGitLab.every((g) =>
    runners.some((l) => l.id === g.id && l.token?.token.reveal() === g.token)
  );
}
