/**
 * Stops a long-running program in steps, each logged with its duration, within a deadline: a step
 * that hangs is left behind, and at the deadline the process exits anyway — in Kubernetes it would
 * otherwise be SIGKILLed at the end of its grace period, without a word.
 */
export async function shutdown(
  steps: [name: string, run: () => Promise<unknown>][],
  options: { deadlineMs: number; log: (line: string) => void; why: string },
): Promise<void> {
  const started = Date.now();
  options.log(`${options.why}: stopping (deadline ${options.deadlineMs / 1000} s)`);
  const deadline = setTimeout(() => {
    options.log(`deadline of ${options.deadlineMs / 1000} s reached; exiting now`);
    process.exit(1);
  }, options.deadlineMs);
  deadline.unref();
  for (const [name, run] of steps) {
    const t0 = Date.now();
    const leftMs = options.deadlineMs - (t0 - started);
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
    options.log(`stopped ${name}: ${outcome} (${Date.now() - t0} ms)`);
  }
  clearTimeout(deadline);
  options.log(`stopped in ${Date.now() - started} ms`);
}
