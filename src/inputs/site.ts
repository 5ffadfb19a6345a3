/**
 * Loads everything register-runner reads from the prefix for one instance, the template and the
 * executor files, into a validated {@link Site}.
 *
 * @module
 */

import { join, resolve } from "node:path";
import type { RuntimeEnv } from "../kernel/env.ts";
import { InputError } from "../kernel/errors.ts";
import type { Site } from "../kernel/model.ts";
import type { LoadContext } from "./context.ts";
import { loadExecutors } from "./executors.ts";
import { statIfExists } from "./fs.ts";
import { privacyProblem } from "./permissions.ts";
import { Problems } from "./problems.ts";
import { loadTemplate } from "./template.ts";

/** Valid instance names (systemd instance names, as in `gitlab-runner@main.service`). */
export const INSTANCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]*$/;

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
}

/** A loaded site and the warnings (unknown keys…) found while loading it. */
export interface LoadedSite {
  site: Site;
  warnings: string[];
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
    if (problem) ctx.problems.add(problem);
  }
  const templateFile = join(prefix, `config.template.${instance}.toml`);
  const executorDir = join(prefix, instance);
  const template = await loadTemplate(templateFile, executorDir, ctx);
  const executors = await loadExecutors(
    executorDir,
    {
      templateFile,
      keys: template?.clientKeys,
      allowUnknownKeys: template?.allowUnknownKeys ?? new Set(),
    },
    ctx,
  );
  ctx.problems.throwIfAny();
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
  return { site, warnings: ctx.warnings };
}
