import assert from "node:assert/strict";
import { join } from "node:path";
import { readSystemId, systemIdFromMachineId } from "./system_id.ts";
import { tempDir } from "../../tests/support/temp.ts";

const MACHINE_ID = "0123456789abcdef0123456789abcdef";
/** `echo -n gitlab-runner | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef`, first 12. */
const EXPECTED = "s_ee3af03959fe";

Deno.test("systemIdFromMachineId: matches gitlab-runner's HMAC-SHA256 derivation", async () => {
  assert.equal(await systemIdFromMachineId(MACHINE_ID), EXPECTED);
});

Deno.test("readSystemId: the saved file wins, trimmed", async () => {
  const prefix = await tempDir();
  await Deno.writeTextFile(join(prefix, ".runner_system_id"), "r_AbCdEf123456\n");
  assert.equal(await readSystemId(prefix, join(prefix, "no-machine-id")), "r_AbCdEf123456");
});

Deno.test("readSystemId: derived from the machine id when no usable file is saved", async () => {
  const prefix = await tempDir();
  const machineId = join(prefix, "machine-id");
  await Deno.writeTextFile(machineId, `${MACHINE_ID}\n`);
  assert.equal(await readSystemId(prefix, machineId), EXPECTED);
  await Deno.writeTextFile(join(prefix, ".runner_system_id"), "  \n");
  assert.equal(await readSystemId(prefix, machineId), EXPECTED);
  await Deno.writeTextFile(join(prefix, ".runner_system_id"), "two words");
  assert.equal(await readSystemId(prefix, machineId), EXPECTED);
  assert.deepEqual([...Deno.readDirSync(prefix)].map((e) => e.name).sort(), [
    ".runner_system_id",
    "machine-id",
  ]);
});

Deno.test("readSystemId: undefined when nothing is available", async () => {
  const prefix = await tempDir();
  assert.equal(await readSystemId(prefix, join(prefix, "none")), undefined);
  await Deno.writeTextFile(join(prefix, "empty"), "\n");
  assert.equal(await readSystemId(prefix, join(prefix, "empty")), undefined);
  assert.equal(await readSystemId(join(prefix, "missing-dir"), prefix), undefined);
});
