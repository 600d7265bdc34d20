import { dyRunnable, eligibleForDirectedYield, type IcrWrite, type SpinHost } from './directed-yield';
import { StockOnSpin56 } from './stock-5-6';
import type { Vcpu } from './vcpu';

/**
 * The paper's strict boost (Ishiguro et al., VEE 2021), as posted to kvm@vger.kernel.org: "[RFC
 * PATCH 2/2] Boost vCPUs based on IPI-sender and receiver information", 2021-04-22,
 * <20210421150831.60133-3-kentaishiguro@sslab.ics.keio.ac.jp>, on kvm_vcpu_on_spin() of 5.12.
 * Candidates are judged by who is waiting for them. In the candidate loop, after `ready` and
 * `vcpu == me`: a non-preempted candidate (woken from halt, not yet run) without the spinner's bit
 * gets the bit and is skipped — so a vCPU merely woken from halt is not boosted (fixes overboost);
 * a candidate preempted in user mode without the bit likewise gets it and is skipped, and passes
 * the next time (fixes the lost opportunity). Where KERNEL.md says the user-mode branch only
 * checks the bit, the patch sets it there too; the patch wins.
 */
export class StrictBoostOnSpin extends StockOnSpin56 {
  override readonly name = 'kvm-5.6+strict-boost';
  override readonly watchesIcrWrites = true;

  protected override candidate(host: SpinHost, me: Vcpu, v: Vcpu, yieldToKernelMode: boolean): boolean {
    if (v === me) return false;
    const holdsMyBit = v.ipiReceived[me.index] === 1;
    if (!v.ready) return this.reject(host, me, v);
    const userMode = v.preempted && yieldToKernelMode && !v.preemptedInKernel;
    if ((!v.preempted || userMode) && !holdsMyBit) {
      v.markIpiFrom(me.index);
      return this.reject(host, me, v);
    }
    if (v.halted && !dyRunnable(v)) return this.reject(host, me, v);
    if (!eligibleForDirectedYield(v)) return this.reject(host, me, v);
    return true;
  }

  /**
   * mark_ipi_receiver() in kvm_apic_send_ipi() (arch/x86/kvm/lapic.c): the patch marks one vCPU
   * per ICR write, kvm_get_vcpu_by_id(kvm, irq->dest_id), setting the sender's bit if it is
   * scheduled out. That is the receiver only for a physical-mode write (dest_id is its APIC ID,
   * the vCPU id QEMU gives it; the model takes a vCPU's index for both). In x2APIC cluster mode —
   * a Linux guest's default under QEMU, whose FADT forces the cluster model, not physical
   * destination mode — dest_id is (cluster << 16) | a bitmap of the cluster's targets, so the
   * vCPU whose id equals that number is marked (to vCPU 2 alone, bitmap 0b100: vCPU 4), or none;
   * the RFC dereferences the lookup without a NULL check (Sean Christopherson's review of
   * 2021-04-21 asks for one), the model marks nothing. A shorthand write (all-but-self) carries
   * dest_id 0: vCPU 0 is marked. The sender's bit is `1 << vcpu_id` in int arithmetic (the review
   * notes it goes wrong past 32 vCPUs); the model keeps one flag per sender.
   */
  override onIcrWrite(host: SpinHost, sender: Vcpu, write: IcrWrite): void {
    const marked = host.vcpusOf(sender.vm)[write.destId];
    if (marked?.scheduledOut) marked.markIpiFrom(sender.index);
  }
}
