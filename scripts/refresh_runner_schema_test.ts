import assert from "node:assert/strict";
import { join } from "node:path";
import { buildSchema, tomlName } from "./refresh_runner_schema.ts";

/** A tiny gitlab-runner-shaped source tree: the struct forms config.go uses. */
async function fakeCheckout(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "runner-schema-" });
  await Deno.mkdir(join(root, "common"));
  await Deno.mkdir(join(root, "cache/cacheconfig"), { recursive: true });
  await Deno.writeTextFile(join(root, "VERSION"), "1.2.3\n");
  await Deno.writeTextFile(
    join(root, "common/config.go"),
    `package common

import (
	"time"

	"gitlab.com/gitlab-org/gitlab-runner/cache/cacheconfig"
	api "k8s.io/api/core/v1"
)

type Labels map[string]string

type StringOrArray []string

func (p *StringOrArray) UnmarshalTOML(data any) error { return nil }

type Config struct {
	Concurrent int            \`toml:"concurrent" json:"concurrent"\`
	Runners    []*RunnerConfig \`toml:"runners"\`
	Labels     Labels         \`toml:"labels,omitempty"\`
	ModTime    time.Time      \`toml:"-"\`
	/* a block comment with a } brace */
	MaxAge *time.Duration \`toml:"connection_max_age,omitempty"\` // trailing } comment
}

type RunnerCredentials struct {
	URL string \`toml:"url"\`
}

type RunnerConfig struct {
	Name string \`toml:"name"\`
	RunnerCredentials
	Docker *DockerConfig            \`toml:"docker,omitempty"\`
	Cache  *cacheconfig.Config      \`toml:"cache,omitempty"\`
	Flags  map[string]bool          \`toml:"feature_flags"\`
	Pods   map[string]DockerService \`toml:"pods"\`
	labels Labels
}

type DockerConfig struct {
	Image      string                 \`toml:"image"\`
	PullPolicy StringOrArray          \`toml:"pull_policy,omitempty"\`
	Services   []DockerService        \`toml:"services,omitempty"\`
	Caps       []api.Capability       \`toml:"cap_add"\`
	IdleCount  int                    \`long:"idle-nodes"\`
	Inline     struct{ X int }        \`toml:"inline"\`
	Aliases    HostAliasesFlag        \`toml:"host_aliases"\`
	Durations  Durations              \`toml:"durations"\`
	Fixed      Fixed                  \`toml:"fixed"\`
	Pair       Pair[string, int]      \`toml:"pair"\`
}

type DockerService struct {
	Name string \`toml:"name"\`
}

type HostAliasesFlag []HostAlias

type Durations []*Duration

type Fixed [2]DockerService

type Pair[K comparable, V any] struct {
	Key K \`toml:"key"\`
}

type HostAlias struct {
	IP string \`toml:"ip"\`
}

type Duration struct {
	Threshold time.Duration \`toml:"threshold"\`
}
`,
  );
  await Deno.writeTextFile(
    join(root, "cache/cacheconfig/cacheconfig.go"),
    `package cacheconfig

type Config struct {
	Type string \`toml:"Type,omitempty"\`
	S3   *CacheS3Config \`toml:"s3,omitempty"\`
}

type CacheS3Config struct {
	BucketName string \`toml:"BucketName,omitempty"\`
}
`,
  );
  return root;
}

Deno.test("refresh_runner_schema: toml tag names as gitlab-runner's decoder reads them", () => {
  assert.equal(tomlName('toml:"builds_dir,omitempty" json:"x"'), "builds_dir");
  assert.equal(tomlName('json:"x" toml:"tls-ca-file,omitempty"'), "tls-ca-file");
  assert.equal(tomlName('toml:"-"'), undefined);
  assert.equal(tomlName('long:"idle-nodes"'), "");
});

Deno.test("refresh_runner_schema: builds the tables reachable from Config and RunnerConfig", async () => {
  const root = await fakeCheckout();
  try {
    const schema = buildSchema(root, "v1.2.3", "abc");
    assert.equal(schema.gitlab_runner, "v1.2.3");
    assert.equal(schema.commit, "abc");
    assert.deepEqual(Object.keys(schema.tables), [
      "cache/cacheconfig.CacheS3Config",
      "cache/cacheconfig.Config",
      "common.Config",
      "common.DockerConfig",
      "common.DockerService",
      "common.Duration",
      "common.HostAlias",
      "common.Pair",
      "common.RunnerConfig",
    ]);
    assert.deepEqual(schema.tables["common.Config"]?.keys, {
      concurrent: "integer",
      connection_max_age: "duration",
      labels: "map",
      runners: "array common.RunnerConfig",
    });
    assert.deepEqual(schema.tables["common.RunnerConfig"]?.keys, {
      cache: "table cache/cacheconfig.Config",
      docker: "table common.DockerConfig",
      feature_flags: "map",
      name: "string",
      pods: "map common.DockerService",
      url: "string",
    });
    assert.deepEqual(schema.tables["common.DockerConfig"]?.keys, {
      IdleCount: "integer",
      cap_add: "list",
      durations: "array common.Duration",
      fixed: "array common.DockerService",
      host_aliases: "array common.HostAlias",
      image: "string",
      inline: "any",
      pair: "table common.Pair",
      pull_policy: "any",
      services: "array common.DockerService",
    });
    // A generic struct's type parameters are skipped, not taken for its type (a type parameter
    // itself is unknown: any).
    assert.deepEqual(schema.tables["common.Pair"]?.keys, { key: "any" });
    assert.equal(schema.tables["common.DockerConfig"]?.source, "common/config.go");
    assert.deepEqual(schema.tables["cache/cacheconfig.Config"]?.keys, {
      Type: "string",
      s3: "table cache/cacheconfig.CacheS3Config",
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
