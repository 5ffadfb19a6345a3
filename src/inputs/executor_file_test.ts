import assert from "node:assert/strict";
import type { ExecutorSpec } from "../kernel/model.ts";
import { InputErrors } from "./problems.ts";
import { loadSite } from "./site.ts";
import { testEnv } from "../../tests/support/env.ts";
import { inputErrorOf, shown } from "../../tests/support/input_errors.ts";
import { MINIMAL_SITE, Prefix } from "../../tests/support/prefix.ts";

const HEAD = 'url = "https://gitlab.example.com"\n';

/** Loads one executor file `x.toml`; returns its spec and the warnings. */
async function load(text: string): Promise<{ spec: ExecutorSpec; warnings: string[] }> {
  const prefix = (await Prefix.create({ ...MINIMAL_SITE, executors: { "x.toml": text } })).dir;
  const { site, warnings } = await loadSite({ prefix, instance: "main", env: testEnv() });
  assert.equal(site.executors.length, 1);
  return { spec: site.executors[0]!, warnings };
}

/** The problems one executor file `x.toml` gives. */
async function problems(text: string): Promise<string[]> {
  const prefix = (await Prefix.create({ ...MINIMAL_SITE, executors: { "x.toml": text } })).dir;
  const error = await inputErrorOf(() => loadSite({ prefix, instance: "main", env: testEnv() }));
  return error instanceof InputErrors ? error.problems.map(shown) : [shown(error)];
}

Deno.test("executor: server attributes get defaults and are checked", async () => {
  const { spec } = await load(HEAD + 'executor = "shell"\n');
  assert.deepEqual(spec.attributes, { run_untagged: false, locked: false, paused: false });
  const full = await load(
    HEAD + 'executor = "shell"\nrun_untagged = true\nlocked = true\npaused = true\n' +
      'access_level = "ref_protected"\nmaximum_timeout = 600\nmaintenance_note = "disk swap"\n',
  );
  assert.deepEqual(full.spec.attributes, {
    run_untagged: true,
    locked: true,
    paused: true,
    access_level: "ref_protected",
    maximum_timeout: 600,
    maintenance_note: "disk swap",
  });
  assert.deepEqual(full.spec.runnerKeys, {});
  const found = await problems(
    HEAD + 'executor = "shell"\nrun_untagged = "yes"\naccess_level = "protected"\n' +
      `maximum_timeout = 599\nmaintenance_note = "${"n".repeat(1025)}"\npaused = 1\n`,
  );
  assert.equal(found.length, 5, found.join("\n"));
  assert.match(found[0]!, /`run_untagged` \(line 3\): must be true or false, not a string/);
  assert.match(found[1]!, /`paused` \(line 7\): must be true or false, not an integer/);
  assert.match(
    found[2]!,
    /`access_level` \(line 4\): must be one of "not_protected", "ref_protected", not "protected"/,
  );
  assert.match(found[3]!, /`maximum_timeout` \(line 5\): is 599; it must be between 600/);
  assert.match(found[4]!, /`maintenance_note` \(line 6\): is longer than 1024 characters/);
  assert.match(
    (await problems(HEAD + 'executor = "shell"\nmaximum_timeout = 600.5\n'))[0]!,
    /must be an integer, not a float/,
  );
});

Deno.test("executor: url and executor are required and checked", async () => {
  const missing = await problems("limit = 1\n");
  assert.match(missing[0]!, /x\.toml: key `url`: is missing/);
  assert.match(missing[1]!, /x\.toml: key `executor`: is missing/);
  assert.match(
    (await problems(HEAD + 'executor = ""\n'))[0]!,
    /`executor` \(line 2\): "" is not a valid executor name/,
  );
  assert.match(
    (await problems(HEAD + 'executor = "doc ker"\n'))[0]!,
    /"doc ker" is not a valid executor name/,
  );
  assert.match(
    (await problems('url = 5\nexecutor = "shell"\n'))[0]!,
    /`url` \(line 1\): must be a string, not an integer/,
  );
  const { warnings } = await load(HEAD + 'executor = "dokcer"\n');
  assert.match(
    warnings[0]!,
    /`executor` \(line 2\): "dokcer" is not an executor gitlab-runner ships\. Did you mean `docker`\?/,
  );
});

Deno.test("executor: url matches a client after normalising", async () => {
  const { spec } = await load('url = "HTTPS://GITLAB.example.com//"\nexecutor = "shell"\n');
  assert.equal(spec.clientKey, "https://gitlab.example.com");
});

Deno.test("executor: env_tags and tags are checked item by item", async () => {
  const { spec } = await load(
    HEAD + 'executor = "shell"\nenv_tags = ["SYS_TYPE", "_X1"]\ntags = ["a", "b c"]\n',
  );
  assert.deepEqual(spec.envTags, ["SYS_TYPE", "_X1"]);
  assert.deepEqual(spec.extraTags, ["a", "b c"]);
  const found = await problems(
    HEAD +
      'executor = "shell"\nenv_tags = ["1X", "OK", 3]\ntags = [\n  "a,b",\n  "",\n  " pad",\n' +
      `  "${"t".repeat(256)}",\n  true,\n]\n`,
  );
  assert.equal(found.length, 7, found.join("\n"));
  assert.match(found[0]!, /`env_tags\[0\]` \(line 3\): is not an environment variable name/);
  assert.match(found[1]!, /`env_tags\[2\]` \(line 3\): must be a string, not an integer/);
  assert.match(found[2]!, /`tags\[0\]` \(line 5\): contains a comma/);
  assert.match(found[3]!, /`tags\[1\]` \(line 6\): is empty/);
  assert.match(found[4]!, /`tags\[2\]` \(line 7\): has leading or trailing whitespace/);
  assert.match(found[5]!, /`tags\[3\]` \(line 8\): is longer than 255 characters/);
  assert.match(found[6]!, /`tags\[4\]` \(line 9\): must be a string, not a boolean/);
  assert.match(
    (await problems(HEAD + 'executor = "shell"\ntags = "a,b"\n'))[0]!,
    /`tags` \(line 3\): must be an array of strings, not a string/,
  );
});

Deno.test("executor: generated keys and [[runners]] are refused", async () => {
  const found = await problems(
    HEAD + 'executor = "shell"\ntoken = "glrt-fake-0000"\nid = 3\nname = "n"\ndescription = "d"\n' +
      "token_obtained_at = 2025-01-01T00:00:00Z\ntoken_expires_at = 0001-01-01T00:00:00Z\n",
  );
  assert.deepEqual(
    found.map((f) => /key `(\w+)`/.exec(f)?.[1]),
    ["token", "id", "name", "description", "token_obtained_at", "token_expires_at"],
  );
  assert.match(found[0]!, /must not be set: register-runner obtains the runner token from GitLab/);
  assert.doesNotMatch(found.join("\n"), /glrt-fake/);
  const runners = await problems(
    '[[runners]]\nurl = "https://gitlab.example.com"\nexecutor = "shell"\n',
  );
  assert.ok(
    runners.some((r) =>
      /key `runners` \(line 1\): an executor file holds one runner's keys/.test(r)
    ),
  );
});

Deno.test("executor: gitlab-runner keys pass through, sub-tables included", async () => {
  const { spec, warnings } = await load(
    HEAD + 'executor = "docker"\nlimit = 4\n"tls-ca-file" = "/ca.pem"\n' +
      'environment = ["A=1"]\nfeature_flags = { FF_X = true }\n' +
      '[docker]\nimage = "alpine"\nvolumes = ["/cache"]\n[cache]\ntype = "s3"\n[cache.s3]\n' +
      'BucketName = "b"\n[[docker.services]]\nname = "postgres"\n',
  );
  assert.deepEqual(spec.runnerKeys, {
    limit: 4,
    "tls-ca-file": "/ca.pem",
    environment: ["A=1"],
    feature_flags: { FF_X: true },
    docker: { image: "alpine", volumes: ["/cache"], services: [{ name: "postgres" }] },
    cache: { type: "s3", s3: { BucketName: "b" } },
  });
  assert.deepEqual(warnings, []);
});

Deno.test("executor: keys gitlab-runner's schema lacks are errors, at any depth", async () => {
  const found = await problems(
    HEAD + 'exector = "docker"\nrun_untaged = true\nmystery = 1\nTags = ["a"]\n' +
      '[docker]\nimagee = "alpine"\n[cache.s3]\nBucketNam = "b"\n[[docker.services]]\nnme = "pg"\n' +
      '[custom]\nrun_exc = "/x"\n',
  );
  assert.deepEqual(found.map((f) => /key `([^`]+)` \(line (\d+)\)/.exec(f)?.slice(1).join(":")), [
    "exector:2",
    "run_untaged:3",
    "mystery:4",
    "Tags:5",
    "docker.imagee:7",
    "docker.services[0].nme:11",
    "cache.s3.BucketNam:9",
    "custom.run_exc:13",
  ]);
  assert.match(
    found[0]!,
    /unknown key: gitlab-runner v\d+\.\d+\.\d+ has no `runners\.exector`\. Did you mean `executor`\?/,
  );
  assert.match(found[1]!, /Did you mean `run_untagged`\?/);
  assert.doesNotMatch(found[2]!, /Did you mean/);
  assert.match(found[3]!, /Did you mean `tags`\?/);
  assert.match(found[4]!, /has no `runners\.docker\.imagee`\. Did you mean `image`\?/);
  assert.match(found[5]!, /has no `runners\.docker\.services\.nme`\. Did you mean `name`\?/);
  assert.match(found[7]!, /Did you mean `run_exec`\?/);
  assert.match(found[0]!, /allow_unknown_keys = \["runners\.exector"\]/);
  // Neither "executor is missing" nor "run_exec is required": the misspelling says it all.
  assert.doesNotMatch(found.join("\n"), /is missing|is required/);
});

Deno.test("executor: register-runner's own keys must be spelt exactly", async () => {
  const found = await problems(HEAD + 'Executor = "shell"\nToken = "glrt-fake-0000"\n');
  assert.match(found[0]!, /key `Executor` \(line 2\): unknown key.*Did you mean `executor`\?/);
  assert.match(found[1]!, /key `Token` \(line 3\): unknown key/);
  assert.doesNotMatch(found.join("\n"), /glrt-fake/);
});

Deno.test("executor: known gitlab-runner keys must have gitlab-runner's types", async () => {
  const found = await problems(
    HEAD + 'executor = "docker"\nlimit = "4"\nenvironment = "A=1"\ndocker = "alpine"\n' +
      'feature_flags = { FF_X = "yes" }\n',
  );
  assert.equal(found.length, 4, found.join("\n"));
  assert.match(found[0]!, /`limit` \(line 3\): must be an integer, not a string/);
  assert.match(found[1]!, /`environment` \(line 4\): must be an array of strings, not a string/);
  assert.match(found[2]!, /`docker` \(line 5\): must be a table, not a string/);
  assert.match(found[3]!, /`feature_flags` \(line 6\): must be a table of booleans/);
});

Deno.test("executor: the custom executor needs [custom] run_exec", async () => {
  const found = await problems(HEAD + 'executor = "custom"\n[custom]\nprepare_exec = "/p"\n');
  assert.match(found[0]!, /key `custom\.run_exec` \(line 3\): is required by the custom executor/);
  const { spec } = await load(
    HEAD + 'executor = "custom"\n[custom]\nrun_exec = "/usr/local/bin/run"\n',
  );
  assert.deepEqual(spec.runnerKeys, { custom: { run_exec: "/usr/local/bin/run" } });
});

Deno.test("executor: keys inside named slice types ([[kubernetes.host_aliases]], …) are checked", async () => {
  // gitlab-runner v19.3.0: `type KubernetesHostAliasesFlag []KubernetesHostAliases` and
  // `type JobQueuingDurations []*JobQueuingDuration` are arrays of tables.
  const found = await problems(
    HEAD + 'executor = "kubernetes"\n' +
      '[[kubernetes.host_aliases]]\nipp = "10.0.0.1"\nhostnames = ["a"]\n' +
      '[[monitoring.job_queuing_durations]]\nperiods = ["* * * * *"]\nthreshhold = "1m"\n',
  );
  assert.deepEqual(found.map((f) => /key `([^`]+)` \(line (\d+)\)/.exec(f)?.slice(1).join(":")), [
    "kubernetes.host_aliases[0].ipp:4",
    "monitoring.job_queuing_durations[0].threshhold:8",
  ]);
  assert.match(found[0]!, /has no `runners\.kubernetes\.host_aliases\.ipp`\. Did you mean `ip`\?/);
  assert.match(found[1]!, /Did you mean `threshold`\?/);
  // The right spellings pass.
  const { warnings } = await load(
    HEAD + 'executor = "kubernetes"\n' +
      '[[kubernetes.host_aliases]]\nip = "10.0.0.1"\nhostnames = ["a"]\n' +
      '[[monitoring.job_queuing_durations]]\nperiods = ["* * * * *"]\nthreshold = "1m"\n',
  );
  assert.deepEqual(warnings, []);
});
