import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { writeAll } from "../../cli/io.js";

describe("writeAll", () => {
  it("waits for a full stream to drain before the next piece, and leaves no listener behind", async () => {
    const written: string[] = [];
    let waiting = 0;
    const stream = Object.assign(new EventEmitter(), {
      write(piece: string): boolean {
        written.push(piece);
        waiting++;
        setImmediate(() => {
          waiting--;
          stream.emit("drain");
        });
        return false; // always full: every piece waits
      },
    });
    const pieces = Array.from({ length: 50 }, (_, i) => `p${i}`);
    let seenWaiting = 0;
    const done = writeAll(stream, (function* () {
      for (const p of pieces) {
        seenWaiting = Math.max(seenWaiting, waiting);
        yield p;
      }
    })());
    await done;
    expect(written).toEqual(pieces);
    expect(seenWaiting).toBe(0); // no piece was written while another was still queued
    expect(stream.listenerCount("drain") + stream.listenerCount("close") + stream.listenerCount("error")).toBe(0);
  });

  it("writes straight through to a plain writer", async () => {
    let out = "";
    await writeAll({ write: (s: string) => (out += s) }, ["a", "b"]);
    expect(out).toBe("ab");
  });
});
