// The one progress utility: done/total, rate, ETA and extra fields (failures, loss...). On a TTY it redraws one
// line; elsewhere (CI, `npm start | tee log`, notebooks) it prints a plain line at most every `logEveryMs`
// (5 s) when work advances, and a heartbeat timer prints the line again when nothing advanced, so there is a
// line at least every 1.5 × logEveryMs (7.5 s) even while one item takes long (an epoch's first batch, a
// notebook's first cell). Silent with `silent`, or process-wide with --quiet (setQuiet → FMALAB_QUIET=1,
// which child processes inherit).

export interface ProgressOptions {
  total: number;
  label: string;
  /** Unit shown after the rate, e.g. "clips" or "B" (bytes are formatted as KiB/MiB). */
  unit?: string;
  stream?: NodeJS.WriteStream | { write(s: string): boolean; isTTY?: boolean };
  logEveryMs?: number;
  /** Start value (for resumed work): counts toward done but not toward the rate. */
  initial?: number;
  /** No output. Default: the process-wide --quiet (isQuiet()); `false` does not override --quiet. */
  silent?: boolean;
  /** Milliseconds clock (default Date.now); tests pass a fake one. */
  clock?: () => number;
  /** Timer functions for the heartbeat (default the global setInterval/clearInterval); tests pass fakes. */
  timers?: ProgressTimers;
  /**
   * Heartbeat period (default logEveryMs / 2 on a non-TTY stream, so lines are at most 1.5 × logEveryMs
   * apart; 1000 ms on a TTY, to keep the elapsed time moving); 0 turns it off.
   */
  heartbeatMs?: number;
  /** Stop the heartbeat after this long without any tick/update (default 15 min): an abandoned bar goes quiet. */
  idleStopMs?: number;
}

export interface ProgressTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** The environment variable the CLI uses to hand --quiet to the processes it starts (read there, not here). */
export const QUIET_ENV = "FMALAB_QUIET";

let quiet = false;

/** Whether --quiet is in force for this process (set by the edge: src/cli/main.ts). */
export function isQuiet(): boolean {
  return quiet;
}

/** Turn progress output and notices off (or on) for this process. */
export function setQuiet(on: boolean): void {
  quiet = on;
}

const DEFAULT_TIMERS: ProgressTimers = {
  setInterval(fn, ms) {
    const h = setInterval(fn, ms);
    // Never keeps the process alive.
    if (typeof (h as { unref?: () => void }).unref === "function") (h as { unref: () => void }).unref();
    return h;
  },
  clearInterval(handle) {
    clearInterval(handle as ReturnType<typeof setInterval>);
  },
};

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, "0");
  const ss = String(sec).padStart(2, "0");
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export class ProgressBar {
  readonly total: number;
  private done: number;
  private readonly initial: number;
  private readonly now: () => number;
  private readonly started: number;
  private lastLog = -Infinity;
  private lastActivity: number;
  private fields: Record<string, string | number> = {};
  private readonly opts: {
    label: string;
    unit: string;
    stream: NonNullable<ProgressOptions["stream"]>;
    logEveryMs: number;
    silent: boolean;
    idleStopMs: number;
  };
  private finished = false;
  private readonly timers: ProgressTimers;
  private heartbeat: unknown = null;

  constructor(opts: ProgressOptions) {
    this.total = opts.total;
    this.initial = opts.initial ?? 0;
    this.done = this.initial;
    this.now = opts.clock ?? Date.now;
    this.started = this.now();
    this.lastActivity = this.started;
    this.timers = opts.timers ?? DEFAULT_TIMERS;
    this.opts = {
      label: opts.label,
      unit: opts.unit ?? "",
      stream: opts.stream ?? process.stderr,
      logEveryMs: opts.logEveryMs ?? 5000,
      silent: opts.silent === true || isQuiet(),
      idleStopMs: opts.idleStopMs ?? 15 * 60_000,
    };
    const tty = Boolean(this.opts.stream.isTTY);
    const every = opts.heartbeatMs ?? (tty ? 1000 : this.opts.logEveryMs / 2);
    if (!this.opts.silent && every > 0) this.heartbeat = this.timers.setInterval(() => this.beat(), every);
  }

  /** The heartbeat: redraw (TTY) or print the line when due, even if nothing advanced. */
  private beat(): void {
    if (this.finished) return this.stopHeartbeat();
    if (this.now() - this.lastActivity > this.opts.idleStopMs) return this.stopHeartbeat();
    this.render(false);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== null) this.timers.clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  /** Advance by `n` and set extra fields shown after the rate. */
  tick(n = 1, fields?: Record<string, string | number>): void {
    this.done += n;
    this.lastActivity = this.now();
    if (fields) Object.assign(this.fields, fields);
    this.render(false);
  }

  /** Set the absolute position (e.g. bytes received). */
  update(done: number, fields?: Record<string, string | number>): void {
    this.done = done;
    this.lastActivity = this.now();
    if (fields) Object.assign(this.fields, fields);
    this.render(false);
  }

  setFields(fields: Record<string, string | number>): void {
    Object.assign(this.fields, fields);
    this.lastActivity = this.now();
  }

  get value(): number {
    return this.done;
  }

  /** Items per second since start, counting only work done in this run. */
  rate(): number {
    const elapsed = (this.now() - this.started) / 1000;
    return elapsed > 0 ? (this.done - this.initial) / elapsed : 0;
  }

  line(): string {
    const { label, unit } = this.opts;
    const total = this.total;
    const frac = total > 0 ? Math.min(1, this.done / total) : 1;
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = "█".repeat(filled) + "░".repeat(width - filled);
    const rate = this.rate();
    const eta = this.done >= total ? 0 : rate > 0 ? (total - this.done) / rate : Infinity;
    const isBytes = unit === "B";
    const count = isBytes ? `${formatBytes(this.done)}/${formatBytes(total)}` : `${this.done}/${total}`;
    const rateText = isBytes ? `${formatBytes(rate)}/s` : `${rate.toFixed(rate < 10 ? 2 : 1)} ${unit}/s`.trim();
    const extra = Object.entries(this.fields)
      .map(([k, v]) => `${k}=${typeof v === "number" ? (Number.isInteger(v) ? v : v.toFixed(4)) : v}`)
      .join(" ");
    const elapsed = formatDuration((this.now() - this.started) / 1000);
    return `${label} ${bar} ${(frac * 100).toFixed(1).padStart(5)}% ${count} | ${rateText} | ${elapsed}<${formatDuration(eta)}${extra ? " | " + extra : ""}`;
  }

  private render(force: boolean): void {
    if (this.opts.silent || this.finished) return;
    const now = this.now();
    const tty = Boolean(this.opts.stream.isTTY);
    if (tty) {
      if (!force && now - this.lastLog < 100) return;
      this.lastLog = now;
      this.opts.stream.write("\r\x1b[2K" + this.line());
    } else {
      if (!force && now - this.lastLog < this.opts.logEveryMs) return;
      this.lastLog = now;
      this.opts.stream.write(this.line() + "\n");
    }
  }

  /** Draw the final state and end the line. */
  finish(fields?: Record<string, string | number>): void {
    if (this.finished) return;
    if (fields) Object.assign(this.fields, fields);
    this.render(true);
    if (!this.opts.silent && this.opts.stream.isTTY) this.opts.stream.write("\n");
    this.finished = true;
    this.stopHeartbeat();
  }

  /** End without drawing the final state (e.g. on an error); stops the heartbeat. */
  stop(): void {
    if (!this.finished && !this.opts.silent && this.opts.stream.isTTY && this.lastLog > -Infinity) this.opts.stream.write("\n");
    this.finished = true;
    this.stopHeartbeat();
  }
}

/**
 * A status line without a count (e.g. "4 tasks: 1 pending, 2 running …"): redrawn in place on a TTY,
 * otherwise printed as a plain line when its text (before " · ") changes and at least every `everyMs`
 * (10 s) when update() is called. Silent under --quiet.
 */
export class ProgressLines {
  private last = "";
  private lastAt = 0;
  constructor(
    private readonly stream: { write(s: string): boolean; isTTY?: boolean } = process.stderr,
    private readonly everyMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}
  update(line: string): void {
    if (isQuiet()) return;
    const now = this.now();
    if (this.stream.isTTY) {
      this.stream.write(`\r\x1b[K${line}`);
    } else if (line.replace(/ · .*$/, "") !== this.last.replace(/ · .*$/, "") || now - this.lastAt >= this.everyMs) {
      this.stream.write(line + "\n");
      this.lastAt = now;
    }
    this.last = line;
  }
  finish(): void {
    if (!isQuiet() && this.stream.isTTY && this.last) this.stream.write("\n");
  }
}
