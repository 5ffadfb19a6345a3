import assert from "node:assert/strict";
import {
  CLIENT_KEYS,
  didYouMean,
  editDistance,
  GLOBAL_TYPES,
  lookup,
  RUNNER_TYPES,
} from "./keys.ts";

const RUNNER = ["run_untagged", "locked", "tags", ...Object.keys(RUNNER_TYPES)];

Deno.test("didYouMean: typos, case, dashes and known aliases", () => {
  assert.equal(didYouMean("run_untaged", RUNNER), "run_untagged");
  assert.equal(didYouMean("run-untagged", RUNNER), "run_untagged");
  assert.equal(didYouMean("tls_ca_file", RUNNER), "tls-ca-file");
  assert.equal(didYouMean("concurent", Object.keys(GLOBAL_TYPES)), "concurrent");
  assert.equal(didYouMean("Concurrent", Object.keys(GLOBAL_TYPES)), "concurrent");
  assert.equal(didYouMean("dokcer", RUNNER), "docker");
  assert.equal(didYouMean("tag_list", RUNNER), "tags");
  assert.equal(didYouMean("access_token", CLIENT_KEYS), "personal_access_token");
});

Deno.test("didYouMean: nothing for unrelated words", () => {
  assert.equal(didYouMean("banana", RUNNER), undefined);
  assert.equal(didYouMean("x", RUNNER), undefined);
  assert.equal(didYouMean("constructor", RUNNER), undefined);
});

Deno.test("editDistance: counts a transposition as one edit", () => {
  assert.equal(editDistance("abc", "abc"), 0);
  assert.equal(editDistance("abc", "acb"), 1);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("", "abc"), 3);
});

Deno.test("lookup: ignores inherited properties", () => {
  assert.equal(lookup(GLOBAL_TYPES, "constructor"), undefined);
  assert.equal(lookup(GLOBAL_TYPES, "__proto__"), undefined);
  assert.equal(lookup(GLOBAL_TYPES, "concurrent"), "integer");
});
