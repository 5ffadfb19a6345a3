/**
 * `deno task bench`: runs the real CLI as a subprocess against the fake GitLab (in-process,
 * loopback) with an injected per-request latency, for several executor counts, fresh and
 * restart, and prints wall time against the round-trip floor.
 *
 * ```sh
 * deno task bench                         # latency 20 ms, N = 1 10 40 200, 3 repetitions
 * deno task bench --latency 50 --n 40 --reps 5 --concurrency 16
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { HOST, ROOT, runCli } from "../tests/support/cli.ts";
import {
  expectedRequests,
  expectedRounds,
  type Scenario,
  startWorkload,
  tally,
} from "./workload.ts";

interface Row {
  n: number;
  scenario: Scenario;
  wallMs: number;
  requests: number;
  connections: number;
  rounds: number;
}

const { values } = parseArgs({
  args: Deno.args,
  options: {
    latency: { type: "string", default: "20" },
    n: { type: "string", multiple: true },
    reps: { type: "string", default: "3" },
    concurrency: { type: "string", default: "8" },
  },
});
const latencyMs = Number(values.latency);
const sizes = (values.n ?? ["1", "10", "40", "200"]).map(Number);
const reps = Number(values.reps);
const concurrency = Number(values.concurrency);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function sameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => a[k] === b[k]);
}

/** Wall time of `deno run main.ts --version`: the start-up share of every run. */
async function startupMs(): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--allow-read", "--allow-env", `${ROOT}main.ts`, "--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    if (!out.success) throw new Error("main.ts --version failed");
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** One fresh sync and one restart of `n` executors on a new fake GitLab. */
async function measure(n: number): Promise<Row[]> {
  await using site = await startWorkload(n, { latencyMs });
  const rows: Row[] = [];
  for (const scenario of ["fresh", "restart"] as const) {
    const seen = site.gitlab.requests.length;
    site.counter.reset();
    const t0 = performance.now();
    const result = await runCli(site.prefix, ["--concurrency", String(concurrency), "--quiet"]);
    const wallMs = performance.now() - t0;
    if (result.code !== 0) throw new Error(`${scenario} N=${n} exited ${result.code}`);
    const requests = site.gitlab.requests.slice(seen);
    const want = expectedRequests(n, scenario);
    const got = tally(requests);
    if (!sameCounts(got, want)) {
      const show = (x: Record<string, number>) => JSON.stringify(x);
      console.warn(`N=${n} ${scenario}: requests ${show(got)}, expected ${show(want)}`);
    }
    rows.push({
      n,
      scenario,
      wallMs,
      requests: requests.length,
      connections: site.counter.accepted,
      rounds: expectedRounds(n, scenario, concurrency),
    });
  }
  return rows;
}

const pad = (s: string | number, w: number) => String(s).padStart(w);

async function main(): Promise<void> {
  const start = await startupMs();
  console.log(
    `register-runner sync bench: latency ${latencyMs} ms/request, --concurrency ${concurrency}, ` +
      `median of ${reps}, host ${HOST}, ${navigator.hardwareConcurrency} CPUs, Deno ${Deno.version.deno}`,
  );
  console.log(`start-up (deno run main.ts --version): ${start.toFixed(0)} ms\n`);
  const header = "|    N | scenario | wall ms | wall − start | requests | conns | rounds | " +
    "floor ms | wall/floor | (wall − start)/floor |";
  console.log(header);
  console.log(header.replace(/[^|]/g, "-"));
  for (const n of sizes) {
    const runs: Row[][] = [];
    for (let i = 0; i < reps; i++) runs.push(await measure(n));
    for (let j = 0; j < runs[0]!.length; j++) {
      const first = runs[0]![j]!;
      const wall = median(runs.map((r) => r[j]!.wallMs));
      const floor = first.rounds * latencyMs;
      const cells = [
        pad(n, 4),
        first.scenario.padEnd(8),
        pad(wall.toFixed(0), 7),
        pad((wall - start).toFixed(0), 12),
        pad(first.requests, 8),
        pad(first.connections, 5),
        pad(first.rounds, 6),
        pad(floor, 8),
        pad((wall / floor).toFixed(2), 10),
        pad(((wall - start) / floor).toFixed(2), 20),
      ];
      console.log(`| ${cells.join(" | ")} |`);
    }
  }
}

await main();
