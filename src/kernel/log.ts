/**
 * The stderr logger: plain text for people, `--log-format json` for log shippers, and syslog
 * priority prefixes (`<4>`) when running under systemd (`JOURNAL_STREAM` set) so journald shows
 * levels. Fields must never carry secrets; {@link Secret} values print as `[redacted]` anyway.
 *
 * @module
 */

import type { LogFields, Logger, LogLevel } from "./env.ts";

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const SYSLOG: Record<LogLevel, number> = { debug: 7, info: 6, warn: 4, error: 3 };

/** How the logger formats lines. */
export interface LoggerOptions {
  /** Lowest level written. */
  level: LogLevel;
  format: "text" | "json";
  /** Prefix text lines with `<N>` syslog priorities (journald). */
  journald: boolean;
  /** Writes one line (without the newline). */
  write(line: string): void;
  /** Timestamp source for JSON lines. */
  now(): Date;
}

/** Creates a logger. */
export function createLogger(options: LoggerOptions): Logger {
  const log = (level: LogLevel, message: string, fields?: LogFields) => {
    if (ORDER[level] < ORDER[options.level]) return;
    options.write(formatLine(level, message, fields, options));
  };
  return {
    debug: (m, f) => log("debug", m, f),
    info: (m, f) => log("info", m, f),
    warn: (m, f) => log("warn", m, f),
    error: (m, f) => log("error", m, f),
  };
}

/** Formats one log line. */
export function formatLine(
  level: LogLevel,
  message: string,
  fields: LogFields | undefined,
  options: Pick<LoggerOptions, "format" | "journald" | "now">,
): string {
  const defined = Object.entries(fields ?? {}).filter(([, v]) => v !== undefined);
  if (options.format === "json") {
    return JSON.stringify({
      time: options.now().toISOString(),
      level,
      msg: message,
      ...Object.fromEntries(defined),
    });
  }
  const suffix = defined.map(([k, v]) => ` ${k}=${quote(String(v))}`).join("");
  const prefix = `${options.journald ? `<${SYSLOG[level]}>` : ""}${level}: `;
  // A message of several lines keeps the level on each; the fields end the first.
  const [first, ...rest] = message.split("\n");
  return [`${prefix}${first}${suffix}`, ...rest.map((l) => `${prefix}  ${l}`.trimEnd())].join("\n");
}

function quote(value: string): string {
  return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
}

/**
 * A multi-line block for stderr (an error report): in text format each line carries the
 * journald priority prefix when `journald` is set; in JSON format it is one line holding
 * `record`'s message and fields instead of the text.
 */
export function formatBlock(
  level: LogLevel,
  text: string,
  record: { message: string; fields: LogFields },
  options: Pick<LoggerOptions, "format" | "journald" | "now">,
): string {
  if (options.format === "json") return formatLine(level, record.message, record.fields, options);
  if (!options.journald) return text;
  return text.split("\n").map((line) => `<${SYSLOG[level]}>${line}`).join("\n");
}
