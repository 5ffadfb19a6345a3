/**
 * Record before acting: in a prefix that cannot take the config and the journal (a read-only
 * mount, a full file system), sync and unregister change nothing in GitLab and exit 3 naming the
 * path and the fix. The prefix is a real tmpfs mounted for the test (`mount -t tmpfs`, remounted
 * read-only, or a small one filled up); where mounting is not allowed the tests are skipped.
 */

import { equal, match, ok } from "node:assert/strict";
import { runCli } from "./support/cli.ts";
import { expectOk, ownRunners, writeSite } from "./support/e2e.ts";
import { type FakeGitLab, startFakeGitLab } from "./support/fake_gitlab/server.ts";
import { Prefix } from "./support/prefix.ts";
import { tempDir } from "./support/temp.ts";

async function run(cmd: string, ...args: string[]): Promise<boolean> {
  const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output();
  return out.success;
}

/** Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN, outside a locked-down sandbox). */
async function canMount(): Promise<boolean> {
  try {
    const dir = await tempDir("mount-probe");
    if (!(await run("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir))) return false;
    await run("umount", dir);
    return true;
  } catch {
    return false;
  }
}

const MOUNT = await canMount();
const ignore = !MOUNT;
if (ignore) console.warn("record_before_acting_test: cannot mount a tmpfs here; tests skipped");

/** A fake GitLab and a prefix that is its own tmpfs of `size`; unmounted afterwards. */
async function withTmpfsPrefix(
  size: string,
  body: (gitlab: FakeGitLab, prefix: Prefix) => Promise<void>,
): Promise<void> {
  const gitlab = await startFakeGitLab({});
  const prefix = await Prefix.create({});
  ok(await run("mount", "-t", "tmpfs", "-o", `size=${size},mode=0700`, "tmpfs", prefix.dir));
  try {
    await body(gitlab, prefix);
  } finally {
    await gitlab.close();
    await run("umount", prefix.dir);
    await prefix.cleanup();
  }
}

/** Mutations GitLab recorded since request `from`. */
function mutationsSince(gitlab: FakeGitLab, from: number) {
  return gitlab.mutations().filter((m) => gitlab.requests.indexOf(m) >= from);
}

/** Synced with shell and cpu, then cpu's file removed: the next plan deletes cpu's runner. */
async function prefixWithADeletion(gitlab: FakeGitLab, prefix: Prefix): Promise<void> {
  await writeSite(gitlab, prefix, ["shell", "cpu"]);
  expectOk(await runCli(prefix), gitlab);
  equal(ownRunners(gitlab).length, 2);
  await prefix.removeExecutor("cpu");
}

Deno.test({
  name: "read-only prefix: a plan with a deletion changes nothing in GitLab and exits 3",
  ignore,
  fn: async () => {
    await withTmpfsPrefix("1m", async (gitlab, prefix) => {
      await prefixWithADeletion(gitlab, prefix);
      const config = await prefix.readOutput();
      ok(await run("mount", "-o", "remount,ro", prefix.dir), "remount read-only");
      const seen = gitlab.requests.length;
      for (const args of [[], ["unregister", "--yes"]]) {
        const result = await runCli(prefix, args);
        equal(result.code, 3, `${args.join(" ")}: ${result.stderr}`);
        match(result.stderr, new RegExp(`cannot create a file in ${prefix.dir}`));
        match(result.stderr, /Read-only file system/);
        match(result.stderr, /changed nothing in GitLab/);
        match(result.stderr, /mount .* read-write, then run again/);
      }
      equal(mutationsSince(gitlab, seen).length, 0, "no mutation in GitLab");
      equal(ownRunners(gitlab).length, 2, "both runners still exist");
      equal(await prefix.readOutput(), config, "config untouched");
    });
  },
});

Deno.test({
  name:
    "full prefix: a plan with a deletion changes nothing in GitLab and exits 3; once freed, it syncs",
  ignore,
  fn: async () => {
    await withTmpfsPrefix("64k", async (gitlab, prefix) => {
      await prefixWithADeletion(gitlab, prefix);
      const config = await prefix.readOutput();

      // Fill the file system (the last page may take a few small writes).
      const filler = `${prefix.dir}/filler`;
      const file = await Deno.open(filler, { write: true, createNew: true });
      const page = new Uint8Array(4096);
      try {
        for (let chunk = page; chunk.length > 0;) {
          try {
            await file.write(chunk);
          } catch {
            chunk = chunk.subarray(0, chunk.length >> 1);
          }
        }
      } finally {
        file.close();
      }

      const seen = gitlab.requests.length;
      const result = await runCli(prefix);
      equal(result.code, 3, result.stderr);
      match(result.stderr, /has no room for \d+ bytes \(No space left on device/);
      match(result.stderr, /free space on the file system that holds/);
      equal(mutationsSince(gitlab, seen).length, 0, "no mutation in GitLab");
      equal(ownRunners(gitlab).length, 2, "the runner to delete still exists");
      equal(await prefix.readOutput(), config, "config untouched");

      await Deno.remove(filler);
      expectOk(await runCli(prefix), gitlab);
      equal(ownRunners(gitlab).length, 1, "with room, the deletion goes ahead");
    });
  },
});

Deno.test({
  name:
    "full prefix with nothing to change: sync still succeeds (the probe runs only before a change)",
  ignore,
  fn: async () => {
    await withTmpfsPrefix("64k", async (gitlab, prefix) => {
      await writeSite(gitlab, prefix, ["shell"]);
      expectOk(await runCli(prefix), gitlab);
      const file = await Deno.open(`${prefix.dir}/filler`, { write: true, createNew: true });
      try {
        for (let chunk = new Uint8Array(4096); chunk.length > 0;) {
          try {
            await file.write(chunk);
          } catch {
            chunk = chunk.subarray(0, chunk.length >> 1);
          }
        }
      } finally {
        file.close();
      }
      expectOk(await runCli(prefix), gitlab);
    });
  },
});
