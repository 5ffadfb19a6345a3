import { deepEqual, equal } from "node:assert/strict";
import { credentialKeyFor, findMisplacedCredentials } from "./misplaced_credentials.ts";

Deno.test("credentialKeyFor: the real names, aliases (with _file), nothing else", () => {
  equal(credentialKeyFor("personal_access_token_file"), "personal_access_token_file");
  equal(credentialKeyFor("pat"), "personal_access_token");
  equal(credentialKeyFor("Private-Token"), "personal_access_token");
  equal(credentialKeyFor("private_token_file"), "personal_access_token_file");
  equal(credentialKeyFor("admin_token"), "registration_token");
  // gitlab-runner's own keys stay theirs.
  for (const key of ["token", "bearer_token", "SessionToken", "password", "path", "compat"]) {
    equal(credentialKeyFor(key), undefined, key);
  }
});

Deno.test("findMisplacedCredentials: any depth, by name or by a token-shaped value", () => {
  const found = findMisplacedCredentials({
    client_configs: [{ personal_access_token: "glpat-x" }],
    concurrent: 4,
    pat: "x",
    docker: { image: "alpine", services: [{ name: "db", note: "glpat-abc" }] },
    machine: { MachineOptions: ["x=glpat-in-an-array-is-left"] },
    custom: { reg: "GR1348941abc" },
  }, (key) => key === "client_configs");
  deepEqual(found, [
    { path: ["pat"], suggestion: "personal_access_token", byValue: false },
    {
      path: ["docker", "services", 0, "note"],
      suggestion: "personal_access_token_file",
      byValue: true,
    },
    { path: ["custom", "reg"], suggestion: "registration_token_file", byValue: true },
  ]);
});
