/**
 * File-system spies for the config writer's tests: record `Deno.open` calls, count fsyncs, read
 * permission bits. They patch `Deno` for the duration of one call only; tests within a file run
 * one at a time, and each test file runs in its own worker, so a patch never leaks across files.
 *
 * @module
 */

/** The permission bits of a file. */
export async function modeOf(path: string): Promise<number> {
  return ((await Deno.stat(path)).mode ?? 0) & 0o777;
}

/** Runs `fn` while recording every `Deno.open` call (path and options). */
export async function recordOpens(
  fn: () => Promise<void>,
): Promise<[string, Deno.OpenOptions | undefined][]> {
  const opened: [string, Deno.OpenOptions | undefined][] = [];
  const realOpen = Deno.open;
  Deno.open = (file, options) => {
    opened.push([String(file), options]);
    return realOpen(file, options);
  };
  try {
    await fn();
  } finally {
    Deno.open = realOpen;
  }
  return opened;
}

/** Runs `fn` while counting `Deno.FsFile#sync` calls (fsync of files and directories). */
export async function countSyncs(fn: () => Promise<unknown>): Promise<number> {
  const proto = Deno.FsFile.prototype;
  const realSync = proto.sync;
  let count = 0;
  proto.sync = function (this: Deno.FsFile) {
    count++;
    return realSync.call(this);
  };
  try {
    await fn();
  } finally {
    proto.sync = realSync;
  }
  return count;
}
