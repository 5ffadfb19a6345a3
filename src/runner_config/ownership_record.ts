/**
 * The ownership record: which executor file each runner belongs to, per GitLab. config.toml cannot
 * hold it (gitlab-runner rewrites that file and drops unknown keys and comments), so it lives in a
 * file of its own beside the token journal, `{prefix}/.register-runner.{instance}.state.json`
 * (mode 0600, replaced atomically after every sync). It holds no token: ids, file stems and
 * descriptions only.
 *
 * Runners registered by a run that is then interrupted are recorded by the token journal, whose
 * entries carry the executor file stem too (see `commands/pipeline.ts`, which lays them over the
 * record): the record is as crash-safe as the tokens.
 *
 * A missing file means "no record" (a host upgraded from the Python tool or from a register-runner
 * that kept none): planning then falls back to the description rules. A file that is not valid
 * JSON in this shape is ignored with a warning, for the same fallback. Something other than a
 * regular file at the path (a symlink, a directory) is never read or written through: exit 3.
 *
 * @module
 */

import { join } from "node:path";
import { InputError } from "../kernel/errors.ts";
import type { RunnerRecord } from "../kernel/model.ts";
import { writeFileAtomic } from "./atomic_write.ts";

/** The record's format version. */
const VERSION = 1;
/** A record larger than this is not one register-runner wrote. */
const MAX_BYTES = 4 * 1024 * 1024;

/** The record file of a prefix and service instance. */
export function ownershipRecordPath(prefix: string, instance: string): string {
  return join(prefix, `.register-runner.${instance}.state.json`);
}

/** What {@link readOwnershipRecord} found. */
export interface RecordReadResult {
  /** `undefined` when there is no record (missing or unusable file). */
  runners: RunnerRecord[] | undefined;
  warnings: string[];
}

/** Reads the record; never follows a symlink. */
export async function readOwnershipRecord(path: string): Promise<RecordReadResult> {
  const info = await lstatOrUndefined(path);
  if (info === undefined) return { runners: undefined, warnings: [] };
  if (!info.isFile) throw notAFile(path, info);
  if (info.size > MAX_BYTES) {
    return { runners: undefined, warnings: [`${path}: over ${MAX_BYTES} bytes; ignored`] };
  }
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new InputError(`cannot read the ownership record ${path}: ${String(error)}`, {
      where: { file: path },
      hint: "it must be a readable regular file (register-runner writes it after every sync)",
      cause: error,
    });
  }
  const runners = parseRecord(text);
  if (runners === undefined) {
    return {
      runners: undefined,
      warnings: [
        `${path}: not an ownership record register-runner wrote; ignored (runners are matched to executor files by their descriptions this time)`,
      ],
    };
  }
  return { runners, warnings: [] };
}

/** The record's runners, or `undefined` when `text` is not a record. Pure. */
export function parseRecord(text: string): RunnerRecord[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (v.version !== VERSION || !Array.isArray(v.runners)) return undefined;
  const out: RunnerRecord[] = [];
  for (const r of v.runners as unknown[]) {
    if (typeof r !== "object" || r === null) return undefined;
    const e = r as Record<string, unknown>;
    if (
      typeof e.clientKey !== "string" || typeof e.key !== "string" ||
      typeof e.description !== "string" || !Number.isSafeInteger(e.id) || (e.id as number) <= 0
    ) return undefined;
    out.push({
      clientKey: e.clientKey,
      key: e.key,
      id: e.id as number,
      description: e.description,
    });
  }
  return out;
}

/** The file's text for these runners (sorted, so an unchanged record is not rewritten). Pure. */
export function formatRecord(runners: RunnerRecord[]): string {
  const sorted = [...runners].sort((a, b) =>
    a.clientKey < b.clientKey ? -1 : a.clientKey > b.clientKey ? 1 : a.key < b.key ? -1 : 1
  ).map((r) => ({ clientKey: r.clientKey, key: r.key, id: r.id, description: r.description }));
  return JSON.stringify({ version: VERSION, runners: sorted }, null, 2) + "\n";
}

/**
 * Replaces the record atomically (temp file, fsync, rename, mode 0600). A symlink or anything
 * but a regular file at the path is refused, never written through.
 */
export async function writeOwnershipRecord(
  path: string,
  runners: RunnerRecord[],
): Promise<"written" | "unchanged"> {
  const info = await lstatOrUndefined(path);
  if (info !== undefined && !info.isFile) throw notAFile(path, info);
  return await writeFileAtomic(path, formatRecord(runners), { mode: 0o600 });
}

/** Removes the record (after `unregister`); a missing one is fine. */
export async function removeOwnershipRecord(path: string): Promise<void> {
  const info = await lstatOrUndefined(path);
  if (info === undefined) return;
  if (!info.isFile) throw notAFile(path, info);
  await Deno.remove(path);
}

async function lstatOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new InputError(`cannot inspect the ownership record ${path}: ${String(error)}`, {
      where: { file: path },
      hint: "the prefix directory must be readable by register-runner",
      cause: error,
    });
  }
}

function notAFile(path: string, info: Deno.FileInfo): InputError {
  const what = info.isSymlink ? "a symbolic link" : info.isDirectory ? "a directory" : "not a file";
  return new InputError(
    `the ownership record ${path} is ${what}; it is never read or written through`,
    {
      where: { file: path },
      hint: "remove it; register-runner writes a regular 0600 file there after the next sync",
    },
  );
}
