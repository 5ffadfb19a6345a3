/**
 * register-runner's own keys in each input file, the types of the gitlab-runner keys it checks,
 * and "did you mean" suggestions for misspelled ones. Which gitlab-runner keys exist comes from
 * the embedded schema (runner_schema.ts).
 *
 * @module
 */

import type { Expect } from "./values.ts";

/**
 * Types of gitlab-runner global keys (its `Config` struct in `common/config.go`) checked in the
 * template. Every key here is in the embedded schema (a test checks it).
 */
export const GLOBAL_TYPES: Readonly<Record<string, Expect>> = {
  concurrent: "integer",
  check_interval: "integer",
  // gitlab-runner v19.3.0 log/configuration.go: SetLevel passes the value to logrus.ParseLevel,
  // which lowercases it first; SetFormat looks the value up as is in its formats map.
  log_level: { anyCase: ["panic", "fatal", "error", "warn", "warning", "info", "debug", "trace"] },
  log_format: ["runner", "text", "json"],
  user: "string",
  listen_address: "string",
  sentry_dsn: "string",
  connection_max_age: "duration",
  shutdown_timeout: "integer",
  labels: "string-table",
  session_server: "table",
  machine: "table",
  experimental: "table",
};

/** Keys of one `client_configs` entry. */
export const CLIENT_KEYS: readonly string[] = [
  "url",
  "personal_access_token",
  "personal_access_token_file",
  "registration_token",
  "registration_token_file",
  "ca_file",
  "group",
  "project",
];

/** Keys of an executor file that register-runner consumes (never written to config.toml). */
export const EXECUTOR_KEYS: readonly string[] = [
  "url",
  "executor",
  "env_tags",
  "tags",
  "facts",
  "run_untagged",
  "locked",
  "paused",
  "access_level",
  "maximum_timeout",
  "maintenance_note",
];

/** Template keys register-runner reads itself (never written to config.toml). */
export const TEMPLATE_KEYS: readonly string[] = ["client_configs", "allow_unknown_keys"];

/**
 * Keys an executor file must not set, and why: `[[runners]]` keys register-runner generates, and
 * `group`/`project`, which only the template's client_configs entry sets.
 */
export const GENERATED_KEYS: Readonly<Record<string, string>> = {
  group: "which group's runners these are is set once per GitLab, by `group` in the " +
    "template's client_configs entry (one entry, one group or project: the runner identity " +
    "and the token's check depend on it)",
  project: "which project's runners these are is set once per GitLab, by `project` in the " +
    "template's client_configs entry (one entry, one group or project: the runner identity " +
    "and the token's check depend on it)",
  token: "register-runner obtains the runner token from GitLab and keeps it in config.toml",
  id: "register-runner takes the runner id from GitLab",
  name: "register-runner names each runner `{host} {instance} {file stem} Runner`",
  description: "register-runner generates the runner description from the host, instance and file",
  token_obtained_at: "register-runner and gitlab-runner record when the token was obtained",
  token_expires_at: "register-runner and gitlab-runner record when the token expires",
};

/**
 * Types of gitlab-runner `[[runners]]` keys (its `RunnerConfig`/`RunnerSettings` in
 * `common/config.go`) checked in executor files, only where gitlab-runner's are certain. Every key
 * here is in the embedded schema (a test checks it).
 */
export const RUNNER_TYPES: Readonly<Record<string, Expect>> = {
  limit: "integer",
  output_limit: "integer",
  request_concurrency: "integer",
  builds_dir: "string",
  cache_dir: "string",
  clone_url: "string",
  environment: "string[]",
  shell: "string",
  pre_get_sources_script: "string",
  post_get_sources_script: "string",
  pre_build_script: "string",
  post_build_script: "string",
  debug_trace_disabled: "boolean",
  feature_flags: "boolean-table",
  labels: "string-table",
  "tls-ca-file": "string",
  "tls-cert-file": "string",
  "tls-key-file": "string",
  unhealthy_requests_limit: "integer",
  unhealthy_interval: "duration",
  strict_check_interval: "any",
  job_status_final_update_retry_limit: "integer",
  prepare_timeout: "any",
  get_sources_timeout: "any",
  safe_directory_checkout: "boolean",
  clean_git_config: "boolean",
  proxy_exec: "boolean",
  use_slot_cgroups: "boolean",
  slot_cgroup_template: "any",
  step_runner_image: "string",
  custom_build_dir: "table",
  cache: "table",
  artifact: "table",
  referees: "table",
  monitoring: "table",
  docker: "table",
  kubernetes: "table",
  machine: "table",
  ssh: "table",
  parallels: "table",
  virtualbox: "table",
  instance: "table",
  autoscaler: "table",
  custom: "table",
  experimental: "table",
};

/** Executor types gitlab-runner ships (others get a warning, not an error). */
export const KNOWN_EXECUTORS: readonly string[] = [
  "shell",
  "ssh",
  "parallels",
  "virtualbox",
  "docker",
  "docker-windows",
  "docker+machine",
  "docker-autoscaler",
  "instance",
  "kubernetes",
  "custom",
];

/** Names people use for a key that has another name here (from the Python tool, the API, the CLI). */
export const ALIASES: Readonly<Record<string, string>> = {
  tag_list: "tags",
  admin_token: "registration_token",
  access_token: "personal_access_token",
  private_token: "personal_access_token",
  pat: "personal_access_token",
  ca_cert: "ca_file",
  tls_ca_file: "ca_file",
};

/** `record[key]` for own keys only (so `constructor` or `__proto__` never match). */
export function lookup<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function normalise(word: string): string {
  return word.toLowerCase().replaceAll("-", "_");
}

/** Optimal-string-alignment distance (Levenshtein plus adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > 8 || a.length > 128 || b.length > 128) {
    return Math.max(a.length, b.length);
  }
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const prev = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (prev[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, (rows[i - 2]?.[j - 2] as number) + 1);
      }
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? Math.max(a.length, b.length);
}

/**
 * The candidate closest to `word` (case- and `-`/`_`-insensitive, or a known alias), or undefined
 * when none is close enough to be a likely typo.
 */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const w = normalise(word);
  const alias = lookup(ALIASES, w);
  if (alias !== undefined && candidates.includes(alias)) return alias;
  const limit = w.length <= 4 ? 1 : w.length <= 8 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const d = editDistance(w, normalise(candidate));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** ` Did you mean \`x\`?` for a likely typo, else the empty string. */
export function suggestion(word: string, candidates: readonly string[]): string {
  const best = didYouMean(word, candidates);
  return best === undefined ? "" : ` Did you mean \`${best}\`?`;
}
