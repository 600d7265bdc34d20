/**
 * Which threads of a QEMU process are vCPUs (index) and which are not (null), remembered between
 * snapshots so a thread's `comm` is read once in its life. Keyed by the process's identity (pid
 * and start time) and the thread id, so a new QEMU that gets an old one's pid starts afresh, and
 * bounded by the threads seen in the latest snapshot: a thread not seen again is forgotten.
 */
export class VcpuThreadCache {
  private previous = new Map<string, number | null>();
  private current = new Map<string, number | null>();

  get(key: string): number | null | undefined {
    const index = this.current.get(key) ?? this.previous.get(key);
    if (index !== undefined) this.current.set(key, index);
    return index;
  }

  set(key: string, index: number | null): void {
    this.current.set(key, index);
  }

  /** Ends a snapshot: what it did not see is forgotten. */
  endSnapshot(): void {
    this.previous = this.current;
    this.current = new Map();
  }

  get size(): number {
    return this.previous.size;
  }
}
