import assert from "node:assert/strict";
import { InputErrors } from "./problems.ts";
import { loadSite } from "./site.ts";
import { testEnv } from "../../tests/support/env.ts";
import { inputErrorOf, shown } from "../../tests/support/input_errors.ts";
import { MINIMAL_SITE, Prefix } from "../../tests/support/prefix.ts";

const HEAD = 'url = "https://gitlab.example.com"\nexecutor = "batch"\n';

async function load(text: string) {
  const prefix = (await Prefix.create({ ...MINIMAL_SITE, executors: { "x.toml": text } })).dir;
  return await loadSite({ prefix, instance: "main", env: testEnv() });
}

async function problems(text: string): Promise<string[]> {
  const prefix = (await Prefix.create({ ...MINIMAL_SITE, executors: { "x.toml": text } })).dir;
  const error = await inputErrorOf(() => loadSite({ prefix, instance: "main", env: testEnv() }));
  return error instanceof InputErrors ? error.problems.map(shown) : [shown(error)];
}

Deno.test("executor facts: read, consumed (not passed to config.toml), absent by default", async () => {
  const none = await load(HEAD);
  assert.equal(none.site.executors[0]!.facts, undefined);
  assert.ok(!("facts" in none.site.executors[0]!));
  const list = await load(HEAD + 'facts = ["scheduler", "architecture"]\n');
  assert.deepEqual(list.site.executors[0]!.facts, ["scheduler", "architecture"]);
  assert.deepEqual(list.site.executors[0]!.runnerKeys, {});
  assert.deepEqual(list.warnings.filter((w) => w.includes("facts")), []);
  assert.equal((await load(HEAD + "facts = false\n")).site.executors[0]!.facts, false);
});

Deno.test("executor facts: wrong values are reported with their line", async () => {
  const found = await problems(HEAD + 'facts = ["cpu", 3, "scheduler"]\n');
  assert.equal(found.length, 2, found.join("\n"));
  assert.match(found[0]!, /`facts\[0\]` \(line 3\): "cpu" is not a fact; known: architecture,/);
  assert.match(found[0]!, /Write facts = true, facts = false, or a list of "architecture"/);
  assert.match(
    found[1]!,
    /`facts\[1\]` \(line 3\): must be a string \(a fact name\), not an integer/,
  );
  const [wrongType] = await problems(HEAD + 'facts = "all"\n');
  assert.match(
    wrongType!,
    /`facts` \(line 3\): must be true, false or an array of fact names, not a string/,
  );
});
