/**
 * What every loader needs: where the inputs are, the environment, whether to check permissions,
 * and where to put problems and warnings.
 *
 * @module
 */

import type { RuntimeEnv } from "../kernel/env.ts";
import type { Problems } from "./problems.ts";

/** Shared state of one `loadSite` run. */
export interface LoadContext {
  /** Absolute prefix directory. */
  prefix: string;
  instance: string;
  env: RuntimeEnv;
  /** Refuse group- or world-accessible inputs (on by default). */
  checkPermissions: boolean;
  /** Validation problems found so far (reported together at the end). */
  problems: Problems;
  /** Warnings for the user (unknown keys…), in the order found. */
  warnings: string[];
}
