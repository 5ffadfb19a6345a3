import { deepStrictEqual as assertEquals, rejects, throws } from "node:assert/strict";
import { Pool } from "./pool.ts";

Deno.test("Pool never runs more than its limit at once and runs everything", async () => {
  const pool = new Pool(3);
  let running = 0;
  let peak = 0;
  const done: number[] = [];
  await Promise.all(Array.from({ length: 10 }, (_, i) =>
    pool.run(async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      done.push(i);
    })));
  assertEquals(peak, 3);
  assertEquals(done.length, 10);
  assertEquals(pool.active, 0);
  assertEquals(pool.waiting, 0);
});

Deno.test("Pool frees the slot of a task that fails", async () => {
  const pool = new Pool(1);
  await rejects(() => pool.run(() => Promise.reject(new Error("boom"))), /boom/);
  assertEquals(await pool.run(() => Promise.resolve(7)), 7);
  assertEquals(pool.active, 0);
});

Deno.test("Pool rejects a limit that is not a positive integer", () => {
  for (const bad of [0, -1, 1.5, NaN]) throws(() => new Pool(bad), RangeError, `limit ${bad}`);
});
