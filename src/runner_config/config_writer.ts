/**
 * Writing config.toml while gitlab-runner may rewrite it. gitlab-runner rotates a runner's token
 * and writes the file in place (Go's `os.WriteFile`: open with O_TRUNC, write, on the same
 * inode). If that happens after register-runner last read the file and before its rename, the
 * rotated token lands in the inode the rename throws away (or, just after the rename, in ours,
 * with gitlab-runner's older view of the other runners), and the revoked token would stay.
 *
 * So the writer keeps the inode it read open, and after the rename reads both that inode and the
 * file now at the path again. If either changed, what changed is merged (`compose`, which keeps
 * the newer of two tokens) and written again, a bounded number of times.
 *
 * @module
 */

import { writeFileAtomic, type WriteFileAtomicOptions } from "./atomic_write.ts";

/** How many times the file is checked again (and rewritten when it changed) after a rename. */
const DEFAULT_ROUNDS = 3;
/** Reading stops past this (far beyond any config); `compose` then gets a text it cannot parse. */
const MAX_BYTES = 8 * 1024 * 1024;

/** Options for {@link writeConfigRechecked}. */
export interface RecheckedWriteOptions {
  /** Permission bits; default `0o600`. */
  mode?: number;
  /** How many check-and-rewrite rounds after the first write; default 3. */
  rounds?: number;
  /**
   * Test seam: runs in each write after the file was read and the temp file written, just before
   * the rename (the window in which gitlab-runner's in-place rewrite would be lost).
   */
  beforeRename?: (path: string) => void | Promise<void>;
  /** See {@link WriteFileAtomicOptions.onOwnerLost}. */
  onOwnerLost?: WriteFileAtomicOptions["onOwnerLost"];
}

/** What {@link writeConfigRechecked} did. */
export interface RecheckedWrite {
  /** Whether any write changed the file. */
  result: "written" | "unchanged";
  /** False when the file still changed under us after the last round. */
  settled: boolean;
}

/**
 * Writes `compose(text on disk)` to `path` atomically (see `writeFileAtomic`), then checks again:
 * the text of the inode it read (rewritten in place after it was read?) and the text now at
 * `path` (rewritten in place after the rename?). When either differs from what was read and
 * written, `compose` is called with it and the result written again; at most `rounds` times.
 *
 * `compose` receives the file's text, or undefined when there is none, and is called again with
 * each changed text, in order: it should fold what it gets into its state (keep rotated tokens)
 * and ignore a text it cannot parse.
 */
export async function writeConfigRechecked(
  path: string,
  compose: (onDisk: string | undefined) => string,
  options: RecheckedWriteOptions = {},
): Promise<RecheckedWrite> {
  const mode = options.mode ?? 0o600;
  const rounds = options.rounds ?? DEFAULT_ROUNDS;
  const write = (text: string) =>
    writeFileAtomic(path, text, {
      mode,
      ...(options.beforeRename ? { beforeRename: () => options.beforeRename!(path) } : {}),
      ...(options.onOwnerLost ? { onOwnerLost: options.onOwnerLost } : {}),
    });
  let held = await openIfExists(path);
  try {
    let seen = held ? await readAll(held) : undefined;
    let text = compose(seen);
    let result = await write(text);
    for (let round = 1; round <= rounds + 1; round++) {
      const old = held ? await readAll(held) : undefined; // the inode we read (maybe replaced)
      const now = await readIfExists(path); // what is at the path now
      const changed = [
        ...(held !== undefined && old !== seen ? [old] : []),
        ...(now !== text ? [now] : []),
      ];
      if (changed.length === 0) return { result, settled: true };
      if (round > rounds) break;
      let next = text;
      for (const t of changed) next = compose(t);
      held?.close();
      held = await openIfExists(path);
      seen = held ? await readAll(held) : undefined;
      if (next === seen) {
        text = next;
        continue;
      }
      if ((await write(next)) === "written") result = "written";
      text = next;
    }
    return { result, settled: false };
  } finally {
    held?.close();
  }
}

async function openIfExists(path: string): Promise<Deno.FsFile | undefined> {
  try {
    return await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** The whole file through `file`, from its start (`file` may be unlinked: it keeps its inode). */
async function readAll(file: Deno.FsFile): Promise<string> {
  await file.seek(0, Deno.SeekMode.Start);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const buf = new Uint8Array(64 * 1024);
  while (size <= MAX_BYTES) {
    const n = await file.read(buf);
    if (n === null || n === 0) break;
    chunks.push(buf.slice(0, n));
    size += n;
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return new TextDecoder().decode(all);
}
