import type { RunQueue } from '../host/runqueue';
import type { Thread } from '../host/thread';
import { CfsScheduler } from './cfs';

/**
 * The paper's debooster (Ishiguro et al., VEE 2021, patch 1 to kernel/sched/fair.c
 * yield_to_task_fair, Linux 5.6): when spinner and target share a cfs_rq and the target is more
 * than wakeup_gran ahead, the spinner's vruntime rises to target − wakeup_gran(target), so CFS's
 * pick honours the next buddy. The spinner pays for the boost; the VM gets no extra CPU.
 */
export class CfsWithDebooster extends CfsScheduler {
  override readonly name = 'cfs-5.6+debooster';

  protected override afterNextBuddy(
    spinnerRq: RunQueue,
    spinner: Thread,
    targetRq: RunQueue,
    target: Thread,
  ): void {
    if (spinnerRq !== targetRq) return;
    const gran = this.wakeupGranularityNs;
    if (target.vruntime - spinner.vruntime > gran) spinner.vruntime = target.vruntime - gran;
  }
}
