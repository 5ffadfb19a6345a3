import { deepEqual, equal, rejects } from "node:assert/strict";
import { join } from "node:path";
import {
  formatRecord,
  parseRecord,
  readOwnershipRecord,
  writeOwnershipRecord,
} from "./ownership_record.ts";
import { InputError } from "../kernel/errors.ts";

const R = [
  { clientKey: "https://b", key: "shell", id: 3, description: "h main shell Runner" },
  { clientKey: "https://a", key: "gpu", id: 9, description: "h main shell gpu Runner" },
];

Deno.test("record: formatted sorted, parsed back; anything else is no record", () => {
  const text = formatRecord(R);
  deepEqual(parseRecord(text), [R[1], R[0]]);
  equal(formatRecord([R[1]!, R[0]!]), text, "order-independent, so unchanged is not rewritten");
  for (
    const bad of ["", "[]", "{}", '{"version":2,"runners":[]}', '{"version":1,"runners":[{}]}']
  ) {
    equal(parseRecord(bad), undefined, bad);
  }
  equal(
    parseRecord('{"version":1,"runners":[{"clientKey":"a","key":"k","id":0,"description":""}]}'),
    undefined,
  );
});

Deno.test("record: written 0600, read back; missing is undefined; a symlink is refused both ways", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, ".register-runner.main.state.json");
    deepEqual(await readOwnershipRecord(path), { runners: undefined, warnings: [] });
    equal(await writeOwnershipRecord(path, R), "written");
    equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    equal(await writeOwnershipRecord(path, R), "unchanged");
    deepEqual((await readOwnershipRecord(path)).runners?.length, 2);
    await Deno.writeTextFile(path, "garbage");
    const garbage = await readOwnershipRecord(path);
    equal(garbage.runners, undefined);
    equal(garbage.warnings.length, 1);
    await Deno.remove(path);
    const target = join(dir, "elsewhere");
    await Deno.writeTextFile(target, formatRecord(R));
    await Deno.symlink(target, path);
    await rejects(readOwnershipRecord(path), InputError);
    await rejects(writeOwnershipRecord(path, []), InputError);
    equal(await Deno.readTextFile(target), formatRecord(R), "the link's target is untouched");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
