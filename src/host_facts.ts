/**
 * Gathers the host facts that become tags (see `desired.ts`). For now: the host name and the
 * environment (for `env_tags`).
 *
 * @module
 */

import type { HostFacts } from "./desired.ts";
import type { RuntimeEnv } from "./env.ts";

/** What {@link gatherHostFacts} may use. */
export interface GatherOptions {
  env: RuntimeEnv;
  /** `--tag-schema` file, if given. */
  tagSchemaFile?: string | undefined;
  /** `--capture-tags` program, if given. */
  captureTagsProgram?: string | undefined;
}

/** Collects the host facts once per run. */
export function gatherHostFacts(options: GatherOptions): Promise<HostFacts> {
  const { env } = options;
  return Promise.resolve({ hostname: env.hostname, getEnv: env.getEnv });
}
