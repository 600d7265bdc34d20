/**
 * Pause-Loop Exiting parameters and the per-vCPU window (arch/x86/kvm/vmx/vmx.c grow_ple_window /
 * shrink_ple_window, svm.c grow_ple_window; __grow_ple_window in x86.h).
 */
export interface PleConfig {
  vendor: 'vmx' | 'svm';
  /** ple_gap = 0 (VMX) or pause_filter_count = 0 (SVM) disables PLE. */
  enabled: boolean;
  /** ple_window (cycles) or pause_filter_count (PAUSEs). */
  base: number;
  grow: number;
  shrink: number;
  max: number;
  /** Cycles one window unit lasts: 1 for VMX cycles; a PAUSE's latency for SVM. */
  cyclesPerUnit: number;
  cpuGhz: number;
  /** Exit + kvm_vcpu_on_spin + entry: what one PLE exit costs the guest. */
  exitCostNs: number;
}

export const VMX_DEFAULTS = { base: 4096, grow: 2, shrink: 0, max: 0xffffffff } as const;
export const SVM_DEFAULTS = { base: 3000, grow: 2, shrink: 0, max: 65535 } as const;

/** __grow_ple_window(): modifier < 1 resets, < base multiplies, otherwise adds; clamped to max. */
export function growWindow(value: number, c: PleConfig): number {
  if (c.grow < 1) return c.base;
  const grown = c.grow < c.base ? value * c.grow : value + c.grow;
  return Math.min(grown, c.max);
}

/** __shrink_ple_window(): modifier < 1 resets to base, < base divides, otherwise subtracts; never below base. */
export function shrinkWindow(value: number, c: PleConfig): number {
  if (c.shrink < 1) return c.base;
  const shrunk = c.shrink < c.base ? Math.floor(value / c.shrink) : value - c.shrink;
  return Math.max(shrunk, c.base);
}

/** How long a vCPU spins in a PAUSE loop before the window expires and it exits. */
export function windowNs(value: number, c: PleConfig): number {
  return Math.max(1, Math.round((value * c.cyclesPerUnit) / c.cpuGhz));
}
