/**
 * How many bytes a sync may write into the prefix, for the "record before acting" probe
 * (`runner_config/recordable.ts`): the config rendered with every desired runner holding a
 * placeholder credential at least as long as a real one, plus two journal lines per runner (a
 * token issued, and a second one when a lost token is replaced by deleting and registering again).
 *
 * @module
 */

import type { DesiredRunner, Site } from "../kernel/model.ts";
import { Secret } from "../kernel/secret.ts";
import { renderRunners, renderSiteConfig, type RunnerCredentials } from "./config_out.ts";

/** GitLab runner tokens are well under this length (`glrt-` and about 20–30 characters). */
const TOKEN_BYTES = 128;
/** A journal line beside its description and token (keys, id, times, event, newline). */
const JOURNAL_LINE_BYTES = 256;

/** Upper bound of what sync writes for `desired`: config plus journal, in bytes. */
export function recordBudget(site: Site, desired: DesiredRunner[]): number {
  const placeholder: RunnerCredentials = {
    id: Number.MAX_SAFE_INTEGER,
    token: {
      token: new Secret("x".repeat(TOKEN_BYTES)),
      obtainedAt: "2000-01-01T00:00:00Z",
      expiresAt: "2000-01-01T00:00:00Z",
    },
  };
  const all = new Map(desired.map((d) => [d.key, placeholder]));
  const config = renderSiteConfig(site, renderRunners(site, desired, all, new Set(), []));
  const encoder = new TextEncoder();
  const journal = desired.reduce(
    (sum, d) =>
      sum + 2 * (JOURNAL_LINE_BYTES + TOKEN_BYTES + encoder.encode(d.description + d.key).length),
    0,
  );
  return encoder.encode(config).length + journal;
}
