import assert from "node:assert/strict";
import { join } from "node:path";
import type { Clock } from "../kernel/env.ts";
import type { Site } from "../kernel/model.ts";
import { Secret } from "../kernel/secret.ts";
import { loadOrRecoverTornConfig } from "./torn_config.ts";
import { FakeClock } from "../../tests/support/env.ts";
import { siteOf } from "../../tests/support/fixtures.ts";
import { tempDir } from "../../tests/support/temp.ts";

const FULL = `concurrent = 4

[[runners]]
  name = "node7 main shell Runner"
  url = "https://gitlab.example.com"
  id = 7
  token = "glrt-fake-0000"
  executor = "shell"
`;
const TORN = FULL.slice(0, FULL.indexOf("glrt-") + 3);

async function siteIn(text: string, pat = true): Promise<Site> {
  const dir = await tempDir("torn");
  const site: Site = {
    ...siteOf([]),
    prefix: dir,
    outputFile: join(dir, "config.main.toml"),
    clients: [{
      url: "https://gitlab.example.com",
      key: "https://gitlab.example.com",
      apiBase: "https://gitlab.example.com/api/v4",
      ...(pat ? { personalAccessToken: new Secret("glpat-fake-0000") } : {}),
      source: { file: join(dir, "config.template.main.toml") },
    }],
  };
  await Deno.writeTextFile(site.outputFile, text, { mode: 0o600 });
  return site;
}

async function copiesIn(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.name.includes(".torn-")) names.push(e.name);
  return names.sort();
}

Deno.test("torn config: read again three times over about 100 ms on the injected clock, then kept aside", async () => {
  const site = await siteIn(TORN);
  const clock = new FakeClock(Date.UTC(2026, 0, 2, 3, 4, 5));
  const result = await loadOrRecoverTornConfig(site, clock);
  assert.equal(result.local, undefined);
  assert.deepEqual(clock.sleeps, [35, 35, 35]);
  const copies = await copiesIn(site.prefix);
  assert.deepEqual(copies, ["config.main.toml.torn-20260102T030405Z"]);
  assert.match(result.warnings[0]!, /config\.main\.toml\.torn-20260102T030405Z \(0600\)/);
  assert.equal(await Deno.readTextFile(join(site.prefix, copies[0]!)), TORN);
  assert.equal(await Deno.readTextFile(site.outputFile), TORN, "the config itself is left to sync");
  // The same second again: a new name, the first copy kept.
  await loadOrRecoverTornConfig(site, clock);
  assert.equal((await copiesIn(site.prefix)).length, 2);
});

Deno.test("torn config that gitlab-runner finishes writing during the wait: the complete file is used, no copy", async () => {
  const site = await siteIn(TORN);
  const sleeps: number[] = [];
  const clock: Clock = {
    now: () => new Date(Date.UTC(2026, 0, 1)),
    monotonic: () => sleeps.reduce((a, b) => a + b, 0),
    sleep: async (ms) => {
      sleeps.push(ms);
      if (sleeps.length === 2) await Deno.writeTextFile(site.outputFile, FULL);
    },
  };
  const result = await loadOrRecoverTornConfig(site, clock);
  assert.equal(result.local?.text, FULL);
  assert.equal(result.local?.runners[0]?.id, 7);
  assert.deepEqual(result.warnings, []);
  assert.deepEqual(await copiesIn(site.prefix), []);
});

Deno.test("torn config without a personal access token: the load error, with a hint; no copy", async () => {
  const site = await siteIn(TORN, false);
  await assert.rejects(
    () => loadOrRecoverTornConfig(site, new FakeClock()),
    (e: Error & { exitCode?: number; hint?: string }) =>
      e.exitCode === 3 && /looks cut short/.test(e.message) &&
      /With a personal access token for https:\/\/gitlab\.example\.com/.test(e.hint ?? ""),
  );
  assert.deepEqual(await copiesIn(site.prefix), []);
});

Deno.test("a config that does not parse for another reason: the load error at once, no wait", async () => {
  const site = await siteIn(FULL.replace('executor = "shell"', "executor = shell"));
  const clock = new FakeClock();
  await assert.rejects(() => loadOrRecoverTornConfig(site, clock), /Invalid TOML/);
  assert.deepEqual(clock.sleeps, []);
});
