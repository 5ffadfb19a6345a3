/**
 * The `group` and `project` keys of a `client_configs` entry: which group's or project's runners
 * that GitLab's executor files are. A full path (`"team/sub"`) or a numeric id; at most one of the
 * two; only with a personal (or group or project) access token, since nothing can be listed,
 * resolved or checked without one.
 *
 * @module
 */

import type { ConfiguredScope } from "../kernel/model.ts";
import type { LoadContext } from "./context.ts";
import type { KeyPath } from "./key_lines.ts";
import type { TomlDoc } from "./toml_file.ts";
import { describeValue } from "./values.ts";

/** One path segment of a GitLab namespace or project (`Gitlab::PathRegex`, loosely). */
const SEGMENT = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;

/** Validates `group` / `project` of `client_configs[index]`; problems go to `ctx.problems`. */
export function clientScope(
  doc: TomlDoc,
  path: KeyPath,
  table: Record<string, unknown>,
  ctx: LoadContext,
): ConfiguredScope | undefined {
  const group = table.group;
  const project = table.project;
  if (group !== undefined && project !== undefined) {
    ctx.problems.add(doc.error(
      [...path, "project"],
      "is set together with `group`; an entry manages one group's or one project's runners",
      "Keep one of them. For runners of both, use two prefixes (or instances).",
    ));
    return undefined;
  }
  if (group === undefined && project === undefined) return undefined;
  const kind = group !== undefined ? "group" : "project";
  const value = group ?? project;
  const ref = scopeRef(doc, [...path, kind], kind, value, ctx);
  if (ref === undefined) return undefined;
  if (table.personal_access_token === undefined && table.personal_access_token_file === undefined) {
    ctx.problems.add(doc.error(
      [...path, kind],
      `needs a personal_access_token (or _file): ${kind} runners are created, listed and ` +
        "checked with an access token, never with a registration token",
      `Set personal_access_token_file to a file holding a ${
        kind === "group"
          ? "group access token (role Owner)"
          : "project access token (role Maintainer)"
      } with the scopes create_runner, manage_runner and read_api (README, "Least privilege").`,
    ));
    return undefined;
  }
  return { kind, ref };
}

function scopeRef(
  doc: TomlDoc,
  at: KeyPath,
  kind: "group" | "project",
  value: unknown,
  ctx: LoadContext,
): string | number | undefined {
  const example = kind === "group"
    ? 'Write the group\'s full path, e.g. group = "hpc/cluster-a", or its numeric id.'
    : 'Write the project\'s full path, e.g. project = "hpc/cluster-a/ci", or its numeric id.';
  if (typeof value === "bigint" || typeof value === "number") {
    const n = Number(value);
    if (Number.isSafeInteger(n) && n > 0) return n;
    ctx.problems.add(doc.error(at, `must be a positive id, not ${String(value)}`, example));
    return undefined;
  }
  if (typeof value !== "string") {
    ctx.problems.add(
      doc.error(at, `must be a string or an integer, not ${describeValue(value)}`, example),
    );
    return undefined;
  }
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    ctx.problems.add(doc.error(
      at,
      `is the string "${text}"; an id is written as a number`,
      `Write ${kind} = ${text} (without quotes), or the full path.`,
    ));
    return undefined;
  }
  const segments = text.split("/");
  const minimum = kind === "project" ? 2 : 1;
  if (segments.length < minimum || !segments.every((s) => SEGMENT.test(s)) || text.length > 2000) {
    ctx.problems.add(doc.error(
      at,
      `"${text.slice(0, 200)}" is not a ${kind} path` +
        (kind === "project" ? " (namespace/project)" : ""),
      example + " No leading or trailing slash, no URL.",
    ));
    return undefined;
  }
  return text;
}
