import { HostEvent } from '../host/host-event';
import type { HostModel } from '../host/host-model';
import { ThreadState } from '../host/thread';
import { growWindow, windowNs } from './ple';
import { Activity, type Vcpu } from './vcpu';

/** handle_pause(): grow the window, then kvm_vcpu_on_spin(); back in the guest the loop restarts. */
export function pleExit(h: HostModel, v: Vcpu): void {
  h.accountGuest(v);
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
  if (v.activity === Activity.SpinLock && h.tryTakeLock(v)) return;
  if (v.activity === Activity.SpinIpi && v.roundPending === 0) {
    h.completeRound(v);
    return;
  }
  h.queue.push(h.now + h.ple.exitCostNs + windowNs(v.pleWindow, h.ple), HostEvent.Ple, v.id, v.guestGen);
}

/** Whether some vCPU waits for `v`: it holds (or was handed) a lock others spin for, or owes IPI handlers. */
export function waitedOn(h: HostModel, v: Vcpu): boolean {
  if (v.handlerQueue.length > 0) return true;
  if (v.lock < 0) return false;
  const vm = h.vms[v.vm]!;
  return vm.lockHolder[v.lock] === v.id && vm.lockWaiters[v.lock]!.length > 0;
}

/** Whether `spinner` waits for `other`: the holder of its lock, or a receiver of its IPI round. */
export function waitsFor(h: HostModel, spinner: Vcpu, other: Vcpu): boolean {
  if (spinner.activity === Activity.SpinLock) return h.vms[spinner.vm]!.lockHolder[spinner.lock] === other.id;
  if (spinner.activity === Activity.SpinIpi) return other.handlerQueue.includes(spinner.id);
  return false;
}
