import assert from "node:assert/strict";
import { join } from "node:path";
import { isPlaceholder, readSecretFile, resolveSecretPath, secretValueProblem } from "./secrets.ts";
import * as secretsModule from "./secrets.ts";
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

Deno.test("maskSecretValues: gitlab-runner's secret keys and secret-like variables, nothing else", () => {
  const { maskSecretValues } = secretsModule;
  const shown = (line: string) => maskSecretValues(line);
  assert.equal(shown('  SecretKey = "s3-secret"'), '  SecretKey = "[redacted]"');
  assert.equal(shown('SessionToken = "s3-session"'), 'SessionToken = "[redacted]"');
  assert.equal(shown('AccessKey = "AKIA-ID"'), 'AccessKey = "[redacted]"');
  assert.equal(shown("PrivateKey = '-----BEGIN'"), 'PrivateKey = "[redacted]"');
  assert.equal(shown('AccountKey = "azure"'), 'AccountKey = "[redacted]"');
  assert.equal(shown('password = "ssh-pw"'), 'password = "[redacted]"');
  assert.equal(shown('bearer_token = "k8s"'), 'bearer_token = "[redacted]"');
  assert.equal(shown('CredentialsFile = "/etc/gcs.json"'), 'CredentialsFile = "/etc/gcs.json"');
  assert.equal(shown('token = "[new token: reset]"'), 'token = "[new token: reset]"');
  assert.equal(
    shown("token_obtained_at = 2025-12-07T05:27:35Z"),
    "token_obtained_at = 2025-12-07T05:27:35Z",
  );
  assert.equal(
    shown('environment = ["FOO=bar", "API_TOKEN=t0k", "DB_PASSWORD=pw", "MY_SECRET=s"]'),
    'environment = ["FOO=bar", "API_TOKEN=[redacted]", "DB_PASSWORD=[redacted]", "MY_SECRET=[redacted]"]',
  );
  assert.equal(
    shown(String.raw`  "DOCKER_AUTH_CONFIG={\"auths\":{\"r\":{\"auth\":\"dXNlcjpwdw==\"}}}",`),
    '  "DOCKER_AUTH_CONFIG=[redacted]",',
  );
  assert.equal(
    shown(`MachineOptions = ['amazonec2-secret-key=abc', 'SSH_KEY=k', 'amazonec2-region=eu']`),
    `MachineOptions = ['amazonec2-secret-key=[redacted]', 'SSH_KEY=[redacted]', 'amazonec2-region=eu']`,
  );
  assert.equal(shown('"KEYRING=x", "AUTHOR=me"'), '"KEYRING=x", "AUTHOR=me"');
  assert.equal(shown("a\nSecretKey = 'x'\nb"), 'a\nSecretKey = "[redacted]"\nb');
});
