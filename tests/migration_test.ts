/**
 * End-to-end: what an administrator migrating from the Python gitlab-runner-auth brings along —
 * LLNL's own tag_schema.json (`"$schema": "http://json-schema.org/schema/"`) and the habit of
 * passing the `capture_tags` module name to `--capture-tags`.
 */

import { doesNotMatch, equal, match, ok } from "node:assert/strict";
import { HOST, ROOT, runCli } from "./support/cli.ts";
import { ownRunners, withSetup } from "./support/e2e.ts";

/** LLNL's sample tag_schema.json as the Python tool shipped it (tabs and all). */
const LLNL_SCHEMA = `{
\t"$id": "https://example.com/tag_schema.json",
\t"$schema": "http://json-schema.org/schema/",
\t"title": "tag_schema",
\t"type": "object",
\t"properties": {
\t\t"hostname": {"type": "string"},
\t\t"clustername": {"type": "string"},
\t\t"os": { "type": "string", "enum": [ "toss", "rhel8", "centos8" ]},
\t\t"architecture": {"type": "string", "enum": ["x86", "aarch64", "ppc64", "arm64"]},
\t\t"executor": {"type": "string", "enum": ["shell", "batch", "docker", "docker-machine", "ssh", "custom", "virtualbox"]},
\t\t"GPU": { "type": "string"},
\t\t"micro-architecture": {"type": "string"}
\t},
\t"required": ["hostname", "clustername", "os", "architecture", "executor"],
\t"custom-name": "custom"
}
`;

/** A site capture program giving what LLNL's schema requires, as its capture_tags module did. */
const CAPTURE = `#!/bin/sh
cat >/dev/null
echo '{"clustername": "node", "os": "toss", "executor": "shell", "architecture": "x86"}'
`;

Deno.test("LLNL's tag_schema.json ($schema http://json-schema.org/schema/) is accepted", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await prefix.writeTemplate([{
      url: gitlab.url,
      personal_access_token: gitlab.tokens.adminPat,
    }]);
    await prefix.writeExecutor(
      "shell",
      `url = "${gitlab.url}"\nexecutor = "shell"\nfacts = false\n`,
    );
    await prefix.writeFile("tag_schema.json", LLNL_SCHEMA);
    await prefix.writeFile("capture", CAPTURE);
    await Deno.chmod(`${prefix.dir}/capture`, 0o700);
    const args = [
      "--tag-schema",
      `${prefix.dir}/tag_schema.json`,
      "--capture-tags",
      `${prefix.dir}/capture`,
    ];
    const result = await runCli(prefix, ["sync", ...args]);
    equal(result.code, 0, result.stderr);
    doesNotMatch(result.stderr, /\$schema/, "a dialect it knows: no warning");
    const runner = ownRunners(gitlab)[0];
    ok(runner, "registered");
    for (const tag of [HOST, "main", "shell", "node", "toss", "x86"]) {
      ok(runner.tag_list.includes(tag), `${tag} in ${runner.tag_list}`);
    }
  });
});

Deno.test("--capture-tags capture_tags: says capture programs are executables now", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await prefix.writeTemplate([{
      url: gitlab.url,
      personal_access_token: gitlab.tokens.adminPat,
    }]);
    await prefix.writeExecutor("shell", `url = "${gitlab.url}"\nexecutor = "shell"\n`);
    const result = await runCli(prefix, ["sync", "--capture-tags", "capture_tags"], {
      PATH: `${ROOT}examples/capture`,
    });
    equal(result.code, 3, result.stderr);
    match(
      result.stderr,
      /capture program capture_tags was not found on \$PATH: capture programs are now executables/,
    );
    match(result.stderr, /examples\/capture\/capture-tags\.py/);
    equal(await prefix.readOutput(), undefined, "nothing written");
  });
});
