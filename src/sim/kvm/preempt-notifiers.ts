import type { Host, KvmOps } from '../host/ports';
import { shrinkWindow } from './ple';
import { Activity, type Vcpu } from './vcpu';

/**
 * kvm_sched_out() (virt/kvm/kvm_main.c, the preempt notifier, every version modelled): a vCPU
 * thread that loses its pCPU while still runnable is `preempted` and `ready` — the candidates
 * kvm_vcpu_on_spin() looks for; one that blocks (HLT, pv_wait) is neither. The guest's CPL at that
 * moment is what kvm_arch_vcpu_in_kernel() later reports (our spin loops, critical sections and
 * handlers run in the guest kernel). The paper's strict boost marks every sched-out (`sched_outed`).
 * A spinner descheduled inside yield_to() has not left kvm_vcpu_on_spin() yet: it stays "in a spin
 * loop" until it runs again (see leaveSpinLoop).
 */
export function kvmSchedOut(h: Pick<Host, 'now'>, v: Vcpu, runnable: boolean): void {
  // Polling in kvm_vcpu_halt() ends when the task loses its pCPU (need_resched, throttling).
  if (v.polling) {
    v.pollNs += h.now - v.pollStartNs;
    v.polling = false;
  }
  if (runnable) {
    v.preempted = true;
    v.ready = true;
    v.preemptedInKernel = v.activity !== Activity.Compute || !v.userMode;
  }
  v.scheduledOut = true;
  if (v.inExit && v.inSpinLoop) v.descheduledInSpinLoop = true;
}

/**
 * kvm_sched_in(): `preempted` and `ready` clear; kvm_arch_sched_in() shrinks the PLE window
 * (arch/x86/kvm/vmx/vmx.c vmx_sched_in → shrink_ple_window; svm.c likewise), which with the
 * default shrink of 0 resets it to the base. The strict-boost patch clears `sched_outed` and
 * `ipi_received` here and on every VM entry (vmx_vcpu_run); a vCPU's entry after sched-in is the
 * only entry where its bits can be set, since only a scheduled-out or ready vCPU is marked. A
 * spinner descheduled inside yield_to() returns to kvm_vcpu_on_spin(), which ends its spin loop.
 */
export function kvmSchedIn(
  h: Pick<Host, 'ple'> & { readonly kvmOps: Pick<KvmOps, 'haltEnded'> },
  v: Vcpu,
): void {
  v.preempted = false;
  v.ready = false;
  v.pvUnhalted = false;
  v.scheduledOut = false;
  v.clearIpiMarks();
  if (v.descheduledInSpinLoop) {
    v.descheduledInSpinLoop = false;
    v.inSpinLoop = false;
    v.dyEligible = false;
  }
  // Back from kvm_vcpu_block(): kvm_vcpu_halt() adapts the poll window to this halt.
  h.kvmOps.haltEnded(v);
  const window = shrinkWindow(v.pleWindow, h.ple);
  if (window !== v.pleWindow) v.pleWindowUpdates++;
  v.pleWindow = window;
}
