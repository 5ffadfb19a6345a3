/**
 * The executor directory `{prefix}/{instance}/`: one runner per `*.toml` file, read in sorted order.
 *
 * @module
 */

import { join } from "node:path";
import { InputError } from "../kernel/errors.ts";
import type { ExecutorSpec } from "../kernel/model.ts";
import type { LoadContext } from "./context.ts";
import { type ClientIndex, validateExecutor } from "./executor_file.ts";
import { fsError, shellQuote, statIfExists } from "./fs.ts";
import { controlledByOthers, privacyProblem } from "./permissions.ts";
import { readTomlDoc, SYNTAX_HINT } from "./toml_file.ts";

/** Valid file stems (the runner's key, part of its description). */
export const EXECUTOR_STEM = /^[A-Za-z0-9][A-Za-z0-9+._@-]*$/;

/**
 * Loads every `*.toml` in `dir`, sorted by file name. A missing directory is a problem (an empty one
 * means zero runners); hidden entries, other files and subdirectories are skipped with a debug note.
 * `files` are the paths of every executor file found, valid or not.
 */
export async function loadExecutors(
  dir: string,
  clients: ClientIndex,
  ctx: LoadContext,
): Promise<{ specs: ExecutorSpec[]; files: string[] }> {
  const names = await ctx.problems.capture(() => listExecutorDir(dir, ctx));
  const specs: ExecutorSpec[] = [];
  const files = (names ?? []).map((name) => join(dir, name));
  for (const name of names ?? []) {
    const file = join(dir, name);
    const ok = await ctx.problems.capture(() => checkExecutorFile(file, name, ctx));
    if (!ok) continue;
    const doc = await ctx.problems.capture(() => readTomlDoc(file, SYNTAX_HINT));
    if (doc === undefined) continue;
    const spec = validateExecutor(doc, name.slice(0, -".toml".length), clients, ctx);
    if (spec) specs.push(spec);
  }
  return { specs, files };
}

/** The sorted `*.toml` names in `dir` that are files or symlinks (others noted at debug level). */
async function listExecutorDir(dir: string, ctx: LoadContext): Promise<string[]> {
  const info = await statIfExists(dir);
  if (info === undefined || !info.isDirectory) {
    const what = info === undefined ? "does not exist" : "is not a directory";
    throw new InputError(`executor directory ${dir} ${what}`, {
      where: { file: dir },
      hint: `Create it (mkdir -m 700 ${shellQuote(dir)}) and add one NAME.toml per runner, e.g.\n` +
        'url = "https://gitlab.example.com"\nexecutor = "shell"',
    });
  }
  if (ctx.checkPermissions) {
    const problem = privacyProblem(dir, info, "its files configure runners.");
    if (problem) ctx.problems.add(problem);
    // Whoever else can write here may have planted links to files they cannot read (a key):
    // read nothing from it (see controlledByOthers).
    if (problem && controlledByOthers(info)) return [];
  }
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      const reason = skipReason(entry);
      if (reason === undefined) names.push(entry.name);
      else {ctx.env.logger.debug("skipping executor directory entry", {
          path: join(dir, entry.name),
          reason,
        });}
    }
  } catch (error) {
    throw fsError(error, dir, "list");
  }
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Why a directory entry is not an executor file, or undefined when it is one. */
function skipReason(entry: Deno.DirEntry): string | undefined {
  if (entry.name.startsWith(".")) return "hidden";
  if (!entry.name.endsWith(".toml")) return "not a .toml file";
  if (entry.isDirectory) return "a directory";
  return undefined;
}

/** Checks that `file` (maybe a symlink) is a private regular file with a usable stem. */
async function checkExecutorFile(file: string, name: string, ctx: LoadContext): Promise<boolean> {
  const stem = name.slice(0, -".toml".length);
  if (!EXECUTOR_STEM.test(stem)) {
    throw new InputError(`${file}: "${stem}" is not a usable executor file name`, {
      where: { file },
      hint: "Rename it to letters, digits and . _ - + @, starting with a letter or digit " +
        "(e.g. docker-gpu.toml).",
    });
  }
  const info = await statIfExists(file);
  if (info === undefined || !info.isFile) {
    const target = await Deno.readLink(file).catch(() => undefined);
    const link = target === undefined ? "" : ` (a symbolic link to ${target})`;
    const what = info === undefined ? "points at nothing" : "is not a regular file";
    throw new InputError(`${file}${link} ${what}`, {
      where: { file },
      hint: `Make ${file} a regular file or a symbolic link to one, or remove it.`,
    });
  }
  if (ctx.checkPermissions) {
    const problem = privacyProblem(file, info, "it configures a runner.");
    if (problem) ctx.problems.add(problem);
    if (problem && controlledByOthers(info)) return false; // not read: see controlledByOthers
  }
  return true;
}
