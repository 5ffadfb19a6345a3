import assert from "node:assert/strict";
import { apiBaseOf, checkGitLabUrl, normalizeUrl } from "./url.ts";

Deno.test("normalizeUrl: lower-cases scheme and host, drops trailing slashes and default port", () => {
  assert.equal(normalizeUrl("HTTPS://GitLab.Example.COM/"), "https://gitlab.example.com");
  assert.equal(normalizeUrl("https://gitlab.example.com:443"), "https://gitlab.example.com");
  assert.equal(normalizeUrl("https://gitlab.example.com:8443/"), "https://gitlab.example.com:8443");
  assert.equal(normalizeUrl("https://example.com/GitLab//"), "https://example.com/GitLab");
  assert.equal(normalizeUrl(" http://example.com "), "http://example.com");
});

Deno.test("normalizeUrl: never throws on text that is not a URL", () => {
  assert.equal(normalizeUrl("HTTPS://Bad Host/x/"), "https://bad host/x");
  assert.equal(normalizeUrl("not a url/"), "not a url");
  assert.equal(normalizeUrl(""), "");
});

Deno.test("checkGitLabUrl: accepts base URLs, with or without a path", () => {
  for (
    const url of ["https://gitlab.example.com", "http://10.0.0.1:8080/", "https://x.example/gitlab"]
  ) {
    assert.equal(checkGitLabUrl(url), undefined, url);
  }
});

Deno.test("checkGitLabUrl: refuses what gitlab-runner or GitLab would not take", () => {
  const cases: [string, RegExp][] = [
    ["", /is empty/],
    ["gitlab.example.com", /not a valid URL/],
    ["ftp://gitlab.example.com", /must use https:\/\/ or http:\/\//],
    ["https://user:pw@gitlab.example.com", /user name or password/],
    ["https://gitlab.example.com/?private_token=x", /query/],
    ["https://gitlab.example.com/?", /query/],
    ["https://gitlab.example.com/#top", /fragment/],
    ["https://gitlab.example.com/api/v4/", /points at the API/],
    ["https://gitlab.example.com /", /whitespace/],
    ["https://${GITLAB_HOST}", /contains `\$`: gitlab-runner 18.10 and later expands/],
    ["https://gitlab.example.com/$PATH", /os.ExpandEnv/],
  ];
  for (const [url, expected] of cases) {
    assert.match(checkGitLabUrl(url)?.what ?? "ok", expected, url);
  }
});

Deno.test("apiBaseOf: appends /api/v4 once", () => {
  assert.equal(apiBaseOf("https://x.example/"), "https://x.example/api/v4");
  assert.equal(apiBaseOf("https://x.example/gitlab"), "https://x.example/gitlab/api/v4");
});
