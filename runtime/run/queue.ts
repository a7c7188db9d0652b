/**
 * A bounded single-producer, single-consumer queue: the producer waits when it is full, so a fast
 * reader cannot pile up pages in memory while the writer is slow.
 */
export class BoundedQueue<T> {
  private readonly items: T[] = [];
  private closed = false;
  private failure: { error: unknown } | undefined;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;

  constructor(private readonly capacity: number) {}

  /** Queues `item`, waiting while the queue is full. False when the queue was closed: stop producing. */
  async push(item: T): Promise<boolean> {
    while (this.items.length >= this.capacity && !this.closed) {
      await new Promise<void>((resolve) => (this.wakeProducer = resolve));
    }
    if (this.closed) return false;
    this.items.push(item);
    this.wake("consumer");
    return true;
  }

  /** No more items; the consumer drains what is queued and then ends. */
  close(): void {
    this.closed = true;
    this.wake("consumer");
    this.wake("producer");
  }

  /** The producer failed: the consumer throws this after the queued items. */
  fail(error: unknown): void {
    this.failure = { error };
    this.close();
  }

  /** Stops the producer early (the consumer gave up). */
  cancel(): void {
    this.items.length = 0;
    this.close();
  }

  async *drain(): AsyncGenerator<T> {
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) {
        this.wake("producer");
        yield item;
        continue;
      }
      if (this.closed) {
        if (this.failure) throw this.failure.error;
        return;
      }
      await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
    }
  }

  private wake(who: "consumer" | "producer"): void {
    const fn = who === "consumer" ? this.wakeConsumer : this.wakeProducer;
    if (who === "consumer") this.wakeConsumer = undefined;
    else this.wakeProducer = undefined;
    fn?.();
  }
}
