/**
 * Runs the fake GitLab on its own, for demos and manual testing:
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 tests/support/fake_gitlab/main.ts [--port N] [--latency-ms N]
 *   [--gitlab-version X.Y] [--allow-registration-token] [--expose-token] [--token-expires-in S]
 * ```
 *
 * Prints the URL and the seeded fake tokens, then serves until SIGINT or SIGTERM.
 *
 * @module
 */

import { type FakeGitLabOptions, optionsForVersion, startFakeGitLab } from "./server.ts";

const USAGE = `usage: main.ts [--port N] [--latency-ms N] [--gitlab-version X.Y]
               [--allow-registration-token] [--expose-token] [--token-expires-in SECONDS]`;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  Deno.exit(2);
}

/** Parses the command line into server options. */
export function parseArgs(args: readonly string[]): FakeGitLabOptions {
  const options: FakeGitLabOptions = {};
  const number = (flag: string, value: string | undefined): number => {
    const n = Number(value);
    if (value === undefined || !Number.isInteger(n) || n < 0) fail(`${flag} needs a number`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    switch (flag) {
      case "--port":
        options.port = number(flag, args[++i]);
        break;
      case "--latency-ms":
        options.latencyMs = number(flag, args[++i]);
        break;
      case "--token-expires-in":
        options.tokenExpiresInSeconds = number(flag, args[++i]);
        break;
      case "--gitlab-version": {
        const version = args[++i];
        if (version === undefined) fail("--gitlab-version needs a version");
        Object.assign(options, optionsForVersion(version));
        break;
      }
      case "--allow-registration-token":
        options.allowRegistrationToken = true;
        break;
      case "--expose-token":
        options.exposeTokenInDetails = true;
        break;
      case "--help":
      case "-h":
        console.log(USAGE);
        Deno.exit(0);
        break;
      default:
        fail(`unknown argument: ${flag}`);
    }
  }
  return options;
}

if (import.meta.main) {
  const gitlab = await startFakeGitLab(parseArgs(Deno.args));
  const { tokens } = gitlab;
  // A demo tool: printing the fake secrets is the point of this banner.
  console.log(`fake GitLab ${gitlab.options.gitlabVersion} listening on ${gitlab.url}
  API:                       ${gitlab.apiUrl}
  admin PAT (api):           ${tokens.adminPat}
  user PAT (api, non-admin): ${tokens.userPat}
  read-only PAT (read_api):  ${tokens.readOnlyPat}
  create_runner PAT:         ${tokens.createRunnerPat}
  registration token:        ${tokens.registrationToken} (registration ${
    gitlab.options.allowRegistrationToken ? "allowed" : "disabled: 410"
  })
Press Ctrl-C to stop.`);
  const stop = async () => {
    await gitlab.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
