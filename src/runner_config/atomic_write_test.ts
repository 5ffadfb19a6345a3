import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { removeStaleTemps, writeFileAtomic } from "./atomic_write.ts";
import { countSyncs, modeOf, recordOpens } from "../../tests/support/fs_spy.ts";
import { tempDir } from "../../tests/support/temp.ts";

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) out.push(entry.name);
  return out.sort();
}

Deno.test("creates a new file with mode 0600", async () => {
  const dir = await tempDir("config");
  const path = join(dir, "config.main.toml");
  equal(await writeFileAtomic(path, "a = 1\n"), "written");
  equal(await Deno.readTextFile(path), "a = 1\n");
  equal(await modeOf(path), 0o600);
  deepStrictEqual(await names(dir), ["config.main.toml"]);
});

Deno.test("identical contents: nothing is touched", async () => {
  const dir = await tempDir("config");
  const path = join(dir, "c.toml");
  await writeFileAtomic(path, "same\n");
  const before = await Deno.stat(path);
  equal(await writeFileAtomic(path, "same\n"), "unchanged");
  const after = await Deno.stat(path);
  equal(after.ino, before.ino);
  equal(after.mtime?.getTime(), before.mtime?.getTime());
  deepStrictEqual(await names(dir), ["c.toml"]);
});

Deno.test("identical but a tighter mode is left alone", async () => {
  const dir = await tempDir("config");
  const path = join(dir, "c.toml");
  await Deno.writeTextFile(path, "x");
  await Deno.chmod(path, 0o400);
  equal(await writeFileAtomic(path, "x"), "unchanged");
  equal(await modeOf(path), 0o400);
});

Deno.test("identical but world-readable: only the mode is fixed", async () => {
  const dir = await tempDir("config");
  const path = join(dir, "c.toml");
  await Deno.writeTextFile(path, "token = 1\n");
  await Deno.chmod(path, 0o644);
  const ino = (await Deno.stat(path)).ino;
  equal(await writeFileAtomic(path, "token = 1\n"), "written");
  equal(await modeOf(path), 0o600);
  equal((await Deno.stat(path)).ino, ino);
});

Deno.test("different contents replace the file by rename, mode 0600", async () => {
  const dir = await tempDir("config");
  const path = join(dir, "c.toml");
  await Deno.writeTextFile(path, "old\n", { mode: 0o600 });
  await Deno.chmod(path, 0o600);
  await Deno.chmod(path, 0o644);
  const ino = (await Deno.stat(path)).ino;
  equal(await writeFileAtomic(path, "new é\n"), "written");
  equal(await Deno.readTextFile(path), "new é\n");
  equal(await modeOf(path), 0o600);
  ok((await Deno.stat(path)).ino !== ino);
  deepStrictEqual(await names(dir), ["c.toml"]);
});

Deno.test("a custom mode is applied exactly, even bits the umask would remove", async () => {
  const dir = await tempDir("config");
  const path = join(dir, "c.toml");
  await writeFileAtomic(path, "x", { mode: 0o666 });
  equal(await modeOf(path), 0o666);
  await writeFileAtomic(path, "y", { mode: 0o640 });
  equal(await modeOf(path), 0o640);
});

Deno.test("the temp file is private and lives beside the target", async () => {
  const dir = await tempDir("config");
  const path = join(dir, "c.toml");
  let seen = "";
  await writeFileAtomic(path, "secret\n", {
    beforeRename: async (temp) => {
      seen = temp;
      equal(await modeOf(temp), 0o600);
      equal(await Deno.readTextFile(temp), "secret\n");
    },
  });
  ok(seen.startsWith(join(dir, `.c.toml.tmp-${Deno.pid}-`)), seen);
  equal(await modeOf(path), 0o600);
});

Deno.test("the temp file is created exclusively with the final mode (no wider window)", async () => {
  const dir = await tempDir("config");
  const path = join(dir, "c.toml");
  const opened = await recordOpens(() => writeFileAtomic(path, "secret\n").then(() => {}));
  const temps = opened.filter(([file]) => file.includes(".c.toml.tmp-"));
  equal(temps.length, 1);
  deepStrictEqual(temps[0]?.[1], { write: true, createNew: true, mode: 0o600 });
});

Deno.test("a write fsyncs the file and the directory; an unchanged file costs none", async () => {
  const dir = await tempDir("config");
  const path = join(dir, "c.toml");
  equal(await countSyncs(() => writeFileAtomic(path, "a")), 2);
  equal(await countSyncs(() => writeFileAtomic(path, "a")), 0);
});

Deno.test("a failure before the rename leaves the original byte-for-byte and no temp", async () => {
  const dir = await tempDir("config");
  const path = join(dir, "c.toml");
  const original = new Uint8Array([0x61, 0x0a, 0xff, 0x00]);
  await Deno.writeFile(path, original, { mode: 0o600 });
  await rejects(
    writeFileAtomic(path, "replacement", {
      beforeRename: () => {
        throw new Error("injected");
      },
    }),
    /injected/,
  );
  deepStrictEqual(await Deno.readFile(path), original);
  deepStrictEqual(await names(dir), ["c.toml"]);
});

Deno.test("a failing rename (target is a directory) cleans up", async () => {
  const dir = await tempDir("config");
  const path = join(dir, "c.toml");
  await Deno.mkdir(path);
  await Deno.writeTextFile(join(path, "inside"), "kept");
  await rejects(writeFileAtomic(path, "x"));
  equal(await Deno.readTextFile(join(path, "inside")), "kept");
  deepStrictEqual(await names(dir), ["c.toml"]);
});

Deno.test("a missing directory is an error and creates nothing", async () => {
  const dir = await tempDir("config");
  await rejects(writeFileAtomic(join(dir, "nope", "c.toml"), "x"), /directory does not exist/);
  deepStrictEqual(await names(dir), []);
});

Deno.test("a symlink is followed: the target is replaced, the link kept", async () => {
  const dir = await tempDir("config");
  await Deno.mkdir(join(dir, "real"));
  const real = join(dir, "real", "c.toml");
  await Deno.writeTextFile(real, "old");
  const link = join(dir, "c.toml");
  await Deno.symlink(real, link);
  equal(await writeFileAtomic(link, "new"), "written");
  ok((await Deno.lstat(link)).isSymlink);
  equal(await Deno.readTextFile(real), "new");
  deepStrictEqual(await names(join(dir, "real")), ["c.toml"]);
});

Deno.test("the old file's owner is kept (when running as root)", async () => {
  const dir = await tempDir("config");
  const path = join(dir, "c.toml");
  await Deno.writeTextFile(path, "old");
  if ((await Deno.stat(path)).uid !== 0) return; // only root can chown
  await Deno.chown(path, 4242, 4343);
  await writeFileAtomic(path, "new");
  const info = await Deno.stat(path);
  deepStrictEqual([info.uid, info.gid, await modeOf(path)], [4242, 4343, 0o600]);
});

Deno.test("concurrent writers: the file ends as one of them, whole, no temp left", async () => {
  const dir = await tempDir("config");
  const path = join(dir, "c.toml");
  const texts = Array.from({ length: 20 }, (_, i) => `writer = ${i}\n`.repeat(1000));
  await Promise.all(texts.map((text) => writeFileAtomic(path, text)));
  ok(texts.includes(await Deno.readTextFile(path)));
  deepStrictEqual(await names(dir), ["c.toml"]);
});

Deno.test("a temp file swept between its creation and its lock is replaced, not lost", async () => {
  const dir = await tempDir("config");
  const path = join(dir, "c.toml");
  const swept: string[] = [];
  const result = await writeFileAtomic(path, "x\n", {
    beforeLock: async () => {
      // Another writer's sweep runs in this instant (first attempt only).
      if (swept.length === 0) swept.push(...await removeStaleTemps(path));
    },
  });
  equal(swept.length, 1, "the sweep removed the fresh temp file");
  equal(result, "written");
  equal(await Deno.readTextFile(path), "x\n");
  deepStrictEqual(await names(dir), ["c.toml"]);
});

Deno.test("temp files of a killed write are removed; a live writer's and others' are kept", async () => {
  const dir = await tempDir("config");
  const path = join(dir, "config.main.toml");
  const stale = ".config.main.toml.tmp-4242-0a1b2c";
  const live = ".config.main.toml.tmp-4343-abcdef";
  for (const name of [stale, live, ".other.toml.tmp-4242-0a1b2c", "notes.tmp-1-aa"]) {
    await Deno.writeTextFile(join(dir, name), 'token = "secret"\n', { mode: 0o600 });
  }
  using writer = await Deno.open(join(dir, live), { write: true });
  await writer.lock(true); // as a writer does until its rename
  equal(await writeFileAtomic(path, "new\n"), "written");
  deepStrictEqual(
    await names(dir),
    [live, ".other.toml.tmp-4242-0a1b2c", "config.main.toml", "notes.tmp-1-aa"].sort(),
  );
});

Deno.test("a writer keeps its temp file locked until the rename", async () => {
  const dir = await tempDir("config");
  const path = join(dir, "c.toml");
  let removed: string[] | undefined;
  await writeFileAtomic(path, "x\n", {
    beforeRename: async () => {
      removed = await removeStaleTemps(path);
    },
  });
  deepStrictEqual(removed, []);
  equal(await Deno.readTextFile(path), "x\n");
});

Deno.test("an owner that cannot be given back is reported, not swallowed; the file is written", async () => {
  const dir = await tempDir("config");
  const path = join(dir, "c.toml");
  await Deno.writeTextFile(path, "old");
  const me = await Deno.stat(path);
  // An old owner other than this process (root: chown it there; otherwise fake it below).
  const fakeOwner = me.uid === 0;
  if (fakeOwner) await Deno.chown(path, 4242, 4343);
  const told: string[] = [];
  const chowns: [number, number][] = [];
  const result = await writeFileAtomic(path, "new", {
    onOwnerLost: (message) => told.push(message),
    chown: (_p, uid, gid) => {
      chowns.push([uid, gid]);
      // What chown(2) answers without CAP_CHOWN, or blocked by SystemCallFilter (EPERM).
      return Promise.reject(new Deno.errors.PermissionDenied("Operation not permitted"));
    },
  });
  equal(result, "written");
  equal(await Deno.readTextFile(path), "new");
  if (!fakeOwner) return; // not root: the old file is ours, nothing to give back
  deepStrictEqual(chowns, [[4242, 4343]]);
  equal(told.length, 1);
  ok(told[0]!.includes(path), told[0]);
  ok(told[0]!.includes("uid 4242 gid 4343"), told[0]);
  ok(told[0]!.includes("@chown"), told[0]);
  equal((await Deno.stat(path)).uid, me.uid);
});

Deno.test("a chown failing otherwise than EPERM aborts the write; the original stays", async () => {
  const dir = await tempDir("config");
  const path = join(dir, "c.toml");
  await Deno.writeTextFile(path, "old");
  if ((await Deno.stat(path)).uid !== 0) return;
  await Deno.chown(path, 4242, 4343);
  await rejects(
    writeFileAtomic(path, "new", {
      chown: () => Promise.reject(new Error("EIO")),
    }),
    /EIO/,
  );
  equal(await Deno.readTextFile(path), "old");
  deepStrictEqual(await names(dir), ["c.toml"]);
});
