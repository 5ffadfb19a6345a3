/**
 * Input problems: how they are worded (`FILE: key \`k\` (line 7): what is wrong`), and how several
 * are collected across files and reported together as one {@link InputError}.
 *
 * @module
 */

import { type ErrorDetails, InputError } from "../kernel/errors.ts";
import type { SourceRef } from "../kernel/model.ts";
import { maskTokens } from "./secrets.ts";

/** `FILE: key \`k\` (line 7)`, `FILE (line 7)` or `FILE`. */
export function formatWhere(where: SourceRef): string {
  const line = where.line === undefined ? "" : ` (line ${where.line})`;
  return where.key === undefined
    ? `${where.file}${line}`
    : `${where.file}: key \`${where.key}\`${line}`;
}

/** An {@link InputError} located at `where`: message `WHERE: what` (token-like text masked). */
export function inputErrorAt(where: SourceRef, what: string, hint?: string): InputError {
  const details: ErrorDetails = { where };
  if (hint !== undefined) details.hint = hint;
  return new InputError(`${formatWhere(where)}: ${maskTokens(what)}`, details);
}

function indent(text: string, prefix: string): string {
  return text.split("\n").join(`\n${prefix}`);
}

/** Several input problems found in one run, reported together; `problems` holds each one. */
export class InputErrors extends InputError {
  /** The individual problems, in the order they were found. */
  readonly problems: readonly InputError[];

  /** Combines `problems` (at least two) into one error whose message lists them all. */
  constructor(problems: readonly InputError[]) {
    const listed = problems.map((p, i) => {
      const hint = p.hint === undefined ? "" : `\n   Fix: ${indent(p.hint, "   ")}`;
      return `${i + 1}. ${indent(p.message, "   ")}${hint}`;
    });
    const details: ErrorDetails = { hint: "Fix each problem listed above, then run again." };
    const first = problems[0]?.where;
    if (first !== undefined) details.where = first;
    super(`${problems.length} problems in the input files:\n${listed.join("\n")}`, details);
    this.problems = problems;
  }
}

/** Collects input problems so one run reports all of them. */
export class Problems {
  readonly #errors: InputError[] = [];

  /** How many problems have been recorded. */
  get count(): number {
    return this.#errors.length;
  }

  /** Every problem recorded so far, in the order found. */
  all(): readonly InputError[] {
    return [...this.#errors];
  }

  /** Records a problem (each of an {@link InputErrors}' problems separately). */
  add(error: InputError): void {
    if (error instanceof InputErrors) this.#errors.push(...error.problems);
    else this.#errors.push(error);
  }

  /** Runs `fn`; an {@link InputError} it throws is recorded and undefined returned instead. */
  async capture<T>(fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      this.add(error);
      return undefined;
    }
  }

  /** Throws nothing when there is no problem, the problem itself for one, {@link InputErrors} for more. */
  throwIfAny(): void {
    const [first, second] = this.#errors;
    if (first === undefined) return;
    if (second === undefined) throw first;
    throw new InputErrors([...this.#errors]);
  }
}
