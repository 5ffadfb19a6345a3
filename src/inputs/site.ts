/**
 * Loads everything register-runner reads from the prefix for one instance, the template and the
 * executor files, into a validated {@link Site}.
 *
 * @module
 */

import { basename, join, resolve } from "node:path";
import type { RuntimeEnv } from "../kernel/env.ts";
import { InputError, type RegisterRunnerError } from "../kernel/errors.ts";
import type { QuarantinedFile, Site } from "../kernel/model.ts";
import type { LoadContext } from "./context.ts";
import { loadExecutors } from "./executors.ts";
import { statIfExists } from "./fs.ts";
import { controlledByOthers, privacyProblem } from "./permissions.ts";
import { Problems } from "./problems.ts";
import { loadTemplate } from "./template.ts";

/** Valid instance names (systemd instance names, as in `gitlab-runner@main.service`). */
export const INSTANCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]*$/;

/**
 * Why an instance name that {@link INSTANCE_NAME} accepts would share a file with another instance
 * of the same prefix, or undefined when it cannot. Every path register-runner uses per instance X:
 *
 * - `config.template.X.toml` (template), `config.X.toml` (output), `X/` (executor directory);
 * - `config.X.toml.torn-<time>` (a torn config kept aside), `.config.X.toml.tmp-<pid>-<hex>` (temp);
 * - `.register-runner.X.lock`, `.register-runner.X.journal` (and its temp files),
 *   `.register-runner.X.probe-<pid>-<hex>` (the write probe).
 *
 * The dot files cannot collide: they start with `.`, which no instance name does, and their fixed
 * suffixes (`lock`, `journal`, `probe-…`) are not the end of one another. What can: `config.X.toml`
 * is `config.template.Y.toml` when X is `template.Y`, and the directory `X/` is another instance's
 * file when X itself is named like one (`config.Y.toml`, `config.template.Y.toml`,
 * `config.Y.toml.torn-…`, or gitlab-runner's own `config.toml`). Hence: no `template.` prefix, and
 * no `config.` prefix when the rest ends in `toml` or holds `.toml.`. Names such as `gpu.v100`,
 * `template` or `config` stay valid.
 */
export function instanceNameCollision(instance: string): string | undefined {
  if (instance.startsWith("template.")) {
    const other = instance.slice("template.".length);
    return `its config file config.${instance}.toml is the template of instance "${other}"`;
  }
  if (/^config\.(?:.*\.)?toml(?:\..*)?$/.test(instance)) {
    return `its executor directory ${instance}/ has the name of a config file of another instance ` +
      "(or of gitlab-runner's own config.toml)";
  }
  return undefined;
}

/** What {@link loadSite} needs. */
export interface LoadSiteOptions {
  /** The configuration directory, e.g. `/etc/gitlab-runner`. */
  prefix: string;
  /** The service instance, e.g. `main`. */
  instance: string;
  env: RuntimeEnv;
  /**
   * Refuse a prefix, executor directory, template, secret file or executor file that group or
   * others can access. Default true; turn off only in tests.
   */
  checkPermissions?: boolean;
  /**
   * Confine problems to their executor file: an `InputError` whose `where.file` is one executor
   * file quarantines that file (see {@link QuarantinedFile}) instead of failing the load, unless
   * there are other problems too or every executor file is bad. Default false (`check`,
   * `--strict`): every problem fails the load.
   */
  confine?: boolean;
}

/** A loaded site and the warnings (unknown keys…) found while loading it. */
export interface LoadedSite {
  site: Site;
  warnings: string[];
  /** Executor files left out because of problems of their own (only with `confine`). */
  quarantined: QuarantinedFile[];
}

/**
 * Loads and validates `{prefix}/config.template.{instance}.toml` and `{prefix}/{instance}/*.toml`.
 *
 * Every problem found in every file is collected first; then one InputError is thrown: the problem
 * itself when there is one, an `InputErrors` listing all of them otherwise. Nothing is written.
 */
export async function loadSite(options: LoadSiteOptions): Promise<LoadedSite> {
  const { instance, env } = options;
  if (!INSTANCE_NAME.test(instance)) {
    throw new InputError(`invalid service instance name "${instance.slice(0, 100)}"`, {
      hint: "Use letters, digits and _ . @ -, starting with a letter or digit (e.g. main).",
    });
  }
  const collision = instanceNameCollision(instance);
  if (collision !== undefined) {
    throw new InputError(`service instance name "${instance}" cannot be used: ${collision}`, {
      hint: "Pick another name: one that does not start with template., and not named like a " +
        "config file (config.*.toml). Rename the template and executor directory with it.",
    });
  }
  const prefix = resolve(options.prefix);
  const info = await statIfExists(prefix);
  if (info === undefined || !info.isDirectory) {
    throw new InputError(`prefix ${prefix} ${info ? "is not a directory" : "does not exist"}`, {
      where: { file: prefix },
      hint: "Pass the directory that holds the template and the executor directory " +
        "(--prefix, default /etc/gitlab-runner).",
    });
  }
  const ctx: LoadContext = {
    prefix,
    instance,
    env,
    checkPermissions: options.checkPermissions ?? true,
    problems: new Problems(),
    warnings: [],
  };
  if (ctx.checkPermissions) {
    const problem = privacyProblem(prefix, info, "it holds runner tokens.");
    // Someone else controls the prefix: read nothing from it (see controlledByOthers).
    if (problem && controlledByOthers(info)) throw problem;
    if (problem) ctx.problems.add(problem);
  }
  const templateFile = join(prefix, `config.template.${instance}.toml`);
  const executorDir = join(prefix, instance);
  const template = await loadTemplate(templateFile, executorDir, ctx);
  const { specs: executors, files } = await loadExecutors(
    executorDir,
    {
      templateFile,
      keys: template?.clientKeys,
      allowUnknownKeys: template?.allowUnknownKeys ?? new Set(),
    },
    ctx,
  );
  const quarantined = options.confine ? confined(ctx.problems, files) : undefined;
  if (quarantined === undefined) ctx.problems.throwIfAny();
  const site: Site = {
    prefix,
    instance,
    templateFile,
    executorDir,
    outputFile: join(prefix, `config.${instance}.toml`),
    globals: template?.globals ?? {},
    clients: template?.clients ?? [],
    executors,
  };
  return { site, warnings: ctx.warnings, quarantined: quarantined ?? [] };
}

/**
 * The executor files whose problems are their own, when every problem found is confined to one
 * executor file and at least one executor file is healthy; undefined otherwise (the load fails).
 */
function confined(problems: Problems, files: readonly string[]): QuarantinedFile[] | undefined {
  const byFile = new Map<string, QuarantinedFile>();
  for (const problem of problems.all()) {
    const file = problem.where?.file;
    if (file === undefined || !files.includes(file)) return undefined;
    const entry = byFile.get(file) ??
      { key: basename(file).slice(0, -".toml".length), file, problems: [], names: [] };
    entry.problems.push(problemOf(problem));
    byFile.set(file, entry);
  }
  if (byFile.size > 0 && byFile.size === files.length) return undefined;
  return [...byFile.values()];
}

/** An error as the plain data a {@link QuarantinedFile} holds. */
export function problemOf(error: RegisterRunnerError): QuarantinedFile["problems"][number] {
  return {
    message: error.message,
    ...(error.where === undefined ? {} : { where: error.where }),
    ...(error.hint === undefined ? {} : { hint: error.hint }),
  };
}
