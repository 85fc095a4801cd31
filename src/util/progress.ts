// A terminal progress bar: done/total, rate, ETA and extra fields (failures, loss...). On a TTY it
// redraws one line; elsewhere (CI, notebooks, logs) it prints a line at most every `logEveryMs`.

export interface ProgressOptions {
  total: number;
  label: string;
  /** Unit shown after the rate, e.g. "clips" or "B" (bytes are formatted as KiB/MiB). */
  unit?: string;
  stream?: NodeJS.WriteStream | { write(s: string): boolean; isTTY?: boolean };
  logEveryMs?: number;
  /** Start value (for resumed work): counts toward done but not toward the rate. */
  initial?: number;
  silent?: boolean;
}

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
  private readonly started = Date.now();
  private lastLog = 0;
  private fields: Record<string, string | number> = {};
  private readonly opts: Required<Omit<ProgressOptions, "stream" | "initial">> & {
    stream: NonNullable<ProgressOptions["stream"]>;
  };
  private finished = false;

  constructor(opts: ProgressOptions) {
    this.total = opts.total;
    this.initial = opts.initial ?? 0;
    this.done = this.initial;
    this.opts = {
      total: opts.total,
      label: opts.label,
      unit: opts.unit ?? "",
      stream: opts.stream ?? process.stderr,
      logEveryMs: opts.logEveryMs ?? 5000,
      silent: opts.silent ?? false,
    };
  }

  /** Advance by `n` and set extra fields shown after the rate. */
  tick(n = 1, fields?: Record<string, string | number>): void {
    this.done += n;
    if (fields) Object.assign(this.fields, fields);
    this.render(false);
  }

  /** Set the absolute position (e.g. bytes received). */
  update(done: number, fields?: Record<string, string | number>): void {
    this.done = done;
    if (fields) Object.assign(this.fields, fields);
    this.render(false);
  }

  setFields(fields: Record<string, string | number>): void {
    Object.assign(this.fields, fields);
  }

  get value(): number {
    return this.done;
  }

  /** Items per second since start, counting only work done in this run. */
  rate(): number {
    const elapsed = (Date.now() - this.started) / 1000;
    return elapsed > 0 ? (this.done - this.initial) / elapsed : 0;
  }

  line(): string {
    const { total, label, unit } = this.opts;
    const frac = total > 0 ? Math.min(1, this.done / total) : 1;
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = "█".repeat(filled) + "░".repeat(width - filled);
    const rate = this.rate();
    const eta = rate > 0 ? (total - this.done) / rate : Infinity;
    const isBytes = unit === "B";
    const count = isBytes ? `${formatBytes(this.done)}/${formatBytes(total)}` : `${this.done}/${total}`;
    const rateText = isBytes ? `${formatBytes(rate)}/s` : `${rate.toFixed(rate < 10 ? 2 : 1)} ${unit}/s`.trim();
    const extra = Object.entries(this.fields)
      .map(([k, v]) => `${k}=${typeof v === "number" ? (Number.isInteger(v) ? v : v.toFixed(4)) : v}`)
      .join(" ");
    const elapsed = formatDuration((Date.now() - this.started) / 1000);
    return `${label} ${bar} ${(frac * 100).toFixed(1).padStart(5)}% ${count} | ${rateText} | ${elapsed}<${formatDuration(eta)}${extra ? " | " + extra : ""}`;
  }

  private render(force: boolean): void {
    if (this.opts.silent || this.finished) return;
    const now = Date.now();
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
    if (fields) Object.assign(this.fields, fields);
    this.render(true);
    if (!this.opts.silent && this.opts.stream.isTTY) this.opts.stream.write("\n");
    this.finished = true;
  }
}
