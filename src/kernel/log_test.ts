import { equal } from "node:assert/strict";
import { formatBlock, formatLine } from "./log.ts";

const now = () => new Date("2026-01-02T03:04:05Z");

Deno.test("formatLine: a message of several lines keeps the level on each, fields on the first", () => {
  const text = formatLine("warn", "first\nsecond", { file: "/a b" }, {
    format: "text",
    journald: false,
    now,
  });
  equal(text, 'warn: first file="/a b"\nwarn:   second');
  const journald = formatLine("warn", "first\nsecond", undefined, {
    format: "text",
    journald: true,
    now,
  });
  equal(journald, "<4>warn: first\n<4>warn:   second");
  const json = formatLine("warn", "first\nsecond", undefined, {
    format: "json",
    journald: true,
    now,
  });
  equal(json, '{"time":"2026-01-02T03:04:05.000Z","level":"warn","msg":"first\\nsecond"}');
});

Deno.test("formatBlock: journald priorities on every line; JSON is one record", () => {
  const record = { message: "m", fields: { file: "/f" } };
  const block = "error: m (/f)\nerror:   fix: h";
  equal(formatBlock("error", block, record, { format: "text", journald: false, now }), block);
  equal(
    formatBlock("error", block, record, { format: "text", journald: true, now }),
    "<3>error: m (/f)\n<3>error:   fix: h",
  );
  equal(
    formatBlock("error", block, record, { format: "json", journald: true, now }),
    '{"time":"2026-01-02T03:04:05.000Z","level":"error","msg":"m","file":"/f"}',
  );
});
