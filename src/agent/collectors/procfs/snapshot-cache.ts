/**
 * What procfs says once in a process's or thread's life, remembered between snapshots: whether a
 * thread is a vCPU (its `comm`), what a QEMU's command line says. Keys carry the process's
 * identity (pid and start time), so a new QEMU that gets an old one's pid starts afresh; an
 * entry not used in the latest snapshot is forgotten, so the cache never outgrows the node.
 */
export class SnapshotCache<V> {
  private previous = new Map<string, V>();
  private current = new Map<string, V>();

  get(key: string): V | undefined {
    const value = this.current.get(key) ?? this.previous.get(key);
    if (value !== undefined) this.current.set(key, value);
    return value;
  }

  set(key: string, value: V): void {
    this.current.set(key, value);
  }

  /** Ends a snapshot: what it did not use is forgotten. */
  endSnapshot(): void {
    this.previous = this.current;
    this.current = new Map();
  }

  get size(): number {
    return this.previous.size;
  }
}
