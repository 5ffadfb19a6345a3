/**
 * Parsing of Linux `/proc/cpuinfo` text.
 *
 * @module
 */

/**
 * The `key: value` pairs of the first processor block of `/proc/cpuinfo` (keys and values
 * trimmed; a later duplicate key wins). Reading stops at the first blank line after at least
 * one pair, as archspec does: every block describes the same kind of core on the machines this
 * tool targets, and on POWER the first block already holds the `cpu` line. Lines without a
 * colon are skipped. Never throws.
 */
export function parseCpuinfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon < 0) {
      if (line.trim() === "" && fields.size > 0) break;
      continue;
    }
    fields.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return fields;
}

/** Splits a space-separated flag list (x86 `flags`, Arm `Features`) into a set. */
export function flagSet(value: string | undefined): Set<string> {
  return new Set((value ?? "").split(/\s+/).filter((flag) => flag !== ""));
}
