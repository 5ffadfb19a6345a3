/**
 * One GitLab under two `client_configs` urls, when no token can prove it (config.toml lost, or
 * its entries hold no ids): each url lists the other's runners as this host's and would delete
 * them as "no executor file". GitLab exposes no instance identity, so the guard is conservative:
 * under url A, a runner whose description is one an executor file of another url B wants (its
 * current or former description) is not deleted, unless the ownership record records that runner
 * id under A or a config.toml entry under A holds it with a token A accepts (then it is A's own:
 * its file moved to B). The deletion is skipped with a warning
 * naming both urls. On two distinct GitLabs this never deletes anything wrongly; its cost is a
 * leftover runner (named every run) when a file moved between GitLabs without a record. Pure.
 *
 * @module
 */

import type { ClientPlan } from "./planner.ts";

/** What {@link spareOtherUrls} decides from. */
export interface OtherUrlsInput {
  /** This GitLab's url, as configured. */
  url: string;
  /**
   * Descriptions (current and former) wanted by executor files of other urls: description →
   * the file stem and the url it uses.
   */
  wantedElsewhere: ReadonlyMap<string, { key: string; url: string }>;
  /**
   * Runner ids known to be this url's: the ownership record holds them under it, or a config.toml
   * entry of this url holds them with a token this url accepts.
   */
  provenHere: ReadonlySet<number>;
}

/** `plan` without the deletions another url's executor files could be owed; warnings added. */
export function spareOtherUrls<P extends ClientPlan>(plan: P, input: OtherUrlsInput): P {
  const warnings: string[] = [];
  const deletions = plan.deletions.filter((d) => {
    if (d.by !== "id" || input.provenHere.has(d.runnerId)) return true;
    const owner = input.wantedElsewhere.get(d.description);
    if (owner === undefined) return true;
    warnings.push(
      `${d.description} (#${d.runnerId}) at ${input.url}: NOT deleted (${d.reason}): executor ` +
        `file ${owner.key}.toml wants that description at ${owner.url}; ${input.url} and ` +
        `${owner.url} may be the same GitLab (list it once in client_configs). If they are ` +
        `different GitLabs, delete runner #${d.runnerId} at ${input.url} by hand`,
    );
    return false;
  });
  if (warnings.length === 0) return plan;
  return { ...plan, deletions, warnings: [...plan.warnings, ...warnings] };
}
