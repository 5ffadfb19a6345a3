/**
 * The fake GitLab's behaviour by version: one table, one row per behaviour that changed between
 * GitLab 14.0 and the newest release, each naming the GitLab source file it follows and the MR or
 * issue that changed it. `optionsForVersion` derives every version switch of the fake from it.
 *
 * `confidence` says how the version was established: `source` when read in GitLab's (or
 * gitlab-runner's) source, `mr` when it rests on the MR/issue milestone or a `doc/` history note,
 * `guess` when neither was found (the row then says what it rests on).
 *
 * @module
 */

import type { BehaviourOptions } from "./options.ts";

/** The GitLab versions the fake models, oldest first; `newest` is the last row. */
export const SUPPORTED_VERSIONS = [
  "14.0",
  "14.3",
  "14.8",
  "15.2",
  "15.3",
  "15.9",
  "15.10",
  "16.0",
  "16.9",
  "16.10",
  "17.0",
  "17.5",
  "17.11",
  "18.0",
  "18.11",
] as const;

/** The newest version the fake models (what `version: "newest"` means). */
export const NEWEST_VERSION = "18.11";

/** The version a fake started without `version` behaves as. */
export const DEFAULT_VERSION = "17.11.2";

/** One behaviour that changed at a GitLab version. */
export interface VersionRow {
  /** The switch it sets. */
  option: VersionSwitch;
  /** First version with the "since" value (`major.minor`). */
  since: string;
  /** The value from `since` on. */
  value: BehaviourOptions[VersionSwitch];
  /** The value before `since`. */
  before: BehaviourOptions[VersionSwitch];
  /** GitLab (or gitlab-runner) source file the behaviour is read from. */
  source: string;
  /** The MR or issue, as GitLab numbers them. */
  ref: string;
  /** How the version was established. */
  confidence: "source" | "mr" | "guess";
  /** What it is, in a sentence. */
  note: string;
}

/** The options a GitLab version decides (everything else is configuration or test tuning). */
export type VersionSwitch =
  | "resetByIdApi"
  | "resetOwnTokenApi"
  | "pausedParam"
  | "omitTokenExpiresAt"
  | "userRunnersApi"
  | "legacyVerifyBody"
  | "runnerManagers"
  | "glrtVerifySkipsContact"
  | "maintenanceNote"
  | "allowRegistrationToken"
  | "registeredTokenPrefix"
  | "orphanedVerify"
  | "metadataApi"
  | "tokenSelfApi"
  | "verifyRuntimeFeatures";

/** The table. Rows for the same switch are ordered by `since`; the last one that applies wins. */
export const VERSION_TABLE: readonly VersionRow[] = [
  {
    option: "resetByIdApi",
    since: "14.3",
    value: true,
    before: false,
    source: "lib/api/ci/runners.rb (`post ':id/reset_authentication_token'`)",
    ref:
      "MR not read; absent from the 14.0-era copy (e8d2c257), present in every later one; 14.3 from register-runner issue 10",
    confidence: "guess",
    note:
      'POST /runners/:id/reset_authentication_token exists; before: 404 {"error":"404 Not Found"}',
  },
  {
    option: "pausedParam",
    since: "14.8",
    value: true,
    before: false,
    source:
      "lib/api/ci/runners.rb, lib/api/ci/runner.rb (`optional :paused`, mutually_exclusive with :active)",
    ref:
      "MR not found; 14.8 is the deprecation milestone of `active` (GraphQL `active` deprecated in 14.8)",
    confidence: "guess",
    note:
      "`paused` is a declared param of PUT /runners/:id and POST /runners and a field of the entities; before it is dropped like any undeclared param and the entities carry `active` only",
  },
  {
    option: "metadataApi",
    since: "15.2",
    value: true,
    before: false,
    source: "lib/api/metadata.rb (desc 'introduced in GitLab 15.2')",
    ref: "MR not read; the endpoint's own `desc` says 15.2",
    confidence: "source",
    note: "GET /metadata exists (GET /version exists in every version)",
  },
  {
    option: "resetOwnTokenApi",
    since: "15.3",
    value: true,
    before: false,
    source: "lib/api/ci/runner.rb (`post '/reset_authentication_token'`)",
    ref:
      "not found; present in the 15.x copy (027f19b3), absent from 14.0 (e8d2c257); 15.3 a guess",
    confidence: "guess",
    note: "POST /runners/reset_authentication_token (by the current token) exists",
  },
  {
    option: "tokenSelfApi",
    since: "15.5",
    value: true,
    before: false,
    source: "lib/api/personal_access_tokens/self_information.rb (`get 'self'`)",
    ref: "issue #373999; doc/api/personal_access_tokens.md says 'Introduced in GitLab 15.5'",
    confidence: "mr",
    note:
      "GET /personal_access_tokens/self answers any personal, group or project access token, whatever its scopes, with its scopes and expires_at",
  },
  {
    option: "omitTokenExpiresAt",
    since: "15.3",
    value: false,
    before: true,
    source: "lib/api/entities/ci/runner_registration_details.rb, reset_token_result.rb",
    ref: "not found; 15.3 a guess (when runner token expiry arrived)",
    confidence: "guess",
    note: "replies carry token_expires_at",
  },
  {
    option: "userRunnersApi",
    since: "15.10",
    value: true,
    before: false,
    source: "lib/api/user_runners.rb (first as part of lib/api/users.rb)",
    ref:
      'MR not read; 15.10 from register-runner issue 10 and the docs\' "Create a runner" history',
    confidence: "guess",
    note: 'POST /user/runners exists; before: 404 {"error":"404 Not Found"}',
  },
  {
    option: "legacyVerifyBody",
    since: "15.10",
    value: false,
    before: true,
    source:
      'lib/api/ci/runner.rb (`status 200; body "200"` before, then `present current_runner, with: Entities::Ci::RunnerRegistrationDetails`)',
    ref: "gitlab MR !112168 (closes #391383)",
    confidence: "mr",
    note:
      'verify answers {id, token, token_expires_at}; before: the JSON string "200" (Grape\'s JSON formatter applied to `body "200"`)',
  },
  {
    option: "runnerManagers",
    since: "15.10",
    value: true,
    before: false,
    source:
      "lib/api/ci/helpers/runner.rb (`current_runner_manager` → `ensure_manager(system_id || '<legacy>')`)",
    ref: "gitlab issue #387181; flag create_runner_machine (default on: guess)",
    confidence: "guess",
    note:
      "every authenticated runner request (verify included) creates a runner-manager row for its system_id",
  },
  {
    option: "glrtVerifySkipsContact",
    since: "15.10",
    value: true,
    before: false,
    source:
      "lib/api/ci/runner.rb (`authenticate_runner!(update_contacted_at: false)` for glrt- tokens)",
    ref: "gitlab MR !113753 (closes #394749)",
    confidence: "mr",
    note: "verify with a glrt- token does not record contacted_at",
  },
  {
    option: "maintenanceNote",
    since: "16.10",
    value: true,
    before: false,
    source:
      "lib/api/entities/ci/runner_details.rb, lib/api/ci/runners.rb (`optional :maintenance_note`)",
    ref: "gitlab MR !144482 (fixes issue #438199)",
    confidence: "mr",
    note:
      "GET /runners/:id has maintenance_note and PUT takes it; before: no such key, and PUT drops it (400 from at_least_one_of when it is the only param)",
  },
  {
    option: "allowRegistrationToken",
    since: "17.0",
    value: false,
    before: true,
    source: "app/models/application_setting.rb (`allow_runner_registration_token` default)",
    ref: "MR not read; 17.0 from the docs (registration tokens disabled by default)",
    confidence: "guess",
    note: "POST /runners answers 410 unless an admin re-enabled registration tokens",
  },
  {
    option: "registeredTokenPrefix",
    since: "17.5",
    value: "t1_",
    before: "",
    source: "app/models/ci/runner.rb (partition-prefixed tokens)",
    ref: "not found (guess)",
    confidence: "guess",
    note: "tokens from POST /runners carry a partition prefix",
  },
  {
    option: "registeredTokenPrefix",
    since: "17.11",
    value: "glrtr-",
    before: "t1_",
    source: "app/models/ci/runner.rb (`REGISTRATION_RUNNER_TOKEN_PREFIX = 'glrtr-'`)",
    ref: "not found (guess on the milestone)",
    confidence: "guess",
    note: "tokens from POST /runners start with glrtr-",
  },
  {
    option: "orphanedVerify",
    since: "17.6",
    value: "422",
    before: "200",
    source:
      "lib/api/ci/runner.rb (rescue UnknownRunnerOwnerError → unprocessable_entity!('Runner is orphaned'))",
    ref: "gitlab issues #504963, #516929 (cited in the code; milestone a guess)",
    confidence: "guess",
    note: "verify of a group/project runner whose owner is gone: 422; before: 200",
  },
  {
    option: "glrtVerifySkipsContact",
    since: "18.0",
    value: false,
    before: true,
    source:
      "lib/api/ci/helpers/runner.rb (`authenticate_runner!(ensure_runner_manager: true, creation_state: nil)`)",
    ref: "none found: the newest copy heartbeats on verify again (version a guess)",
    confidence: "guess",
    note: "verify records contacted_at again for glrt- tokens",
  },
  {
    option: "verifyRuntimeFeatures",
    since: "18.0",
    value: true,
    before: false,
    source:
      "lib/api/ci/helpers/runner.rb (`get_runner_details_from_request` reads info[features] as runtime_features)",
    ref: "gitlab-runner MR !7186 (runner side, 19.3); GitLab side version a guess",
    confidence: "guess",
    note:
      "a heartbeat's info[features] is stored as the manager's runtime_features (persisted only when the manager is new or its contacted_at is 40–55 min old)",
  },
];

/** `[major, minor]` of `"17.11.2"`, `"16.10"`, `"newest"`. Throws on anything else. */
export function parseVersion(version: string): [number, number] {
  const text = version === "newest" ? NEWEST_VERSION : version;
  const match = /^(\d+)\.(\d+)(?:\.\d+)?(?:-[a-z0-9.]+)?$/.exec(text);
  if (match === null) throw new Error(`not a GitLab version: ${version}`);
  return [Number(match[1]), Number(match[2])];
}

/** Whether `version` is at least `since`. */
export function atLeast(version: string, since: string): boolean {
  const [a, b] = parseVersion(version);
  const [c, d] = parseVersion(since);
  return a > c || (a === c && b >= d);
}

/**
 * The switches that make the fake behave like GitLab `version` (`"15.9.3"`, `"16.11"`,
 * `"newest"`), read from {@link VERSION_TABLE}.
 */
export function optionsForVersion(version: string): Partial<BehaviourOptions> & {
  gitlabVersion: string;
} {
  parseVersion(version);
  const out: Record<string, unknown> = {
    gitlabVersion: version === "newest" ? `${NEWEST_VERSION}.0` : version,
  };
  for (const row of VERSION_TABLE) {
    if (!(row.option in out) || atLeast(version, row.since)) {
      out[row.option] = atLeast(version, row.since) ? row.value : row.before;
    }
  }
  return out as Partial<BehaviourOptions> & { gitlabVersion: string };
}

/** A behaviour the fake keeps in every version it models, and where it is read from. */
export interface ConstantRow {
  /** What it is. */
  behaviour: string;
  /** GitLab source file. */
  source: string;
  /** How it was established. */
  confidence: "source" | "guess";
}

/** Behaviours that did not change between 14.0 and the newest version (the fake keeps them always). */
export const CONSTANT_BEHAVIOURS: readonly ConstantRow[] = [
  {
    behaviour:
      "listings are ordered by id ascending (the paginator adds ORDER BY id to an unordered relation)",
    source:
      "lib/api/ci/runners.rb (no order) + lib/gitlab/pagination/offset_pagination.rb (`add_default_order`)",
    confidence: "source",
  },
  {
    behaviour:
      "the REST `status` is `deprecated_rest_status`: stale, never_contacted, paused (paused and contacted), online, offline",
    source: "app/models/ci/runner.rb (`deprecated_rest_status`), lib/api/entities/ci/runner.rb",
    confidence: "source",
  },
  {
    behaviour:
      'an unknown runner id answers 404 {"message":"404 Not found"} (RecordNotFound rescued); an unknown route 404 {"error":"404 Not Found"}',
    source:
      "lib/api/api.rb (rescue_from RecordNotFound, `route :any, '*path'`), lib/api/helpers.rb",
    confidence: "source",
  },
  {
    behaviour:
      "Rack::Attack's 429: text/plain `Retry later\\n`, RateLimit-Name/-Limit/-Observed/-Remaining/-Reset/-ResetTime and Retry-After (seconds left in the window)",
    source: "lib/gitlab/rack_attack.rb (`throttled_response_headers`), lib/gitlab/throttle.rb",
    confidence: "source",
  },
  {
    behaviour:
      'PUT validation: maximum_timeout >= 600 ({"message":{"maximum_timeout":[…]}}), access_level in not_protected/ref_protected and active/paused mutually exclusive (Grape {"error": …}); undeclared params are dropped',
    source:
      "app/models/ci/runner.rb (validations), lib/api/ci/runners.rb (`declared_params(include_missing: false)`)",
    confidence: "source",
  },
  {
    behaviour:
      'more than 50 tags: 400 {"message":{"tags_list":["Too many tags specified. Please limit the number of tags to 50"]}}; tags parsed by the tag parser (quotes and whitespace stripped, split on commas)',
    source:
      "app/models/ci/runner.rb (TAG_LIST_MAX_LENGTH, `tag_constraints`), lib/gitlab/ci/tags/parser.rb, lib/api/validations/types/comma_separated_to_array.rb",
    confidence: "source",
  },
  {
    behaviour:
      "with Admin Mode on, an administrator's token acts as administrator only with the admin_mode scope (else /runners/all, instance runner creation, PUT, DELETE and reset of instance runners answer 403)",
    source:
      "lib/api/api_guard.rb (`bypass_session_for_admin_mode?`), lib/gitlab/auth.rb (ADMIN_MODE_SCOPE)",
    confidence: "source",
  },
];
