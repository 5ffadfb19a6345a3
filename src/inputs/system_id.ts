/**
 * The host's gitlab-runner `system_id` (gitlab-runner `commands/internal/configfile/system_id_state.go`), sent with `POST /runners/verify` so
 * GitLab records no phantom runner manager. Read-only: nothing is ever written.
 *
 * @module
 */

import { join } from "node:path";

const MAX_ID_BYTES = 4096;

/** `s_` + the first 12 hex characters of HMAC-SHA256(key = machine id, message = "gitlab-runner"). */
export async function systemIdFromMachineId(machineId: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(machineId),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, encoder.encode("gitlab-runner")),
  );
  const hex = Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
  return `s_${hex.slice(0, 12)}`;
}

/** What gitlab-runner accepts in `.runner_system_id` (commands/internal/configfile/system_id_state.go). */
export const SYSTEM_ID_PATTERN = /^[sr]_[0-9a-zA-Z]{12}$/;

/**
 * Where github.com/denisbrodbeck/machineid v1.0.1 (gitlab-runner's pin) reads the machine id on
 * Linux, in order: the second only when the first cannot be read.
 */
export const MACHINE_ID_FILES: readonly string[] = ["/var/lib/dbus/machine-id", "/etc/machine-id"];

/** Options of {@link readSystemId}. */
export interface SystemIdOptions {
  /** The machine-id files to try, in order (default {@link MACHINE_ID_FILES}). */
  machineIdFiles?: readonly string[];
  /** Told when `.runner_system_id` holds something gitlab-runner would reject. */
  warn?: (message: string) => void;
}

async function readFileText(path: string): Promise<string | undefined> {
  try {
    const info = await Deno.stat(path);
    if (!info.isFile || info.size > MAX_ID_BYTES) return undefined;
    return new TextDecoder().decode(await Deno.readFile(path));
  } catch {
    return undefined;
  }
}

/**
 * The system id gitlab-runner uses for the config in `configDir`, exactly as it picks it:
 * `configDir/.runner_system_id` (whitespace-trimmed) when it matches {@link SYSTEM_ID_PATTERN};
 * else the id derived from the machine id (the first of `machineIdFiles` that can be read,
 * trimmed; empty counts as none), which gitlab-runner would then save; else undefined
 * (gitlab-runner would pick a random `r_…` id, which this function never does). A file that
 * gitlab-runner would reject and replace gets a warning naming it. Nothing is ever written.
 */
export async function readSystemId(
  configDir: string,
  options: SystemIdOptions = {},
): Promise<string | undefined> {
  const file = join(configDir, ".runner_system_id");
  const saved = await readFileText(file);
  const trimmed = saved?.trim();
  if (trimmed !== undefined && SYSTEM_ID_PATTERN.test(trimmed)) return trimmed;
  if (trimmed !== undefined && trimmed !== "") {
    options.warn?.(
      `${file} does not hold a system id gitlab-runner accepts (s_ or r_ and 12 letters or ` +
        "digits); gitlab-runner will replace it with the id derived from the machine id, " +
        "which register-runner uses meanwhile: remove the file or let gitlab-runner rewrite it",
    );
  }
  let machineId: string | undefined;
  for (const path of options.machineIdFiles ?? MACHINE_ID_FILES) {
    machineId = await readFileText(path);
    if (machineId !== undefined) break;
  }
  const id = machineId?.replace(/^\n+|\n+$/g, "").trim();
  return id === undefined || id === "" ? undefined : await systemIdFromMachineId(id);
}
