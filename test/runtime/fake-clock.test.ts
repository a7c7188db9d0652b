import { describe, expect, it } from "vitest";
import { FakeClock } from "../../runtime/fake-clock.js";

describe("FakeClock construction", () => {
  it.each([
    ["no argument", undefined, 0],
    ["a start time", 1_700_000_000_000, 1_700_000_000_000],
    ["options with start", { start: 42 }, 42],
    ["options without start", { auto: true }, 0],
  ] as const)("starts at the given time: %s", (_, arg, expected) => {
    expect(new FakeClock(arg).now()).toBe(expected);
  });

  it("refuses a non-finite start", () => {
    expect(() => new FakeClock(Number.NaN)).toThrow(RangeError);
  });
});

describe("FakeClock manual mode", () => {
  it("fires due timers in deadline order and stops time at the target", async () => {
    const clock = new FakeClock();
    const fired: [string, number][] = [];
    for (const [name, ms] of [["c", 300], ["a", 100], ["b", 200], ["late", 1000]] as const) {
      void clock.sleep(ms).then(() => fired.push([name, clock.now()]));
    }
    expect(clock.pending()).toBe(4);
    await clock.advance(500);
    expect(fired).toEqual([["a", 100], ["b", 200], ["c", 300]]);
    expect(clock.now()).toBe(500);
    expect(clock.pending()).toBe(1);
  });

  it("fires timers with the same deadline in registration order", async () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    for (let i = 0; i < 5; i++) void clock.sleep(10).then(() => fired.push(i));
    await clock.advance(10);
    expect(fired).toEqual([0, 1, 2, 3, 4]);
  });

  it("lets chains of sleeps progress within one advance", async () => {
    const clock = new FakeClock();
    const seen: number[] = [];
    const chain = (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(10);
        seen.push(clock.now());
      }
    })();
    await clock.advance(30);
    await chain;
    expect(seen).toEqual([10, 20, 30]);
  });

  it("sees a sleep set after a few awaits by code started just before advance", async () => {
    const clock = new FakeClock();
    let done = false;
    void (async () => {
      await Promise.resolve();
      await Promise.resolve();
      await clock.sleep(5);
      done = true;
    })();
    await clock.advance(5);
    expect(done).toBe(true);
  });

  it("fires sleep(0) and negative sleeps on advance(0), not synchronously", async () => {
    const clock = new FakeClock(100);
    let fired = 0;
    void clock.sleep(0).then(() => fired++);
    void clock.sleep(-5).then(() => fired++);
    await Promise.resolve();
    expect(fired).toBe(0);
    await clock.advance(0);
    expect(fired).toBe(2);
    expect(clock.now()).toBe(100);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])("refuses advance(%s)", async (ms) => {
    await expect(new FakeClock().advance(ms)).rejects.toThrow(RangeError);
  });

  it("runAll advances to each timer until none remain", async () => {
    const clock = new FakeClock();
    const chain = (async () => {
      await clock.sleep(1000);
      await clock.sleep(2000);
      return clock.now();
    })();
    void clock.sleep(500);
    await clock.runAll();
    expect(clock.pending()).toBe(0);
    expect(clock.now()).toBe(3000);
    await expect(chain).resolves.toBe(3000);
  });

  it("runAll throws on a runaway loop instead of hanging", async () => {
    const clock = new FakeClock();
    const stop = new AbortController();
    const loop = (async () => {
      for (;;) await clock.sleep(1, stop.signal);
    })();
    await expect(clock.runAll(100)).rejects.toThrow(/more than 100 timers/);
    stop.abort(new Error("stop"));
    await expect(loop).rejects.toThrow("stop");
  });
});

describe("FakeClock abort", () => {
  it.each([
    ["manual", false],
    ["auto", true],
  ] as const)("%s: aborting rejects with the reason and removes the timer", async (_, auto) => {
    const clock = new FakeClock({ auto });
    const controller = new AbortController();
    const sleeping = clock.sleep(1000, controller.signal);
    expect(clock.pending()).toBe(1);
    const reason = new Error("cancelled");
    controller.abort(reason);
    await expect(sleeping).rejects.toBe(reason);
    expect(clock.pending()).toBe(0);
    expect(clock.now()).toBe(0);
  });

  it("rejects at once, setting no timer, when the signal is already aborted", async () => {
    const clock = new FakeClock();
    const reason = new Error("already");
    await expect(clock.sleep(10, AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(clock.pending()).toBe(0);
  });

  it("a sleep that fired no longer listens to its signal", async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(10, controller.signal);
    await clock.advance(10);
    controller.abort();
    await expect(sleeping).resolves.toBeUndefined();
  });
});

describe("FakeClock auto mode", () => {
  it("runs sequential sleeps at once while time moves as if it had waited", async () => {
    const clock = new FakeClock({ auto: true, start: 1000 });
    for (let i = 0; i < 3; i++) await clock.sleep(60_000);
    expect(clock.now()).toBe(181_000);
    expect(clock.pending()).toBe(0);
  });

  it("overlaps concurrent sleeps and wakes them in deadline order", async () => {
    const clock = new FakeClock({ auto: true });
    const order: string[] = [];
    await Promise.all([
      clock.sleep(500).then(() => order.push(`a@${clock.now()}`)),
      clock.sleep(100).then(() => order.push(`b@${clock.now()}`)),
      clock.sleep(500).then(() => order.push(`c@${clock.now()}`)),
    ]);
    expect(order).toEqual(["b@100", "a@500", "c@500"]);
    expect(clock.now()).toBe(500);
  });

  it("lets a woken sleeper's shorter sleep run before a longer one set earlier", async () => {
    const clock = new FakeClock({ auto: true });
    const order: number[] = [];
    await Promise.all([
      clock.sleep(1000).then(() => order.push(clock.now())),
      (async () => {
        await clock.sleep(100);
        await clock.sleep(100);
        order.push(clock.now());
      })(),
    ]);
    expect(order).toEqual([200, 1000]);
  });

  it("gets through two thousand sleeps quickly", async () => {
    const clock = new FakeClock({ auto: true });
    for (let i = 0; i < 2_000; i++) await clock.sleep(1);
    expect(clock.now()).toBe(2_000);
  });
});
