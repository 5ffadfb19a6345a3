/**
 * The fake GitLab's initial users, groups, projects and (obviously fake) secrets.
 *
 * @module
 */

import { FakeState } from "./state.ts";

/** The seeded secrets. All are fake and only valid against this fake server. */
export interface FakeTokens {
  /** Admin user `root`, scope `api`: can do everything. */
  adminPat: string;
  /** Non-admin `fake-user`, scope `api`: owner of group 10, maintainer of project 20. */
  userPat: string;
  /** Admin `root`, scope `read_api` only: can list and read, every write gets 403 insufficient_scope. */
  readOnlyPat: string;
  /** Admin `root`, scope `create_runner` only: can call `POST /user/runners` and nothing else. */
  createRunnerPat: string;
  /** Admin `root`, scope `api`, expired: 401 `invalid_token` "Token is expired…". */
  expiredPat: string;
  /** Admin `root`, scope `api`, revoked: 401 `invalid_token` "Token was revoked…". */
  revokedPat: string;
  /** Instance registration token for `POST /runners` (when registration is allowed). */
  registrationToken: string;
}

/** Ids of the seeded users, group and project. */
export const SEED_IDS = {
  adminUser: 1,
  user: 2,
  group: 10,
  project: 20,
} as const;

/** The seeded token values. */
export const FAKE_TOKENS: Readonly<FakeTokens> = Object.freeze({
  adminPat: "glpat-fake-admin-0000000000",
  userPat: "glpat-fake-user-00000000000",
  readOnlyPat: "glpat-fake-readonly-0000000",
  createRunnerPat: "glpat-fake-create-runner-00",
  expiredPat: "glpat-fake-expired-00000000",
  revokedPat: "glpat-fake-revoked-00000000",
  registrationToken: "GR1348941fake-registration-token",
});

/** A state with the seeded users, group, project, PATs and registration token, and no runners. */
export function seededState(): FakeState {
  const state = new FakeState();
  const { adminUser, user, group, project } = SEED_IDS;
  state.users.set(adminUser, {
    id: adminUser,
    username: "root",
    name: "Administrator",
    admin: true,
  });
  state.users.set(user, { id: user, username: "fake-user", name: "Fake User", admin: false });
  state.groups.set(group, { id: group, name: "Fake Group", path: "fake-group", owner_ids: [user] });
  state.projects.set(project, {
    id: project,
    name: "Fake Project",
    path: "fake-project",
    group_id: group,
    maintainer_ids: [user],
  });
  const pat = (token: string, name: string, userId: number, scopes: string[], extra = {}) =>
    state.pats.set(token, {
      token,
      name,
      user_id: userId,
      scopes,
      expires_at: null,
      revoked: false,
      ...extra,
    });
  pat(FAKE_TOKENS.adminPat, "admin", adminUser, ["api"]);
  pat(FAKE_TOKENS.userPat, "user", user, ["api"]);
  pat(FAKE_TOKENS.readOnlyPat, "read-only", adminUser, ["read_api"]);
  pat(FAKE_TOKENS.createRunnerPat, "create-runner", adminUser, ["create_runner"]);
  pat(FAKE_TOKENS.expiredPat, "expired", adminUser, ["api"], {
    expires_at: "2000-01-01T00:00:00.000Z",
  });
  pat(FAKE_TOKENS.revokedPat, "revoked", adminUser, ["api"], { revoked: true });
  state.registrationTokens.set(FAKE_TOKENS.registrationToken, {
    token: FAKE_TOKENS.registrationToken,
    runner_type: "instance_type",
    group_id: null,
    project_id: null,
  });
  return state;
}
