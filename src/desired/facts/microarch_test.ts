import { deepStrictEqual as assertEquals, ok, throws } from "node:assert/strict";
import { ancestorsOf, familyMembers, familyOf, getMicroarch, mostSpecific } from "./microarch.ts";
import { ARM_VENDORS, MICROARCHITECTURES } from "./microarch_data.ts";

const FAMILIES = ["x86_64", "ppc64", "ppc64le", "aarch64"];

Deno.test("table: names are unique and every parent is in the table", () => {
  const names = MICROARCHITECTURES.map((entry) => entry.name);
  assertEquals(new Set(names).size, names.length);
  for (const entry of MICROARCHITECTURES) {
    for (const parent of entry.parents) ok(names.includes(parent), `${entry.name} -> ${parent}`);
  }
});

Deno.test("table: the roots are exactly the generic families", () => {
  const roots = MICROARCHITECTURES.filter((entry) => entry.parents.length === 0);
  assertEquals(roots.map((entry) => entry.name), FAMILIES);
  for (const root of roots) {
    assertEquals(root.vendor, "generic");
    assertEquals(root.features, []);
  }
});

Deno.test("table: Arm part ids only on aarch64, generations only on POWER", () => {
  for (const entry of MICROARCHITECTURES) {
    const family = familyOf(entry.name);
    if (entry.cpupart !== undefined) {
      assertEquals(family, "aarch64", entry.name);
      ok(/^0x[0-9a-f]{3}$/.test(entry.cpupart), entry.name);
    }
    const power = family === "ppc64" || family === "ppc64le";
    assertEquals(entry.generation !== undefined, power && entry.vendor !== "generic", entry.name);
  }
  assertEquals(ARM_VENDORS["0x41"], "ARM");
  assertEquals(ARM_VENDORS["0x46"], "Fujitsu");
});

Deno.test("table: covers the microarchitectures HPC sites route by", () => {
  const wanted = [
    "x86_64_v2",
    "x86_64_v3",
    "x86_64_v4",
    "nehalem",
    "westmere",
    "sandybridge",
    "ivybridge",
    "haswell",
    "broadwell",
    "skylake",
    "skylake_avx512",
    "cascadelake",
    "icelake",
    "sapphirerapids",
    "k10",
    "bulldozer",
    "piledriver",
    "steamroller",
    "excavator",
    "zen",
    "zen2",
    "zen3",
    "zen4",
    "zen5",
    "armv8.1a",
    "armv8.2a",
    "armv8.3a",
    "armv8.4a",
    "armv8.5a",
    "armv9.0a",
    "thunderx2",
    "a64fx",
    "cortex_a72",
    "neoverse_n1",
    "neoverse_v1",
    "neoverse_v2",
    "neoverse_n2",
    "m1",
    "m2",
    "power8le",
    "power9le",
    "power10le",
  ];
  for (const name of wanted) ok(getMicroarch(name) !== undefined, name);
});

Deno.test("table: spot checks against archspec's data", () => {
  const features = (name: string) => getMicroarch(name)?.features ?? [];
  ok(features("zen3").includes("pku") && !features("zen2").includes("pku"));
  ok(features("cascadelake").includes("avx512_vnni"));
  ok(features("sapphirerapids").includes("amx_tile"));
  assertEquals(features("x86_64_v4").length, 23);
  assertEquals(features("neoverse_v1").length, 33);
  assertEquals(getMicroarch("neoverse_n1")?.cpupart, "0xd0c");
  assertEquals(getMicroarch("neoverse_v2")?.cpupart, "0xd4f");
  assertEquals(getMicroarch("a64fx")?.cpupart, "0x001");
  assertEquals(getMicroarch("a64fx")?.vendor, "Fujitsu");
  assertEquals(getMicroarch("power9le")?.generation, 9);
  assertEquals(getMicroarch("zen4")?.parents, ["zen3", "x86_64_v4"]);
  assertEquals(getMicroarch("icelake")?.parents, ["cascadelake", "cannonlake"]);
});

Deno.test("ancestorsOf: nearest first, family root last", () => {
  assertEquals(ancestorsOf("zen2"), ["zen", "x86_64_v3", "x86_64_v2", "x86_64"]);
  assertEquals(ancestorsOf("x86_64"), []);
  assertEquals(ancestorsOf("neoverse_n1"), ["cortex_a72", "armv8.2a", "armv8.1a", "aarch64"]);
  // x86_64_v4 is a direct parent of zen4, but x86_64_v3 is reached only further up.
  assertEquals(ancestorsOf("zen4").slice(0, 3), ["zen3", "x86_64_v4", "zen2"]);
  assertEquals(ancestorsOf("icelake").slice(0, 4), [
    "cascadelake",
    "cannonlake",
    "skylake_avx512",
    "skylake",
  ]);
  for (const entry of MICROARCHITECTURES) {
    const ancestors = ancestorsOf(entry.name);
    assertEquals(new Set(ancestors).size, ancestors.length, entry.name);
    if (ancestors.length > 0) ok(FAMILIES.includes(ancestors[ancestors.length - 1] ?? ""));
    // Every ancestor's own ancestors come after it.
    ancestors.forEach((ancestor, index) => {
      for (const higher of ancestorsOf(ancestor)) ok(ancestors.indexOf(higher) > index);
    });
  }
  throws(() => ancestorsOf("pentium4"), /unknown microarchitecture/);
});

Deno.test("familyOf and familyMembers", () => {
  assertEquals(familyOf("power9le"), "ppc64le");
  assertEquals(familyOf("power9"), "ppc64");
  assertEquals(familyOf("aarch64"), "aarch64");
  assertEquals(familyMembers("ppc64le").map((entry) => entry.name), [
    "ppc64le",
    "power8le",
    "power9le",
    "power10le",
  ]);
  const total = FAMILIES.reduce((sum, family) => sum + familyMembers(family).length, 0);
  assertEquals(total, MICROARCHITECTURES.length);
});

Deno.test("mostSpecific: deeper wins, then more features, then table order", () => {
  const get = (name: string) => getMicroarch(name) ?? throwMissing(name);
  assertEquals(mostSpecific([get("x86_64"), get("zen2"), get("zen")])?.name, "zen2");
  assertEquals(mostSpecific([get("neoverse_n2"), get("neoverse_v2")])?.name, "neoverse_v2");
  assertEquals(mostSpecific([get("neoverse_v2"), get("neoverse_n2")])?.name, "neoverse_v2");
  // skylake and mic_knl are both children of broadwell; mic_knl lists more features.
  assertEquals(mostSpecific([get("skylake"), get("mic_knl")])?.name, "mic_knl");
  assertEquals(mostSpecific([get("mic_knl"), get("skylake")])?.name, "mic_knl");
  assertEquals(mostSpecific([]), undefined);
});

function throwMissing(name: string): never {
  throw new Error(`missing ${name}`);
}
