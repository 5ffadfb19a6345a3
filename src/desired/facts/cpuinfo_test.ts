import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { flagSet, parseCpuinfo } from "./cpuinfo.ts";

Deno.test("parseCpuinfo: reads only the first processor block", () => {
  const fields = parseCpuinfo("processor\t: 0\nflags\t\t: a b\n\nprocessor\t: 1\nflags\t\t: c\n");
  assertEquals([...fields], [["processor", "0"], ["flags", "a b"]]);
});

Deno.test("parseCpuinfo: leading blank lines, CRLF, colons in values, lines without colon", () => {
  const text = "\n\r\nprocessor : 0\r\nmodel name\t: Foo @ 2.40GHz: rev 1\r\ngarbage line\r\n" +
    "power management:\r\n\r\nprocessor : 1\r\n";
  assertEquals(Object.fromEntries(parseCpuinfo(text)), {
    processor: "0",
    "model name": "Foo @ 2.40GHz: rev 1",
    "power management": "",
  });
});

Deno.test("parseCpuinfo: empty text gives no fields", () => {
  assertEquals(parseCpuinfo("").size, 0);
  assertEquals(parseCpuinfo("\n\n\n").size, 0);
});

Deno.test("flagSet: splits on any whitespace", () => {
  assertEquals(flagSet(" fpu  vme\tsse "), new Set(["fpu", "vme", "sse"]));
  assertEquals(flagSet(undefined), new Set());
});
