import { isModelName } from './models';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** `"2s"`, `"250ms"`, `"1.5s"`, `"800us"` or a number of milliseconds → integer ns. */
const duration = z
  .union([
    z.number().positive(),
    z.string().regex(/^\d+(\.\d+)?(ns|us|ms|s)$/, 'a duration like "2s" or "250ms"'),
  ])
  .transform((v) => {
    if (typeof v === 'number') return Math.round(v * 1e6);
    const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s)$/.exec(v)!;
    const scale = { ns: 1, us: 1e3, ms: 1e6, s: 1e9 }[m[2] as 'ns' | 'us' | 'ms' | 's'];
    return Math.round(Number(m[1]) * scale);
  });

/** `"0-7,16,18-19"` (Cpus_allowed_list format) → sorted pCPU numbers. */
const cpuList = z
  .string()
  .regex(/^\d+(-\d+)?(,\d+(-\d+)?)*$/, 'a CPU list like "0-7,16"')
  .transform((s) => {
    const out = new Set<number>();
    for (const part of s.split(',')) {
      const [a, b] = part.split('-').map(Number) as [number, number | undefined];
      for (let c = a; c <= (b ?? a); c++) out.add(c);
    }
    return [...out].sort((x, y) => x - y);
  });

export const workloadSchema = z
  .object({
    /** Share of time a vCPU has work; the rest it halts (idle). */
    busy: z.number().min(0.01).max(1).default(1),
    /** Mean length of a burst of work between idle periods. */
    burst: duration.default('5ms'),
    /** Share of compute time in guest user mode (a vCPU preempted there is skipped by stock KVM). */
    userShare: z.number().min(0).max(1).default(0.5),
    locks: z
      .object({
        count: z.number().int().min(1).max(1024).default(4),
        /** Critical sections per second of vCPU run time. */
        perSecond: z.number().min(0).default(0),
        /** Mean hold time (exponentially distributed). */
        hold: duration.default('5us'),
      })
      .strict()
      .default({}),
    mutexes: z
      .object({
        count: z.number().int().min(1).max(1024).default(4),
        /** Sleeping-lock acquisitions (mutex, rwsem) per second of vCPU run time. */
        perSecond: z.number().min(0).default(0),
        hold: duration.default('20us'),
      })
      .strict()
      .default({}),
    ipis: z
      .object({
        /** smp_call_function rounds (with wait) per second of vCPU run time. */
        perSecond: z.number().min(0).default(0),
        /** Receivers per round; capped at the VM's other vCPUs. */
        targets: z.number().int().min(1).default(1),
        handler: duration.default('2us'),
        /** What the rounds are: TLB shootdowns (flush_tlb_multi) or other cross-calls (smp_call_function_many). */
        kind: z.enum(['tlb-shootdown', 'call-function']).default('tlb-shootdown'),
        /**
         * Share of TLB shootdowns that free page tables (tlb_finish_mmu with freed_tables: a large
         * munmap, a process exit). Only those reach receivers in lazy TLB mode (idle vCPUs); the
         * rest skip them. 0 unless known: most shootdowns (munmap of pages, madvise, mprotect,
         * page migration) free no page table.
         */
        freedTables: z.number().min(0).max(1).default(0),
        /**
         * How the guest addresses IPIs: x2APIC cluster mode (Linux's default, and what QEMU's
         * FADT leaves it), one logical write per cluster of 16 vCPUs; or physical mode
         * (x2apic_phys), one write per receiver. It decides whom the paper's strict boost marks.
         */
        destMode: z.enum(['cluster', 'physical']).default('cluster'),
      })
      .strict()
      .default({}),
    /** PV spinlocks: spin 2^15 PAUSEs, then halt until the unlocker kicks (KVM_HC_KICK_CPU). */
    pvSpinlocks: z.boolean().default(false),
    /** Paravirtual features the guest uses (KVM_FEATURE_*; QEMU offers most by default with KVM). */
    pv: z
      .object({
        /** PV TLB flush: a TLB shootdown skips preempted receivers, which flush at their next VM entry. */
        tlbFlush: z.boolean().default(false),
        /** PV sched yield: after a cross-call, yield (KVM_HC_SCHED_YIELD) to the first preempted receiver. */
        schedYield: z.boolean().default(false),
        /** PV IPIs: sent by KVM_HC_SEND_IPI instead of a trapped ICR write. */
        ipi: z.boolean().default(false),
        /** vcpu_is_preempted() from steal time: mutex waiters stop spinning on a preempted owner. */
        preemptedHint: z.boolean().default(false),
      })
      .strict()
      .default({}),
  })
  .strict();

const vm = z
  .object({
    name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a DNS-1123 label'),
    vcpus: z.number().int().min(1).max(512),
    count: z.number().int().min(1).max(1024).default(1),
    /** none: any host CPU; pool: any CPU of `cpus`; dedicated: vCPU i pinned to the i-th CPU of `cpus`. */
    pinning: z.enum(['none', 'pool', 'dedicated']).default('none'),
    cpus: cpuList.optional(),
    /**
     * The VM cgroup's CPU controls: `weight` is cgroup v2 cpu.weight (with host.cgroups per-vm);
     * `limit` CPUs per `period` is cpu.max. With host.cgroups kubevirt the kubelet sets the weight
     * from the pod's CPU `request` (and the limit from its limit).
     */
    cpu: z
      .object({
        weight: z.number().int().min(1).max(10_000).optional(),
        request: z.number().min(0.001).max(1024).optional(),
        limit: z.number().min(0.01).max(1024).optional(),
        period: duration.default('100ms'),
      })
      .strict()
      .optional(),
    /**
     * KubeVirt (host.cgroups kubevirt): the virt-launcher pod's QoS class — guaranteed (request =
     * limit), burstable, or besteffort (no request: the minimum weight).
     */
    qos: z.enum(['guaranteed', 'burstable', 'besteffort']).optional(),
    /** KubeVirt dedicatedCpuPlacement: vCPU i pinned to the i-th CPU of `cpus`, exclusively. */
    dedicatedCpus: z.boolean().default(false),
    /** KubeVirt isolateEmulatorThread: QEMU's own threads on one more dedicated CPU (the next of `cpus`). */
    isolateEmulatorThread: z.boolean().default(false),
    /**
     * QEMU's own threads (main loop, iothreads, vhost) in the VM's cgroup beside the vCPU threads:
     * they share its weight and its CPU limit.
     */
    emulator: z
      .object({
        threads: z.number().int().min(0).max(64).default(1),
        busy: z.number().min(0.01).max(1).default(0.05),
        burst: duration.default('200us'),
      })
      .strict()
      .optional(),
    workload: workloadSchema.default({}),
  })
  .strict();

export const scenarioSchema = z
  .object({
    host: z
      .object({
        pcpus: z.number().int().min(1).max(4096),
        /** `uname -r` of the host; picks the default model by the features it carries. */
        kernel: z.string().min(1).default('5.6.0'),
        /** A model to use instead of the kernel's (`spinwise models` lists them). */
        model: z.string().refine(isModelName, 'a model spinwise knows (see spinwise models)').optional(),
        cpu: z
          .object({
            vendor: z.enum(['intel', 'amd']).default('intel'),
            ghz: z.number().min(0.5).max(10).default(2.5),
            /** Latency of one PAUSE in cycles (SVM's window counts PAUSEs). */
            pauseCycles: z.number().int().min(1).max(1000).default(40),
          })
          .strict()
          .default({}),
        ple: z
          .object({
            enabled: z.boolean().default(true),
            /** ple_window (VMX cycles) or pause_filter_count (SVM PAUSEs); vendor default when absent. */
            window: z.number().int().min(1).optional(),
            grow: z.number().int().min(0).optional(),
            shrink: z.number().int().min(0).optional(),
            max: z.number().int().min(1).optional(),
            exitCost: duration.default('2us'),
          })
          .strict()
          .default({}),
        /** APICv posted interrupts (VMX). */
        apicv: z.boolean().default(true),
        /** IPI virtualisation: Intel IPIv or AMD AVIC deliver IPIs without a trapped ICR write. */
        ipiVirtualization: z.enum(['none', 'ipiv', 'avic']).default('none'),
        tickHz: z.number().int().min(100).max(1000).default(250),
        /**
         * flat: every thread competes on its own (fairness per thread); per-vm: each VM in its own
         * cgroup (libvirt), fairness per VM by cpu.weight, as CONFIG_FAIR_GROUP_SCHED does;
         * kubevirt: each VM's virt-launcher pod, its weight set by the kubelet from its QoS class
         * and CPU request (vms[].qos, cpu.request).
         */
        cgroups: z.enum(['flat', 'per-vm', 'kubevirt']).default('flat'),
        /** KVM's halt_poll_ns: the longest a halted vCPU polls before blocking (0 turns polling off). */
        haltPollNs: z.number().int().min(0).max(10_000_000).default(200_000),
        otherLoad: z
          .object({
            threads: z.number().int().min(0).default(0),
            busy: z.number().min(0.01).max(1).default(0.5),
            burst: duration.default('2ms'),
          })
          .strict()
          .default({}),
      })
      .strict(),
    vms: z.array(vm).min(1),
    duration: duration.default('1s'),
    seed: z.number().int().min(0).max(0xffffffff).default(1),
  })
  .strict()
  .superRefine((s, ctx) => {
    const vendor = s.host.cpu.vendor;
    if (
      (s.host.ipiVirtualization === 'ipiv' && vendor !== 'intel') ||
      (s.host.ipiVirtualization === 'avic' && vendor !== 'amd')
    )
      ctx.addIssue({
        code: 'custom',
        path: ['host', 'ipiVirtualization'],
        message: `${s.host.ipiVirtualization === 'ipiv' ? 'IPIv on an Intel' : 'AVIC on an AMD'} host (host.cpu.vendor is ${vendor})`,
      });
    s.vms.forEach((v, i) => {
      for (const problem of kubevirtProblems(s.host.cgroups, v))
        ctx.addIssue({ code: 'custom', path: ['vms', i, ...problem.path], message: problem.message });
      // cpu.max is a cgroup's file: with every thread in one group there is no VM to limit, a setup
      // no kernel has (tg_set_cfs_bandwidth acts on a task group).
      if (v.cpu?.limit !== undefined && s.host.cgroups === 'flat')
        ctx.addIssue({
          code: 'custom',
          path: ['vms', i, 'cpu', 'limit'],
          message:
            'host.cgroups "per-vm" or "kubevirt" with a CPU limit (cpu.max limits a VM cgroup; with host.cgroups "flat" the VM has none)',
        });
      for (const c of v.cpus ?? [])
        if (c >= s.host.pcpus)
          ctx.addIssue({
            code: 'custom',
            path: ['vms', i, 'cpus'],
            message: `CPUs below host.pcpus (${s.host.pcpus}), got ${c}`,
          });
      if (v.pinning !== 'none' && !v.cpus && v.pinning === 'pool')
        ctx.addIssue({ code: 'custom', path: ['vms', i, 'cpus'], message: 'a CPU list for pinning "pool"' });
    });
  });

/** What a VM's KubeVirt settings require of the rest of the scenario. */
function kubevirtProblems(
  cgroups: 'flat' | 'per-vm' | 'kubevirt',
  v: z.output<typeof vm>,
): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const kubevirt = cgroups === 'kubevirt';
  if (!kubevirt) {
    for (const key of ['qos', 'dedicatedCpus', 'isolateEmulatorThread'] as const)
      if (v[key] !== undefined && v[key] !== false)
        problems.push({ path: [key], message: 'host.cgroups "kubevirt" (a KubeVirt setting)' });
    if (v.cpu?.request !== undefined)
      problems.push({
        path: ['cpu', 'request'],
        message: 'host.cgroups "kubevirt" (the kubelet turns a request into a weight)',
      });
    return problems;
  }
  if (v.cpu?.weight !== undefined)
    problems.push({
      path: ['cpu', 'weight'],
      message: 'no cpu.weight with host.cgroups "kubevirt": the kubelet sets it from cpu.request',
    });
  if (v.qos === 'besteffort' && (v.cpu?.request !== undefined || v.cpu?.limit !== undefined))
    problems.push({ path: ['qos'], message: 'a besteffort pod to have no CPU request or limit' });
  if (
    v.qos === 'guaranteed' &&
    v.cpu?.request !== undefined &&
    v.cpu.limit !== undefined &&
    v.cpu.request !== v.cpu.limit
  )
    problems.push({ path: ['cpu', 'limit'], message: 'a guaranteed pod’s limit to equal its request' });
  if (v.dedicatedCpus && v.qos !== 'guaranteed')
    problems.push({ path: ['qos'], message: '"guaranteed" with dedicatedCpus (KubeVirt requires it)' });
  if (v.isolateEmulatorThread && !v.dedicatedCpus)
    problems.push({ path: ['isolateEmulatorThread'], message: 'dedicatedCpus with isolateEmulatorThread' });
  const need = v.vcpus * v.count + (v.isolateEmulatorThread ? v.count : 0);
  if (v.dedicatedCpus && (v.cpus?.length ?? 0) < need)
    problems.push({
      path: ['cpus'],
      message: `${need} CPUs for dedicatedCpus (vCPUs${v.isolateEmulatorThread ? ' and the emulator CPU' : ''})`,
    });
  return problems;
}

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;
export type VmSpec = Scenario['vms'][number];
export type WorkloadSpec = VmSpec['workload'];

/** A scenario that does not match the schema: every problem names its key and what was expected. */
export class ScenarioError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source}: ${problems.join('; ')}`);
    this.name = 'ScenarioError';
  }
}

export function pathOf(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || '(root)';
}

/** Each problem of a failed parse as one line that names its key and what was expected. */
export function describeIssues(issues: z.ZodIssue[]): string[] {
  return issues.map((issue) => {
    if (issue.code === 'unrecognized_keys')
      return `${issue.path.length ? `${pathOf(issue.path)}: ` : ''}unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    if (issue.code === 'invalid_type')
      return `${pathOf(issue.path)}: expected ${issue.expected}, got ${issue.received}`;
    if (issue.code === 'invalid_enum_value')
      return `${pathOf(issue.path)}: expected one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}, got ${JSON.stringify(issue.received)}`;
    if (issue.code === 'too_small') return `${pathOf(issue.path)}: expected ≥ ${issue.minimum}`;
    if (issue.code === 'too_big') return `${pathOf(issue.path)}: expected ≤ ${issue.maximum}`;
    return `${pathOf(issue.path)}: expected ${issue.message}`;
  });
}

export function parseScenario(input: unknown, source = 'scenario'): Scenario {
  const result = scenarioSchema.safeParse(input);
  if (result.success) return result.data;
  throw new ScenarioError(source, describeIssues(result.error.issues));
}

export function parseScenarioYaml(text: string, source = 'scenario'): Scenario {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ScenarioError(source, [
      `not valid YAML: ${(err as Error).message.split('\n')[0]!.replace(/:\s*$/, '')}`,
    ]);
  }
  return parseScenario(doc, source);
}
