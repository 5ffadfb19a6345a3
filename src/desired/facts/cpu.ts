/**
 * CPU facts for runner tags: the architecture, archspec microarchitecture and its ancestors,
 * detected from `/proc/cpuinfo` text the way archspec does it.
 *
 * @module
 */

import { flagSet, parseCpuinfo } from "./cpuinfo.ts";
import { ancestorsOf, familyMembers, getMicroarch, mostSpecific } from "./microarch.ts";
import { ARM_VENDORS, type MicroarchEntry } from "./microarch_data.ts";

/** What {@link detectCpu} found out about the host CPU. */
export interface CpuFacts {
  /** The architecture family, as `uname -m` names it: `x86_64`, `aarch64`, `ppc64le`, ... */
  architecture: string;
  /** archspec microarchitecture name, e.g. `zen2`, `skylake_avx512`, `neoverse_n1`, `power9le`. */
  microarchitecture: string;
  /**
   * archspec ancestors of {@link microarchitecture}, nearest first and ending at the generic
   * family (e.g. for `zen2`: `zen`, `x86_64_v3`, `x86_64_v2`, `x86_64`); empty when the
   * microarchitecture is the family itself.
   */
  ancestors: string[];
  /** CPU vendor: x86 `vendor_id`, the Arm implementer's name (or its code if unknown), or IBM. */
  vendor?: string;
}

/** Input of {@link detectCpu}. */
export interface DetectCpuInput {
  /** Contents of `/proc/cpuinfo` (only the first processor block is used). */
  cpuinfo: string;
  /** The machine as `uname -m` prints it: `x86_64`, `aarch64`, `ppc64le`, ... */
  machine: string;
}

/** Spellings of the same architecture other tools use, mapped to `uname -m` names. */
const MACHINE_ALIASES: Readonly<Record<string, string>> = {
  amd64: "x86_64",
  x64: "x86_64",
  arm64: "aarch64",
  powerpc64le: "ppc64le",
  powerpc64: "ppc64",
};

/** Normalises a machine name to the `uname -m` spelling (`arm64` -> `aarch64`, ...). */
export function normalizeMachine(machine: string): string {
  const trimmed = machine.trim();
  return MACHINE_ALIASES[trimmed.toLowerCase()] ?? trimmed;
}

function isSubset(required: readonly string[], available: ReadonlySet<string>): boolean {
  return required.every((feature) => available.has(feature));
}

/**
 * archspec's choice among compatible candidates: the most specific generic level first, then
 * the most specific vendor microarchitecture descending from it (so one missing niche flag, e.g.
 * disabled in firmware, does not drop a host to an unrelated older target). `preferred`, when
 * not empty, narrows the vendor candidates (Arm `CPU part` matches).
 */
function choose(
  family: MicroarchEntry,
  compatible: readonly MicroarchEntry[],
  preferred: readonly MicroarchEntry[] = [],
): MicroarchEntry {
  const generic = mostSpecific(compatible.filter((entry) => entry.vendor === "generic")) ??
    family;
  const descendsFromGeneric = (entry: MicroarchEntry) =>
    ancestorsOf(entry.name).includes(generic.name);
  const specific = compatible.filter(descendsFromGeneric);
  const narrowed = preferred.filter(descendsFromGeneric);
  return mostSpecific(narrowed.length > 0 ? narrowed : specific) ?? generic;
}

function facts(architecture: string, chosen: MicroarchEntry, vendor?: string): CpuFacts {
  return {
    architecture,
    microarchitecture: chosen.name,
    ancestors: [...ancestorsOf(chosen.name)],
    ...(vendor === undefined || vendor === "" ? {} : { vendor }),
  };
}

function detectX86(family: MicroarchEntry, fields: Map<string, string>): CpuFacts {
  const vendor = fields.get("vendor_id");
  const flags = flagSet(fields.get("flags"));
  const compatible = familyMembers(family.name).filter((entry) =>
    (entry.vendor === "generic" || entry.vendor === vendor) && isSubset(entry.features, flags)
  );
  return facts(family.name, choose(family, compatible), vendor);
}

/** Parses an Arm hex id such as `0xd0c` or `0x41`; `undefined` when absent or malformed. */
function armId(value: string | undefined): number | undefined {
  if (value === undefined || !/^0x[0-9a-f]+$/i.test(value)) return undefined;
  return Number.parseInt(value.slice(2), 16);
}

function detectArm(family: MicroarchEntry, fields: Map<string, string>): CpuFacts {
  const implementer = fields.get("CPU implementer");
  const code = armId(implementer);
  const vendor = code === undefined
    ? implementer
    : ARM_VENDORS[`0x${code.toString(16).padStart(2, "0")}`] ?? implementer;
  const part = armId(fields.get("CPU part"));
  const features = flagSet(fields.get("Features"));
  // Like archspec, the armv8.x generic levels are never detected: /proc/cpuinfo does not say
  // which architecture version a core implements.
  const compatible = familyMembers(family.name).filter((entry) =>
    (entry.vendor === "generic" ? entry === family : entry.vendor === vendor) &&
    isSubset(entry.features, features)
  );
  const samePart = compatible.filter((entry) =>
    part !== undefined && armId(entry.cpupart) === part
  );
  return facts(family.name, choose(family, compatible, samePart), vendor);
}

function detectPower(family: MicroarchEntry, fields: Map<string, string>): CpuFacts {
  // "POWER9 (raw), altivec supported", "POWER8E (raw)...", "POWER9P..."; no match (e.g. under
  // emulation) means generation 0, so only the generic family is compatible.
  const match = /POWER(\d+)/.exec(fields.get("cpu") ?? "");
  const generation = match?.[1] === undefined ? 0 : Number.parseInt(match[1], 10);
  const compatible = familyMembers(family.name).filter((entry) =>
    (entry.generation ?? 0) <= generation
  );
  const chosen = choose(family, compatible);
  return facts(family.name, chosen, chosen.vendor === "generic" ? undefined : chosen.vendor);
}

/**
 * Detects the host CPU's archspec microarchitecture from `/proc/cpuinfo` text and the machine
 * name, as archspec does:
 * - x86_64: the most specific microarchitecture whose vendor is the `vendor_id` (or generic)
 *   and whose required features are all in `flags`;
 * - aarch64: vendor from `CPU implementer`, required features from `Features`, and a core whose
 *   `CPU part` matches preferred over a merely feature-compatible one;
 * - ppc64le / ppc64: the newest generation not above the `cpu` line's `POWERn`.
 *
 * Never throws: an unknown architecture, unknown vendor or empty/garbled cpuinfo falls back to
 * the generic family (`microarchitecture` = `architecture`, no ancestors).
 */
export function detectCpu(input: DetectCpuInput): CpuFacts {
  const architecture = normalizeMachine(input.machine) || "unknown";
  const family = getMicroarch(architecture);
  if (family === undefined || family.parents.length > 0) {
    return { architecture, microarchitecture: architecture, ancestors: [] };
  }
  const fields = parseCpuinfo(input.cpuinfo);
  switch (architecture) {
    case "x86_64":
      return detectX86(family, fields);
    case "aarch64":
      return detectArm(family, fields);
    case "ppc64le":
    case "ppc64":
      return detectPower(family, fields);
    default:
      return facts(architecture, family);
  }
}
