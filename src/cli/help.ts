/**
 * `--help`, `help COMMAND` and `COMMAND --help` texts, generated from the definitions in
 * `spec.ts`.
 *
 * @module
 */

import {
  type Command,
  COMMAND_SPECS,
  commandSpec,
  ENVIRONMENT,
  EXIT_CODES,
  OPTIONS,
  optionsFor,
  type OptionSpec,
} from "./spec.ts";

/** Width help lines wrap at. */
const WIDTH = 96;
/** Column where option and environment descriptions start. */
const OPTION_COLUMN = 29;
/** Column where command summaries start. */
const COMMAND_COLUMN = 41;

/** `-p, --prefix DIR` or `    --strict`, as help and the man page show an option. */
export function optionLabel(option: OptionSpec): string {
  const long = `--${option.name}${option.arg ? ` ${option.arg}` : ""}`;
  return option.short ? `-${option.short}, ${long}` : `    ${long}`;
}

/** Word-wraps `text` to lines of at most `width - indent` characters after the indent. */
function wrap(text: string, indent: number, firstColumn: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (const word of paragraph.split(" ")) {
      const column = lines.length === 0 ? firstColumn : indent;
      if (line !== "" && column + line.length + 1 + word.length > WIDTH) {
        lines.push(line);
        line = word;
      } else {
        line = line === "" ? word : `${line} ${word}`;
      }
    }
    lines.push(line);
  }
  return lines;
}

/** A two-column entry: the label, then the text at `column` (on the next line if it is long). */
function entry(label: string, text: string, column: number): string[] {
  const pad = " ".repeat(column);
  const body = wrap(text, column, column);
  if (label.length + 1 > column) return [label, ...body.map((l) => pad + l)];
  return [label.padEnd(column) + body[0], ...body.slice(1).map((l) => pad + l)];
}

function optionLines(options: readonly OptionSpec[]): string[] {
  return options.flatMap((o) => entry(`  ${optionLabel(o)}`, o.help, OPTION_COLUMN));
}

function exitLines(codes: readonly { code: number; meaning: string }[]): string[] {
  return codes.flatMap(({ code, meaning }) => {
    const [first, ...rest] = meaning.split("\n");
    return [`  ${String(code).padEnd(2)} ${first}`, ...rest.map((l) => `     ${l}`)];
  });
}

/** What an exit code means for one command. */
export function exitMeaning(command: Command, code: number): string {
  const note = commandSpec(command).exitNotes?.[code];
  if (note !== undefined) return note;
  if (code === 2) return "wrong command-line usage";
  return EXIT_CODES.find((e) => e.code === code)!.meaning;
}

/** The exit codes of one command with their meaning for it. */
export function exitCodesOf(command: Command): { code: number; meaning: string }[] {
  return commandSpec(command).exitCodes.map((code) => ({
    code,
    meaning: exitMeaning(command, code),
  }));
}

/** The global help: every command, option, environment variable and exit code. */
export function globalHelp(): string {
  const usage = COMMAND_SPECS.flatMap((c) =>
    entry(`  register-runner ${c.usage}`, c.summary, COMMAND_COLUMN)
  );
  usage.push(
    ...entry(
      "  register-runner help [COMMAND]",
      "show one command's options and exit codes",
      COMMAND_COLUMN,
    ),
  );
  return [
    "register-runner: make GitLab and gitlab-runner's config.toml agree for this host.",
    "",
    "Usage:",
    ...usage,
    "",
    COMMAND_SPECS.flatMap((c) => c.description).join("\n\n"),
    "",
    "Options:",
    ...optionLines(OPTIONS),
    "",
    "Environment:",
    ...ENVIRONMENT.flatMap((e) => entry(`  ${e.name}`, e.help, OPTION_COLUMN)),
    "",
    "Exit codes:",
    ...exitLines(EXIT_CODES),
    "",
  ].join("\n");
}

/** One command's help: usage, description, its options and its exit codes. */
export function commandHelp(command: Command): string {
  const spec = commandSpec(command);
  return [
    `register-runner ${command}: ${spec.summary.replaceAll("\n", " ")}`,
    "",
    "Usage:",
    `  register-runner ${spec.usage}`,
    "",
    spec.description.join("\n\n"),
    "",
    "Options:",
    ...optionLines(optionsFor(command)),
    "",
    "Exit codes:",
    ...exitLines(exitCodesOf(command)),
    "",
    "register-runner --help lists every command; man register-runner has the files and examples.",
    "",
  ].join("\n");
}

/** The help for `help [COMMAND]` or `[COMMAND] --help`: a command's, or the global one. */
export function helpText(command: Command | undefined): string {
  return command === undefined ? globalHelp() : commandHelp(command);
}
