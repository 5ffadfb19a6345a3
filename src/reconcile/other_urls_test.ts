import { deepEqual, equal, match } from "node:assert/strict";
import { spareOtherUrls } from "./other_urls.ts";
import type { ClientPlan } from "./planner.ts";

const plan = (): ClientPlan => ({
  clientKey: "https://a.example",
  steps: [],
  deletions: [
    { by: "id", runnerId: 1, description: "node7 main shell Runner", reason: "no executor file" },
    { by: "id", runnerId: 2, description: "node7 main docker Runner", reason: "no executor file" },
    { by: "id", runnerId: 3, description: "node7 main ssh Runner", reason: "duplicate" },
  ],
  warnings: [],
  heldByListing: [],
});

const elsewhere = new Map([
  ["node7 main shell Runner", { key: "shell", url: "https://b.example" }],
  ["node7 main docker Runner", { key: "docker", url: "https://b.example" }],
]);

Deno.test("spareOtherUrls: keeps what another url's files want, unless proven this url's", () => {
  const out = spareOtherUrls(plan(), {
    url: "https://a.example",
    wantedElsewhere: elsewhere,
    provenHere: new Set([2]),
  });
  deepEqual(out.deletions.map((d) => d.by === "id" && d.runnerId), [2, 3]);
  equal(out.warnings.length, 1);
  match(out.warnings[0]!, /#1\) at https:\/\/a\.example: NOT deleted .*https:\/\/b\.example/);
});

Deno.test("spareOtherUrls: nothing wanted elsewhere, the plan is returned as it is", () => {
  const p = plan();
  equal(spareOtherUrls(p, { url: "x", wantedElsewhere: new Map(), provenHere: new Set() }), p);
});
