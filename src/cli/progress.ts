import type { CliIo } from './cli-error';

/** How often a progress line is written when stderr is not a terminal. */
const LINE_EVERY_MS = 5_000;
/** Runs shorter than this show no progress at all. */
const QUIET_FOR_MS = 1_000;

/**
 * Progress of a long run on stderr: nothing for the first second, then a bar redrawn in place on
 * a terminal, or a line every few seconds elsewhere (CI logs, pipes). `quiet` silences it.
 */
export class Progress {
  private readonly startedMs = Date.now();
  private lastLineMs = 0;
  private drawn = false;

  constructor(
    private readonly io: CliIo,
    private readonly label: string,
    private readonly total: number,
    private readonly unit: string,
    private readonly quiet = false,
  ) {}

  update(done: number): void {
    if (this.quiet) return;
    const now = Date.now();
    const elapsedMs = now - this.startedMs;
    if (elapsedMs < QUIET_FOR_MS && done < this.total) return;
    if (!this.drawn && done >= this.total && elapsedMs < QUIET_FOR_MS) return;
    const text = `${this.label}: ${done}/${this.total} ${this.unit}, ${(elapsedMs / 1000).toFixed(0)} s`;
    if (this.io.errIsTty) {
      const width = 24;
      const filled = Math.round((Math.min(done, this.total) / Math.max(1, this.total)) * width);
      this.io.err(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\x1b[K`);
      this.drawn = true;
      if (done >= this.total) this.io.err('\n');
      return;
    }
    if (done >= this.total || now - this.lastLineMs >= LINE_EVERY_MS) {
      this.lastLineMs = now;
      this.drawn = true;
      this.io.err(`${text}\n`);
    }
  }

  /** Ends a bar left open by a run that stopped early. */
  end(): void {
    if (this.drawn && this.io.errIsTty) this.io.err('\n');
    this.drawn = false;
  }
}
