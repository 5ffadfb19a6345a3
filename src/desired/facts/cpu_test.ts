import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { type CpuFacts, detectCpu, normalizeMachine } from "./cpu.ts";

function fixture(name: string): string {
  return Deno.readTextFileSync(new URL(`../../../tests/fixtures/cpuinfo/${name}`, import.meta.url));
}

const X86_FROM_SKYLAKE = [
  "broadwell",
  "haswell",
  "ivybridge",
  "x86_64_v3",
  "sandybridge",
  "westmere",
  "nehalem",
  "core2",
  "x86_64_v2",
  "nocona",
  "x86_64",
];

const REAL_MACHINES: ReadonlyArray<{ file: string; machine: string; want: CpuFacts }> = [
  {
    file: "intel-xeon-gold-6148-skylake-sp.txt",
    machine: "x86_64",
    want: {
      architecture: "x86_64",
      microarchitecture: "skylake_avx512",
      ancestors: ["skylake", "x86_64_v4", ...X86_FROM_SKYLAKE],
      vendor: "GenuineIntel",
    },
  },
  {
    file: "amd-epyc-7742-rome.txt",
    machine: "x86_64",
    want: {
      architecture: "x86_64",
      microarchitecture: "zen2",
      ancestors: ["zen", "x86_64_v3", "x86_64_v2", "x86_64"],
      vendor: "AuthenticAMD",
    },
  },
  {
    file: "amd-epyc-7413-milan.txt",
    machine: "x86_64",
    want: {
      architecture: "x86_64",
      microarchitecture: "zen3",
      ancestors: ["zen2", "zen", "x86_64_v3", "x86_64_v2", "x86_64"],
      vendor: "AuthenticAMD",
    },
  },
  {
    file: "amd-ryzen-9-5950x-zen3.txt",
    machine: "x86_64",
    want: {
      architecture: "x86_64",
      microarchitecture: "zen3",
      ancestors: ["zen2", "zen", "x86_64_v3", "x86_64_v2", "x86_64"],
      vendor: "AuthenticAMD",
    },
  },
  {
    file: "aws-graviton2-neoverse-n1.txt",
    machine: "aarch64",
    want: {
      architecture: "aarch64",
      microarchitecture: "neoverse_n1",
      ancestors: ["cortex_a72", "armv8.2a", "armv8.1a", "aarch64"],
      vendor: "ARM",
    },
  },
  {
    file: "aws-graviton3-neoverse-v1.txt",
    machine: "aarch64",
    want: {
      architecture: "aarch64",
      microarchitecture: "neoverse_v1",
      ancestors: [
        "neoverse_n1",
        "armv8.4a",
        "cortex_a72",
        "armv8.3a",
        "armv8.2a",
        "armv8.1a",
        "aarch64",
      ],
      vendor: "ARM",
    },
  },
  {
    file: "fujitsu-a64fx.txt",
    machine: "aarch64",
    want: {
      architecture: "aarch64",
      microarchitecture: "a64fx",
      ancestors: ["armv8.2a", "armv8.1a", "aarch64"],
      vendor: "Fujitsu",
    },
  },
  {
    file: "ibm-power9-powernv.txt",
    machine: "ppc64le",
    want: {
      architecture: "ppc64le",
      microarchitecture: "power9le",
      ancestors: ["power8le", "ppc64le"],
      vendor: "IBM",
    },
  },
];

for (const { file, machine, want } of REAL_MACHINES) {
  Deno.test(`detectCpu: ${file} is ${want.microarchitecture}`, () => {
    assertEquals(detectCpu({ cpuinfo: fixture(file), machine }), want);
  });
}

/** A fixture with some words removed from its flags/Features line. */
function without(file: string, removed: readonly string[]): string {
  return fixture(file).replace(
    /^(flags|Features)(\s*:)(.*)$/m,
    (_line, key: string, colon: string, value: string) =>
      `${key}${colon}${value.split(" ").filter((flag) => !removed.includes(flag)).join(" ")}`,
  );
}

Deno.test("detectCpu: a flag hidden by a hypervisor lowers the result (Milan without pku)", () => {
  const facts = detectCpu({
    cpuinfo: without("amd-epyc-7413-milan.txt", ["pku"]),
    machine: "x86_64",
  });
  assertEquals(facts.microarchitecture, "zen2");
});

Deno.test("detectCpu: Skylake-SP with AVX-512 masked is plain skylake", () => {
  const avx512 = ["avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"];
  const cpuinfo = without("intel-xeon-gold-6148-skylake-sp.txt", avx512);
  assertEquals(detectCpu({ cpuinfo, machine: "x86_64" }).microarchitecture, "skylake");
});

Deno.test("detectCpu: a vendor target below the best generic level is not chosen", () => {
  // Without xsavec no Skylake fits, but AVX-512 makes x86_64_v4 the best generic level: archspec
  // then reports x86_64_v4 rather than falling back to broadwell, which is not below it.
  const cpuinfo = without("intel-xeon-gold-6148-skylake-sp.txt", ["xsavec"]);
  assertEquals(detectCpu({ cpuinfo, machine: "x86_64" }).microarchitecture, "x86_64_v4");
});

Deno.test("detectCpu: an x86 vendor with no table entries gets the best generic level", () => {
  const cpuinfo = fixture("amd-epyc-7742-rome.txt").replace("AuthenticAMD", "HygonGenuine");
  assertEquals(detectCpu({ cpuinfo, machine: "x86_64" }), {
    architecture: "x86_64",
    microarchitecture: "x86_64_v3",
    ancestors: ["x86_64_v2", "x86_64"],
    vendor: "HygonGenuine",
  });
});

Deno.test("detectCpu: empty cpuinfo falls back to the generic family", () => {
  for (const machine of ["x86_64", "aarch64", "ppc64le", "ppc64"]) {
    const facts = detectCpu({ cpuinfo: "", machine });
    assertEquals(facts, { architecture: machine, microarchitecture: machine, ancestors: [] });
    ok(!("vendor" in facts));
  }
});

Deno.test("detectCpu: garbage cpuinfo does not crash", () => {
  const garbage = "\u0000\u0001:::\n\n\t:\nflags\n: x\r\n" + "x".repeat(10_000);
  for (const machine of ["x86_64", "aarch64", "ppc64le", "", "s390x"]) {
    const facts = detectCpu({ cpuinfo: garbage, machine });
    assertEquals(facts.ancestors, []);
  }
});

Deno.test("detectCpu: an unknown architecture is reported as is", () => {
  assertEquals(detectCpu({ cpuinfo: fixture("amd-epyc-7742-rome.txt"), machine: "riscv64" }), {
    architecture: "riscv64",
    microarchitecture: "riscv64",
    ancestors: [],
  });
  assertEquals(detectCpu({ cpuinfo: "", machine: "" }).architecture, "unknown");
  // A microarchitecture name is not an architecture.
  assertEquals(detectCpu({ cpuinfo: "", machine: "zen2" }).microarchitecture, "zen2");
  assertEquals(detectCpu({ cpuinfo: "", machine: "zen2" }).ancestors, []);
});

Deno.test("detectCpu: an unknown Arm implementer keeps its code and stays generic", () => {
  const cpuinfo = fixture("aws-graviton2-neoverse-n1.txt").replace("0x41", "0xc0");
  assertEquals(detectCpu({ cpuinfo, machine: "aarch64" }), {
    architecture: "aarch64",
    microarchitecture: "aarch64",
    ancestors: [],
    vendor: "0xc0",
  });
});

Deno.test("detectCpu: the Arm CPU part picks between cores with the same features", () => {
  const v2Features = "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid " +
    "asimdrdm jscvt fcma lrcpc dcpop sha3 asimddp sha512 sve asimdfhm uscat ilrcpc flagm sb " +
    "dcpodp sve2 flagm2 frint svei8mm svebf16 i8mm bf16";
  const block = (part: string) =>
    `processor\t: 0\nFeatures\t: ${v2Features}\nCPU implementer\t: 0x41\nCPU part\t: ${part}\n`;
  assertEquals(
    detectCpu({ cpuinfo: block("0xd49"), machine: "aarch64" }).microarchitecture,
    "neoverse_n2",
  );
  assertEquals(
    detectCpu({ cpuinfo: block("0xD4F"), machine: "aarch64" }).microarchitecture,
    "neoverse_v2",
  );
  // An unknown part falls back to features alone (archspec's table order breaks the tie).
  assertEquals(
    detectCpu({ cpuinfo: block("0xfff"), machine: "aarch64" }).microarchitecture,
    "neoverse_v2",
  );
});

Deno.test("detectCpu: the Arm CPU part is not enough without the features", () => {
  const cpuinfo = without("aws-graviton3-neoverse-v1.txt", ["sve"]);
  assertEquals(detectCpu({ cpuinfo, machine: "aarch64" }).microarchitecture, "neoverse_n1");
});

Deno.test("detectCpu: POWER generations", () => {
  const power = (cpu: string, machine: string) =>
    detectCpu({ cpuinfo: `processor\t: 0\ncpu\t\t: ${cpu}\n`, machine });
  assertEquals(
    power("POWER10 (architected), altivec supported", "ppc64le").microarchitecture,
    "power10le",
  );
  assertEquals(power("POWER8E (raw), altivec supported", "ppc64le").microarchitecture, "power8le");
  assertEquals(power("POWER9 (architected), altivec supported", "ppc64"), {
    architecture: "ppc64",
    microarchitecture: "power9",
    ancestors: ["power8", "power7", "ppc64"],
    vendor: "IBM",
  });
  // QEMU user emulation shows the host's cpuinfo: no POWER line, so generic.
  assertEquals(power("Cortex-A72", "ppc64le").microarchitecture, "ppc64le");
  ok(!("vendor" in power("Cortex-A72", "ppc64le")));
});

Deno.test("normalizeMachine: other spellings map to uname -m names", () => {
  assertEquals(normalizeMachine("arm64"), "aarch64");
  assertEquals(normalizeMachine("AMD64"), "x86_64");
  assertEquals(normalizeMachine(" x86_64\n"), "x86_64");
  assertEquals(normalizeMachine("ppc64le"), "ppc64le");
  assertEquals(
    detectCpu({ cpuinfo: fixture("fujitsu-a64fx.txt"), machine: "arm64" }).microarchitecture,
    "a64fx",
  );
});
