import { deepStrictEqual, equal, strictEqual } from "node:assert/strict";
import { Secret } from "../kernel/secret.ts";
import type { RunnerToken } from "../kernel/model.ts";
import { preferNewerToken } from "./merge_rotated.ts";

const A = "glrt-fake-000A";
const B = "glrt-fake-000B";
const ZERO = "0001-01-01T00:00:00Z";
const T1 = "2025-12-07T05:27:35Z";
const T2 = "2025-12-29T11:00:00Z";
const T2_OFFSET = "2025-12-29T12:00:00+01:00"; // the same instant as T2

interface Fields {
  token?: string;
  obtained?: string;
  expires?: string;
}

/** A token with its times; times without a token are nothing (`undefined`). */
function fields(f: Fields): RunnerToken | undefined {
  if (f.token === undefined) return undefined;
  return { token: new Secret(f.token), obtainedAt: f.obtained, expiresAt: f.expires };
}

/** Compares by revealed value, so a failing assertion never prints a Secret as equal. */
function plain(t: RunnerToken | undefined): Fields {
  const out: Fields = {};
  if (t === undefined) return out;
  out.token = t.token.reveal();
  if (t.obtainedAt !== undefined) out.obtained = t.obtainedAt;
  if (t.expiresAt !== undefined) out.expires = t.expiresAt;
  return out;
}

const cases: { name: string; ours: Fields; disk: Fields; want: "ours" | "disk" }[] = [
  {
    name: "gitlab-runner rotated after we read: disk wins",
    ours: { token: A, obtained: T1, expires: T2 },
    disk: { token: B, obtained: T2, expires: "2026-01-28T11:00:00Z" },
    want: "disk",
  },
  {
    name: "we reset the token after the disk's: ours wins",
    ours: { token: A, obtained: T2, expires: ZERO },
    disk: { token: B, obtained: T1, expires: T2 },
    want: "ours",
  },
  {
    name: "same token, different times (we learned the expiry): ours wins",
    ours: { token: A, obtained: T1, expires: T2 },
    disk: { token: A, obtained: T2, expires: ZERO },
    want: "ours",
  },
  {
    name: "equal times, different tokens: ours wins",
    ours: { token: A, obtained: T2 },
    disk: { token: B, obtained: T2_OFFSET },
    want: "ours",
  },
  {
    name: "time zones are compared as instants",
    ours: { token: A, obtained: "2025-12-29T11:30:00+01:00" }, // 10:30Z, before T2
    disk: { token: B, obtained: T2_OFFSET },
    want: "disk",
  },
  {
    name: "disk has no token: ours",
    ours: { token: A, obtained: T1 },
    disk: { obtained: T2 },
    want: "ours",
  },
  {
    name: "we have no token, disk does: disk",
    ours: {},
    disk: { token: B, obtained: ZERO, expires: ZERO },
    want: "disk",
  },
  {
    name: "neither has a token: ours",
    ours: { obtained: T1 },
    disk: { obtained: T2 },
    want: "ours",
  },
  {
    name: "disk time zero (unknown), ours known: ours",
    ours: { token: A, obtained: T1 },
    disk: { token: B, obtained: ZERO },
    want: "ours",
  },
  {
    name: "ours time zero, disk known: disk",
    ours: { token: A, obtained: ZERO },
    disk: { token: B, obtained: T1 },
    want: "disk",
  },
  {
    name: "ours time missing, disk known: disk",
    ours: { token: A },
    disk: { token: B, obtained: T1, expires: T2 },
    want: "disk",
  },
  {
    name: "both times unknown: ours",
    ours: { token: A },
    disk: { token: B },
    want: "ours",
  },
  {
    name: "disk time garbage counts as earliest: ours",
    ours: { token: A, obtained: T1 },
    disk: { token: B, obtained: "yesterday" },
    want: "ours",
  },
  {
    name: "disk newer without an expiry: disk's missing expiry replaces ours",
    ours: { token: A, obtained: T1, expires: T2 },
    disk: { token: B, obtained: T2 },
    want: "disk",
  },
];

for (const c of cases) {
  Deno.test(`preferNewerToken: ${c.name}`, () => {
    const ours = fields(c.ours);
    const disk = fields(c.disk);
    const got = preferNewerToken(ours, disk);
    deepStrictEqual(plain(got), plain(c.want === "ours" ? ours : disk));
    if (c.want === "ours") strictEqual(got, ours);
    deepStrictEqual(plain(ours), plain(fields(c.ours)), "ours is not mutated");
  });
}

Deno.test("preferNewerToken never mixes the two: the disk's token comes with its times", () => {
  const disk = fields({ token: B, obtained: T2 });
  const got = preferNewerToken(fields({ token: A, obtained: T1, expires: T2 }), disk);
  strictEqual(got, disk);
  equal(got?.expiresAt, undefined);
});
