/**
 * Group commit: items offered while a send is in flight go together in the next one, so many
 * analyses closing at once cost a few produce requests, not one round trip each. Every caller's
 * promise settles when the send that carried its item does.
 */
export class GroupSend<T> {
  private queue: { item: T; resolve: () => void; reject: (err: Error) => void }[] = [];
  private running: Promise<void> | null = null;

  constructor(private readonly send: (items: T[]) => Promise<void>) {}

  add(item: T): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.queue.push({ item, resolve, reject }));
    this.running ??= this.drain();
    return done;
  }

  private async drain(): Promise<void> {
    // Let every item offered in this turn of the event loop join the first send.
    await new Promise((r) => setImmediate(r));
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        await this.send(batch.map((b) => b.item));
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err as Error);
      }
    }
    this.running = null;
  }
}
