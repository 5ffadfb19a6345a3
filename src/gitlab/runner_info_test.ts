import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { FEATURE_KEYS, runnerInfo } from "./runner_info.ts";
import { parseRunnerVersion } from "../desired/facts/gitlab_runner.ts";

const LINUX = { os: "linux", arch: "x86_64" };

Deno.test("runnerInfo: the shell executor's features as gitlab-runner 19.3 declares them on Linux", () => {
  const info = runnerInfo("shell", undefined, { version: "19.3.0", revision: "d79f3e7b" }, LINUX);
  const on = FEATURE_KEYS.filter((k) => info.features[k]);
  assertEquals(on.sort(), [
    "artifacts",
    "artifacts_exclude",
    "cache",
    "cancel_gracefully",
    "cancelable",
    "fallback_cache_keys",
    "job_inputs",
    "masking",
    "multi_build_steps",
    "native_steps_integration",
    "raw_variables",
    "refspecs",
    "return_exit_code",
    "session",
    "shared",
    "terminal",
    "trace_checksum",
    "trace_reset",
    "trace_size",
    "two_phase_job_commit",
    "upload_multiple_artifacts",
    "upload_raw_artifacts",
    "variables",
    "vault_secrets",
  ]);
  assertEquals(Object.keys(info.features).length, 31, "every key sent, false when not declared");
  assertEquals([info.name, info.platform, info.architecture, info.shell], [
    "gitlab-runner",
    "linux",
    "amd64",
    "bash",
  ]);
});

Deno.test("runnerInfo: docker images and services; an unknown executor gets client and shell features only", () => {
  const docker = runnerInfo("docker", "sh", undefined, { os: "linux", arch: "aarch64" });
  assertEquals([docker.features.image, docker.features.services, docker.features.shared], [
    true,
    true,
    false,
  ]);
  assertEquals([docker.architecture, docker.shell, "version" in docker], ["arm64", "sh", false]);
  const odd = runnerInfo("odd", undefined, undefined, LINUX);
  assertEquals([odd.features.cancel_gracefully, odd.features.artifacts, odd.features.variables], [
    true,
    true,
    false,
  ]);
});

Deno.test("parseRunnerVersion: gitlab-runner --version's layout", () => {
  const out = "Version:      19.3.0\nGit revision: d79f3e7b\nGit branch:   19-3-stable\n";
  assertEquals(parseRunnerVersion(out), { version: "19.3.0", revision: "d79f3e7b" });
  assertEquals(parseRunnerVersion("garbage"), undefined);
});
