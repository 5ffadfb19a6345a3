/**
 * Test helpers shared by the config writer's tests: temp dirs, a seeded PRNG, a normaliser that makes
 * parsed TOML comparable with the value that was encoded, and a `Deno.open` recorder.
 *
 * @module
 */

export { seededRandom } from "./fixtures.ts";

/**
 * Turns parsed or generated values into plain data for `deepStrictEqual`: objects lose their
 * prototype (smol-toml returns null-prototype objects), dates become `{ $date: iso }` (smol-toml
 * returns `TomlDate`s), `undefined` members disappear (the encoder skips them).
 */
export function normalize(value: unknown): unknown {
  if (value instanceof Date) return { $date: value.toISOString() };
  if (Array.isArray(value)) return value.map(normalize);
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) out[key] = normalize(item);
    }
    return out;
  }
  return value;
}

/** Runs `fn` with a fresh temp directory, removed afterwards. */
export async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "rr-config-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
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

/** The permission bits of a file. */
export async function modeOf(path: string): Promise<number> {
  return ((await Deno.stat(path)).mode ?? 0) & 0o777;
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
