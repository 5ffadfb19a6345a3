import { deepStrictEqual, equal, match, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { InputError } from "../kernel/errors.ts";
import { type JournalEntry, journalPath, TokenJournal } from "./journal.ts";
import { countSyncs, modeOf, recordOpens } from "../../tests/support/fs_spy.ts";
import { tempDir } from "../../tests/support/temp.ts";

function entry(n: number, overrides: Partial<JournalEntry> = {}): JournalEntry {
  return {
    clientKey: "https://gitlab.example.com",
    key: `exec${n}`,
    description: `host main exec${n} Runner`,
    id: 100 + n,
    token: `glrt-fake-${String(n).padStart(4, "0")}`,
    tokenObtainedAt: "2025-12-07T05:27:35Z",
    tokenExpiresAt: n % 2 === 0 ? null : "2026-01-06T05:27:35Z",
    event: "created",
    ...overrides,
  };
}

Deno.test("append then read: one JSON line per entry, mode 0600", async () => {
  const dir = await tempDir("config");
  const journal = TokenJournal.at(dir, "main");
  equal(journal.path, join(dir, ".register-runner.main.journal"));
  equal(journalPath(dir, "main"), journal.path);
  await journal.append(entry(1));
  await journal.append(entry(2, { event: "reset" }));
  equal(await modeOf(journal.path), 0o600);
  const text = await Deno.readTextFile(journal.path);
  equal(text.split("\n").length, 3);
  ok(text.endsWith("\n"));
  const read = await TokenJournal.read(journal.path);
  deepStrictEqual([...read], [entry(1), entry(2, { event: "reset" })]);
  deepStrictEqual(read.warnings, []);
});

Deno.test("the journal is created with mode 0600 from the start", async () => {
  const dir = await tempDir("config");
  const journal = TokenJournal.at(dir, "main");
  const opened = await recordOpens(() => journal.append(entry(1)));
  const own = opened.filter(([file]) => file === journal.path);
  deepStrictEqual(own.map(([, options]) => options?.mode), [0o600]);
});

Deno.test("append fsyncs the journal and its directory; clear fsyncs the directory", async () => {
  const dir = await tempDir("config");
  const journal = TokenJournal.at(dir, "main");
  equal(await countSyncs(() => journal.append(entry(1))), 2);
  equal(await countSyncs(() => journal.clear()), 1);
});

Deno.test("a missing journal reads as empty", async () => {
  const read = await TokenJournal.read("/nonexistent/dir/.register-runner.main.journal");
  deepStrictEqual([...read], []);
  deepStrictEqual(read.warnings, []);
});

Deno.test("an unreadable journal is an InputError", async () => {
  const dir = await tempDir("config");
  await rejects(TokenJournal.read(dir), InputError);
});

Deno.test("a pre-existing world-readable journal is tightened on append", async () => {
  const dir = await tempDir("config");
  const journal = TokenJournal.at(dir, "main");
  await Deno.writeTextFile(journal.path, "");
  await Deno.chmod(journal.path, 0o644);
  await journal.append(entry(1));
  equal(await modeOf(journal.path), 0o600);
});

Deno.test("concurrent appends are serialised in call order", async () => {
  const dir = await tempDir("config");
  const journal = TokenJournal.at(dir, "main");
  const all = Array.from({ length: 50 }, (_, i) => entry(i));
  await Promise.all(all.map((e) => journal.append(e)));
  const read = await TokenJournal.read(journal.path);
  deepStrictEqual([...read], all);
  deepStrictEqual(read.warnings, []);
});

Deno.test("a torn last line is ignored with a warning that hides its content", async () => {
  const dir = await tempDir("config");
  const journal = TokenJournal.at(dir, "main");
  await journal.append(entry(1));
  const torn = JSON.stringify(entry(2)).slice(0, -10);
  ok(torn.includes("glrt-fake-0002"));
  await Deno.writeTextFile(journal.path, torn, { append: true });
  const read = await TokenJournal.read(journal.path);
  deepStrictEqual([...read], [entry(1)]);
  equal(read.warnings.length, 1);
  match(read.warnings[0] ?? "", /:2: incomplete last line/);
  ok(!read.warnings.join().includes("glrt-fake"));
});

Deno.test("an append after a torn line starts on a fresh line", async () => {
  const dir = await tempDir("config");
  const journal = TokenJournal.at(dir, "main");
  await Deno.writeTextFile(journal.path, '{"clientKey":"x","key', { mode: 0o600 });
  await journal.append(entry(3));
  const read = await TokenJournal.read(journal.path);
  deepStrictEqual([...read], [entry(3)]);
  equal(read.warnings.length, 1);
  match(read.warnings[0] ?? "", /:1: not JSON/);
});

Deno.test("garbage anywhere is skipped, never thrown", async () => {
  const dir = await tempDir("config");
  const path = join(dir, "j");
  const good = JSON.stringify(entry(1));
  const lines = [
    "not json at all",
    good,
    "",
    "[1,2]",
    "null",
    JSON.stringify({ ...entry(2), id: "7" }),
    JSON.stringify({ ...entry(2), event: "stolen" }),
    JSON.stringify({ ...entry(2), token: "" }),
    JSON.stringify({ ...entry(2), tokenExpiresAt: 5 }),
    JSON.stringify({ ...entry(4), extra: "dropped" }),
  ];
  const bytes = new TextEncoder().encode(lines.join("\n") + "\n");
  const invalidUtf8 = new Uint8Array([0xff, 0xfe, 0x0a]);
  await Deno.writeFile(path, new Uint8Array([...invalidUtf8, ...bytes]));
  const read = await TokenJournal.read(path);
  deepStrictEqual([...read], [entry(1), entry(4)]);
  deepStrictEqual(read.warnings.map((w) => w.slice(path.length)), [
    ":1: not JSON; line ignored",
    ":2: not JSON; line ignored",
    ":5: not an object; line ignored",
    ":6: not an object; line ignored",
    ":7: id is not an integer; line ignored",
    ":8: event is unknown; line ignored",
    ":9: token is empty; line ignored",
    ":10: tokenExpiresAt is neither a string nor null; line ignored",
  ]);
  ok(!read.warnings.join().includes("glrt-fake"));
});

Deno.test("an invalid entry is refused before anything is written", async () => {
  const dir = await tempDir("config");
  const journal = TokenJournal.at(dir, "main");
  await rejects(journal.append(entry(1, { id: 1.5 })), /id is not an integer/);
  await rejects(Deno.stat(journal.path), Deno.errors.NotFound);
});

Deno.test("clear removes the journal, waits for pending appends, tolerates a missing file", async () => {
  const dir = await tempDir("config");
  const journal = TokenJournal.at(dir, "main");
  await journal.clear();
  const pending = journal.append(entry(1));
  await journal.clear();
  await pending;
  await rejects(Deno.stat(journal.path), Deno.errors.NotFound);
  await journal.append(entry(2));
  deepStrictEqual([...await TokenJournal.read(journal.path)], [entry(2)]);
});

Deno.test("a failed append does not block later ones", async () => {
  const dir = await tempDir("config");
  const journal = new TokenJournal(join(dir, "missing-dir", "j"));
  await rejects(journal.append(entry(1)), /directory does not exist/);
  await Deno.mkdir(join(dir, "missing-dir"));
  await journal.append(entry(2));
  deepStrictEqual([...await TokenJournal.read(journal.path)], [entry(2)]);
});

Deno.test("replace keeps exactly the given entries (0600), and none removes the journal", async () => {
  const dir = await tempDir("config");
  const journal = TokenJournal.at(dir, "main");
  await journal.append(entry(1));
  await journal.append(entry(2));
  await journal.replace([entry(2), entry(3)]);
  deepStrictEqual([...await TokenJournal.read(journal.path)], [entry(2), entry(3)]);
  equal(await modeOf(journal.path), 0o600);
  await rejects(journal.replace([entry(4, { token: "" })]), TypeError);
  deepStrictEqual([...await TokenJournal.read(journal.path)], [entry(2), entry(3)]);
  await journal.replace([]);
  deepStrictEqual([...await TokenJournal.read(journal.path)], []);
  deepStrictEqual([...Deno.readDirSync(dir)].map((e) => e.name), []);
});
