import { HostEvent } from '../host/host-event';
import type { Host } from '../host/ports';
import { ThreadState } from '../host/thread';
import { growWindow, windowNs } from './ple';
import { Activity, type Vcpu } from './vcpu';

/** handle_pause(): grow the window, then kvm_vcpu_on_spin(); back in the guest the loop restarts. */
export function pleExit(h: Host, v: Vcpu): void {
  h.guestOps.accountGuest(v);
  v.pleExits++;
  const grown = growWindow(v.pleWindow, h.ple);
  if (grown !== v.pleWindow) v.pleWindowUpdates++;
  v.pleWindow = grown;
  const gen = v.guestGen;
  v.inExit = true;
  // PLE fires only at CPL 0, so VMX asks for a kernel-mode candidate; our spin loops are in the kernel on SVM too.
  h.kvm.onSpin(h, v, true);
  v.inExit = false;
  if (v.guestGen !== gen || v.thread.state !== ThreadState.Running) return;
  if (v.activity === Activity.SpinLock && h.guestOps.tryTakeLock(v)) return;
  if (v.activity === Activity.SpinMutex) {
    // Back in mutex_spin_on_owner(): the owner released it or (with the hint) is seen preempted.
    const owner = h.vms[v.vm]!.mutexOwner[v.mutex]!;
    if (owner === -1 || (h.vms[v.vm]!.work.pv.preemptedHint && h.vcpus[owner]!.preempted)) {
      h.guestOps.tryMutex(v);
      return;
    }
  }
  if (v.activity === Activity.SpinIpi && v.roundPending === 0) {
    h.guestOps.completeRound(v);
    return;
  }
  armPauseLoop(h, v, h.ple.exitCostNs);
}

/**
 * A spinning vCPU (re)enters its PAUSE loop: it exits when a whole window of PAUSEs passes
 * without another VM exit. The count restarts at every VM entry — Intel SDM vol. 3C, "Instructions
 * That Cause VM Exits Conditionally", PAUSE: the first PAUSE at CPL 0 after VM entry is the first
 * of a loop; SVM reloads the pause filter count from the VMCB at VMRUN — so a later arming
 * replaces an earlier one (the queue keeps only the newest due time).
 */
export function armPauseLoop(h: Host, v: Vcpu, afterNs = 0): void {
  if (!h.ple.enabled) return;
  v.pleDueNs = h.now + afterNs + windowNs(v.pleWindow, h.ple);
  h.queue.push(v.pleDueNs, HostEvent.Ple, v.id, v.guestGen);
}

/**
 * The host's scheduler tick interrupts the pCPU (KVM runs guests with external-interrupt exiting):
 * a vCPU spinning there exits and re-enters, and its PAUSE loop count starts again. A window
 * longer than the tick period therefore never expires; the spinner runs on until it is descheduled.
 */
export function tickExit(h: Host, v: Vcpu): void {
  if (v.spinning && !v.inExit) armPauseLoop(h, v, h.ple.exitCostNs);
}

/** Whether some vCPU waits for `v`: it holds (or was handed) a lock others spin for, or owes IPI handlers. */
export function waitedOn(h: Host, v: Vcpu): boolean {
  if (v.handlerQueue.length > 0) return true;
  if (
    v.mutex >= 0 &&
    h.vms[v.vm]!.mutexOwner[v.mutex] === v.id &&
    h.vms[v.vm]!.mutexWaiters[v.mutex]!.length > 0
  )
    return true;
  if (v.lock < 0) return false;
  const vm = h.vms[v.vm]!;
  return vm.lockHolder[v.lock] === v.id && vm.lockWaiters[v.lock]!.length > 0;
}

/** Whether `spinner` waits for `other`: the holder of its lock, or a receiver of its IPI round. */
export function waitsFor(h: Host, spinner: Vcpu, other: Vcpu): boolean {
  if (spinner.activity === Activity.SpinLock) return h.vms[spinner.vm]!.lockHolder[spinner.lock] === other.id;
  if (spinner.activity === Activity.SpinIpi) return other.handlerQueue.includes(spinner.id);
  if (spinner.activity === Activity.SpinMutex)
    return h.vms[spinner.vm]!.mutexOwner[spinner.mutex] === other.id;
  return false;
}
