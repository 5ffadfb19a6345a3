/**
 * register-runner's version, shown by `--version` and written in the config header. Its one
 * source is the `version` field of `deno.json` (embedded by `deno compile`); packages and the
 * compile script read it from there too.
 *
 * @module
 */

import denoJson from "../../deno.json" with { type: "json" };

/** register-runner's version, from `deno.json`. */
export const VERSION: string = denoJson.version;
