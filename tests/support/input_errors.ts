/**
 * Assertions on the {@link InputError}s that loading a prefix throws.
 *
 * @module
 */

import { InputError } from "../../src/kernel/errors.ts";

/**
 * Runs `fn` and returns the InputError it throws; fails (with what happened instead) when it
 * resolves or throws anything else.
 */
export async function inputErrorOf(fn: () => unknown): Promise<InputError> {
  let outcome: unknown;
  try {
    outcome = await fn();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw new Error(`expected an InputError, got ${String(error)}`, { cause: error });
  }
  throw new Error(`expected an InputError, but it succeeded with ${Deno.inspect(outcome)}`);
}

/** The full text a user would see for an error: message and hint. */
export function shown(error: InputError): string {
  return `${error.message}\n${error.hint ?? ""}`;
}
