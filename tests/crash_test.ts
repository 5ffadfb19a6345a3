/**
 * Crash safety, end to end: the CLI is killed with SIGKILL at every request of a sync — when the
 * request reaches GitLab (not acted on) and, for requests that change something, right after
 * GitLab acted on it (its reply never arrives) — then one normal run must converge: exactly the
 * desired runners, every config token the one GitLab accepts, no orphan, no leftover file.
 */

import { equal, ok } from "node:assert/strict";
import type { FakeGitLab, RecordedRequest } from "./support/fake_gitlab/server.ts";
import { runCli, spawnCli } from "./support/cli.ts";
import {
  assertConverged,
  countRequests,
  descriptionsOf,
  expectOk,
  ownRunners,
  withSetup,
  writeExecutor,
  writeSite,
} from "./support/e2e.ts";
import { seededRandom } from "./support/fixtures.ts";
import type { Prefix } from "./support/prefix.ts";

const FIRST = ["shell", "cpu", "gpu", "batch"];
const AFTER_CHANGES = ["shell", "cpu", "gpu", "extra"];

interface Scenario {
  name: string;
  /** Brings GitLab and the prefix to the state the interrupted run starts from. */
  prepare(gitlab: FakeGitLab, prefix: Prefix): Promise<void>;
  /** The executor files at the end. */
  final: string[];
}

const SCENARIOS: Scenario[] = [
  {
    name: "first sync of 4 executors",
    prepare: (gitlab, prefix) => writeSite(gitlab, prefix, FIRST),
    final: FIRST,
  },
  {
    name: "config lost: 4 token resets",
    prepare: async (gitlab, prefix) => {
      await writeSite(gitlab, prefix, FIRST);
      expectOk(await runCli(prefix), gitlab);
      await Deno.remove(prefix.outputFile);
    },
    final: FIRST,
  },
  {
    name: "revoked token, removed and added executor, drifted tags",
    prepare: async (gitlab, prefix) => {
      await writeSite(gitlab, prefix, FIRST);
      expectOk(await runCli(prefix), gitlab);
      const byName = (d: string) => ownRunners(gitlab).find((r) => r.description.includes(d))!;
      gitlab.revokeToken(byName("shell").id);
      gitlab.updateRunner(byName("gpu").id, { tag_list: ["node7", "main", "docker"] });
      await prefix.removeExecutor("batch");
      await writeExecutor(gitlab, prefix, "extra");
    },
    final: AFTER_CHANGES,
  },
];

type Phase = "arrived" | "acted";

/** Whether killing after GitLab acted differs from killing on arrival (the request changes state). */
function changesState(r: Pick<RecordedRequest, "method" | "path">): boolean {
  return r.method !== "GET" && r.path !== "/runners/verify";
}

/**
 * Starts the CLI and kills it with SIGKILL when request number `k` of this run (0-based) reaches
 * `phase`. Resolves true when it was killed there, false when the run ended first.
 */
async function killAt(
  gitlab: FakeGitLab,
  prefix: Prefix,
  k: number,
  phase: Phase,
): Promise<boolean> {
  const start = gitlab.requests.length;
  let fired = false;
  const run = { kill: () => {} };
  gitlab.setGate((request, at) => {
    if (fired || at !== phase || gitlab.requests.indexOf(request) !== start + k) return "pass";
    fired = true;
    run.kill();
    return "hold";
  });
  const { child, done } = spawnCli(prefix);
  run.kill = () => child.kill("SIGKILL");
  const result = await done;
  gitlab.setGate(undefined);
  if (fired) equal(result.signal, "SIGKILL", "the run was killed");
  return fired;
}

/**
 * One normal run after the kills: it converges, and it registers only runners GitLab does not
 * have yet — whatever the killed runs created is adopted in place, never registered again.
 */
async function recover(gitlab: FakeGitLab, prefix: Prefix, final: string[]): Promise<void> {
  // A killed run's last request may still be acting (e.g. creating a runner): let it finish.
  await gitlab.settled();
  const wanted = descriptionsOf(final);
  const present = new Set(ownRunners(gitlab).map((r) => r.description));
  const kept = ownRunners(gitlab).filter((r) => wanted.includes(r.description)).map((r) => r.id);
  const seen = gitlab.requests.length;
  expectOk(await runCli(prefix), gitlab);
  const registered = countRequests(gitlab, "POST", "/user/runners", seen) +
    countRequests(gitlab, "POST", "/runners", seen);
  const lacking = wanted.filter((d) => !present.has(d)).length;
  equal(registered, lacking, `registers only what GitLab lacks (${lacking}), not ${registered}`);
  const ids = new Set(ownRunners(gitlab).map((r) => r.id));
  ok(kept.every((id) => ids.has(id)), "runners that existed keep their ids");
  await assertConverged(gitlab, prefix, wanted);
}

/** The requests (method, path) of an uninterrupted run of `scenario`. */
async function referenceRun(scenario: Scenario) {
  let requests: { method: string; path: string }[] = [];
  await withSetup({}, async (gitlab, prefix) => {
    await scenario.prepare(gitlab, prefix);
    const start = gitlab.requests.length;
    expectOk(await runCli(prefix), gitlab);
    requests = gitlab.requests.slice(start).map(({ method, path }) => ({ method, path }));
    await assertConverged(gitlab, prefix, descriptionsOf(scenario.final));
  });
  return requests;
}

for (const scenario of SCENARIOS) {
  Deno.test(`kill -9 at every request (${scenario.name}), then one run converges`, async (t) => {
    const requests = await referenceRun(scenario);
    ok(requests.length >= 5, `a real sync: ${requests.length} requests`);
    const points = requests.flatMap((r, k) =>
      (changesState(r) ? ["arrived", "acted"] as const : ["arrived"] as const).map((phase) => ({
        k,
        phase,
        what: `${r.method} ${r.path.replace(/\d+/g, ":id")}`,
      }))
    );
    for (const { k, phase, what } of points) {
      await t.step(`request ${k + 1}/${requests.length} ${what} ${phase}`, async () => {
        await withSetup({}, async (gitlab, prefix) => {
          await scenario.prepare(gitlab, prefix);
          ok(await killAt(gitlab, prefix, k, phase), "the run reached the kill point");
          await recover(gitlab, prefix, scenario.final);
        });
      });
    }
  });
}

Deno.test("kill -9 three times in a row at random requests, then one run converges", async (t) => {
  const random = seededRandom(20240611);
  for (let round = 0; round < 6; round++) {
    const scenario = SCENARIOS[round % SCENARIOS.length]!;
    const kills = Array.from({ length: 3 }, () => ({
      k: Math.floor(random() * 9),
      phase: random() < 0.5 ? "arrived" as const : "acted" as const,
    }));
    const label = kills.map((x) => `${x.k + 1}/${x.phase}`).join(", ");
    await t.step(`${scenario.name}: ${label}`, async () => {
      await withSetup({}, async (gitlab, prefix) => {
        await scenario.prepare(gitlab, prefix);
        for (const { k, phase } of kills) await killAt(gitlab, prefix, k, phase);
        await recover(gitlab, prefix, scenario.final);
      });
    });
  }
});

Deno.test("kill -9 after a random delay (also while writing the config), then one run converges", async (t) => {
  const random = seededRandom(7);
  for (let round = 0; round < 8; round++) {
    const delayMs = 20 + Math.floor(random() * 160);
    await t.step(`after ${delayMs} ms`, async () => {
      await withSetup({ latencyMs: 2 }, async (gitlab, prefix) => {
        await SCENARIOS[round % 2]!.prepare(gitlab, prefix);
        const { child, done } = spawnCli(prefix);
        const timer = setTimeout(() => child.kill("SIGKILL"), delayMs);
        await done;
        clearTimeout(timer);
        // As if a run had died between creating its temp file and renaming it (it holds tokens).
        const stale = `${prefix.dir}/.config.main.toml.tmp-99999999-0a1b2c`;
        await Deno.writeTextFile(stale, 'token = "x"\n', { mode: 0o600 });
        await recover(gitlab, prefix, FIRST);
      });
    });
  }
});

Deno.test("a lost registration reply is not repeated; the next run adopts the runner in place", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, FIRST);
    gitlab.addFault({ kind: "drop-after-act", method: "POST", path: "/user/runners" });
    const first = await runCli(prefix);
    equal(first.code, 5, `no previous config: exit 5; stderr:\n${first.stderr}`);
    equal(countRequests(gitlab, "POST", "/user/runners"), FIRST.length, "each created once");
    equal(ownRunners(gitlab).length, FIRST.length, "GitLab created all four");
    const ids = ownRunners(gitlab).map((r) => r.id);

    const seen = gitlab.requests.length;
    expectOk(await runCli(prefix), gitlab);
    equal(countRequests(gitlab, "POST", "/user/runners", seen), 0, "no new registration");
    equal(countRequests(gitlab, "POST", /\/reset_authentication_token$/, seen), 1, "one reset");
    equal(countRequests(gitlab, "DELETE", /^\/runners/, seen), 0, "nothing deleted");
    await assertConverged(gitlab, prefix, descriptionsOf(FIRST));
    equal(ownRunners(gitlab).map((r) => r.id).join(), ids.join(), "same runner ids");
  });
});

Deno.test("registration token only (no listing): a kill before a registration loses no earlier token", async (t) => {
  const options = { userRunnersApi: false, allowRegistrationToken: true };
  for (let k = 0; k < FIRST.length; k++) {
    await t.step(`killed when registration ${k + 1}/${FIRST.length} reaches GitLab`, async () => {
      await withSetup(options, async (gitlab, prefix) => {
        await prefix.writeTemplate([{
          url: gitlab.url,
          registration_token: gitlab.tokens.registrationToken,
        }]);
        for (const name of FIRST) await writeExecutor(gitlab, prefix, name);
        ok(await killAt(gitlab, prefix, k, "arrived"), "the run reached the kill point");
        await recover(gitlab, prefix, FIRST);
      });
    });
  }
});
