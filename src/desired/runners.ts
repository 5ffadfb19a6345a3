/**
 * From the validated site and the host's facts to the runners this host should have:
 * descriptions (compatible with the Python tool) and tags. Pure: the facts, the tag schema and
 * the capture program's output are gathered beforehand by `host_facts.ts`.
 *
 * @module
 */

import { InputError } from "../kernel/errors.ts";
import { Problems } from "../inputs/problems.ts";
import { INSTANCE_NAME, problemOf } from "../inputs/site.ts";
import { EXECUTOR_STEM } from "../inputs/executors.ts";
import type { CpuFacts } from "./facts/cpu.ts";
import type { DesiredRunner, ExecutorSpec, QuarantinedFile, Site } from "../kernel/model.ts";
import {
  buildProperties,
  flattenProperties,
  mergeCaptured,
  type TagProperties,
} from "./tags/properties.ts";
import type { TagSchema } from "./tags/schema.ts";
import { factsFor } from "../inputs/fact_selection.ts";

/** Host facts that become tags (gathered once per run by `gatherHostFacts`). */
export interface HostFacts {
  hostname: string;
  /** Reads an environment variable (for `env_tags`). */
  getEnv(name: string): string | undefined;
  /** The host CPU (architecture, archspec microarchitecture and ancestors). */
  cpu?: CpuFacts;
  /** Why {@link cpu} is only the generic family (cpuinfo unreadable), if it is. */
  cpuProblem?: string;
  /** The batch scheduler found on `$PATH` (`slurm`, `lsf`, `flux`, `pbs`, `cobalt`). */
  scheduler?: string;
  /** `--tag-schema`: the properties of every executor must satisfy it. */
  schema?: TagSchema;
  /** `--capture-tags`: the program, whose output for each executor is in {@link captured}. */
  captureProgram?: string;
  /** The capture program's output by executor file stem. */
  captured?: ReadonlyMap<string, TagProperties>;
}

/** A tag GitLab accepts: non-empty, no comma, at most 255 characters. */
export function isValidTag(tag: string): boolean {
  return tag.length > 0 && tag.length <= 255 && !tag.includes(",");
}

/**
 * Why `hostname` cannot name this host's runners, or undefined when it can. It becomes a tag and
 * starts every description, and ownership is proven by both: a name GitLab would not keep as a
 * tag (a comma splits it, blanks are stripped, over 255 characters is refused) would register one
 * more runner at every restart.
 */
export function hostnameProblem(hostname: string): string | undefined {
  if (hostname.trim() === "") return "is empty or only blanks";
  if (hostname.length > 255) {
    return `is ${hostname.length} characters long (GitLab's tag limit is 255)`;
  }
  if (hostname.includes(",")) return "contains a comma (GitLab splits tags at commas)";
  if (hostname.trim() !== hostname) {
    return "starts or ends with blanks (GitLab strips them from tags)";
  }
  return undefined;
}

/**
 * The tag properties of one executor before any capture program runs (see
 * `tags/properties.ts`): hostname, instance, executor type, env values, the facts the executor
 * wants, and with a tag schema the env values classified. Also returns a warning per env value
 * that could not be a tag (skipped) and per wanted fact the host could not provide.
 */
export function baseTagProperties(
  spec: ExecutorSpec,
  instance: string,
  host: HostFacts,
): { properties: TagProperties; envTags: Record<string, string>; warnings: string[] } {
  const warnings: string[] = [];
  const envTags: Record<string, string> = {};
  for (const name of spec.envTags) {
    const value = host.getEnv(name)?.trim();
    if (value === undefined || value === "") continue;
    if (!isValidTag(value)) {
      warnings.push(
        `${spec.file}: env_tags: the value of $${name} cannot be a GitLab tag (empty, over 255 characters or containing a comma); skipped`,
      );
      continue;
    }
    envTags[name] = value;
  }
  const facts = factsFor(spec.facts, spec.executor, host.schema?.properties);
  if (host.cpuProblem !== undefined && facts.some((f) => f.startsWith("micro"))) {
    warnings.push(
      `CPU microarchitecture unknown, only the generic family is used: ${host.cpuProblem}`,
    );
  }
  if (host.scheduler === undefined && facts.includes("scheduler")) {
    warnings.push(
      `${spec.file}: facts: no batch scheduler (Slurm, LSF, Flux, PBS, Cobalt) found on $PATH; no scheduler tag`,
    );
  }
  const properties = buildProperties({
    hostname: host.hostname,
    instance,
    executor: spec.executor,
    envValues: Object.values(envTags),
    facts,
    cpu: host.cpu,
    scheduler: host.scheduler,
    classifier: host.schema,
  });
  return { properties, envTags, warnings };
}

/**
 * The tags of one executor: the leaves of its tag properties in order (hostname, instance,
 * executor type, the values of `env_tags` present in the environment, the facts it wants, the
 * capture program's additions), then the extra `tags`; trimmed, deduplicated, first occurrence
 * wins. With a tag schema the properties are validated first: an InputError names the executor
 * file, the schema and each broken rule. Returns the tags and a warning per value that could
 * not be a tag.
 */
export function executorTags(
  spec: ExecutorSpec,
  instance: string,
  host: HostFacts,
): { tags: string[]; warnings: string[] } {
  const base = baseTagProperties(spec, instance, host);
  const warnings = [...base.warnings];
  let properties = base.properties;
  if (host.captureProgram !== undefined) {
    const captured = host.captured?.get(spec.key);
    if (captured === undefined) {
      throw new Error(`no --capture-tags output for ${spec.file}: gatherHostFacts needs the site`);
    }
    properties = mergeCaptured(properties, captured);
  }
  if (host.schema !== undefined) {
    const problems = host.schema.validate(properties);
    if (problems.length > 0) {
      throw new InputError(
        `${spec.file}: the tag properties do not satisfy the tag schema ${host.schema.file}:\n` +
          problems.map((p) => `  - ${p}`).join("\n"),
        {
          where: { file: spec.file },
          hint: `The properties were ${JSON.stringify(properties)}. Change the schema, or what ` +
            "the host gives (env_tags, facts, the --capture-tags program).",
        },
      );
    }
  }
  const { values, skipped } = flattenProperties(properties);
  for (const leaf of skipped) {
    warnings.push(
      `${spec.file}: tag property ${leaf.path} is ${
        JSON.stringify(leaf.value)
      }, not a tag; skipped`,
    );
  }
  const candidates: string[] = [];
  for (const leaf of values) {
    if (isValidTag(leaf.value)) candidates.push(leaf.value);
    else {
      warnings.push(
        `${spec.file}: tag property ${leaf.path} = ${
          JSON.stringify(leaf.value.slice(0, 80))
        } cannot be a GitLab tag (empty, over 255 characters or containing a comma); skipped`,
      );
    }
  }
  candidates.push(...spec.extraTags);
  const tags = dedupe(candidates.map(asGitLabStoresIt));
  if (tags.length > MAX_TAGS) {
    throw new InputError(
      `${spec.file}: the runner would have ${tags.length} tags; GitLab allows at most ${MAX_TAGS} ` +
        "per runner (Ci::Runner::TAG_LIST_MAX_LENGTH) and refuses the registration or update",
      {
        hint: "drop extra `tags`, `env_tags` or `facts` from this executor file (the host, " +
          "instance and executor type tags always come first)",
      },
    );
  }
  return { tags, warnings };
}

/** GitLab's limit on tags per runner (`Ci::Runner::TAG_LIST_MAX_LENGTH`, app/models/ci/runner.rb). */
export const MAX_TAGS = 50;

/**
 * A tag as GitLab's tag parser stores it (lib/gitlab/ci/tags/parser.rb, `TagList#clean!`):
 * surrounding whitespace stripped, and a tag wholly in double or single quotes unquoted (then
 * stripped again). Sending it already so keeps the desired tags equal to GitLab's, so a quoted
 * tag does not cause a `PUT` at every run. Tags with a comma never get here (refused or skipped).
 */
export function asGitLabStoresIt(tag: string): string {
  const trimmed = tag.trim();
  const quoted = /^"(.*)"$/s.exec(trimmed) ?? /^'(.*)'$/s.exec(trimmed);
  return quoted ? quoted[1]!.trim() : trimmed;
}

function dedupe(values: string[]): string[] {
  return [...new Set(values.filter((v) => v !== ""))];
}

/** The description prefix that marks a runner as this host's and instance's. */
export function ownedDescriptionPrefix(hostname: string, instance: string): string {
  return `${hostname} ${instance} `;
}

/**
 * True when `description` is one register-runner (or the Python tool) gives to runners of this
 * host and instance: `"{host} {instance} … Runner"`.
 */
export function isOwnedDescription(
  description: string,
  hostname: string,
  instance: string,
): boolean {
  const prefix = ownedDescriptionPrefix(hostname, instance);
  return description.startsWith(prefix) && description.endsWith(" Runner") &&
    description.length > prefix.length + " Runner".length;
}

/** The host and instance a description names as its owner (see {@link describesOtherOwner}). */
export interface DescribedOwner {
  hostname: string;
  instance: string;
}

/**
 * The other host or instance `description` names, when it is in the form register-runner (or the
 * Python tool) gives to runners — `"{host} {instance} {executor} Runner"` or
 * `"{host} {instance} {executor} {file stem} Runner"` — and that owner is not this `hostname` and
 * `instance`; undefined for this host's and instance's own descriptions and for anything else (a
 * rename in the UI such as `"my runner"`).
 *
 * A runner so described belongs to the named host and instance even when a local token proves
 * it: a config copied from there (a cloned VM image, `config.main.toml` copied for a new
 * instance) holds that host's tokens. The executor word is any word (executor types gitlab-runner
 * does not ship are allowed), so a foreign runner is recognised rather than adopted. Host names
 * are taken as one word here; this host's own name may contain blanks ({@link isOwnedDescription}
 * is asked first).
 */
export function describesOtherOwner(
  description: string,
  hostname: string,
  instance: string,
): DescribedOwner | undefined {
  if (isOwnedDescription(description, hostname, instance)) return undefined;
  const words = description.split(" ");
  if (words.length !== 4 && words.length !== 5) return undefined;
  if (words[words.length - 1] !== "Runner") return undefined;
  const [host, inst, executor, stem] = words as [string, string, string, string | undefined];
  if (host === "" || !INSTANCE_NAME.test(inst) || !/^[A-Za-z0-9][A-Za-z0-9+._-]*$/.test(executor)) {
    return undefined;
  }
  if (words.length === 5 && !EXECUTOR_STEM.test(stem!)) return undefined;
  if (host === hostname && inst === instance) return undefined;
  return { hostname: host, instance: inst };
}

/**
 * The runners this host wants, one per executor file, sorted by file name.
 *
 * Descriptions: `"{host} {instance} {executor} Runner"` (the Python tool's form) when one file
 * has that executor type; `"{host} {instance} {executor} {file stem} Runner"` for each file when
 * several share it. The other form is kept as a former description, so a runner is adopted and
 * renamed in place when files are added or removed, never registered again.
 */
export function desiredRunners(site: Site, host: HostFacts, options: DesiredOptions = {}): {
  runners: DesiredRunner[];
  warnings: string[];
  /** Executors whose tags failed, left out (only with `options.confine`). */
  quarantined: QuarantinedFile[];
} {
  const byType = new Map<string, number>();
  for (const type of [...site.executors.map((s) => s.executor), ...options.otherTypes ?? []]) {
    byType.set(type, (byType.get(type) ?? 0) + 1);
  }
  const quarantined: QuarantinedFile[] = [];
  const warnings: string[] = [...(host.schema?.warnings ?? [])];
  const problems = new Problems();
  const runners = [...site.executors]
    .sort((a, b) => compare(a.key, b.key))
    .flatMap((spec): DesiredRunner[] => {
      const base = `${host.hostname} ${site.instance} ${spec.executor}`;
      const single = `${base} Runner`;
      const perFile = `${base} ${spec.key} Runner`;
      const shared = (byType.get(spec.executor) ?? 0) > 1;
      let tags: string[] = [];
      try {
        const result = executorTags(spec, site.instance, host);
        tags = result.tags;
        warnings.push(...result.warnings);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        if (options.confine) {
          quarantined.push({
            key: spec.key,
            file: spec.file,
            problems: [problemOf(error)],
            names: [single, perFile],
          });
          return [];
        }
        problems.add(error);
      }
      return [{
        key: spec.key,
        clientKey: spec.clientKey,
        description: shared ? perFile : single,
        formerDescriptions: shared ? [single] : [perFile],
        tags,
        attributes: spec.attributes,
        executor: spec.executor,
        runnerKeys: spec.runnerKeys,
      }];
    });
  problems.throwIfAny();
  return { runners, warnings: [...new Set(warnings)], quarantined };
}

/** How {@link desiredRunners} treats files it cannot use. */
export interface DesiredOptions {
  /** Quarantine an executor whose tags fail (schema) instead of throwing. */
  confine?: boolean;
  /**
   * Executor types of files left out (quarantined while loading), so the others keep their
   * descriptions: a shared type stays shared.
   */
  otherTypes?: readonly string[];
}

/**
 * The executor type a quarantined file's runner had, read from its last good section's name
 * (`"{host} {instance} {type} {key} Runner"`, the form used when several files share a type), or
 * from a description the ownership record gives that file (`recorded`: there the single form
 * `"{host} {instance} {type} Runner"` counts too, as the record ties it to the file); undefined
 * when no such name is known.
 */
export function quarantinedType(
  key: string,
  names: readonly string[],
  hostname: string,
  instance: string,
  recorded: readonly string[] = [],
): string | undefined {
  const prefix = ownedDescriptionPrefix(hostname, instance);
  const suffix = ` ${key} Runner`;
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(suffix)) continue;
    const type = name.slice(prefix.length, -suffix.length);
    if (type !== "" && !type.includes(" ")) return type;
  }
  for (const name of recorded) {
    if (!isOwnedDescription(name, hostname, instance)) continue;
    const words = name.slice(prefix.length, -" Runner".length).split(" ");
    if (words.length === 1 || (words.length === 2 && words[1] === key)) return words[0];
  }
  return undefined;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
