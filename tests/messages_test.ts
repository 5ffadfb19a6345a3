/**
 * Messages an operator can act on: a missing secret names every place searched and what
 * `$CREDENTIALS_DIRECTORY` was; a 403 on listing does not suggest an auditor's token.
 */

import { doesNotMatch, equal, match } from "node:assert/strict";
import { runCli } from "./support/cli.ts";
import { withSetup, writeSite } from "./support/e2e.ts";
import { tempDir } from "./support/temp.ts";

Deno.test("a missing *_file secret names every place searched, as absolute paths", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await prefix.writeFile(
      "config.template.main.toml",
      `concurrent = 1\n\n[[client_configs]]\nurl = "${gitlab.url}"\npersonal_access_token_file = "gitlab-pat"\n`,
    );
    await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = "shell"\n`);
    const credentials = await tempDir("creds");

    const set = await runCli(prefix, ["check"], { CREDENTIALS_DIRECTORY: credentials });
    equal(set.code, 3, set.stderr);
    const line = set.stderr.split("\n").find((l) => l.includes("gitlab-pat"))!;
    match(line, /^error: /);
    match(line, new RegExp(`${credentials}/gitlab-pat`));
    match(line, new RegExp(`${prefix.dir}/gitlab-pat`));
    match(line, /\$CREDENTIALS_DIRECTORY is \//);
    match(line, /on a manual run it is unset/);

    const unset = await runCli(prefix, ["check"]);
    equal(unset.code, 3, unset.stderr);
    match(unset.stderr, new RegExp(`${prefix.dir}/gitlab-pat`));
    match(unset.stderr, /\$CREDENTIALS_DIRECTORY is not set/);
  });
});

Deno.test("a 403 on listing asks for an administrator's token, not an auditor's", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell"]);
    gitlab.addFault({
      kind: "status",
      method: "GET",
      path: "/runners/all",
      status: 403,
      body: '{"message":"403 Forbidden"}',
      times: Infinity,
    });
    const result = await runCli(prefix);
    equal(result.code, 4, result.stderr);
    match(result.stderr, /administrator's token/);
    doesNotMatch(result.stderr, /\(or auditor's\) token/);
    match(result.stderr, /auditor's can list but not create/);
  });
});
