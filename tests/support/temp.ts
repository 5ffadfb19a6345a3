/**
 * The one temporary-directory helper of the tests.
 *
 * @module
 */

const created: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const dir of created) {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // Already gone (a test removed it itself).
    }
  }
});

/**
 * A fresh private directory (mode 0700) under the system temp dir, unique to this call, so test
 * files running in parallel never share a path. It is removed when the test file's process ends;
 * `label` only makes leftovers recognisable.
 */
export async function tempDir(label = "test"): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: `register-runner-${label}-` });
  await Deno.chmod(dir, 0o700);
  created.push(dir);
  return dir;
}
