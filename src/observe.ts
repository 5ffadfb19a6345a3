/**
 * Reads what one GitLab holds for this host and instance: the owned runners (listing filtered by
 * the host and instance tags, then details) and the verdict on each local token. The listing and
 * the token checks run concurrently, so an unchanged restart costs two round trips.
 *
 * @module
 */

import { isOwnedDescription } from "./desired.ts";
import type { GitLabClient } from "./gitlab/client.ts";
import type { LocalRunner, Observation, ObservedRunner, TokenCheck } from "./model.ts";

/** What {@link observeClient} needs. */
export interface ObserveInput {
  client: GitLabClient;
  clientKey: string;
  hostname: string;
  instance: string;
  /** Local runners of this GitLab whose tokens should be checked. */
  local: LocalRunner[];
  /** The host's gitlab-runner `system_id`, sent with verify so GitLab records no phantom manager. */
  systemId: string | undefined;
  /** False when there is no personal access token: the runners cannot be listed. */
  canList: boolean;
}

/** Observes one GitLab. Throws the client's typed errors. */
export async function observeClient(input: ObserveInput): Promise<Observation> {
  const { client } = input;
  const checks = Promise.all(
    input.local.filter((l) => l.token !== undefined).map(async (l) => {
      const check = await client.verifyRunner(l.token!, input.systemId);
      return [l.index, check] as [number, TokenCheck];
    }),
  );
  const owned = input.canList ? listOwned(input) : Promise.resolve(undefined);
  const [tokenChecks, ownedRunners] = await Promise.all([checks, owned]);
  return {
    clientKey: input.clientKey,
    tokenChecks: new Map(tokenChecks),
    ...(ownedRunners === undefined ? {} : { owned: ownedRunners }),
  };
}

async function listOwned(input: ObserveInput): Promise<ObservedRunner[]> {
  const { client, hostname, instance } = input;
  const listed = await client.listRunners([hostname, instance]);
  const candidates = listed.filter((r) =>
    isOwnedDescription(r.description ?? "", hostname, instance)
  );
  const details = await Promise.all(candidates.map((r) => client.getRunner(r.id)));
  const owned: ObservedRunner[] = [];
  for (const d of details) {
    // Ownership needs both tags and the description; re-check on the details GitLab returned.
    if (!d.tag_list.includes(hostname) || !d.tag_list.includes(instance)) continue;
    if (!isOwnedDescription(d.description, hostname, instance)) continue;
    owned.push({
      id: d.id,
      description: d.description,
      tags: d.tag_list,
      attributes: {
        run_untagged: d.run_untagged,
        locked: d.locked,
        paused: d.paused,
        access_level: d.access_level,
        maximum_timeout: d.maximum_timeout === 0 ? null : d.maximum_timeout,
        maintenance_note: d.maintenance_note,
      },
      ...(d.token === undefined ? {} : { token: d.token }),
    });
  }
  return owned;
}
