/**
 * The host's gitlab-runner `system_id` (gitlab-runner `common/system_id_state.go`), sent with `POST /runners/verify` so
 * GitLab records no phantom runner manager. Read-only: nothing is ever written.
 *
 * @module
 */

import { join } from "node:path";

const MAX_ID_BYTES = 4096;

async function readSmall(path: string): Promise<string | undefined> {
  try {
    const info = await Deno.stat(path);
    if (!info.isFile || info.size > MAX_ID_BYTES) return undefined;
    const text = new TextDecoder().decode(await Deno.readFile(path)).trim();
    return text === "" ? undefined : text;
  } catch {
    return undefined;
  }
}

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

/**
 * The system id gitlab-runner uses on this host: `{prefix}/.runner_system_id` (trimmed) when it
 * exists and holds one printable word (at most 64 characters); else the id gitlab-runner derives from `machineIdFile`; else undefined
 * (gitlab-runner would then pick a random `r_…` id and save it, which this function never does).
 * Unreadable files count as absent.
 */
export async function readSystemId(
  prefix: string,
  machineIdFile = "/etc/machine-id",
): Promise<string | undefined> {
  const saved = await readSmall(join(prefix, ".runner_system_id"));
  if (saved !== undefined && /^[\x21-\x7e]{1,64}$/.test(saved)) return saved;
  const machineId = await readSmall(machineIdFile);
  return machineId === undefined ? undefined : await systemIdFromMachineId(machineId);
}
