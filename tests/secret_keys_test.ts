/**
 * gitlab-runner's secret-bearing keys (cache credentials, SSH passwords, registry auth and
 * secret-like `environment` entries) never show in `plan`'s diff, as text or JSON.
 */

import { equal, match, ok } from "node:assert/strict";
import { runCli } from "./support/cli.ts";
import { withSetup } from "./support/e2e.ts";

/** Values that must never be shown, each in a place gitlab-runner reads a secret from. */
const SECRETS = {
  s3Secret: "s3-secret-value-1",
  s3Access: "s3-access-value-2",
  s3Session: "s3-session-value-3",
  gcsKey: "gcs-private-key-4",
  azureKey: "azure-account-key-5",
  sshPassword: "ssh-password-value-6",
  dockerAuth: "ZG9ja2VyOmF1dGg=-7",
  envToken: "env-token-value-8",
  envPassword: "env-password-value-9",
  envSecret: "env-secret-value-10",
  envKey: "env-key-value-11",
  machineKey: "machine-secret-12",
};

const EXECUTOR = (url: string) =>
  [
    `url = "${url}"`,
    `executor = "ssh"`,
    `environment = ["PLAIN=visible-value", "DEPLOY_TOKEN=${SECRETS.envToken}",`,
    `  "DB_PASSWORD=${SECRETS.envPassword}", 'APP_SECRET=${SECRETS.envSecret}',`,
    `  "SIGNING_KEY=${SECRETS.envKey}",`,
    String
      .raw`  "DOCKER_AUTH_CONFIG={\"auths\":{\"r.example\":{\"auth\":\"${SECRETS.dockerAuth}\"}}}"]`,
    `[ssh]`,
    `host = "build1"`,
    `password = "${SECRETS.sshPassword}"`,
    `[cache]`,
    `Type = "s3"`,
    `[cache.s3]`,
    `ServerAddress = "s3.example"`,
    `AccessKey = "${SECRETS.s3Access}"`,
    `SecretKey = "${SECRETS.s3Secret}"`,
    `SessionToken = "${SECRETS.s3Session}"`,
    `[cache.gcs]`,
    `CredentialsFile = "/etc/gitlab-runner/gcs.json"`,
    `PrivateKey = "${SECRETS.gcsKey}"`,
    `[cache.azure]`,
    `AccountKey = "${SECRETS.azureKey}"`,
    `[machine]`,
    `MachineOptions = ["amazonec2-secret-key=${SECRETS.machineKey}", "amazonec2-region=eu-west-1"]`,
    "",
  ].join("\n");

Deno.test("plan's diff (text and JSON) masks gitlab-runner's secret-bearing keys and variables", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await prefix.writeTemplate([{
      url: gitlab.url,
      personal_access_token: gitlab.tokens.adminPat,
    }]);
    await prefix.writeExecutor("ssh", EXECUTOR(gitlab.url));
    for (const args of [["plan"], ["plan", "--output", "json"]]) {
      const result = await runCli(prefix, args);
      equal(result.code, 10, result.stderr);
      const shown = result.stdout + result.stderr;
      for (const [where, value] of Object.entries(SECRETS)) {
        ok(!shown.includes(value), `${args.join(" ")}: ${where} shown:\n${shown}`);
      }
      // What is not secret still shows, so the diff stays useful.
      for (const visible of ["PLAIN=visible-value", "amazonec2-region=eu-west-1", "gcs.json"]) {
        ok(shown.includes(visible), `${args.join(" ")}: ${visible} kept`);
      }
      match(shown, /SecretKey = \\?"\[redacted\]\\?"/);
      match(shown, /DOCKER_AUTH_CONFIG=\[redacted\]/);
    }
    // sync still writes the real values: masking is for showing only.
    equal((await runCli(prefix)).code, 0);
    const written = (await prefix.readOutput())!;
    for (const value of Object.values(SECRETS)) ok(written.includes(value), value);
  });
});
