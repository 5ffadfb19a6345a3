import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { DEFAULT_CPUINFO_PATH, readHostFacts, unameMachine } from "./read_host.ts";

const FIXTURES = new URL("../../../tests/fixtures/cpuinfo/", import.meta.url);

Deno.test("readHostFacts: reads the given cpuinfo file", async () => {
  const facts = await readHostFacts({
    cpuinfoPath: new URL("amd-epyc-7742-rome.txt", FIXTURES).pathname,
    machine: "x86_64",
  });
  assertEquals(facts.microarchitecture, "zen2");
  assertEquals(facts.vendor, "AuthenticAMD");
});

Deno.test("readHostFacts: normalises the machine name", async () => {
  const facts = await readHostFacts({
    cpuinfoPath: new URL("aws-graviton2-neoverse-n1.txt", FIXTURES).pathname,
    machine: "arm64",
  });
  assertEquals(facts.architecture, "aarch64");
  assertEquals(facts.microarchitecture, "neoverse_n1");
});

Deno.test("readHostFacts: an unreadable file gives the generic family", async () => {
  const directory = await Deno.makeTempDir();
  try {
    for (const cpuinfoPath of [`${directory}/missing`, directory, "\u0000bad"]) {
      assertEquals(await readHostFacts({ cpuinfoPath, machine: "ppc64le" }), {
        architecture: "ppc64le",
        microarchitecture: "ppc64le",
        ancestors: [],
      });
    }
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
});

Deno.test("readHostFacts: onError is told why, and a throwing onError is ignored", async () => {
  const errors: unknown[] = [];
  await readHostFacts({ cpuinfoPath: "/nonexistent/cpuinfo", onError: (e) => errors.push(e) });
  assertEquals(errors.length, 1);
  ok(errors[0] instanceof Deno.errors.NotFound);
  const facts = await readHostFacts({
    cpuinfoPath: "/nonexistent/cpuinfo",
    machine: "x86_64",
    onError: () => {
      throw new Error("boom");
    },
  });
  assertEquals(facts.microarchitecture, "x86_64");
});

Deno.test("readHostFacts: defaults to this host's architecture", async () => {
  const facts = await readHostFacts({ cpuinfoPath: "/nonexistent/cpuinfo" });
  assertEquals(facts.architecture, unameMachine());
  assertEquals(facts.microarchitecture, unameMachine());
});

Deno.test("readHostFacts: the real host never throws", async () => {
  const facts = await readHostFacts();
  assertEquals(facts.architecture, unameMachine());
  ok(facts.microarchitecture !== "");
  ok(facts.ancestors.every((ancestor) => typeof ancestor === "string"));
  assertEquals(DEFAULT_CPUINFO_PATH, "/proc/cpuinfo");
});

Deno.test("unameMachine: Deno.build.arch and other spellings", () => {
  assertEquals(unameMachine("x86_64"), "x86_64");
  assertEquals(unameMachine("aarch64"), "aarch64");
  assertEquals(unameMachine("arm64"), "aarch64");
  assertEquals(unameMachine("amd64"), "x86_64");
  ok(["x86_64", "aarch64"].includes(unameMachine()));
});

const linuxWithCat = Deno.build.os === "linux" &&
  Deno.permissions.querySync({ name: "run", command: "cat" }).state === "granted";

Deno.test({
  name: "readHostFacts: reads the real /proc/cpuinfo through cat (needs --allow-run)",
  ignore: !linuxWithCat,
  fn: async () => {
    const errors: unknown[] = [];
    const facts = await readHostFacts({ onError: (error) => errors.push(error) });
    assertEquals(errors, []);
    // Real x86 and Arm cpuinfo always names the vendor; the generic fallback never does.
    ok(facts.vendor !== undefined && facts.vendor !== "", JSON.stringify(facts));
  },
});
