// The shared progress utility without a TTY: a fake clock and fake timers drive it, and a non-TTY stream
// records the lines with the (fake) time they were written. Checks what `npm start | tee log` shows: a plain
// line (done/total, rate, ETA) at least every 10 s, also while one item takes long, nothing with --quiet.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { ProgressBar, isQuiet, setQuiet, type ProgressTimers } from "../../src/util/progress";

/** A fake clock with interval timers that fire as the clock advances. */
function fakeTime() {
  let now = 0;
  const timers: Array<{ id: number; fn: () => void; every: number; next: number }> = [];
  let nextId = 1;
  const api: ProgressTimers = {
    setInterval(fn, ms) {
      const t = { id: nextId++, fn, every: ms, next: now + ms };
      timers.push(t);
      return t.id;
    },
    clearInterval(handle) {
      const i = timers.findIndex((t) => t.id === handle);
      if (i >= 0) timers.splice(i, 1);
    },
  };
  /** Advance to `t` ms, firing due timers in time order. */
  const advanceTo = (t: number) => {
    for (;;) {
      const due = timers.filter((x) => x.next <= t).sort((a, b) => a.next - b.next)[0];
      if (!due) break;
      now = due.next;
      due.next += due.every;
      due.fn();
    }
    now = t;
  };
  return { clock: () => now, timers: api, advanceTo, active: () => timers.length };
}

function recorder(clock: () => number) {
  const lines: Array<{ at: number; text: string }> = [];
  const stream = {
    isTTY: false,
    write(s: string) {
      for (const text of s.split("\n").filter((l) => l.length > 0)) lines.push({ at: clock(), text });
      return true;
    },
  };
  return { stream, lines };
}

test("non-TTY: plain lines with done/total, rate and ETA, never more than 10 s apart, even across a slow item", () => {
  const time = fakeTime();
  const out = recorder(time.clock);
  const bar = new ProgressBar({ total: 10, label: "synth clips", unit: "clips", stream: out.stream, clock: time.clock, timers: time.timers, silent: false });
  // Items 1–4 every 2 s, then one item that takes 40 s, then the rest every second.
  const ticks = [2000, 4000, 6000, 8000, 48000, 49000, 50000, 51000, 52000, 53000];
  for (const at of ticks) {
    time.advanceTo(at);
    bar.tick(1);
  }
  bar.finish();
  assert.equal(time.active(), 0, "the heartbeat stops at finish");
  const texts = out.lines.map((l) => l.text);
  assert.ok(texts.every((t) => !t.includes("\r") && !t.includes("\x1b")), "no terminal control codes");
  assert.match(texts[0], /^synth clips .* 1\/10 \| 0\.50 clips\/s \| 00:02<00:18$/);
  // During the 40 s item the heartbeat repeats the line (same count, the rate falling, ETA growing).
  const during = out.lines.filter((l) => l.at > 8000 && l.at < 48000);
  assert.ok(during.length >= 4, `heartbeat lines during the slow item: ${during.length}`);
  assert.ok(during.every((l) => / 4\/10 \| /.test(l.text)));
  assert.match(texts[texts.length - 1], /10\/10 \| 0\.19 clips\/s \| 00:53<00:00$/);
  const times = [0, ...out.lines.map((l) => l.at)];
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  assert.ok(Math.max(...gaps) <= 10_000, `largest gap ${Math.max(...gaps)} ms (lines at ${times.join(", ")})`);
  // Throttled: not a line per tick when ticks are frequent (5 s apart at most once per 5 s).
  const closeTogether = gaps.slice(1).filter((g) => g < 5000).length;
  assert.ok(closeTogether <= 1, `lines closer than 5 s: ${closeTogether} (only the final line may be)`);
});

test("non-TTY heartbeat: one line per 5–7.5 s while nothing advances; stops after idleStopMs", () => {
  const time = fakeTime();
  const out = recorder(time.clock);
  const bar = new ProgressBar({ total: 3, label: "notebook 03", unit: "cells", stream: out.stream, clock: time.clock, timers: time.timers, silent: false, idleStopMs: 60_000 });
  time.advanceTo(30_000);
  assert.deepEqual(
    out.lines.map((l) => l.at),
    [2500, 7500, 12500, 17500, 22500, 27500],
  );
  assert.match(out.lines[0].text, /0\/3 \| 0\.00 cells\/s \| 00:03<--:--$/);
  time.advanceTo(120_000);
  assert.equal(time.active(), 0, "an abandoned bar stops its heartbeat");
  const n = out.lines.length;
  time.advanceTo(200_000);
  assert.equal(out.lines.length, n);
  bar.finish();
});

test("--quiet (setQuiet; the CLI hands it on as FMALAB_QUIET=1): no output, no timer; silent: false does not override it", () => {
  const time = fakeTime();
  const out = recorder(time.clock);
  assert.equal(isQuiet(), false);
  setQuiet(true);
  try {
    assert.equal(isQuiet(), true);
    const bar = new ProgressBar({ total: 5, label: "x", stream: out.stream, clock: time.clock, timers: time.timers, silent: false });
    assert.equal(time.active(), 0);
    for (let i = 0; i < 5; i++) {
      time.advanceTo((i + 1) * 6000);
      bar.tick();
    }
    bar.finish();
    assert.deepEqual(out.lines, []);
  } finally {
    setQuiet(false);
  }
  assert.equal(isQuiet(), false);
});

test("TTY: redraws one line in place, the heartbeat keeps the elapsed time moving", () => {
  const time = fakeTime();
  const writes: string[] = [];
  const stream = { isTTY: true, write: (s: string) => (writes.push(s), true) };
  const bar = new ProgressBar({ total: 2, label: "epoch 1/6", unit: "batch", stream, clock: time.clock, timers: time.timers, silent: false });
  time.advanceTo(3000);
  bar.tick();
  time.advanceTo(6500);
  bar.finish();
  assert.ok(writes.length >= 4);
  assert.ok(writes.slice(0, -1).every((w) => w.startsWith("\r\x1b[2K")));
  assert.equal(writes[writes.length - 1], "\n");
});
