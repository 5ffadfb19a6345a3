import assert from "node:assert/strict";
import { join } from "node:path";
import { writeConfigRechecked } from "./config_writer.ts";
import { tempDir } from "../../tests/support/temp.ts";

/** A compose that keeps the highest `token = N` seen on disk and renders `token = N`. */
function highestToken(start: number) {
  let token = start;
  const seen: (string | undefined)[] = [];
  return {
    seen,
    compose: (disk: string | undefined) => {
      seen.push(disk);
      const n = Number(/^token = (\d+)$/m.exec(disk ?? "")?.[1] ?? NaN);
      if (n > token) token = n;
      return `token = ${token}\n`;
    },
  };
}

/** Go's os.WriteFile: truncate and write the inode at `path`. */
async function writeInPlace(path: string, text: string): Promise<void> {
  const file = await Deno.open(path, { write: true, truncate: true });
  try {
    await file.write(new TextEncoder().encode(text));
  } finally {
    file.close();
  }
}

Deno.test("writeConfigRechecked: an in-place rewrite of the replaced inode before the rename is merged and written", async () => {
  const path = join(await tempDir(), "config.main.toml");
  await Deno.writeTextFile(path, "token = 1\n", { mode: 0o600 });
  const { compose, seen } = highestToken(2);
  let calls = 0;
  const out = await writeConfigRechecked(path, compose, {
    beforeRename: async (p) => {
      if (calls++ === 0) await writeInPlace(p, "token = 5\n"); // lands in the old inode
    },
  });
  assert.deepEqual(out, { result: "written", settled: true });
  assert.equal(await Deno.readTextFile(path), "token = 5\n");
  assert.deepEqual(seen, ["token = 1\n", "token = 5\n"]); // the first read, then the old inode
  assert.equal(calls, 2);
});

Deno.test("writeConfigRechecked: without a change nothing is read or written twice", async () => {
  const path = join(await tempDir(), "config.main.toml");
  await Deno.writeTextFile(path, "token = 1\n");
  const { compose, seen } = highestToken(2);
  const out = await writeConfigRechecked(path, compose);
  assert.deepEqual(out, { result: "written", settled: true });
  assert.deepEqual(seen, ["token = 1\n"]);
  const again = await writeConfigRechecked(path, highestToken(2).compose);
  assert.deepEqual(again, { result: "unchanged", settled: true });
});

Deno.test("writeConfigRechecked: an absent file is created; a file that keeps changing stops after the bound", async () => {
  const path = join(await tempDir(), "config.main.toml");
  assert.deepEqual(await writeConfigRechecked(path, () => "a = 1\n"), {
    result: "written",
    settled: true,
  });
  let n = 10;
  const { compose } = highestToken(1);
  const out = await writeConfigRechecked(path, compose, {
    rounds: 2,
    beforeRename: (p) => writeInPlace(p, `token = ${n++}\n`),
  });
  assert.equal(out.settled, false);
  assert.equal(n, 13, "one write and two more rounds");
  // The last rewrite in place (12) went to an inode already replaced: reported as not settled.
  assert.equal(await Deno.readTextFile(path), "token = 11\n");
});
