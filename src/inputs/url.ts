/**
 * GitLab URLs: validation of the `url` keys and the normal form used to compare them.
 *
 * @module
 */

/**
 * The form of a GitLab URL used to compare URLs: scheme and host lower-cased (default port
 * dropped), trailing slashes removed, e.g. `HTTPS://GitLab.Example.com/` → `https://gitlab.example.com`.
 * Never throws; text that is not a URL is only trimmed of spaces and trailing slashes.
 */
export function normalizeUrl(url: string): string {
  const trimmed = url.trim();
  try {
    const parsed = new URL(trimmed);
    return `${parsed.protocol}//${parsed.host}${
      parsed.pathname.replace(/\/+$/, "")
    }${parsed.search}`;
  } catch {
    const match = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*)(.*)$/s.exec(trimmed);
    if (match === null) return trimmed.replace(/\/+$/, "");
    return `${(match[1] ?? "").toLowerCase()}${(match[2] ?? "").replace(/\/+$/, "")}`;
  }
}

/** The REST API base for a GitLab URL: `${url without trailing slash}/api/v4`. */
export function apiBaseOf(url: string): string {
  return `${url.replace(/\/+$/, "")}/api/v4`;
}

/** What is wrong with a GitLab URL, and how to fix it. */
export interface UrlProblem {
  what: string;
  hint: string;
}

const EXAMPLE = 'Write the GitLab base URL, e.g. url = "https://gitlab.example.com".';

/**
 * Checks a GitLab base URL: http or https, a host, no credentials, query, fragment or
 * whitespace, and not the API path. Returns undefined when it is fine.
 */
export function checkGitLabUrl(url: string): UrlProblem | undefined {
  if (url === "") return { what: "is empty", hint: EXAMPLE };
  if (/\s/.test(url)) return { what: "contains whitespace", hint: EXAMPLE };
  if (url.includes("$")) {
    return {
      what: "contains `$`: gitlab-runner 18.10 and later expands $NAME and ${NAME} in a " +
        "runner's url with Go's os.ExpandEnv (common/config.go; an unset variable becomes empty " +
        "and `$$` is no escape), so it would talk to another address than register-runner",
      hint: "Write the URL literally, without `$`.",
    };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { what: `"${url.slice(0, 200)}" is not a valid URL`, hint: EXAMPLE };
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    return { what: `must use https:// or http://, not ${parsed.protocol}//`, hint: EXAMPLE };
  }
  if (parsed.hostname === "") return { what: "has no host name", hint: EXAMPLE };
  if (parsed.username !== "" || parsed.password !== "") {
    return {
      what: "must not contain a user name or password",
      hint: "Remove them from the URL; put the token in personal_access_token_file.",
    };
  }
  if (parsed.search !== "" || url.includes("?")) {
    return { what: "must not contain a query (?…)", hint: EXAMPLE };
  }
  if (parsed.hash !== "" || url.includes("#")) {
    return { what: "must not contain a fragment (#…)", hint: EXAMPLE };
  }
  if (/\/api\/v4\/*$/.test(parsed.pathname)) {
    return {
      what: "points at the API (/api/v4); it must be GitLab's base URL",
      hint: `Remove /api/v4 from the URL. ${EXAMPLE}`,
    };
  }
  return undefined;
}
