import assert from "node:assert/strict";
import { join } from "node:path";
import { isPlaceholder, readSecretFile, resolveSecretPath, secretValueProblem } from "./secrets.ts";
import { testEnv } from "../../tests/support/env.ts";
import { inputErrorOf } from "../../tests/support/input_errors.ts";
import { tempDir } from "../../tests/support/temp.ts";

Deno.test("isPlaceholder: the Python sample's {name} values", () => {
  assert.ok(isPlaceholder("{personal_access_token}"));
  assert.ok(isPlaceholder(" {registration_token} "));
  assert.ok(!isPlaceholder("glpat-fake-0000"));
  assert.ok(!isPlaceholder("{a}{b}"));
});

Deno.test("secretValueProblem: empty, too long, whitespace and control characters", () => {
  assert.equal(secretValueProblem("glpat-fake-0000"), undefined);
  assert.equal(secretValueProblem(""), "is empty");
  assert.match(secretValueProblem("x".repeat(5000))!, /characters long/);
  assert.match(secretValueProblem("a b")!, /whitespace/);
  assert.match(secretValueProblem("a\u0000b")!, /control/);
});

Deno.test("readSecretFile: trims, refuses empty, open and oversized files", async () => {
  const dir = await tempDir();
  const file = join(dir, "t");
  await Deno.writeTextFile(file, "\n  glpat-fake-0000 \n", { mode: 0o600 });
  assert.equal((await readSecretFile(file, true)).reveal(), "glpat-fake-0000");
  await Deno.chmod(file, 0o644);
  const open = await inputErrorOf(() => readSecretFile(file, true));
  assert.match(open.message, /mode 0644/);
  assert.doesNotMatch(open.message, /glpat/);
  assert.equal((await readSecretFile(file, false)).reveal(), "glpat-fake-0000");
  await Deno.writeTextFile(file, " \n");
  assert.match((await inputErrorOf(() => readSecretFile(file, false))).message, /is empty/);
  await Deno.writeTextFile(file, "x".repeat(70_000));
  assert.match((await inputErrorOf(() => readSecretFile(file, false))).message, /more than/);
  await Deno.writeTextFile(file, "glpat-fake-0000\nsecond-line");
  const two = await inputErrorOf(() => readSecretFile(file, false));
  assert.match(two.message, /whitespace/);
  assert.doesNotMatch(two.message, /glpat|second-line/);
});

Deno.test("resolveSecretPath: credentials directory, absolute and prefix-relative paths", async () => {
  const credentials = await tempDir();
  await Deno.writeTextFile(join(credentials, "pat"), "x");
  const env = testEnv({ vars: { CREDENTIALS_DIRECTORY: credentials } });
  assert.equal(await resolveSecretPath("pat", "/etc/gr", env), join(credentials, "pat"));
  assert.equal(await resolveSecretPath("other", "/etc/gr", env), "/etc/gr/other");
  assert.equal(await resolveSecretPath("sub/pat", "/etc/gr", env), "/etc/gr/sub/pat");
  assert.equal(await resolveSecretPath("/abs/pat", "/etc/gr", env), "/abs/pat");
  assert.equal(await resolveSecretPath("pat", "/etc/gr", testEnv()), "/etc/gr/pat");
});
