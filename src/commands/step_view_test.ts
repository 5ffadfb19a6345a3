import { deepEqual } from "node:assert/strict";
import type { DesiredRunner, LocalRunner } from "../kernel/model.ts";
import { Secret } from "../kernel/secret.ts";
import { deletionView, doneVerb, stepView } from "./step_view.ts";

const desired = {
  key: "shell",
  description: "node7 main shell Runner",
  tags: ["node7", "main", "shell"],
  attributes: { run_untagged: false, locked: true, paused: false, maximum_timeout: 3600 },
} as DesiredRunner;
const token = { token: new Secret("glrt-fake"), obtainedAt: undefined, expiresAt: undefined };
const local: LocalRunner = { index: 0, id: 7, token };

Deno.test("stepView: a keep with changes is an update naming the fields in plan order", () => {
  deepEqual(
    stepView({
      action: "keep",
      desired,
      runnerId: 7,
      local,
      token,
      update: { paused: [true, false], tag_list: [["a"], ["a", "b"]] },
    }),
    {
      kind: "keep",
      runner: "node7 main shell Runner",
      file: "shell",
      action: "update",
      id: 7,
      reason: "attributes differ: paused, tag_list",
      token: "kept",
      changes: [
        { field: "paused", from: true, to: false },
        { field: "tag_list", from: ["a"], to: ["a", "b"] },
      ],
      registration: null,
    },
  );
});

Deno.test("stepView: the id sync passes wins over the plan's; none known is null", () => {
  const restore = {
    action: "restore",
    desired,
    runnerId: 7,
    method: "read",
    reason: "no local token",
  } as const;
  deepEqual(stepView(restore).id, 7);
  deepEqual(stepView(restore, 30).id, 30, "replaced by a new runner");
  deepEqual(stepView(restore).token, "read back");
  const register = { action: "register", desired, via: "pat", reason: "no runner yet" } as const;
  deepEqual(stepView(register).id, null);
  deepEqual(stepView(register, 31).id, 31);
  deepEqual(stepView({ action: "keep", desired, runnerId: undefined, local, token }).id, null);
});

Deno.test("deletionView: a deletion by token has no id and never carries the token", () => {
  const view = deletionView({
    by: "token",
    token: new Secret("glrt-fake-secret"),
    localIndex: 2,
    description: "runner #2",
    reason: "no executor file",
  });
  deepEqual(view, { runner: "runner #2", id: null, by: "token", reason: "no executor file" });
});

Deno.test("doneVerb: sync says what was done, plan's verbs stay future", () => {
  const result = (action: "kept" | "restored" | "registered") => ({
    desired,
    action,
    id: 7,
    token,
  });
  const keep = { action: "keep", desired, runnerId: 7, local, token } as const;
  deepEqual(doneVerb(stepView(keep), result("kept")), "kept");
  const update = { ...keep, update: { paused: [true, false] as [boolean, boolean] } };
  deepEqual(stepView(update).action, "update");
  deepEqual(doneVerb(stepView(update), result("kept")), "updated");
  const reset = {
    action: "restore",
    desired,
    runnerId: 7,
    method: "reset",
    reason: "local token rejected by GitLab",
  } as const;
  deepEqual(stepView(reset).action, "restore");
  deepEqual(doneVerb(stepView(reset), result("restored")), "restored (token reset)");
  deepEqual(doneVerb(stepView(reset), result("registered")), "replaced (new id)");
  const read = { ...reset, method: "read" } as const;
  deepEqual(doneVerb(stepView(read), result("restored")), "restored (token read back)");
  const register = { action: "register", desired, via: "pat", reason: "no runner yet" } as const;
  deepEqual(stepView(register).action, "register");
  deepEqual(doneVerb(stepView(register), result("registered")), "registered");
  deepEqual(doneVerb(stepView(register), undefined), "not registered");
});

Deno.test("stepView: a register step says how (from the credentials), the tags and attributes", () => {
  const pat = { action: "register", desired, via: "pat", reason: "no runner yet" } as const;
  deepEqual(stepView(pat).registration, {
    via: "pat",
    how: "with the personal access token (POST /user/runners)",
    tags: ["node7", "main", "shell"],
    attributes: "run_untagged: false, locked: true, paused: false, maximum_timeout: 3600",
  });
  deepEqual(
    stepView(pat, undefined, { registrationToken: true }).registration?.how,
    "with the personal access token (POST /user/runners; the registration token if this GitLab " +
      "is older than 15.10)",
  );
  const legacy = { ...pat, via: "registration-token" } as const;
  deepEqual(
    stepView(legacy, undefined, { registrationToken: true }).registration?.how,
    "with the registration token (POST /runners; GitLab 17.0+ refuses it unless registration " +
      "tokens are enabled)",
  );
});
