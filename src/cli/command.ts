// The shape of one `fmalab` subcommand. Each lives in src/cli/commands/<name>.ts and is loaded lazily,
// so `fmalab --help` stays fast and a command's heavy imports (tfjs, jsdom) load only when it runs.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "../util/errors";

export interface CliCommand {
  name: string;
  /** One line for `fmalab --help`. */
  summary: string;
  /** Full usage text for `fmalab <name> --help`. */
  usage: string;
  /** Runs the command; resolves to the process exit status. */
  run(argv: string[]): Promise<number>;
}

type OptionValue<O> = O extends { type: "boolean" }
  ? O extends { multiple: true } ? boolean[] : boolean
  : O extends { multiple: true } ? string[] : string;

/**
 * The parsed option values: present when the option has a default, optional otherwise. Spelled out here
 * (rather than inferred from util.parseArgs) because tslab emits declarations for every module a notebook
 * imports, and @types/node's own result type cannot be named outside "util".
 */
export type CommandValues<T> = { [K in keyof T as T[K] extends { default: unknown } ? K : never]: OptionValue<T[K]> } & {
  [K in keyof T as T[K] extends { default: unknown } ? never : K]?: OptionValue<T[K]>;
};

/** parseArgs with strict checking, turning its errors into a UsageError that shows the usage. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig["options"]>>(
  argv: string[],
  options: T,
  usage: string,
  allowPositionals = false,
): { values: CommandValues<T>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: argv, options, strict: true, allowPositionals });
    return parsed as unknown as { values: CommandValues<T>; positionals: string[] };
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${usage}`);
  }
}

/** Parse a positive integer option, naming the option in the error. */
export function intOption(value: string | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}
