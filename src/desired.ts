/**
 * From the validated site and the host's facts to the runners this host should have:
 * descriptions (compatible with the Python tool) and tags. Pure.
 *
 * @module
 */

import type { DesiredRunner, ExecutorSpec, Site } from "./model.ts";

/** Host facts that become tags. */
export interface HostFacts {
  hostname: string;
  /** Reads an environment variable (for `env_tags`). */
  getEnv(name: string): string | undefined;
}

/** A tag GitLab accepts: non-empty, no comma, at most 255 characters. */
export function isValidTag(tag: string): boolean {
  return tag.length > 0 && tag.length <= 255 && !tag.includes(",");
}

/**
 * The tags of one executor: hostname, instance, executor type, the values of `env_tags` present
 * in the environment, then the extra `tags`; trimmed, deduplicated, first occurrence wins.
 * Returns the tags and a warning per env value that could not be a tag.
 */
export function executorTags(
  spec: ExecutorSpec,
  instance: string,
  host: HostFacts,
): { tags: string[]; warnings: string[] } {
  const warnings: string[] = [];
  const candidates = [host.hostname, instance, spec.executor];
  for (const name of spec.envTags) {
    const value = host.getEnv(name)?.trim();
    if (value === undefined || value === "") continue;
    if (!isValidTag(value)) {
      warnings.push(
        `${spec.file}: env_tags: the value of $${name} cannot be a GitLab tag (empty, over 255 characters or containing a comma); skipped`,
      );
      continue;
    }
    candidates.push(value);
  }
  candidates.push(...spec.extraTags.map((t) => t.trim()));
  return { tags: dedupe(candidates), warnings };
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

/**
 * The runners this host wants, one per executor file, sorted by file name.
 *
 * Descriptions: `"{host} {instance} {executor} Runner"` (the Python tool's form) when one file
 * has that executor type; `"{host} {instance} {executor} {file stem} Runner"` for each file when
 * several share it. The other form is kept as a former description, so a runner is adopted and
 * renamed in place when files are added or removed, never registered again.
 */
export function desiredRunners(site: Site, host: HostFacts): {
  runners: DesiredRunner[];
  warnings: string[];
} {
  const byType = new Map<string, number>();
  for (const spec of site.executors) {
    byType.set(spec.executor, (byType.get(spec.executor) ?? 0) + 1);
  }
  const warnings: string[] = [];
  const runners = [...site.executors]
    .sort((a, b) => compare(a.key, b.key))
    .map((spec): DesiredRunner => {
      const base = `${host.hostname} ${site.instance} ${spec.executor}`;
      const single = `${base} Runner`;
      const perFile = `${base} ${spec.key} Runner`;
      const shared = (byType.get(spec.executor) ?? 0) > 1;
      const { tags, warnings: tagWarnings } = executorTags(spec, site.instance, host);
      warnings.push(...tagWarnings);
      return {
        key: spec.key,
        clientKey: spec.clientKey,
        description: shared ? perFile : single,
        formerDescriptions: shared ? [single] : [perFile],
        tags,
        attributes: spec.attributes,
        executor: spec.executor,
        runnerKeys: spec.runnerKeys,
      };
    });
  return { runners, warnings };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
