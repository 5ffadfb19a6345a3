import assert from "node:assert/strict";
import { GLOBAL_TYPES, RUNNER_TYPES } from "./keys.ts";
import {
  findUnknownKeys,
  GLOBAL_TABLE,
  knownKey,
  RUNNER_SCHEMA_VERSION,
  RUNNER_TABLE,
  schemaKnows,
  schemaTable,
} from "./runner_schema.ts";

Deno.test("runner schema: names its gitlab-runner version and holds every sub-table", () => {
  assert.match(RUNNER_SCHEMA_VERSION, /^v\d+\.\d+\.\d+$/);
  for (
    const key of [
      "docker",
      "kubernetes",
      "custom",
      "cache",
      "machine",
      "autoscaler",
      "ssh",
      "parallels",
      "virtualbox",
      "custom_build_dir",
      "instance",
    ]
  ) assert.match(RUNNER_TABLE.keys[key] ?? "", /^table /, key);
  assert.equal(RUNNER_TABLE.keys.feature_flags, "map");
  assert.match(GLOBAL_TABLE.keys.session_server ?? "", /^table /);
  assert.match(GLOBAL_TABLE.keys.runners ?? "", /^array /);
  const cache = schemaTable((RUNNER_TABLE.keys.cache as string).slice("table ".length));
  for (const sub of ["s3", "gcs", "azure"]) assert.match(cache.keys[sub] ?? "", /^table /);
});

Deno.test("runner schema: every key register-runner type-checks is a schema key", () => {
  for (const key of Object.keys(GLOBAL_TYPES)) assert.ok(GLOBAL_TABLE.keys[key], key);
  for (const key of Object.keys(RUNNER_TYPES)) assert.ok(RUNNER_TABLE.keys[key], key);
});

Deno.test("runner schema: keys match exactly or ignoring case, like gitlab-runner's decoder", () => {
  assert.equal(knownKey(RUNNER_TABLE, "builds_dir"), "builds_dir");
  assert.equal(knownKey(RUNNER_TABLE, "Builds_Dir"), "builds_dir");
  assert.equal(knownKey(RUNNER_TABLE, "build_dir"), undefined);
  assert.equal(knownKey(RUNNER_TABLE, "constructor"), undefined);
  assert.equal(knownKey(RUNNER_TABLE, "__proto__"), undefined);
});

Deno.test("runner schema: unknown keys at any depth, allowed ones and their subtrees skipped", () => {
  const value = {
    build_dir: "/b",
    docker: { image: "a", imagee: "b", services: [{ name: "s" }, { nme: "t" }] },
    kubernetes: { new_table: { x: 1 } },
    labels: { anything: "goes" },
    feature_flags: { FF_ANY: true },
  };
  const found = findUnknownKeys(RUNNER_TABLE, value, {
    path: [],
    name: "runners",
    allow: new Set(["runners.kubernetes.new_table"]),
  });
  assert.deepEqual(found.map((u) => [u.path, u.name, u.suggestion]), [
    [["build_dir"], "runners.build_dir", "builds_dir"],
    [["docker", "imagee"], "runners.docker.imagee", "image"],
    [["docker", "services", 1, "nme"], "runners.docker.services.nme", "name"],
  ]);
});

Deno.test("schemaKnows: dotted config.toml names through tables, arrays and free maps", () => {
  assert.equal(schemaKnows("concurrent"), true);
  assert.equal(schemaKnows("runners.docker.image"), true);
  assert.equal(schemaKnows("runners.docker.services.alias"), true);
  assert.equal(schemaKnows("runners.labels.anything"), true);
  assert.equal(schemaKnows("runners.docker.new_key"), false);
  assert.equal(schemaKnows("runners.docker.image.deeper"), false);
  assert.equal(schemaKnows("new_global"), false);
});
