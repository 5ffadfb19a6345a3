/**
 * `deno task bench:fleet`: a boot storm, K hosts at once against one fake GitLab whose
 * Rack::Attack throttle allows R requests per second overall (see `fleet.ts` for how the hosts
 * run), first fresh (nothing registered), then a restart (everything in sync). Prints, per storm,
 * the wall time, hosts that exited non-zero, successful requests, 429 replies, mutations and the
 * ratios to the fewest requests the storm needs; exits 1 when a target is missed.
 *
 * ```sh
 * deno task bench:fleet                       # K = 100, 3 executors, 20 req/s, 20 ms
 * deno task bench:fleet --hosts 30 --rate 10
 * ```
 *
 * Targets: every host exits 0 and ends with exactly its runners; the restart mutates nothing;
 * successful requests within 1.2× the minimum; 429 replies no more than the minimum.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type FleetOptions, startFleet, type StormResult } from "./fleet.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    hosts: { type: "string", default: "100" },
    executors: { type: "string", default: "3" },
    rate: { type: "string", default: "20" },
    latency: { type: "string", default: "20" },
    timeout: { type: "string", default: "60" },
    concurrency: { type: "string", default: "8" },
  },
});
const options: FleetOptions = {
  hosts: Number(values.hosts),
  executors: Number(values.executors),
  ratePerSecond: Number(values.rate),
  latencyMs: Number(values.latency),
  timeoutSeconds: Number(values.timeout),
  concurrency: Number(values.concurrency),
};

/** The targets a storm misses (empty: all met). */
export function missedTargets(r: StormResult): string[] {
  const missed: string[] = [];
  if (r.failed.length > 0) missed.push(`${r.failed.length} host(s) exited non-zero`);
  if (r.degraded.length > 0) {
    missed.push(`${r.degraded.length} host(s) degraded (GitLab unreachable)`);
  }
  if (r.wrong.length > 0) missed.push(`${r.wrong.length} host(s) without exactly their runners`);
  if (r.scenario === "restart" && r.mutations > 0) missed.push(`${r.mutations} mutation(s)`);
  if (r.successful > 1.2 * r.minimum) missed.push("successful requests over 1.2× the minimum");
  if (r.throttled > r.minimum) missed.push("more 429 replies than the minimum request count");
  return missed;
}

const pad = (s: string | number, w: number) => String(s).padStart(w);

async function main(): Promise<number> {
  console.log(
    `register-runner fleet bench: ${options.hosts} hosts × ${options.executors} shell executors, ` +
      `GitLab throttled to ${options.ratePerSecond} req/s overall (Rack::Attack, 1 s windows), ` +
      `latency ${options.latencyMs} ms, --timeout ${options.timeoutSeconds}, ` +
      `--concurrency ${options.concurrency}, ${navigator.hardwareConcurrency} CPUs, Deno ${Deno.version.deno}\n`,
  );
  const header =
    "| storm   | wall s | slowest host s | exit ≠ 0 | degraded | successful | 429s | mutations | " +
    "minimum | successful/min | 429s/min | floor s |";
  console.log(header);
  console.log(header.replace(/[^|]/g, "-"));
  await using fleet = await startFleet(options);
  let missed = 0;
  const notes: string[] = [];
  for (const scenario of ["fresh", "restart"] as const) {
    const r = await fleet.storm(scenario);
    const cells = [
      scenario.padEnd(7),
      pad((r.wallMs / 1000).toFixed(1), 6),
      pad((r.slowestMs / 1000).toFixed(1), 14),
      pad(r.failed.length, 8),
      pad(r.degraded.length, 8),
      pad(r.successful, 10),
      pad(r.throttled, 4),
      pad(r.mutations, 9),
      pad(r.minimum, 7),
      pad((r.successful / r.minimum).toFixed(2), 14),
      pad((r.throttled / r.minimum).toFixed(2), 8),
      pad((r.minimum / options.ratePerSecond).toFixed(0), 7),
    ];
    console.log(`| ${cells.join(" | ")} |`);
    for (const f of r.failed.slice(0, 3)) {
      notes.push(`${scenario}: ${f.host} exit ${f.code}: ${f.message}`);
    }
    for (const m of missedTargets(r)) notes.push(`${scenario}: target missed: ${m}`);
    missed += missedTargets(r).length;
  }
  if (notes.length > 0) console.log(`\n${notes.join("\n")}`);
  return missed === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
