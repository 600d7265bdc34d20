/**
 * Each node's analyses, one after another and in order. One that fails (the broker away while
 * publishing) is tried again `retryMs` later, behind whatever was queued meanwhile, for as long
 * as `stillWanted` says — its samples stay uncommitted until then, so nothing is lost.
 */
export class WindowQueue {
  private readonly chains = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(
    private readonly onFailure: (node: string, err: Error) => void,
    private readonly retryMs = 5_000,
  ) {}

  enqueue(node: string, run: () => Promise<void>, stillWanted: () => boolean): void {
    const chain = this.settled(node)
      .then(run)
      .catch((err: Error) => {
        this.onFailure(node, err);
        setTimeout(() => {
          if (!this.stopped && stillWanted()) this.enqueue(node, run, stillWanted);
        }, this.retryMs).unref();
      });
    this.chains.set(node, chain);
  }

  /** Resolves when every analysis queued for the node so far has finished (or failed). */
  settled(node: string): Promise<void> {
    return this.chains.get(node) ?? Promise.resolve();
  }

  /** Every node's queue (to wait for at shutdown). */
  all(): Promise<void>[] {
    return [...this.chains.values()];
  }

  forget(node: string): void {
    this.chains.delete(node);
  }

  /** No more retries. */
  stop(): void {
    this.stopped = true;
  }
}
