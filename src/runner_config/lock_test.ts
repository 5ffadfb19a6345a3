import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import type { Clock } from "../kernel/env.ts";
import { ExitCode, LockedError } from "../kernel/errors.ts";
import { acquireLock, lockPath } from "./lock.ts";
import { modeOf, recordOpens } from "../../tests/support/fs_spy.ts";
import { tempDir } from "../../tests/support/temp.ts";

/** A clock whose sleeps return at once and move time forward. */
function fakeClock(): Clock & { slept: number[] } {
  let now = Date.UTC(2025, 0, 1);
  const slept: number[] = [];
  return {
    slept,
    now: () => new Date(now),
    monotonic: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
      await Promise.resolve();
    },
  };
}

Deno.test("lock file name and mode", async () => {
  const dir = await tempDir("config");
  equal(lockPath(dir, "main"), join(dir, ".register-runner.main.lock"));
  const lock = await acquireLock(dir, "main");
  equal(lock.path, join(dir, ".register-runner.main.lock"));
  equal(await modeOf(lock.path), 0o600);
  equal((await Deno.readTextFile(lock.path)).trim(), String(Deno.pid));
  await lock.release();
  await lock.release(); // harmless
  ok((await Deno.stat(lock.path)).isFile, "the lock file stays");
});

Deno.test("the lock file is created with mode 0600, exclusively (never through a link)", async () => {
  const dir = await tempDir("config");
  const opened = await recordOpens(async () => {
    await (await acquireLock(dir, "main")).release();
  });
  deepStrictEqual(opened, [[lockPath(dir, "main"), {
    read: true,
    write: true,
    createNew: true,
    mode: 0o600,
  }]]);
});

Deno.test("a pre-existing world-readable lock file is tightened", async () => {
  const dir = await tempDir("config");
  await Deno.writeTextFile(lockPath(dir, "main"), "", { mode: 0o644 });
  await Deno.chmod(lockPath(dir, "main"), 0o644);
  const lock = await acquireLock(dir, "main");
  equal(await modeOf(lock.path), 0o600);
  await lock.release();
});

Deno.test("a held lock times out with LockedError naming the file and holder", async () => {
  const dir = await tempDir("config");
  const first = await acquireLock(dir, "main");
  const clock = fakeClock();
  await rejects(acquireLock(dir, "main", { timeoutMs: 1000, clock }), (error) => {
    ok(error instanceof LockedError);
    equal(error.exitCode, ExitCode.Locked);
    ok(error.message.includes(first.path), error.message);
    ok(error.message.includes(`pid ${Deno.pid}`), error.message);
    equal(error.where?.file, first.path);
    ok(error.hint?.includes("do not delete"));
    return true;
  });
  equal(clock.slept.reduce((a, b) => a + b, 0), 1000);
  await first.release();
});

Deno.test("different instances do not block each other", async () => {
  const dir = await tempDir("config");
  const main = await acquireLock(dir, "main");
  const other = await acquireLock(dir, "other", { timeoutMs: 0 });
  await other.release();
  await main.release();
});

Deno.test("a second acquirer waits and then gets the lock", async () => {
  const dir = await tempDir("config");
  const order: string[] = [];
  const first = await acquireLock(dir, "main");
  const second = acquireLock(dir, "main", { timeoutMs: 10_000 }).then((lock) => {
    order.push("second acquired");
    return lock;
  });
  await new Promise((resolve) => setTimeout(resolve, 250));
  order.push("first releasing");
  await first.release();
  await using _ = await second;
  equal(order.join(", "), "first releasing, second acquired");
});

Deno.test("await using releases the lock", async () => {
  const dir = await tempDir("config");
  {
    await using _lock = await acquireLock(dir, "main");
  }
  await (await acquireLock(dir, "main", { timeoutMs: 0 })).release();
});

Deno.test("a SIGKILLed holder releases the lock", async () => {
  const dir = await tempDir("config");
  const script = join(dir, "hold.ts");
  await Deno.writeTextFile(
    script,
    `import { acquireLock } from ${JSON.stringify(import.meta.resolve("./lock.ts"))};
await acquireLock(Deno.args[0] ?? "", "main");
console.log("locked");
setTimeout(() => {}, 120_000);
`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-config", "--no-lock", "--allow-read", "--allow-write", script, dir],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let out = "";
    while (!out.includes("locked\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`child exited before locking: ${out}`);
      out += value;
    }
    await rejects(
      acquireLock(dir, "main", { timeoutMs: 300 }),
      (error) => error instanceof LockedError && error.message.includes(`pid ${child.pid}`),
    );
    child.kill("SIGKILL");
    const status = await child.status;
    equal(status.signal, "SIGKILL");
    await (await acquireLock(dir, "main", { timeoutMs: 5000 })).release();
  } finally {
    await reader.cancel().catch(() => {});
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
  }
});
