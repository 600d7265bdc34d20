/**
 * The kernel changes that decide how a host handles vCPU spinning, each with the mainline release
 * that brought it and every stable point release known to carry it. A model is chosen by the
 * features a release has, not by its mainline number: a current 6.12 LTS node is not a 6.6-era host.
 *
 * Sources, read for this table: the upstream commits named below; the stable review series on
 * stable@vger.kernel.org that list each backport (the first point release of a series is given;
 * every later one carries it). `modelled: false` marks changes the models do not reproduce yet:
 * they are reported, so an operator sees what the prediction leaves out.
 */
export type FeatureId =
  | 'ready-boost'
  | 'queue-head-boost'
  | 'undercommit-bailout'
  | 'halt-poll-shrink'
  | 'pv-wait-early'
  | 'semantics-aware'
  | 'eevdf'
  | 'pi-boost'
  | 'on-spin-single-loop'
  | 'pick-buddy'
  | 'yield-forfeit'
  | 'last-boosted-fix'
  | 'delay-dequeue'
  | 'slice-protection'
  | 'task-based-throttle'
  | 'base-slice-0.70';

/** A stable series (major, minor) whose point releases from `from` on carry a backport. */
export interface StableBackport {
  series: [number, number];
  from: number;
  evidence: string;
}

export interface KernelFeature {
  id: FeatureId;
  title: string;
  /** The mainline release that first has it; null for a patch series not merged. */
  mainline: [number, number] | null;
  /** The mainline release that reverted it, if any. */
  reverted?: [number, number];
  /**
   * Whose kernel carries it: the host's (placed by `uname -r`), or the guest's (pvqspinlock
   * lives in the guest: a case or a what-if sets it, a host release never implies it).
   */
  side: 'host' | 'guest';
  /** Upstream commit (12 hex digits) and subject, or `unread: …` when the commit was not read here. */
  commit: string;
  /** What it changes for a spinning vCPU. */
  effect: string;
  stable: readonly StableBackport[];
  modelled: boolean;
}

export const KERNEL_FEATURES: readonly KernelFeature[] = [
  {
    id: 'ready-boost',
    title: 'vcpu->ready: vCPUs woken or receiving interrupts are directed-yield candidates',
    mainline: [5, 3],
    side: 'host',
    commit: 'd73eb57b80b9 KVM: Boost vCPUs that are delivering interrupts',
    effect:
      'kvm_vcpu_wake_up sets ready, and kvm_vcpu_on_spin takes ready vCPUs where it took only preempted ones: an IPI receiver just woken can be boosted',
    stable: [],
    modelled: true,
  },
  {
    id: 'queue-head-boost',
    title: 'the unlocker yields to the PV-spinlock waiter it kicks',
    mainline: [5, 3],
    side: 'host',
    commit: '266e85a5ec91 KVM: X86: Boost queue head vCPU to mitigate lock waiter preemption',
    effect:
      'KVM_HC_KICK_CPU calls kvm_sched_yield(a1) after kvm_pv_kick_cpu_op, and kvm_sched_yield yields only to a `ready` target: the kicked queue head (woken, so ready) runs in the unlocker’s place',
    stable: [],
    modelled: true,
  },

  {
    id: 'pv-wait-early',
    title: 'guest pvqspinlock: a queued waiter halts early when its predecessor’s vCPU is preempted',
    mainline: [4, 11],
    reverted: [5, 4],
    side: 'guest',
    commit:
      '75437bb304b2 locking/pvqspinlock: Don’t wait if vCPU is preempted (reverted by 89340d0935c9, Cc stable)',
    effect:
      'pv_wait_early() checks its predecessor every 256 spins (PV_PREV_CHECK_MASK) and, when the predecessor’s vCPU is preempted (steal-time flag), halts in pv_wait instead of spinning 2^15 times; the revert keeps only “predecessor not running” (halted)',
    stable: [],
    modelled: true,
  },
  {
    id: 'semantics-aware',
    title: 'sched/kvm semantics-aware vCPU scheduling, v1 (vCPU debooster + IPI-aware directed yield)',
    mainline: null,
    side: 'host',
    commit:
      'patch series, not merged: "[PATCH 00/10] sched/kvm: Semantics-aware vCPU scheduling for oversubscribed KVM", Wanpeng Li, 2025-11-10, <20251110033232.12538-1-kernellwp@gmail.com>',
    effect:
      'yield_to_task_fair pushes the yielder’s vruntime by a bounded penalty when both share a runqueue (rate-limited to one per 6 ms per CPU); kvm_vcpu_on_spin boosts first the receiver of the spinner’s last unicast IPI, then candidates with a posted interrupt or preempted in kernel mode, then (second round) any preempted vCPU; includes the last_boosted_vcpu fix',
    stable: [],
    modelled: true,
  },
  {
    id: 'pi-boost',
    title: 'boost user-mode candidates delivering interrupts',
    mainline: [5, 13],
    side: 'host',
    commit: '52acd22faa1a KVM: Boost vCPU candidate in user mode which is delivering interrupt',
    effect:
      'kvm_vcpu_on_spin no longer skips a vCPU preempted in user mode when a posted interrupt is pending for it (APICv only)',
    stable: [],
    modelled: true,
  },
  {
    id: 'undercommit-bailout',
    title: 'a PV directed yield from a pCPU with nothing else to run is not made',
    mainline: [5, 13],
    side: 'host',
    commit: '72b268a8e930 KVM: X86: Bail out of direct yield in case of under-committed scenarios',
    effect:
      'kvm_sched_yield counts directed_yield_attempted, then returns when single_task_running() (the caller is alone on its runqueue): no yield_to, so a woken target is not boosted onto a busy pCPU when the host is under-committed',
    stable: [],
    modelled: true,
  },
  {
    id: 'eevdf',
    title: 'EEVDF replaces CFS',
    mainline: [6, 6],
    side: 'host',
    commit: '147f3efaa241 sched/fair: Implement an EEVDF-like scheduling policy',
    effect:
      'pick by eligibility and virtual deadline; the next buddy yield_to sets is ignored unless NEXT_BUDDY (off)',
    stable: [],
    modelled: true,
  },
  {
    id: 'halt-poll-shrink',
    title: 'halt polling shrinks its window by half instead of dropping it',
    mainline: [6, 11],
    side: 'host',
    commit: 'aeb1b22a3ac8 KVM: Enable halt polling shrink parameter by default',
    effect:
      'halt_poll_ns_shrink defaults to 2: after a halt longer than halt_poll_ns, shrink_halt_poll_ns halves the vCPU’s window (and drops it below halt_poll_ns_grow_start, ae232ea46088) where it used to reset it to 0, so a vCPU that halts briefly again still polls',
    stable: [],
    modelled: true,
  },
  {
    id: 'delay-dequeue',
    title: 'DELAY_DEQUEUE / DELAY_ZERO: an ineligible task that blocks stays queued',
    mainline: [6, 12],
    side: 'host',
    commit: '152e11f6df29 sched/fair: Implement delayed dequeue',
    effect:
      'a vCPU that halts while ineligible stays on its runqueue (sched_delayed), counting in the average vruntime V, nr_running and the load, until picked (then dequeued, a positive lag cut to 0 by DELAY_ZERO, 54a58a787791) or woken (requeued without placement, or, from d68803506ffb, dequeued and woken anew when its runqueue is busy and it may run elsewhere); it moves V, so it changes which vCPU is eligible for PICK_BUDDY',
    stable: [],
    modelled: true,
  },
  {
    id: 'on-spin-single-loop',
    title: 'kvm_vcpu_on_spin in one loop (stores the loop offset as last_boosted_vcpu)',
    mainline: [6, 13],
    side: 'host',
    commit: '7e513617da71 KVM: Rework core loop of kvm_vcpu_on_spin() to use a single for-loop',
    effect:
      'one pass from last_boosted_vcpu + 1, wrapping; last_boosted_vcpu = i (the offset), not idx, so the round-robin drifts',
    stable: [],
    modelled: true,
  },
  {
    id: 'pick-buddy',
    title: 'PICK_BUDDY: EEVDF runs an eligible next buddy first',
    mainline: [6, 14],
    side: 'host',
    commit: '2a77e4be12cb sched/fair: Untangle NEXT_BUDDY and pick_next_task()',
    effect: "yield_to's next buddy is honoured again when it is eligible",
    stable: [
      {
        series: [6, 12],
        from: 13,
        evidence: 'stable review "[PATCH 6.12 028/590]", 2025-02-05, the 6.12.13 series',
      },
      {
        series: [6, 13],
        from: 2,
        evidence: 'stable review "[PATCH 6.13 033/623]", 2025-02-05, the 6.13.2 series',
      },
    ],
    modelled: true,
  },
  {
    id: 'base-slice-0.70',
    title: 'EEVDF base slice 0.70 ms (was 0.75 ms), times 1 + ilog2(min(CPUs, 8))',
    mainline: [6, 15],
    side: 'host',
    commit: '2ae891b82695 sched: Reduce the default slice to avoid tasks getting an extra tick',
    effect:
      'shorter requests: deadlines come 7 % sooner, so the yielder and the boosted vCPU trade places faster',
    stable: [
      {
        series: [6, 12],
        from: 31,
        evidence: 'stable review "[PATCH 6.12 378/626]", 2025-05-27, the 6.12.31 series',
      },
    ],
    modelled: true,
  },
  {
    id: 'slice-protection',
    title: 'run-to-parity protection by vprot, and a resched when it ends',
    mainline: [6, 17],
    side: 'host',
    commit: '74eec63661d4 sched/fair: Fix NO_RUN_TO_PARITY case',
    effect:
      'set_next_entity() records vprot (the deadline, for entities of one slice) and curr is protected while its vruntime is below it: pushing the deadline on yield no longer ends the protection, so a yielder picked again keeps the CPU; once it is over, update_curr() reschedules at every update (0b9ca2dcabc3). 6.12.81 took only the helper 9cdb4fe20cd2, as a dependency, without a change in behaviour',
    stable: [],
    modelled: true,
  },
  {
    id: 'task-based-throttle',
    title: 'CFS bandwidth throttles task by task, on the way back to user space',
    mainline: [6, 18],
    side: 'host',
    commit: 'e1fad12dcb66 sched/fair: Switch to task based throttle model',
    effect:
      'a throttled cfs_rq’s tasks leave one by one at their return to user space (for a vCPU: KVM’s xfer_to_guest_mode_handle_work() before the next VM entry, so at its next exit, as before); with it 5b726e9bf954 removes throttled_lb_pair(), so the load balancer may move a thread onto a pCPU where its VM is throttled, where it is throttled on arrival',
    stable: [],
    modelled: true,
  },
  {
    id: 'yield-forfeit',
    title: 'yield forfeits vruntime (eligible yielders only)',
    mainline: [6, 19],
    side: 'host',
    commit: '79104becf42b sched/fair: Forfeit vruntime on yield',
    effect: "an eligible yielder's vruntime jumps to its deadline; an ineligible one keeps both",
    stable: [
      {
        series: [6, 6],
        from: 120,
        evidence:
          'the 6.6.120 release (2026-01-11), as issue 19 reads its announcement; the 6.6.y posting of 2026-01-02 is "[PATCH 6.6.y 1/3]"',
      },
      {
        series: [6, 12],
        from: 63,
        evidence: 'stable review "[PATCH 6.12 029/354]", 2025-12-16, the 6.12.63 series',
      },
      {
        series: [6, 17],
        from: 13,
        evidence: 'stable review "6.17.13-rc2", 2025-12-16, lists it',
      },
      {
        series: [6, 18],
        from: 2,
        evidence:
          'released with 6.17.13 (2025-12-18); stable takes a fix into every newer series first — inferred, not read',
      },
    ],
    modelled: true,
  },
  {
    id: 'last-boosted-fix',
    title: 'last_boosted_vcpu stores the vCPU index again',
    mainline: [6, 19],
    side: 'host',
    commit: '32bd348be3fa KVM: Fix last_boosted_vcpu index assignment bug',
    effect: 'the round-robin of kvm_vcpu_on_spin follows the last boost again',
    stable: [
      {
        series: [6, 18],
        from: 3,
        evidence: 'stable review "6.18.3-rc1", 2025-12-29, lists it',
      },
    ],
    modelled: true,
  },
];

/** Backports posted to stable whose first point release could not be read here: reported, not applied. */
export const UNPLACED_BACKPORTS: readonly { feature: FeatureId; series: [number, number]; note: string }[] = [
  {
    feature: 'base-slice-0.70',
    series: [6, 6],
    note: '"[PATCH 6.6 239/444] sched: Reduce the default slice…" was in the 6.6 review of 2025-06-02; its point release is not verified',
  },
];

export interface KernelRelease {
  major: number;
  minor: number;
  /** The stable point release, when the release names one (0 for a mainline release). */
  patch: number;
  /** A distribution suffix (`-427.el9`, `-45-generic`), if any. */
  suffix: string;
}

/** `uname -r` → its numbers, or null when it is not a kernel release. */
export function parseRelease(release: string): KernelRelease | null {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(.*)$/.exec(release.trim());
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), suffix: m[4] ?? '' };
}

const atLeast = (r: KernelRelease, [major, minor]: [number, number]) =>
  r.major > major || (r.major === major && r.minor >= minor);

/** Whether `uname -r` is `since` or later (false when it is not a kernel release). */
export function releaseAtLeast(release: string, since: [number, number]): boolean {
  const r = parseRelease(release);
  return r !== null && atLeast(r, since);
}

/**
 * Whether the stable point release is trustworthy: a plain upstream release (`6.12.13`) or one
 * whose distribution keeps the upstream point release (`6.12.13-200.fc41.x86_64`, `6.12.13-arch1-1`).
 * A distribution that freezes the point release at 0 (`6.8.0-45-generic`, `6.1.0-27-amd64`,
 * `5.14.0-427.el9`) backports on its own, so only the base release can be placed.
 */
function placedByPoint(r: KernelRelease): boolean {
  return r.suffix === '' || r.patch > 0;
}

export interface KernelFeatures {
  release: KernelRelease;
  features: FeatureId[];
  /** Why each feature is in or out, and every assumption made. */
  reasons: string[];
}

/** The features a release carries, from the mainline release and the stable backports. */
export function featuresOf(release: string): KernelFeatures | null {
  const r = parseRelease(release);
  if (!r) return null;
  const version = `${r.major}.${r.minor}`;
  const features: FeatureId[] = [];
  const reasons: string[] = [];
  const placed = placedByPoint(r);
  if (!placed)
    reasons.push(
      `${release} is a distribution kernel that keeps the point release at 0: mapped by its base ${version}; backports it may carry are unknown (assumption — override with --model or host.model)`,
    );
  else if (r.suffix)
    reasons.push(
      `${release}: distribution suffix "${r.suffix}" ignored; read as upstream ${version}.${r.patch}`,
    );
  for (const f of KERNEL_FEATURES) {
    if (f.side === 'guest' || !f.mainline) continue;
    const hash = /^[0-9a-f]{12}\b/.exec(f.commit)?.[0] ?? 'commit not read';
    const tag = `${f.id} (${hash}${f.modelled ? '' : ', not modelled'})`;
    if (atLeast(r, f.mainline)) {
      features.push(f.id);
      reasons.push(`${tag}: mainline since ${f.mainline.join('.')}`);
      continue;
    }
    const backport = f.stable.find((b) => b.series[0] === r.major && b.series[1] === r.minor);
    if (!backport) continue;
    if (placed && r.patch >= backport.from) {
      features.push(f.id);
      reasons.push(`${tag}: backported to ${version}.${backport.from} (${backport.evidence})`);
    } else
      reasons.push(
        `${tag}: not in ${placed ? `${version}.${r.patch}` : release}; backported from ${version}.${backport.from}`,
      );
  }
  for (const u of UNPLACED_BACKPORTS)
    if (u.series[0] === r.major && u.series[1] === r.minor && !features.includes(u.feature))
      reasons.push(`${u.feature}: ${u.note}; not applied`);
  return { release: r, features, reasons };
}
