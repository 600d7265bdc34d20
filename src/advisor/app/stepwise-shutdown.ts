/**
 * Stops a long-running program in steps, each logged with its duration, within a deadline: a step
 * that hangs is left behind, and — when the process is ending anyway (a signal) — at the deadline
 * it exits: in Kubernetes it would otherwise be SIGKILLed at the end of its grace period, without
 * a word.
 */
export class StepwiseShutdown {
  private readonly startedMs = Date.now();
  private readonly deadline: NodeJS.Timeout | null;

  constructor(
    private readonly options: {
      deadlineMs: number;
      log: (line: string) => void;
      why: string;
      exitAtDeadline: boolean;
    },
  ) {
    options.log(`${options.why}: stopping (deadline ${options.deadlineMs / 1000} s)`);
    this.deadline = options.exitAtDeadline
      ? setTimeout(() => {
          options.log(`deadline of ${options.deadlineMs / 1000} s reached; exiting now`);
          process.exit(1);
        }, options.deadlineMs).unref()
      : null;
  }

  /** Runs one step, for at most the time left before the deadline. */
  async step(name: string, run: () => Promise<unknown>): Promise<void> {
    const t0 = Date.now();
    const leftMs = Math.max(0, this.options.deadlineMs - (t0 - this.startedMs));
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      run().then(
        () => 'done',
        (err: Error) => `failed: ${err.message}`,
      ),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve('still running at the deadline; left behind'), leftMs);
      }),
    ]);
    clearTimeout(timer);
    this.options.log(`stopped ${name}: ${outcome} (${Date.now() - t0} ms)`);
  }

  done(): void {
    if (this.deadline) clearTimeout(this.deadline);
    this.options.log(`stopped in ${Date.now() - this.startedMs} ms`);
  }
}
