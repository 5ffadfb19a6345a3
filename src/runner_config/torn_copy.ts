/**
 * Keeping a torn config.toml aside before it is replaced: a private, byte-identical copy
 * `config.{instance}.toml.torn-<UTC time>` beside it, so nothing the file held is lost.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import { syncDirectory } from "./atomic_write.ts";

/** `config.main.toml.torn-20250102T030405Z`: the copy's file name for `configName` at `at`. */
export function tornCopyName(configName: string, at: Date): string {
  const stamp = at.toISOString().replace(/\.\d+Z$/, "Z").replace(/[-:]/g, "");
  return `${configName}.torn-${stamp}`;
}

/**
 * Writes `bytes` to a new file beside `configPath` (see {@link tornCopyName}; `-2`, `-3`… when
 * that name is taken) and returns its path. The file is created with O_EXCL, so an existing file
 * or symlink of that name is never followed or overwritten, with mode 0600 from the start; it is
 * fsynced, and so is the directory.
 */
export async function saveTornCopy(
  configPath: string,
  bytes: Uint8Array,
  at: Date,
): Promise<string> {
  const base = join(dirname(configPath), tornCopyName(basename(configPath), at));
  for (let n = 1;; n++) {
    const path = n === 1 ? base : `${base}-${n}`;
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists && n < 100) continue;
      throw error;
    }
    try {
      const mode = (await file.stat()).mode;
      if (mode !== null && (mode & 0o7777) !== 0o600) await Deno.chmod(path, 0o600);
      for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
      await file.sync();
    } catch (error) {
      file.close();
      await Deno.remove(path).catch(() => {});
      throw error;
    }
    file.close();
    await syncDirectory(dirname(path));
    return path;
  }
}
