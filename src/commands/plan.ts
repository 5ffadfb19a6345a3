/**
 * `register-runner plan`: what `sync` would do, without doing it. Runs sync's load → observe →
 * plan stages, then predicts the config.toml sync would write and diffs it against the current
 * one (tokens masked; runners that would get a new token show a placeholder).
 *
 * Read-only: GitLab sees only `GET` listings and details and `POST /runners/verify` (which
 * records a heartbeat, as gitlab-runner's own verify does); no file is created or changed — no
 * lock, no journal, no temp file.
 *
 * @module
 */

import type { RunnerStep } from "../reconcile/planner.ts";
import type { QuarantinePlan } from "../reconcile/quarantine.ts";
import { isNoop } from "../reconcile/planner.ts";
import { ExitCode, GitLabUnreachableError } from "../kernel/errors.ts";
import { statIfExists } from "../inputs/fs.ts";
import { normalizeUrl } from "../inputs/mod.ts";
import type { QuarantinedFile, RunnerToken, Site } from "../kernel/model.ts";
import { Secret } from "../kernel/secret.ts";
import { expiryWarnings } from "../runner_config/token_lifetime.ts";
import {
  keptSections,
  obtainedNotInFuture,
  renderRunners,
  renderSiteConfig,
  type RunnerCredentials,
  serverNowFor,
} from "./config_out.ts";
import { type ClockOffset, isoSecondsOf } from "../gitlab/server_time.ts";
import { maskConfigText, unifiedDiff } from "./diff.ts";
import type { PlanCredentials } from "./step_view.ts";
import {
  loadInputs,
  type PipelineOptions,
  planEachClient,
  readPlanningState,
  warnClockSkew,
} from "./pipeline.ts";

/** What plan found for one GitLab. */
export type PlannedClientReport =
  | {
    url: string;
    status: "planned";
    plan: QuarantinePlan;
    /** What the GitLab's credentials allow (how runners would be registered). */
    credentials?: PlanCredentials;
  }
  | { url: string; status: "unreachable"; error: GitLabUnreachableError };

/** The result of `plan`. */
export interface PlanReport {
  outputFile: string;
  clients: PlannedClientReport[];
  /** Whether sync would change the config file (content or permissions). */
  config: "would-change" | "unchanged";
  /** Unified diff of the config file, tokens masked; "" when the content would not change. */
  diff: string;
  /** True when sync would change something in GitLab. */
  gitlabChanges: boolean;
  warnings: string[];
  /** 0 nothing to do, 10 changes pending, 5 a GitLab could not be reached. */
  exitCode: number;
  /** Executor files sync would leave as they are (problems of their own). */
  quarantined: QuarantinedFile[];
}

/** Placeholder tokens shown for runners that would get a new token. */
export const PLACEHOLDER = {
  /** Registered with the personal access token (`POST /user/runners`). */
  pat: "[new token: personal access token]",
  /** Registered with the legacy registration token (`POST /runners`). */
  "registration-token": "[new token: registration token]",
  reset: "[new token: reset]",
  read: "[token read back from GitLab]",
  journaled: "[token from the journal of an interrupted run]",
} as const;

/** Computes what sync would do. Throws `RegisterRunnerError`s (unreachable GitLabs are reported). */
export async function plan(options: PipelineOptions): Promise<PlanReport> {
  const { env } = options;
  const confined = { ...options, confine: true };
  const { site, warnings, quarantined } = await loadInputs(confined);
  const state = await readPlanningState(site, confined, warnings, quarantined);
  const clocks = new Map<string, ClockOffset>();
  const results = await planEachClient(
    site,
    state,
    options,
    ({ plan }) => Promise.resolve(plan),
    clocks,
    warnings,
  );
  warnClockSkew(site, clocks, env, warnings);
  const nowFor = serverNowFor(() => env.clock.now(), clocks);

  const clients: PlannedClientReport[] = [];
  for (const [i, r] of results.entries()) {
    const client = site.clients[i]!;
    const url = client.url;
    if (r.status === "fulfilled") {
      const credentials = { registrationToken: client.registrationToken !== undefined };
      clients.push({ url, status: "planned", plan: r.value, credentials });
    } else if (r.reason instanceof GitLabUnreachableError) {
      clients.push({ url, status: "unreachable", error: r.reason });
    } else throw r.reason;
  }

  // A kept token the config file does not hold yet came from the journal: show that it changes.
  const fileTokens = state.local?.runners.flatMap((l) => (l.token ? [l.token.token] : [])) ?? [];
  const inConfigFile = (token: Secret) => fileTokens.some((t) => t.equals(token));
  const predicted = new Map<string, RunnerCredentials>();
  for (const c of clients) {
    if (c.status !== "planned") continue;
    const now = isoSecondsOf(nowFor(c.url));
    for (const step of c.plan.steps) {
      predicted.set(step.desired.key, predict(step, now, inConfigFile));
    }
  }
  const unreachable = new Set(
    clients.filter((c) => c.status === "unreachable").map((c) => normalizeUrl(c.url)),
  );
  const held = new Set(
    clients.flatMap((c) => (c.status === "planned" ? c.plan.heldByListing : [])),
  );
  const rendered = obtainedNotInFuture(
    renderRunners(site, state.desired, predicted, unreachable, state.localRunners, held),
    nowFor,
  );
  for (const w of expiryWarnings(rendered, (r) => nowFor(r.url))) {
    env.logger.warn(w);
    warnings.push(w);
  }
  const kept = keptSections(state.local, state.local, {
    held: clients.flatMap((c) => (c.status === "planned" ? c.plan.held : [])),
    refused: [],
    unreachable: [...unreachable],
    quarantined: state.quarantined,
  });
  const planned = renderSiteConfig(site, rendered, kept, state.desired, state.local?.runners);
  const current = state.local?.text;
  const config = current === planned && !(await looserThan0600(site))
    ? "unchanged"
    : "would-change";
  const diff = unifiedDiff(maskConfigText(current ?? ""), maskConfigText(planned), {
    from: current === undefined ? "/dev/null" : site.outputFile,
    to: `${site.outputFile} (planned)`,
  });
  const gitlabChanges = clients.some((c) => c.status === "planned" && !isNoop(c.plan));
  const exitCode = unreachable.size > 0
    ? ExitCode.Unreachable
    : gitlabChanges || config === "would-change"
    ? ExitCode.ChangesPending
    : ExitCode.Ok;
  return {
    outputFile: site.outputFile,
    clients,
    config,
    diff,
    gitlabChanges,
    warnings,
    exitCode,
    quarantined: state.quarantined,
  };
}

/** The credentials sync would write for a step: the local ones, or a placeholder for new ones. */
function predict(
  step: RunnerStep,
  now: string,
  inConfigFile: (token: Secret) => boolean,
): RunnerCredentials {
  switch (step.action) {
    case "keep": {
      const { token } = step;
      return {
        id: step.runnerId ?? step.local.id,
        token: inConfigFile(token.token)
          ? token
          : { ...token, token: new Secret(PLACEHOLDER.journaled) },
      };
    }
    case "restore": {
      const placeholder = step.method === "read" ? PLACEHOLDER.read : PLACEHOLDER.reset;
      return { id: step.runnerId, token: placeholderToken(placeholder, now) };
    }
    case "register":
      return { id: undefined, token: placeholderToken(PLACEHOLDER[step.via], now) };
  }
}

/** A token sync would obtain at `now`, shown as `text`. */
function placeholderToken(text: string, now: string): RunnerToken {
  return { token: new Secret(text), obtainedAt: now, expiresAt: undefined };
}

/** Whether sync would tighten the existing config's permissions to 0600. */
async function looserThan0600(site: Site): Promise<boolean> {
  const info = await statIfExists(site.outputFile);
  return info?.mode != null && (info.mode & 0o177) !== 0;
}
