/**
 * The token journal: crash safety for runner tokens between the moment GitLab issues one and the
 * moment config.toml holding it is durably written. Every new token is appended here (one JSON
 * line, fsynced) before the next GitLab request; the next run replays what it finds; the journal
 * is cleared once the config is written. Besides config.toml it is the only file holding tokens,
 * so it is created with mode 0600.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { InputError } from "../kernel/errors.ts";
import { knownTime, type RunnerToken, ZERO_TIME } from "../kernel/model.ts";
import { Secret } from "../kernel/secret.ts";
import { syncDirectory, writeFileAtomic } from "./atomic_write.ts";
import { lstatIfExists, openOwnFile, readOwnFile, writeFailure } from "./safe_open.ts";

/** The largest journal read: thousands of entries; anything larger is not a journal. */
export const MAX_JOURNAL_BYTES = 4 * 1024 * 1024;

/** What happened to produce a token. */
export type JournalEvent = "created" | "registered" | "reset";

/**
 * One token GitLab handed out, as one journal line holds it (plain JSON: the token revealed, an
 * unknown obtained time as gitlab-runner's zero time, no expiry as `null`). Convert with
 * {@link entryToken} and {@link tokenFields}; everything else passes tokens as a `RunnerToken`.
 */
export interface JournalEntry {
  /** Normalised GitLab client key. */
  clientKey: string;
  /** Executor file stem. */
  key: string;
  /** The runner's description in GitLab. */
  description: string;
  /** GitLab's runner id. */
  id: number;
  /** The runner authentication token (a secret: never log an entry). */
  token: string;
  /** ISO-8601 time the token was obtained. */
  tokenObtainedAt: string;
  /** ISO-8601 expiry, or null when the token does not expire. */
  tokenExpiresAt: string | null;
  /** `created` (POST /user/runners), `registered` (POST /runners) or `reset`. */
  event: JournalEvent;
}

/** The entries read back, in file order, plus one warning per skipped line (never its content). */
export type JournalReadResult = JournalEntry[] & { readonly warnings: string[] };

const EVENTS: ReadonlySet<string> = new Set(["created", "registered", "reset"]);

/** The token of an entry, in the shape the rest of register-runner uses. */
export function entryToken(entry: JournalEntry): RunnerToken {
  return {
    token: new Secret(entry.token),
    obtainedAt: knownTime(entry.tokenObtainedAt),
    expiresAt: knownTime(entry.tokenExpiresAt),
  };
}

/** The token fields of an entry holding `token`. */
export function tokenFields(
  token: RunnerToken,
): Pick<JournalEntry, "token" | "tokenObtainedAt" | "tokenExpiresAt"> {
  return {
    token: token.token.reveal(),
    tokenObtainedAt: token.obtainedAt ?? ZERO_TIME,
    tokenExpiresAt: token.expiresAt ?? null,
  };
}

/** The journal file for a prefix and service instance. */
export function journalPath(prefix: string, instance: string): string {
  return join(prefix, `.register-runner.${instance}.journal`);
}

/**
 * Appends to and clears one journal file. Appends and clears through one instance run one at a
 * time in call order; other processes are kept out by the run lock (see `lock.ts`).
 */
export class TokenJournal {
  /** The journal file. */
  readonly path: string;
  #queue: Promise<unknown> = Promise.resolve();

  /** A journal at `path` (nothing is touched until the first append). */
  constructor(path: string) {
    this.path = path;
  }

  /** The journal of a prefix and service instance. */
  static at(prefix: string, instance: string): TokenJournal {
    return new TokenJournal(journalPath(prefix, instance));
  }

  /** Appends one entry as a JSON line and fsyncs file and directory before resolving. */
  append(entry: JournalEntry): Promise<void> {
    const problem = invalidReason(entry);
    if (problem) return Promise.reject(new TypeError(`journal entry: ${problem}`));
    const line = JSON.stringify(pick(entry));
    return this.#enqueue(() =>
      this.#write(line).catch((error) => {
        throw writeFailure(error, this.path, "append to the token journal");
      })
    );
  }

  /** Removes the journal (after the config holding its tokens is durably written). */
  clear(): Promise<void> {
    return this.#enqueue(async () => {
      try {
        await Deno.remove(this.path); // unlink: a link is removed, never its target
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return;
        throw writeFailure(error, this.path, "remove the token journal");
      }
      await syncDirectory(dirname(this.path));
    });
  }

  /**
   * Replaces the journal's content with exactly `entries`, atomically (temp file and rename, so a
   * crash leaves either the old journal or the new one); none removes it. Used to keep tokens that
   * the written config no longer holds but a later run still needs.
   */
  replace(entries: JournalEntry[]): Promise<void> {
    if (entries.length === 0) return this.clear();
    for (const entry of entries) {
      const problem = invalidReason(entry);
      if (problem) return Promise.reject(new TypeError(`journal entry: ${problem}`));
    }
    const text = entries.map((e) => JSON.stringify(pick(e)) + "\n").join("");
    return this.#enqueue(async () => {
      // A link planted at the journal is replaced itself (rename does), never its target.
      await writeFileAtomic(this.path, text, { mode: 0o600, followSymlink: false });
    });
  }

  /**
   * Reads a journal. A missing file is empty. Lines that are torn (an interrupted write), not
   * JSON, or not entries are skipped with a warning; only an unreadable file throws.
   */
  static async read(path: string): Promise<JournalReadResult> {
    const entries: JournalEntry[] = [];
    const warnings: string[] = [];
    let bytes: Uint8Array | undefined;
    try {
      bytes = await readOwnFile(path, MAX_JOURNAL_BYTES, "the token journal");
    } catch (error) {
      if (error instanceof InputError) throw error;
      throw new InputError(`cannot read the token journal ${path}: ${String(error)}`, {
        where: { file: path },
        hint: "it must be a readable file; it holds runner tokens that are not yet in the config",
        cause: error,
      });
    }
    if (bytes === undefined) return Object.assign(entries, { warnings });
    const lines = splitLines(bytes);
    lines.forEach((line, index) => {
      if (line.length === 0) return;
      const result = parseLine(line);
      if (typeof result !== "string") return void entries.push(result);
      const torn = index === lines.length - 1 && result === "not JSON";
      const why = torn ? "incomplete last line (a run was interrupted while writing it)" : result;
      warnings.push(`${path}:${index + 1}: ${why}; line ignored`);
    });
    return Object.assign(entries, { warnings });
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => {});
    return run;
  }

  async #write(line: string): Promise<void> {
    const file = await openOwnFile(this.path, {
      append: true,
      mode: 0o600,
      what: "the token journal",
    });
    try {
      const info = await file.stat();
      if (info.mode !== null && (info.mode & 0o077) !== 0) {
        const now = await lstatIfExists(this.path, "the token journal");
        if (now?.isFile && now.ino === info.ino) await Deno.chmod(this.path, 0o600);
      }
      // A torn line from a crash must not swallow the new entry: start on a fresh line.
      const fresh = info.size === 0 || (await lastByte(file, info.size)) === 0x0a;
      const bytes = new TextEncoder().encode(`${fresh ? "" : "\n"}${line}\n`);
      for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
      await file.sync();
    } finally {
      file.close();
    }
    await syncDirectory(dirname(this.path));
  }
}

async function lastByte(file: Deno.FsFile, size: number): Promise<number | undefined> {
  await file.seek(size - 1, Deno.SeekMode.Start);
  const buf = new Uint8Array(1);
  return (await file.read(buf)) === 1 ? buf[0] : undefined;
}

/** Splits on `\n`; the piece after the last newline is the last line (torn if non-empty). */
function splitLines(bytes: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      lines.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  lines.push(bytes.subarray(start));
  return lines;
}

/** An entry, or why the line is not one. */
function parseLine(line: Uint8Array): JournalEntry | string {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(line));
  } catch {
    return "not JSON";
  }
  const problem = invalidReason(value);
  if (problem !== undefined) return problem;
  return pick(value as JournalEntry); // checked above
}

/** Only the known fields, in a fixed order. */
function pick(v: JournalEntry): JournalEntry {
  return {
    clientKey: v.clientKey,
    key: v.key,
    description: v.description,
    id: v.id,
    token: v.token,
    tokenObtainedAt: v.tokenObtainedAt,
    tokenExpiresAt: v.tokenExpiresAt,
    event: v.event,
  };
}

function invalidReason(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "not an object";
  const v = value as Record<string, unknown>;
  for (const field of ["clientKey", "key", "description", "token", "tokenObtainedAt"]) {
    if (typeof v[field] !== "string") return `${field} is not a string`;
  }
  if (v.token === "") return "token is empty";
  if (!Number.isSafeInteger(v.id)) return "id is not an integer";
  if (v.tokenExpiresAt !== null && typeof v.tokenExpiresAt !== "string") {
    return "tokenExpiresAt is neither a string nor null";
  }
  if (typeof v.event !== "string" || !EVENTS.has(v.event)) return "event is unknown";
  return undefined;
}
