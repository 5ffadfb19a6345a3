/**
 * The `info` gitlab-runner 19.3 sends with `POST /runners/verify` (network/gitlab.go
 * `getRunnerInfo`, gitlab-runner MR !7186), so that a runner manager register-runner's verify
 * creates starts with the capabilities gitlab-runner would record: GitLab persists a heartbeat's
 * `info` only when the manager's stored `contacted_at` is empty or 40–55 minutes old
 * (app/models/ci/runner_manager.rb), and reads missing `runtime_features` as "cannot cancel
 * gracefully" (jobs cancelled without `after_script`).
 *
 * @module
 */

/** Every key of gitlab-runner's `common.FeaturesInfo` (v19.3.0), all always sent. */
export const FEATURE_KEYS = [
  "variables",
  "image",
  "services",
  "artifacts",
  "cache",
  "fallback_cache_keys",
  "shared",
  "upload_multiple_artifacts",
  "upload_raw_artifacts",
  "session",
  "terminal",
  "refspecs",
  "masking",
  "proxy",
  "raw_variables",
  "artifacts_exclude",
  "multi_build_steps",
  "trace_reset",
  "trace_checksum",
  "trace_size",
  "vault_secrets",
  "cancelable",
  "return_exit_code",
  "service_variables",
  "service_multiple_aliases",
  "image_executor_opts",
  "service_executor_opts",
  "cancel_gracefully",
  "native_steps_integration",
  "two_phase_job_commit",
  "job_inputs",
] as const;

/** A feature flag name. */
export type Feature = typeof FEATURE_KEYS[number];

/** What the network client declares for every executor (network/gitlab.go `getFeatures`). */
const CLIENT: readonly Feature[] = [
  "trace_reset",
  "trace_checksum",
  "trace_size",
  "cancelable",
  "cancel_gracefully",
  "two_phase_job_commit",
  "job_inputs",
];

/** What bash, sh and pwsh declare (shells/abstract.go `AbstractShell.GetFeatures`). */
const SHELL: readonly Feature[] = [
  "artifacts",
  "upload_multiple_artifacts",
  "upload_raw_artifacts",
  "cache",
  "fallback_cache_keys",
  "refspecs",
  "masking",
  "raw_variables",
  "artifacts_exclude",
  "multi_build_steps",
  "vault_secrets",
  "return_exit_code",
];

const DOCKER: readonly Feature[] = [
  "image",
  "image_executor_opts",
  "native_steps_integration",
  "service_executor_opts",
  "service_multiple_aliases",
  "service_variables",
  "services",
  "session",
  "terminal",
  "variables",
];

/**
 * Each executor provider's `FeaturesUpdater` on Linux (gitlab-runner v19.3.0: executors/shell/
 * shell.go, docker/docker_command.go (docker+machine delegates to it; docker-autoscaler assumed
 * to), custom/custom.go, ssh/ssh.go, parallels/parallels.go, virtualbox/virtualbox.go,
 * instance/instance.go, kubernetes/kubernetes.go).
 */
const EXECUTOR: Readonly<Record<string, readonly Feature[]>> = {
  shell: ["variables", "shared", "session", "terminal", "native_steps_integration"],
  docker: DOCKER,
  "docker+machine": DOCKER,
  "docker-autoscaler": DOCKER,
  custom: ["variables", "shared", "service_variables"],
  ssh: ["variables", "shared"],
  parallels: ["variables"],
  virtualbox: ["variables"],
  instance: ["variables", "shared", "native_steps_integration"],
  kubernetes: [
    "artifacts",
    "cache",
    "fallback_cache_keys",
    "image",
    "image_executor_opts",
    "proxy",
    "service_multiple_aliases",
    "service_variables",
    "services",
    "session",
    "terminal",
    "variables",
    "native_steps_integration",
  ],
};

/** gitlab-runner's own version, when `gitlab-runner --version` could tell. */
export interface RunnerBinary {
  version: string;
  revision?: string;
}

/** The `info` object of a verify, as gitlab-runner 19.3 builds it. */
export interface RunnerInfo {
  name: "gitlab-runner";
  version?: string;
  revision?: string;
  platform: string;
  architecture: string;
  executor: string;
  shell: string;
  features: Record<Feature, boolean>;
}

/** Go's GOARCH for Deno's architecture name. */
function goArch(arch: string): string {
  return arch === "x86_64" ? "amd64" : arch === "aarch64" ? "arm64" : arch;
}

/**
 * The `info` gitlab-runner would send for a `[[runners]]` entry with this `executor` and `shell`
 * (empty: the executor's default, `bash` on Linux). An executor gitlab-runner does not ship gets
 * the client's and the shell's features only.
 */
export function runnerInfo(
  executor: string,
  shell: string | undefined,
  binary: RunnerBinary | undefined,
  build: { os: string; arch: string } = Deno.build,
): RunnerInfo {
  const effectiveShell = shell && shell !== "" ? shell : "bash";
  const on = new Set<Feature>([...CLIENT, ...(EXECUTOR[executor] ?? [])]);
  if (["bash", "sh", "pwsh", "powershell"].includes(effectiveShell)) {
    for (const f of SHELL) on.add(f);
  }
  const features = Object.fromEntries(FEATURE_KEYS.map((k) => [k, on.has(k)])) as Record<
    Feature,
    boolean
  >;
  return {
    name: "gitlab-runner",
    ...(binary ? { version: binary.version } : {}),
    ...(binary?.revision ? { revision: binary.revision } : {}),
    platform: build.os,
    architecture: goArch(build.arch),
    executor,
    shell: effectiveShell,
    features,
  };
}
