/**
 * The rotation window: gitlab-runner rotates a token and rewrites config.toml in place after
 * register-runner's last read and before its rename. The sync runs in-process against the fake
 * GitLab so a hook (passed through the sync options) can play gitlab-runner at exactly that
 * instant; without the re-check after the rename the revoked token would be written back.
 */

import { equal, ok } from "node:assert/strict";
import { sync } from "../src/commands/sync.ts";
import { HOST, runCli } from "./support/cli.ts";
import { expectOk, sectionsOf, withSetup, writeExecutor, writeSite } from "./support/e2e.ts";
import { testEnv } from "./support/env.ts";
import type { FakeGitLab } from "./support/fake_gitlab/server.ts";
import type { Prefix } from "./support/prefix.ts";

/**
 * What gitlab-runner does at 75 % of a token's lifetime: reset it with itself, then write
 * config.toml in place (truncate and write the same inode, like Go's os.WriteFile) with the new
 * token and a later `token_obtained_at`. Returns the new token.
 */
async function rotateLikeGitLabRunner(
  gitlab: FakeGitLab,
  path: string,
  id: number,
  obtainedAt: Date,
): Promise<string> {
  const text = await Deno.readTextFile(path);
  const section = sectionsOf(text).find((s) => s.id === id)!;
  const reply = await fetch(`${gitlab.url}/api/v4/runners/reset_authentication_token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token: section.token }),
  });
  equal(reply.status, 201);
  const { token } = (await reply.json()) as { token: string };
  const at = obtainedAt.toISOString().replace(/\.\d+Z$/, "Z");
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.trim() === `id = ${id}`);
  for (let i = start; i < lines.length && lines[i]!.trim() !== "[[runners]]"; i++) {
    lines[i] = lines[i]!.replace(/^(\s*)token = ".*"$/, `$1token = "${token}"`)
      .replace(/^(\s*)token_obtained_at = \S+$/, `$1token_obtained_at = ${at}`);
  }
  const file = await Deno.open(path, { write: true, truncate: true }); // same inode
  try {
    await file.write(new TextEncoder().encode(lines.join("\n")));
  } finally {
    file.close();
  }
  return token;
}

function syncOptions(prefix: Prefix, beforeRename: (path: string) => Promise<void>) {
  const env = testEnv({ hostname: HOST });
  return {
    env,
    options: {
      prefix: prefix.dir,
      instance: prefix.instance,
      env,
      timeoutMs: 30_000,
      checkPermissions: true,
      concurrency: 4,
      strict: false,
      allowEmpty: false,
      lockTimeoutMs: 5_000,
      configWriteHooks: { beforeRename },
    },
  };
}

Deno.test("a token gitlab-runner rotates between the last read and the rename is kept, not overwritten", async () => {
  await withSetup({ tokenExpiresInSeconds: 30 * 24 * 3600 }, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell"]);
    expectOk(await runCli(prefix), gitlab);
    const [shell] = sectionsOf(await prefix.readOutput());
    const shellId = shell!.id as number;

    // A second executor file, so this sync rewrites the config (and registers one runner).
    await writeExecutor(gitlab, prefix, "cpu");
    let rotated: string | undefined;
    let renames = 0;
    const { options } = syncOptions(prefix, async (path) => {
      renames++;
      if (rotated !== undefined) return;
      const later = new Date(Date.now() + 3600_000); // after the first run's real clock
      rotated = await rotateLikeGitLabRunner(gitlab, path, shellId, later);
    });
    const report = await sync(options);
    equal(report.config, "written");
    ok(rotated !== undefined, "the hook ran");
    const sections = sectionsOf(await prefix.readOutput());
    const after = sections.find((s) => s.id === shellId)!;
    equal(gitlab.runner(shellId)!.token, rotated, "GitLab holds the rotated token");
    ok(after.token === rotated, "the config holds the rotated token, not the revoked one");
    equal(sections.length, 2, "and the new runner");
    for (const s of sections) ok(s.token === gitlab.runner(s.id as number)!.token);
    equal(renames, 2, "written once more after the re-check");
  });
});

Deno.test("no rotation in the window: one write, no second round", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await writeSite(gitlab, prefix, ["shell"]);
    expectOk(await runCli(prefix), gitlab);
    await writeExecutor(gitlab, prefix, "cpu");
    let renames = 0;
    const { options } = syncOptions(prefix, () => {
      renames++;
      return Promise.resolve();
    });
    equal((await sync(options)).config, "written");
    equal(renames, 1);
    for (const s of sectionsOf(await prefix.readOutput())) {
      ok(s.token === gitlab.runner(s.id as number)!.token);
    }
  });
});
