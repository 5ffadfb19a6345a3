import assert from "node:assert/strict";
import { join } from "node:path";
import { MACHINE_ID_FILES, readSystemId, systemIdFromMachineId } from "./system_id.ts";
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
  assert.equal(
    await readSystemId(prefix, { machineIdFiles: [join(prefix, "no-machine-id")] }),
    "r_AbCdEf123456",
  );
});

Deno.test("readSystemId: derived from the machine id when no usable file is saved", async () => {
  const prefix = await tempDir();
  const machineId = join(prefix, "machine-id");
  await Deno.writeTextFile(machineId, `${MACHINE_ID}\n`);
  assert.equal(await readSystemId(prefix, { machineIdFiles: [machineId] }), EXPECTED);
  await Deno.writeTextFile(join(prefix, ".runner_system_id"), "  \n");
  assert.equal(await readSystemId(prefix, { machineIdFiles: [machineId] }), EXPECTED);
  await Deno.writeTextFile(join(prefix, ".runner_system_id"), "two words");
  assert.equal(await readSystemId(prefix, { machineIdFiles: [machineId] }), EXPECTED);
  assert.deepEqual([...Deno.readDirSync(prefix)].map((e) => e.name).sort(), [
    ".runner_system_id",
    "machine-id",
  ]);
});

Deno.test("readSystemId: undefined when nothing is available", async () => {
  const prefix = await tempDir();
  assert.equal(await readSystemId(prefix, { machineIdFiles: [join(prefix, "none")] }), undefined);
  await Deno.writeTextFile(join(prefix, "empty"), "\n");
  assert.equal(await readSystemId(prefix, { machineIdFiles: [join(prefix, "empty")] }), undefined);
  assert.equal(
    await readSystemId(join(prefix, "missing-dir"), { machineIdFiles: [prefix] }),
    undefined,
  );
});

Deno.test("readSystemId: only what gitlab-runner accepts; anything else warns, naming the file", async () => {
  const prefix = await tempDir();
  const machineId = join(prefix, "machine-id");
  await Deno.writeTextFile(machineId, `${MACHINE_ID}\n`);
  const warnings: string[] = [];
  const read = () =>
    readSystemId(prefix, { machineIdFiles: [machineId], warn: (m) => warnings.push(m) });
  for (const bad of ["host-1", "s_0123456789abc", "x_0123456789ab", "s_01234567-9ab"]) {
    await Deno.writeTextFile(join(prefix, ".runner_system_id"), bad);
    assert.equal(await read(), EXPECTED, bad);
  }
  assert.equal(warnings.length, 4);
  assert.match(warnings[0]!, /\.runner_system_id does not hold a system id gitlab-runner accepts/);
  await Deno.writeTextFile(join(prefix, ".runner_system_id"), "s_0123456789AB");
  assert.equal(await read(), "s_0123456789AB");
});

Deno.test("readSystemId: /var/lib/dbus/machine-id before /etc/machine-id; an empty readable one is no id", async () => {
  const prefix = await tempDir();
  const dbus = join(prefix, "dbus-machine-id");
  const etc = join(prefix, "etc-machine-id");
  await Deno.writeTextFile(etc, "ffffffffffffffffffffffffffffffff\n");
  await Deno.writeTextFile(dbus, `${MACHINE_ID}\n`);
  assert.equal(await readSystemId(prefix, { machineIdFiles: [dbus, etc] }), EXPECTED);
  await Deno.remove(dbus);
  assert.notEqual(await readSystemId(prefix, { machineIdFiles: [dbus, etc] }), EXPECTED);
  await Deno.writeTextFile(dbus, "\n");
  assert.equal(await readSystemId(prefix, { machineIdFiles: [dbus, etc] }), undefined);
  assert.deepEqual([...MACHINE_ID_FILES], ["/var/lib/dbus/machine-id", "/etc/machine-id"]);
});
