// Errors that name what is wrong and where. The CLI prints `message` without a stack trace.

/** A problem with an input file: names the file and, when known, the line and column. */
export class InputError extends Error {
  readonly file: string;
  readonly line?: number;
  readonly column?: string | number;
  constructor(file: string, problem: string, where: { line?: number; column?: string | number } = {}) {
    const loc = [
      where.line !== undefined ? `line ${where.line}` : null,
      where.column !== undefined ? `column ${where.column}` : null,
    ].filter((x) => x !== null);
    super(`${file}${loc.length ? ` (${loc.join(", ")})` : ""}: ${problem}`);
    this.name = "InputError";
    this.file = file;
    this.line = where.line;
    this.column = where.column;
  }
}

/** A user-facing error (bad option, missing data) whose message says what to do. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
