/**
 * Reads what one GitLab holds for this host and instance: the owned runners (listing filtered by
 * the host and instance tags, then details) and the verdict on each local token.
 *
 * Round trips: the listing is queued first, so it never waits behind the token checks; the token
 * checks run alongside it; each owned runner's details read starts as soon as the page listing it
 * arrives. An unchanged restart therefore costs two round trips (three with more than one page)
 * when the concurrency pool is large enough, and otherwise keeps the pool full until done.
 *
 * Requests: every listing page, one `POST /runners/verify` per local token, one `GET
 * /runners/:id` per listed runner with an owned description. The details read cannot be skipped:
 * the listing has no `tag_list`, `run_untagged`, `locked`, `access_level`, `maximum_timeout` or
 * `maintenance_note`, and the `tag_list` filter proves only that a runner carries *at least* the
 * given tags, never that it has no extra ones (see the README, "Performance").
 *
 * @module
 */

import { isOwnedDescription } from "./desired.ts";
import type { GitLabClient, RunnerDetails, RunnerSummary } from "./gitlab/client.ts";
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

/** Observes one GitLab. Throws the client's typed errors (the first one to happen). */
export async function observeClient(input: ObserveInput): Promise<Observation> {
  const { client } = input;
  // Started first: the listing heads the pool's queue, and details reads hang off it.
  const owned = input.canList ? listOwned(input) : Promise.resolve(undefined);
  const checks = Promise.all(
    input.local.filter((l) => l.token !== undefined).map(async (l) => {
      const check = await client.verifyRunner(l.token!, input.systemId);
      return [l.index, check] as [number, TokenCheck];
    }),
  );
  const [tokenChecks, ownedRunners] = await Promise.all([checks, owned]);
  return {
    clientKey: input.clientKey,
    tokenChecks: new Map(tokenChecks),
    ...(ownedRunners === undefined ? {} : { owned: ownedRunners }),
  };
}

/** Lists this host's runners and reads the details of those with an owned description. */
async function listOwned(input: ObserveInput): Promise<ObservedRunner[]> {
  const { client, hostname, instance } = input;
  const isCandidate = (r: RunnerSummary) =>
    isOwnedDescription(r.description ?? "", hostname, instance);
  const details = new Map<number, Promise<RunnerDetails>>();
  // Rejects with the first failed details read, so a failure ends the wait even mid-listing.
  let fail: (error: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => {});

  const onPage = (runners: RunnerSummary[]) => {
    for (const r of runners) {
      if (!isCandidate(r) || details.has(r.id)) continue;
      const read = client.getRunner(r.id);
      read.catch(fail);
      details.set(r.id, read);
    }
  };
  const listed = await Promise.race([client.listRunners([hostname, instance], { onPage }), failed]);
  const candidates = listed.filter(isCandidate);
  const read = await Promise.race([
    Promise.all(candidates.map((r) => details.get(r.id) ?? client.getRunner(r.id))),
    failed,
  ]);
  const owned: ObservedRunner[] = [];
  for (const d of read) {
    // Ownership needs both tags and the description; re-check on the details GitLab returned.
    if (!d.tag_list.includes(hostname) || !d.tag_list.includes(instance)) continue;
    if (!isOwnedDescription(d.description, hostname, instance)) continue;
    owned.push(observed(d));
  }
  return owned;
}

function observed(d: RunnerDetails): ObservedRunner {
  return {
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
  };
}
