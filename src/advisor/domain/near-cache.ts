import { LruCache } from './model-cache';

/**
 * The newest few entries under each key, found by closeness rather than by equality: the fleet's
 * models of one node shape, or its replays of one prediction family, looked through for one close
 * enough to stand for a new window or fit wherever the bins of its exact key fall.
 */
export class NearCache<T> {
  private readonly lists = new LruCache<T[]>();

  constructor(private readonly perKey: number) {}

  /** The newest entry under `key` that `close` accepts. */
  find(key: string, close: (entry: T) => boolean): T | undefined {
    return this.lists.peek(key)?.find(close);
  }

  add(key: string, entry: T): void {
    const others = this.lists.peek(key) ?? [];
    this.lists.set(key, [entry, ...others.slice(0, this.perKey - 1)]);
  }
}
