/**
 * A hostile or broken host: someone who can write into the prefix plants links, FIFOs and
 * devices where register-runner's own files go; the disk is full; the filesystem is read-only.
 * Root must never write through a planted link, never hang or read without end, and every such
 * failure is exit 3 naming the path and the fix (a read-only filesystem with nothing to change is
 * exit 0 with a warning, so gitlab-runner still starts).
 */

import { equal, match, ok } from "node:assert/strict";
import { DENO_RUN_CLI, HOST, runCli } from "./support/cli.ts";
import type { Prefix } from "./support/prefix.ts";
import { expectOk, withSetup, writeSite } from "./support/e2e.ts";
import type { FakeGitLab } from "./support/fake_gitlab/server.ts";

const VICTIM_TEXT = "root-only secret key material\n";

/** A file outside the prefix that root must never touch: returns its path. */
async function victim(prefix: Prefix): Promise<string> {
  const path = `${prefix.dir}.victim`;
  await Deno.writeTextFile(path, VICTIM_TEXT, { mode: 0o400 });
  await Deno.chmod(path, 0o400);
  return path;
}

async function assertUntouched(path: string): Promise<void> {
  equal(await Deno.readTextFile(path), VICTIM_TEXT, "the victim's contents");
  equal((await Deno.stat(path)).mode! & 0o777, 0o400, "the victim's mode");
  await Deno.remove(path);
}

const lockOf = (p: Prefix) => `${p.dir}/.register-runner.${p.instance}.lock`;
const journalOf = (p: Prefix) => `${p.dir}/.register-runner.${p.instance}.journal`;

async function site(gitlab: FakeGitLab, prefix: Prefix) {
  await writeSite(gitlab, prefix, ["shell"]);
}

Deno.test("a lock file symlinked to another file: refused, the target untouched", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await site(gitlab, prefix);
    const target = await victim(prefix);
    await Deno.symlink(target, lockOf(prefix));
    const result = await runCli(prefix);
    equal(result.code, 3, result.stderr);
    match(result.stderr, /\.lock: the lock file is a symbolic link, not a regular file/);
    match(result.stderr, /rm /);
    await assertUntouched(target);
    equal(gitlab.requests.length, 0);
  });
});

Deno.test("a dangling lock symlink: refused, its target not created", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await site(gitlab, prefix);
    const target = `${prefix.dir}.created-by-root`;
    await Deno.symlink(target, lockOf(prefix));
    const result = await runCli(prefix);
    equal(result.code, 3, result.stderr);
    match(result.stderr, /symbolic link/);
    await Deno.lstat(target).then(() => ok(false, "the target was created"), () => {});
  });
});

Deno.test("a journal symlinked to another file: refused, no token written to the target", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await site(gitlab, prefix);
    const target = await victim(prefix);
    await Deno.symlink(target, journalOf(prefix));
    const result = await runCli(prefix);
    equal(result.code, 3, result.stderr);
    match(result.stderr, /\.journal: the token journal is a symbolic link/);
    await assertUntouched(target);
    equal(gitlab.mutations().length, 0, "nothing registered before the refusal");
  });
});

for (
  const [kind, make, shown] of [
    ["FIFO", (p: string) => run("mkfifo", "-m", "600", p), /a FIFO \(named pipe\)/],
    ["directory", (p: string) => Deno.mkdir(p, { mode: 0o700 }), /a directory/],
    ["device", (p: string) => run("mknod", "-m", "600", p, "c", "1", "3"), /a device/],
  ] as const
) {
  Deno.test(`a ${kind} as the lock file or journal: exit 3 naming it, no hang`, async () => {
    await withSetup({}, async (gitlab, prefix) => {
      await site(gitlab, prefix);
      for (const path of [lockOf(prefix), journalOf(prefix)]) {
        await make(path);
        const started = performance.now();
        const result = await runCli(prefix);
        equal(result.code, 3, result.stderr);
        ok(result.stderr.includes(path), result.stderr);
        match(result.stderr, shown);
        ok(performance.now() - started < 10_000, "no hang");
        await Deno.remove(path);
      }
    });
  });
}

/** Runs a command, failing on a non-zero exit. */
async function run(program: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command(program, { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${program}: ${new TextDecoder().decode(out.stderr)}`);
}

/** Whether this machine lets the tests mount a tmpfs (root in a container that allows it). */
async function canMount(): Promise<boolean> {
  const dir = await Deno.makeTempDir();
  try {
    await run("mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", dir);
    await run("umount", dir);
    return true;
  } catch {
    return false;
  } finally {
    await Deno.remove(dir);
  }
}
const mountable = await canMount();

/** Mounts a small tmpfs over the (empty) prefix for `body`, recreating its executor directory. */
async function onTmpfs(prefix: Prefix, sizeKb: number, body: () => Promise<void>): Promise<void> {
  await run("mount", "-t", "tmpfs", "-o", `size=${sizeKb}k,mode=0700`, "tmpfs", prefix.dir);
  try {
    await Deno.mkdir(`${prefix.dir}/${prefix.instance}`, { mode: 0o700 });
    await body();
  } finally {
    await run("umount", "-l", prefix.dir);
  }
}

Deno.test({
  name: "a full disk: exit 3 naming the path and the fix, not an internal error",
  ignore: !mountable,
  fn: () =>
    withSetup({}, async (gitlab, prefix) => {
      await onTmpfs(prefix, 64, async () => {
        await site(gitlab, prefix);
        const filler = await Deno.open(`${prefix.dir}/filler`, { write: true, create: true });
        const chunk = new Uint8Array(4096);
        try {
          for (;;) await filler.write(chunk);
        } catch {
          // full
        } finally {
          filler.close();
        }
        const result = await runCli(prefix);
        equal(result.code, 3, result.stderr);
        match(result.stderr, /no space left on the device/);
        match(result.stderr, /df -h/);
        ok(!/internal error|a bug/.test(result.stderr), result.stderr);
      });
    }),
});

Deno.test({
  name: "a read-only filesystem: exit 0 with a warning when nothing changes, else exit 3",
  ignore: !mountable,
  fn: () =>
    withSetup({}, async (gitlab, prefix) => {
      await onTmpfs(prefix, 256, async () => {
        await site(gitlab, prefix);
        expectOk(await runCli(prefix), gitlab);
        const config = await prefix.readOutput();
        await run("mount", "-o", "remount,ro", prefix.dir);
        const same = await runCli(prefix);
        expectOk(same, gitlab);
        match(same.stderr, /read-only filesystem/);
        equal(await prefix.readOutput(), config);

        await run("mount", "-o", "remount,rw", prefix.dir);
        await writeSite(gitlab, prefix, ["shell", "cpu"]);
        await run("mount", "-o", "remount,ro", prefix.dir);
        const changed = await runCli(prefix);
        equal(changed.code, 3, changed.stderr);
        match(changed.stderr, /(the filesystem is r|R)ead-only/);
        match(changed.stderr, /read-write/);
        ok(!/internal error|a bug/.test(changed.stderr), changed.stderr);
      });
    }),
});

Deno.test("an unwritable prefix (immutable, so even root cannot write): exit 3, path and fix", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await site(gitlab, prefix);
    await run("chattr", "+i", prefix.dir);
    let result;
    try {
      result = await runCli(prefix);
    } finally {
      await run("chattr", "-i", prefix.dir);
    }
    equal(result.code, 3, result.stderr);
    match(result.stderr, /permission denied/);
    match(result.stderr, /lsattr/);
    ok(result.stderr.includes(prefix.dir), result.stderr);
  });
});

Deno.test("/dev/zero as --tag-schema: refused at once, not read", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await site(gitlab, prefix);
    const started = performance.now();
    const result = await runCli(prefix, ["--tag-schema", "/dev/zero"]);
    equal(result.code, 3, result.stderr);
    match(result.stderr, /\/dev\/zero: is not a regular file/);
    ok(performance.now() - started < 10_000);
  });
});

Deno.test("a link to a root-only key planted in a directory another user controls: never shown", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await site(gitlab, prefix);
    const key = `${prefix.dir}.key`;
    await Deno.writeTextFile(key, "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n", { mode: 0o600 });
    const executors = `${prefix.dir}/${prefix.instance}`;
    await Deno.symlink(key, `${executors}/evil.toml`);
    await Deno.chown(executors, 65534, 65534); // the attacker's directory, mode 0700
    const result = await runCli(prefix);
    equal(result.code, 3, result.stderr);
    match(result.stderr, /is owned by uid 65534/);
    ok(!/PRIVATE KEY|MIIEvQ/.test(result.stdout + result.stderr), "the key's contents shown");
    await Deno.chown(executors, 0, 0);
    await Deno.remove(key);
  });
});

Deno.test("a --prefix and an executor directory that are symlinks keep working", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await site(gitlab, prefix);
    const realExecutors = `${prefix.dir}/${prefix.instance}.d`;
    await Deno.rename(`${prefix.dir}/${prefix.instance}`, realExecutors);
    await Deno.symlink(realExecutors, `${prefix.dir}/${prefix.instance}`);
    const linkedPrefix = `${prefix.dir}.link`;
    await Deno.symlink(prefix.dir, linkedPrefix);
    try {
      const out = await new Deno.Command(DENO_RUN_CLI[0]!, {
        args: [...DENO_RUN_CLI.slice(1), "--prefix", linkedPrefix],
        env: { REGISTER_RUNNER_HOSTNAME: HOST, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const decoder = new TextDecoder();
      expectOk({
        code: out.code,
        stdout: decoder.decode(out.stdout),
        stderr: decoder.decode(out.stderr),
      }, gitlab);
      ok((await prefix.readOutput())?.includes("[[runners]]"));
    } finally {
      await Deno.remove(linkedPrefix);
    }
  });
});

Deno.test("inputs owned by another user (even mode 0700/0600) are refused with the fix", async () => {
  await withSetup({}, async (gitlab, prefix) => {
    await site(gitlab, prefix);
    expectOk(await runCli(prefix), gitlab);
    const config = await prefix.readOutput();
    const paths = [
      prefix.dir,
      prefix.templateFile,
      `${prefix.dir}/${prefix.instance}`,
      `${prefix.dir}/${prefix.instance}/shell.toml`,
    ];
    for (const path of paths) {
      await Deno.chown(path, 65534, 65534);
      const result = await runCli(prefix);
      await Deno.chown(path, 0, 0);
      equal(result.code, 3, `${path}: ${result.stderr} ${result.stdout}`);
      ok(result.stderr.includes(`${path}: `), result.stderr);
      match(result.stderr, /is owned by uid 65534, not by root/);
      match(result.stderr, /chown root:root/);
    }
    equal(await prefix.readOutput(), config, "config untouched");
    expectOk(await runCli(prefix), gitlab);
  });
});
