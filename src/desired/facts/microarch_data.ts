/**
 * Microarchitecture table. DERIVED DATA, generated from archspec's data file: to change it,
 * re-derive it from a newer copy of that file rather than editing facts by hand.
 *
 * Source: archspec's `cpu/microarchitectures.json` from the archspec-json repository, taken from
 * the copy Spack vendors (spack/spack at 5a3c8a9c6888480394441eaf151d859477a4974f, path
 * `lib/spack/external/_vendoring/archspec/json/cpu/microarchitectures.json`, archspec 0.2.x data
 * with `cpupart` ids, zen5, Neoverse V2/N2 and POWER10).
 * Copyright 2019-2020 Lawrence Livermore National Security, LLC and other Archspec Project
 * Developers. License: Apache-2.0 OR MIT (SPDX: `Apache-2.0 OR MIT`).
 *
 * What was kept, per microarchitecture: its name, parents (`from`), `vendor`, required
 * `features`, POWER `generation` and Arm `cpupart`; plus `conversions.arm_vendors`. Dropped:
 * compiler flags, feature aliases, Darwin flag conversions, and the 32-bit x86, sparc, riscv and
 * plain `arm`/`ppc`/`ppcle` families, which this tool never detects. Entries are in the source
 * order (detection breaks ties by it, as archspec does). Each feature list keeps the source's
 * items and order (duplicates included); lists that extend another are written as that list's
 * constant plus the extra items, which is how the source's cumulative lists are built.
 *
 * @module
 */

/** One microarchitecture, as archspec describes it. */
export interface MicroarchEntry {
  /** archspec name, e.g. `zen2`, `skylake_avx512`, `neoverse_n1`, `power9le`. */
  readonly name: string;
  /** Direct parents (archspec `from`); empty for a family root such as `x86_64`. */
  readonly parents: readonly string[];
  /** `generic`, or the vendor as /proc/cpuinfo (x86) or archspec's Arm table names it. */
  readonly vendor: string;
  /** Feature flags the host must all report (x86 `flags`, Arm `Features`). */
  readonly features: readonly string[];
  /** POWER generation (7, 8, 9, 10); absent elsewhere. */
  readonly generation?: number;
  /** Arm `CPU part` id (lower-case hex such as `0xd0c`); absent elsewhere. */
  readonly cpupart?: string;
}

interface RawEntry {
  readonly from: string;
  readonly vendor: string;
  readonly features: string;
  readonly generation?: number;
  readonly cpupart?: string;
}

const X86_64_V2 = "cx16 lahf_lm mmx sse sse2 ssse3 sse4_1 sse4_2 popcnt";
const X86_64_V3 = `${X86_64_V2} avx avx2 bmi1 bmi2 f16c fma abm movbe xsave`;
const X86_64_V4 = `${X86_64_V3} avx512f avx512bw avx512cd avx512dq avx512vl`;

const NEHALEM = "mmx sse sse2 ssse3 sse4_1 sse4_2 popcnt";
const WESTMERE = `${NEHALEM} aes pclmulqdq`;
const SANDYBRIDGE = `${WESTMERE} avx`;
const IVYBRIDGE = `${SANDYBRIDGE} rdrand f16c`;
const HASWELL = `${IVYBRIDGE} movbe fma avx2 bmi1 bmi2`;
const BROADWELL = `${HASWELL} rdseed adx`;
const SKYLAKE = `${BROADWELL} clflushopt xsavec xsaveopt`;
const SKYLAKE_AVX512 = `${SKYLAKE} avx512f clwb avx512vl avx512bw avx512dq avx512cd`;
const ICELAKE = `${SKYLAKE} avx512f avx512vl avx512bw avx512dq avx512cd avx512vbmi avx512ifma ` +
  "sha_ni clwb rdpid gfni avx512_vbmi2 avx512_vpopcntdq avx512_bitalg avx512_vnni vpclmulqdq vaes";

const BULLDOZER = "mmx sse sse2 sse4a abm avx xop fma4 aes pclmulqdq cx16 ssse3 sse4_1 sse4_2";
const ZEN = "bmi1 bmi2 f16c fma fsgsbase avx avx2 rdseed clzero aes pclmulqdq cx16 movbe mmx " +
  "sse sse2 sse4a ssse3 sse4_1 sse4_2 abm xsavec xsaveopt clflushopt popcnt";
const ZEN3 = `${ZEN} clwb vaes vpclmulqdq pku`;

const CORTEX_A72 = "fp asimd evtstrm aes pmull sha1 sha2 crc32 cpuid";
const NEOVERSE_N1 = "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid " +
  "asimdrdm lrcpc dcpop asimddp";
const NEOVERSE_V2_N2 = "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid " +
  "asimdrdm jscvt fcma lrcpc dcpop sha3 asimddp sha512 sve asimdfhm uscat ilrcpc flagm sb " +
  "dcpodp sve2 flagm2 frint svei8mm svebf16 i8mm bf16";
const APPLE_M1 = "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm " +
  "jscvt fcma lrcpc dcpop sha3 asimddp sha512 asimdfhm dit uscat ilrcpc flagm ssbs sb paca pacg " +
  "dcpodp flagm2 frint";

/** name -> entry, in archspec's order; `from` is a space-separated list of parents. */
const RAW: Readonly<Record<string, RawEntry>> = {
  // x86_64: generic levels, Intel, AMD.
  x86_64: { from: "", vendor: "generic", features: "" },
  x86_64_v2: { from: "x86_64", vendor: "generic", features: X86_64_V2 },
  x86_64_v3: { from: "x86_64_v2", vendor: "generic", features: X86_64_V3 },
  x86_64_v4: { from: "x86_64_v3", vendor: "generic", features: X86_64_V4 },
  nocona: { from: "x86_64", vendor: "GenuineIntel", features: "mmx sse sse2 sse3" },
  core2: { from: "nocona", vendor: "GenuineIntel", features: "mmx sse sse2 ssse3" },
  nehalem: { from: "core2 x86_64_v2", vendor: "GenuineIntel", features: NEHALEM },
  westmere: { from: "nehalem", vendor: "GenuineIntel", features: WESTMERE },
  sandybridge: { from: "westmere", vendor: "GenuineIntel", features: SANDYBRIDGE },
  ivybridge: { from: "sandybridge", vendor: "GenuineIntel", features: IVYBRIDGE },
  haswell: { from: "ivybridge x86_64_v3", vendor: "GenuineIntel", features: HASWELL },
  broadwell: { from: "haswell", vendor: "GenuineIntel", features: BROADWELL },
  skylake: { from: "broadwell", vendor: "GenuineIntel", features: SKYLAKE },
  mic_knl: {
    from: "broadwell",
    vendor: "GenuineIntel",
    features: "mmx sse sse2 ssse3 sse4_1 sse4_2 popcnt aes pclmulqdq avx rdrand f16c movbe " +
      "avx2 fma avx2 bmi1 bmi2 rdseed adx avx512f avx512pf avx512er avx512cd",
  },
  skylake_avx512: { from: "skylake x86_64_v4", vendor: "GenuineIntel", features: SKYLAKE_AVX512 },
  cannonlake: {
    from: "skylake",
    vendor: "GenuineIntel",
    features: `${SKYLAKE} avx512f avx512vl avx512bw avx512dq avx512cd avx512vbmi avx512ifma sha`,
  },
  cascadelake: {
    from: "skylake_avx512",
    vendor: "GenuineIntel",
    features: `${SKYLAKE_AVX512} avx512_vnni`,
  },
  icelake: { from: "cascadelake cannonlake", vendor: "GenuineIntel", features: ICELAKE },
  sapphirerapids: {
    from: "icelake",
    vendor: "GenuineIntel",
    features: `${ICELAKE} avx512_bf16 cldemote movdir64b movdiri serialize waitpkg amx_bf16 ` +
      "amx_tile amx_int8",
  },
  k10: {
    from: "x86_64",
    vendor: "AuthenticAMD",
    features: "mmx sse sse2 sse4a abm cx16 3dnow 3dnowext",
  },
  bulldozer: { from: "x86_64_v2", vendor: "AuthenticAMD", features: BULLDOZER },
  piledriver: {
    from: "bulldozer",
    vendor: "AuthenticAMD",
    features: `${BULLDOZER} bmi1 f16c fma tbm`,
  },
  steamroller: {
    from: "piledriver",
    vendor: "AuthenticAMD",
    features: `${BULLDOZER} bmi1 f16c fma fsgsbase tbm`,
  },
  excavator: {
    from: "steamroller x86_64_v3",
    vendor: "AuthenticAMD",
    features: `${BULLDOZER} bmi1 f16c fma fsgsbase bmi2 avx2 movbe tbm`,
  },
  zen: { from: "x86_64_v3", vendor: "AuthenticAMD", features: ZEN },
  zen2: { from: "zen", vendor: "AuthenticAMD", features: `${ZEN} clwb` },
  zen3: { from: "zen2", vendor: "AuthenticAMD", features: ZEN3 },
  zen4: {
    from: "zen3 x86_64_v4",
    vendor: "AuthenticAMD",
    features: `${ZEN3} gfni flush_l1d avx512f avx512dq avx512ifma avx512cd avx512bw avx512vl ` +
      "avx512_bf16 avx512vbmi avx512_vbmi2 avx512_vnni avx512_bitalg avx512_vpopcntdq",
  },
  zen5: {
    from: "zen4",
    vendor: "AuthenticAMD",
    features: "abm aes avx avx2 avx512_bf16 avx512_bitalg avx512bw avx512cd avx512dq avx512f " +
      "avx512ifma avx512vbmi avx512_vbmi2 avx512vl avx512_vnni avx512_vp2intersect " +
      "avx512_vpopcntdq avx_vnni bmi1 bmi2 clflushopt clwb clzero cppc cx16 f16c flush_l1d fma " +
      "fsgsbase gfni ibrs_enhanced mmx movbe movdir64b movdiri pclmulqdq popcnt rdseed sse sse2 " +
      "sse4_1 sse4_2 sse4a ssse3 tsc_adjust vaes vpclmulqdq xsavec xsaveopt",
  },
  // POWER, big endian.
  ppc64: { from: "", vendor: "generic", features: "" },
  power7: { from: "ppc64", vendor: "IBM", features: "", generation: 7 },
  power8: { from: "power7", vendor: "IBM", features: "", generation: 8 },
  power9: { from: "power8", vendor: "IBM", features: "", generation: 9 },
  power10: { from: "power9", vendor: "IBM", features: "", generation: 10 },
  // POWER, little endian.
  ppc64le: { from: "", vendor: "generic", features: "" },
  power8le: { from: "ppc64le", vendor: "IBM", features: "", generation: 8 },
  power9le: { from: "power8le", vendor: "IBM", features: "", generation: 9 },
  power10le: { from: "power9le", vendor: "IBM", features: "", generation: 10 },
  // AArch64: generic levels, then vendor cores.
  aarch64: { from: "", vendor: "generic", features: "" },
  "armv8.1a": { from: "aarch64", vendor: "generic", features: "" },
  "armv8.2a": { from: "armv8.1a", vendor: "generic", features: "" },
  "armv8.3a": { from: "armv8.2a", vendor: "generic", features: "" },
  "armv8.4a": { from: "armv8.3a", vendor: "generic", features: "" },
  "armv8.5a": { from: "armv8.4a", vendor: "generic", features: "" },
  "armv9.0a": { from: "armv8.5a", vendor: "generic", features: "" },
  thunderx2: {
    from: "armv8.1a",
    vendor: "Cavium",
    features: "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics cpuid asimdrdm",
    cpupart: "0x0af",
  },
  a64fx: {
    from: "armv8.2a",
    vendor: "Fujitsu",
    features: "fp asimd evtstrm sha1 sha2 crc32 atomics cpuid asimdrdm fphp asimdhp fcma dcpop sve",
    cpupart: "0x001",
  },
  cortex_a72: { from: "aarch64", vendor: "ARM", features: CORTEX_A72, cpupart: "0xd08" },
  neoverse_n1: {
    from: "cortex_a72 armv8.2a",
    vendor: "ARM",
    features: NEOVERSE_N1,
    cpupart: "0xd0c",
  },
  neoverse_v1: {
    from: "neoverse_n1 armv8.4a",
    vendor: "ARM",
    features: "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm " +
      "jscvt fcma lrcpc dcpop sha3 asimddp sha512 sve asimdfhm dit uscat ilrcpc flagm dcpodp " +
      "svei8mm svebf16 i8mm bf16 dgh rng",
    cpupart: "0xd40",
  },
  neoverse_v2: {
    from: "neoverse_n1 armv9.0a",
    vendor: "ARM",
    features: NEOVERSE_V2_N2,
    cpupart: "0xd4f",
  },
  neoverse_n2: {
    from: "neoverse_n1 armv9.0a",
    vendor: "ARM",
    features: NEOVERSE_V2_N2,
    cpupart: "0xd49",
  },
  m1: { from: "armv8.4a", vendor: "Apple", features: APPLE_M1, cpupart: "0x022" },
  m2: {
    from: "m1 armv8.5a",
    vendor: "Apple",
    features: `${APPLE_M1} ecv bf16 i8mm bti`,
    cpupart: "0x032",
  },
};

function words(text: string): string[] {
  return text.split(" ").filter((word) => word !== "");
}

/** Every microarchitecture this tool knows, in archspec's order. */
export const MICROARCHITECTURES: readonly MicroarchEntry[] = Object.entries(RAW).map(
  ([name, raw]) => ({
    name,
    parents: words(raw.from),
    vendor: raw.vendor,
    features: words(raw.features),
    ...(raw.generation === undefined ? {} : { generation: raw.generation }),
    ...(raw.cpupart === undefined ? {} : { cpupart: raw.cpupart }),
  }),
);

/** Arm `CPU implementer` codes to vendor names (archspec `conversions.arm_vendors`). */
export const ARM_VENDORS: Readonly<Record<string, string>> = {
  "0x41": "ARM",
  "0x42": "Broadcom",
  "0x43": "Cavium",
  "0x44": "DEC",
  "0x46": "Fujitsu",
  "0x48": "HiSilicon",
  "0x49": "Infineon Technologies AG",
  "0x4d": "Motorola",
  "0x4e": "Nvidia",
  "0x50": "APM",
  "0x51": "Qualcomm",
  "0x53": "Samsung",
  "0x56": "Marvell",
  "0x61": "Apple",
  "0x66": "Faraday",
  "0x68": "HXT",
  "0x69": "Intel",
};
