/**
 * Loading and validating register-runner's inputs: the template, the executor files, the existing
 * config.toml and the host's system id. Every bad input is an `InputError` naming the file, key and
 * line, with a hint; secrets never appear in messages.
 *
 * @module
 */

export { type LoadedSite, loadSite, type LoadSiteOptions, problemOf } from "./site.ts";
export { loadLocalConfig, parseLocalConfig } from "./local_config.ts";
export { isTornToml } from "./torn_toml.ts";
export { readSystemId } from "./system_id.ts";
export { normalizeUrl } from "./url.ts";
export { InputErrors } from "./problems.ts";
