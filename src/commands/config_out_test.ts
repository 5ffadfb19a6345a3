import { equal } from "node:assert/strict";
import type { RenderedRunner } from "../runner_config/render.ts";
import type { LocalConfig } from "../kernel/model.ts";
import { Secret } from "../kernel/secret.ts";
import { keepRotatedTokens } from "./config_out.ts";

const ours: RenderedRunner = {
  name: "node7 main shell Runner",
  url: "https://gitlab.example.com",
  id: 7,
  token: {
    token: new Secret("glrt-fake-ours"),
    obtainedAt: "2026-01-01T00:00:00Z",
    expiresAt: undefined,
  },
  executor: "shell",
  runnerKeys: {},
};

function config(token: string, obtainedAt: string): LocalConfig {
  return {
    text: "",
    runners: [{
      index: 0,
      id: 7,
      token: { token: new Secret(token), obtainedAt, expiresAt: undefined },
    }],
  };
}

const tokenOf = (r: RenderedRunner[]) => r[0]!.token!.token.reveal();

Deno.test("an entry unchanged since the first read never overrides ours, whatever its time", () => {
  const before = config("glrt-fake-old", "2026-06-01T00:00:00Z");
  const disk = config("glrt-fake-old", "2026-06-01T00:00:00Z");
  equal(tokenOf(keepRotatedTokens([ours], before, disk)), "glrt-fake-ours");
});

Deno.test("a token gitlab-runner rotated during the run (newer) is kept", () => {
  const before = config("glrt-fake-old", "2025-12-01T00:00:00Z");
  const disk = config("glrt-fake-rotated", "2026-02-01T00:00:00Z");
  equal(tokenOf(keepRotatedTokens([ours], before, disk)), "glrt-fake-rotated");
});

Deno.test("a changed but older entry on disk does not override ours", () => {
  const before = config("glrt-fake-old", "2025-11-01T00:00:00Z");
  const disk = config("glrt-fake-other", "2025-12-01T00:00:00Z");
  equal(tokenOf(keepRotatedTokens([ours], before, disk)), "glrt-fake-ours");
});

Deno.test("no config before the run: a disk entry that appeared meanwhile is compared by time", () => {
  const disk = config("glrt-fake-rotated", "2026-02-01T00:00:00Z");
  equal(tokenOf(keepRotatedTokens([ours], undefined, disk)), "glrt-fake-rotated");
});
