import {
  dyRunnable,
  eligibleForDirectedYield,
  leaveSpinLoop,
  YieldResult,
  type IcrWrite,
  type SpinHost,
} from './directed-yield';
import { StockOnSpin619 } from './stock-6-13';
import type { Vcpu } from './vcpu';

/** ipi_window_ns, the module parameter's default: an IPI older than 50 ms no longer counts. */
const IPI_WINDOW_NS = 50_000_000;

/**
 * The KVM half of the semantics-aware series, v1 (Wanpeng Li, 2025-11-10): "[PATCH 06/10]" fixes
 * last_boosted_vcpu (as 32bd348be3fa does upstream: StockOnSpin619), "[PATCH 07/10]" and
 * "[PATCH 08/10]" track IPIs, "[PATCH 09/10]" ranks candidates, "[PATCH 10/10]" adds a relaxed
 * second round (enable_relaxed_boost, default on).
 * - kvm_irq_delivery_to_apic(): a fixed, no-shorthand IPI delivered to exactly one vCPU records
 *   sender → receiver with a timestamp and sets the sender's pending_ipi.
 * - kvm_clear_ipi_on_eoi(), on the EOI paths that exit (a trapped APIC_EOI write, or the
 *   EOI-induced exit of APICv, which an edge IPI does not take): clears the receiver's whole
 *   context, and the sender's pending flag when the sender's last receiver is this vCPU and the
 *   IPI is within the window.
 * - kvm_vcpu_is_good_yield_candidate(), after the loop's ready / self / halted checks: the
 *   spinner's pending, recent IPI receiver; else a posted interrupt pending
 *   (kvm_arch_dy_has_pending_interrupt); else only a preempted vCPU, and for a kernel-mode spin
 *   only one preempted in kernel mode — so a vCPU merely woken from halt is no longer boosted.
 * - Round 2, when round 1 yielded nothing: every preempted vCPU, in user mode too. `try` is not
 *   reset between rounds (`yielded` is): after three -ESRCH in round 1 the count is below zero
 *   and `!--try` never ends round 2 early.
 */
export class IpiAwareOnSpin extends StockOnSpin619 {
  override readonly name = 'kvm-semantics-aware-v1';
  override readonly watchesIcrWrites = true;

  override onSpin(host: SpinHost, me: Vcpu, yieldToKernelMode: boolean): void {
    me.inSpinLoop = true;
    const budget = { tries: 3 };
    if (this.scan(host, me, yieldToKernelMode, 1, budget) !== YieldResult.Boosted)
      this.scan(host, me, yieldToKernelMode, 2, budget);
    leaveSpinLoop(me);
  }

  protected override accepts(
    host: SpinHost,
    me: Vcpu,
    v: Vcpu,
    yieldToKernelMode: boolean,
    round: number,
  ): boolean {
    if (v === me) return false;
    if (!v.ready) return this.reject(host, me, v);
    if (v.halted && !dyRunnable(v)) return this.reject(host, me, v);
    const good = round === 1 ? this.goodCandidate(host, me, v, yieldToKernelMode) : v.preempted;
    if (!good) return this.reject(host, me, v);
    if (!eligibleForDirectedYield(v)) return this.reject(host, me, v);
    return true;
  }

  /** kvm_vcpu_is_good_yield_candidate() (v1 "[PATCH 09/10]"). */
  private goodCandidate(host: SpinHost, me: Vcpu, v: Vcpu, yieldToKernelMode: boolean): boolean {
    if (me.ipiPending && me.lastIpiReceiver === v.index && host.now - me.ipiSentNs <= IPI_WINDOW_NS)
      return true;
    if (host.postedInterrupts && v.pendingInterrupt) return true;
    if (!v.preempted) return false;
    return !yieldToKernelMode || v.preemptedInKernel;
  }

  /**
   * kvm_track_ipi_communication() from kvm_irq_delivery_to_apic() (v1 "[PATCH 08/10]"): a fixed
   * IPI without shorthand that reached exactly one vCPU, not the sender — in either destination
   * mode, since it counts the vCPUs delivered to.
   */
  override onIcrWrite(host: SpinHost, sender: Vcpu, write: IcrWrite): void {
    const receiver = write.receivers[0];
    if (write.shorthand || write.receivers.length !== 1 || !receiver || receiver === sender) return;
    sender.lastIpiReceiver = receiver.index;
    sender.ipiPending = true;
    sender.ipiSentNs = host.now;
    receiver.lastIpiSender = sender.index;
  }

  /** kvm_clear_ipi_on_eoi(). */
  override onEoi(host: SpinHost, receiver: Vcpu, trapped: boolean): void {
    if (!trapped) return;
    const senderIndex = receiver.lastIpiSender;
    receiver.ipiPending = false;
    receiver.lastIpiSender = -1;
    receiver.lastIpiReceiver = -1;
    if (senderIndex < 0) return;
    const sender = host.vcpusOf(receiver.vm)[senderIndex]!;
    if (sender.lastIpiReceiver === receiver.index && host.now - sender.ipiSentNs <= IPI_WINDOW_NS)
      sender.ipiPending = false;
  }
}
