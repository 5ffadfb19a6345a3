/**
 * Planning around quarantined executor files (see `QuarantinedFile` in `kernel/model.ts`): their
 * runners are kept as they are. A local section or GitLab runner named like a quarantined file's
 * runner, or holding the id the ownership record gives that file, is taken out of planning (no healthy file can claim it, nothing updates or deletes it),
 * and while any file is quarantined no runner is deleted as "no executor file": it may be the
 * runner of a broken file whose name cannot be read. Pure.
 *
 * @module
 */

import type { LocalRunner } from "../kernel/model.ts";
import { type ClientPlan, planClient, type PlanInput } from "./planner.ts";

/** A runner left as it is because an executor file is quarantined. */
export interface HeldRunner {
  description: string;
  /** GitLab's id, when known. */
  runnerId?: number;
  /** Its section's index in config.toml, when it has one (that section is kept verbatim). */
  localIndex?: number;
  /** Why it is held, e.g. `/etc/gitlab-runner/main/gpu.toml is quarantined`. */
  reason: string;
}

/** A plan with the runners it holds for quarantined files. */
export interface QuarantinePlan extends ClientPlan {
  held: HeldRunner[];
}

/** The quarantined files as the planner sees them. */
export interface QuarantineInput {
  /** Their paths, for reasons (none: plan as usual). */
  files: readonly string[];
  /** Descriptions their runners carry, when known. */
  names: readonly string[];
  /** Their file stems: the ownership record's runners of these files stay reserved for them. */
  keys?: readonly string[];
  /** The ids the ownership record gives them in this GitLab: held whatever their names. */
  ids?: readonly number[];
}

/** {@link planClient} with the runners of quarantined files held. */
export function planWithQuarantine(input: PlanInput, quarantine: QuarantineInput): QuarantinePlan {
  if (quarantine.files.length === 0) return { ...planClient(input), held: [] };
  const reason = `${quarantine.files.join(", ")} ${
    quarantine.files.length === 1 ? "is" : "are"
  } quarantined`;
  const names = new Set(quarantine.names);
  const recorded = new Set(quarantine.ids ?? []);
  const theirs = (l: LocalRunner) =>
    (l.name !== undefined && names.has(l.name)) || (l.id !== undefined && recorded.has(l.id));
  const heldLocal = input.local.filter(theirs);
  const heldIds = new Set([
    ...recorded,
    ...heldLocal.flatMap((l) => (l.id === undefined ? [] : [l.id])),
  ]);
  const owned = input.observation.owned;
  const heldOwned = owned?.filter((o) => heldIds.has(o.id) || names.has(o.description)) ?? [];
  const plan = planClient({
    ...input,
    ...(quarantine.keys === undefined ? {} : { reservedKeys: quarantine.keys }),
    local: input.local.filter((l) => !theirs(l)),
    observation: {
      ...input.observation,
      ...(owned === undefined ? {} : { owned: owned.filter((o) => !heldOwned.includes(o)) }),
    },
  });
  const held: HeldRunner[] = heldLocal.map((l) => ({
    description: l.name!,
    ...(l.id === undefined ? {} : { runnerId: l.id }),
    localIndex: l.index,
    reason,
  }));
  for (const o of heldOwned) {
    if (held.some((h) => h.runnerId === o.id)) continue;
    held.push({ description: o.description, runnerId: o.id, reason });
  }
  const deletions = plan.deletions.filter((d) => d.reason !== "no executor file");
  for (const d of plan.deletions) {
    if (deletions.includes(d)) continue;
    const l = d.by === "token"
      ? input.local.find((x) => x.index === d.localIndex)
      : input.local.find((x) => x.id === d.runnerId) ??
        input.local.find((x) => x.name === d.description);
    held.push({
      description: d.description,
      ...(d.by === "id" ? { runnerId: d.runnerId } : l?.id === undefined ? {} : { runnerId: l.id }),
      ...(l === undefined ? {} : { localIndex: l.index }),
      reason: `not deleted while ${reason}: it may be the runner of a quarantined file`,
    });
  }
  return { ...plan, deletions, held };
}
