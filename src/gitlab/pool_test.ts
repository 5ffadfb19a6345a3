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

Deno.test("Pool AIMD: slow start adds a slot per success until the first cut, then one per limit", () => {
  const pool = new Pool(8, 2);
  assertEquals([pool.limit, pool.max], [2, 8]);
  pool.grow();
  pool.grow();
  assertEquals(pool.limit, 4, "slow start: one slot per success");
  pool.cut();
  assertEquals(pool.limit, 2, "a cut halves");
  pool.cut();
  pool.cut();
  assertEquals(pool.limit, 1, "never below 1");
  pool.grow();
  assertEquals(pool.limit, 2, "at 1 slot, one success adds one");
  pool.grow();
  assertEquals(pool.limit, 2, "at 2 slots, half a slot per success");
  pool.grow();
  assertEquals(pool.limit, 3);
  for (let i = 0; i < 100; i++) pool.grow();
  assertEquals(pool.limit, 8, "never past the limit it was created with");
  assertEquals(new Pool(8).limit, 8, "starts full by default");
  assertEquals(new Pool(3, 10).limit, 3);
  assertEquals(new Pool(3, 0).limit, 1);
});

Deno.test("Pool AIMD: a cut holds new tasks back, running ones finish; a grow lets waiting ones in", async () => {
  const pool = new Pool(4);
  const release: (() => void)[] = [];
  let started = 0;
  const task = () =>
    pool.run(() => {
      started++;
      return new Promise<void>((r) => release.push(r));
    });
  const first = [task(), task(), task(), task()];
  await Promise.resolve();
  assertEquals(started, 4);
  pool.cut();
  pool.cut(); // limit 1, 4 running
  const later = [task(), task()];
  release.shift()!();
  release.shift()!();
  release.shift()!();
  await new Promise((r) => setTimeout(r, 0));
  assertEquals(
    [started, pool.active, pool.waiting],
    [4, 1, 2],
    "3 done, none started: 1 still runs",
  );
  release.shift()!();
  await new Promise((r) => setTimeout(r, 0));
  assertEquals([started, pool.active, pool.waiting], [5, 1, 1], "one at a time");
  pool.grow(); // 1 → 2
  await new Promise((r) => setTimeout(r, 0));
  assertEquals([started, pool.active, pool.waiting], [6, 2, 0], "grow wakes a waiting task");
  while (release.length > 0) release.shift()!();
  await Promise.all([...first, ...later]);
  assertEquals(pool.active, 0);
});
