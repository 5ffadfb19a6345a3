/**
 * JSON request bodies that carry {@link Secret}s: find them (to redact them from everything said
 * about the request) and reveal them (only for the bytes sent to GitLab).
 *
 * @module
 */

import { Secret } from "../kernel/secret.ts";

/** Every {@link Secret} anywhere in a body. */
export function secretsIn(value: unknown, found: Secret[] = []): Secret[] {
  if (value instanceof Secret) found.push(value);
  else if (Array.isArray(value)) value.forEach((v) => secretsIn(v, found));
  else if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) secretsIn(v, found);
  }
  return found;
}

/** A copy of a body with every {@link Secret} replaced by its value (JSON.stringify would redact it). */
export function revealed(value: unknown): unknown {
  if (value instanceof Secret) return value.reveal();
  if (Array.isArray(value)) return value.map(revealed);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revealed(v)]));
  }
  return value;
}
