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

/** A credential that must never show, nor reach config.toml. */
const PLAIN = "plain-secret-4242";
const GLPAT = "glpat-misplaced-0123456789";

Deno.test("a GitLab credential outside client_configs is refused wherever it stands (exit 3, never shown)", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    const entry = (extra = "") =>
      `[[client_configs]]\nurl = "${gitlab.url}"\npersonal_access_token = "${gitlab.tokens.adminPat}"\n${extra}`;
    const shell = `url = "${gitlab.url}"\nexecutor = "shell"\n`;
    const cases: { name: string; template: string; executor: string; expect: RegExp }[] = [
      {
        name: "template top level, pat",
        template: `pat = "${GLPAT}"\n${entry()}`,
        executor: shell,
        expect:
          /template\.main\.toml: key `pat` \(line 1\): is a GitLab credential .*Did you mean `personal_access_token` in a \[\[client_configs\]\] entry\?/,
      },
      {
        name: "template top level, personal_access_token, even when allowed",
        template:
          `allow_unknown_keys = ["personal_access_token"]\npersonal_access_token = "${PLAIN}"\n${entry()}`,
        executor: shell,
        expect:
          /key `personal_access_token` \(line 2\): is a GitLab credential .*Move it into a \[\[client_configs\]\] entry/,
      },
      {
        name: "client_configs entry under a wrong name",
        template: entry(`private_token_file = "${PLAIN}"\n`),
        executor: shell,
        expect:
          /key `client_configs\[0\]\.private_token_file` \(line 4\): unknown key .*Did you mean `personal_access_token_file`\?/,
      },
      {
        name: "executor file, nested",
        template: entry(),
        executor:
          `url = "${gitlab.url}"\nexecutor = "docker"\n[docker]\nimage = "alpine"\nprivate_token = "${PLAIN}"\n`,
        expect:
          /shell\.toml: key `docker\.private_token` \(line 5\): is a GitLab credential .*Did you mean `personal_access_token`/,
      },
      {
        name: "executor file, a PAT under an allowed unknown name",
        template: `allow_unknown_keys = ["runners.docker.api_secret_x"]\n${entry()}`,
        executor:
          `url = "${gitlab.url}"\nexecutor = "docker"\n[docker]\napi_secret_x = "${GLPAT}"\n`,
        expect:
          /key `docker\.api_secret_x` \(line 4\): holds what looks like a GitLab personal access token.*Did you mean `personal_access_token_file` there\?/,
      },
    ];
    for (const c of cases) {
      await prefix.writeFile(`config.template.${prefix.instance}.toml`, c.template);
      await prefix.writeExecutor("shell", c.executor);
      const from = gitlab.requests.length;
      const result = await runCli(prefix);
      equal(result.code, 3, `${c.name}:\n${result.stderr}`);
      match(result.stderr, c.expect, c.name);
      const shown = result.stdout + result.stderr;
      ok(!shown.includes(PLAIN) && !shown.includes(GLPAT), `${c.name}: the value is shown`);
      equal(await prefix.readOutput(), undefined, `${c.name}: no config.toml written`);
      equal(gitlab.requests.length, from, `${c.name}: GitLab untouched`);
    }
  });
});

Deno.test("a credential in one executor file quarantines that file only, even when allowed; --strict fails", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await prefix.writeTemplate(
      [{ url: gitlab.url, personal_access_token: gitlab.tokens.adminPat }],
      'concurrent = 4\nallow_unknown_keys = ["runners.pat"]\n',
    );
    await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = "shell"\n`);
    await prefix.writeExecutor(
      "docker",
      `url = "${gitlab.url}"\nexecutor = "docker"\npat = "${GLPAT}"\n[docker]\nimage = "alpine"\n`,
    );
    const strict = await runCli(prefix, ["--strict"]);
    equal(strict.code, 3, strict.stderr);
    const result = await runCli(prefix);
    equal(result.code, 0, result.stderr);
    match(result.stderr, /^warn: .*docker\.toml: key `pat` \(line 3\): is a GitLab credential/m);
    for (const r of [strict, result]) ok(!(r.stdout + r.stderr).includes(GLPAT), "value shown");
    const written = (await prefix.readOutput())!;
    ok(!written.includes(GLPAT), "the credential is not copied into config.toml");
    match(written, /shell Runner/);
    ok(!/docker Runner/.test(written), "nothing registered for the quarantined file");
  });
});
