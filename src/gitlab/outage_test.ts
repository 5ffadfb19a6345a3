import { deepEqual, equal } from "node:assert/strict";
import { OutageLog, shortReason } from "./outage.ts";

Deno.test("OutageLog: counts 429, 5xx and network failures from the first one's start", () => {
  let now = 1000;
  const log = new OutageLog(() => now);
  log.record({ status: 200 }, 995);
  log.record({ status: 404 }, 995);
  equal(log.summary(), undefined, "answers are not an outage");
  now = 2000;
  log.record({ reason: "connection refused" }, 1900);
  now = 5000;
  log.record({ status: 503 }, 4990);
  now = 7000;
  log.record({ status: 429 }, 6990);
  deepEqual(log.summary(), { attempts: 3, ms: 5100, reason: "HTTP 429" });
});

Deno.test("shortReason: the innermost cause of a network error", () => {
  equal(
    shortReason(
      "error sending request for url (http://127.0.0.1:1/api/v4/runners/all?page=1): client error " +
        "(Connect): tcp connect error: Connection refused (os error 111)",
    ),
    "connection refused",
  );
  equal(shortReason("timed out after 20 s"), "timed out after 20 s");
});
