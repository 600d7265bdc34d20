import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { describeIssues, ScenarioError, workloadSchema } from '../sim/scenario';
import { readYamlDocument } from './yaml-document';

/**
 * One benchmark as the models run it: what it does in the guest (from its own source or
 * documentation), the scenario workload that follows from that, and which parameters are guesses.
 * One parameter set per benchmark, shared by every case: a case names it and cannot tune it.
 */
const workloadFile = z
  .object({
    name: z.string().regex(/^[a-z0-9][-a-z0-9]*$/, 'a lower-case name like "ebizzy-m"'),
    /** The benchmark and its command line, as the cases' sources ran it. */
    benchmark: z.string().min(1),
    /** What it does in the guest, read from its source or documentation, and why the parameters follow. */
    mechanism: z.string().min(1),
    /** Parameters that are guesses (not derived from the benchmark), with why. */
    guesses: z.array(z.string().min(1)).default([]),
    /** Its thread count is the case's (`args: { threads: N }`): each vCPU is busy threads / vCPUs of the time. */
    threadsFromArgs: z.boolean().default(false),
    /** A scenario workload (see the scenario schema). */
    workload: z.record(z.unknown()),
  })
  .strict();
export type WorkloadFile = z.infer<typeof workloadFile>;

/** A case's reference to a library workload: only its name, and a thread count where the benchmark takes one. */
export const workloadRef = z
  .object({
    use: z.string().min(1),
    args: z
      .object({ threads: z.number().int().min(1) })
      .strict()
      .optional(),
  })
  .strict();
export type WorkloadRef = z.infer<typeof workloadRef>;

/** Every `<name>.yaml` in `dir`, validated (the workload against the scenario schema). */
export function loadWorkloads(dir: string): Map<string, WorkloadFile> {
  const out = new Map<string, WorkloadFile>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    const source = join(dir, file);
    const parsed = workloadFile.safeParse(readYamlDocument(source));
    if (!parsed.success) throw new ScenarioError(source, describeIssues(parsed.error.issues));
    const checked = workloadSchema.safeParse(parsed.data.workload);
    if (!checked.success)
      throw new ScenarioError(
        source,
        describeIssues(checked.error.issues.map((i) => ({ ...i, path: ['workload', ...i.path] }))),
      );
    if (`${parsed.data.name}.yaml` !== file)
      throw new ScenarioError(source, [`name: expected "${file.slice(0, -5)}" (the file's name)`]);
    out.set(parsed.data.name, parsed.data);
  }
  return out;
}

/**
 * The scenario workload a reference stands for, for a VM of `vcpus`: the library's parameters,
 * and for a benchmark with a thread count, the share of each vCPU its threads keep busy.
 */
export function resolveWorkload(
  ref: WorkloadRef,
  vcpus: number,
  library: ReadonlyMap<string, WorkloadFile>,
): { workload: Record<string, unknown> } | { problem: string } {
  const file = library.get(ref.use);
  if (!file)
    return { problem: `use: unknown workload "${ref.use}"; known: ${[...library.keys()].join(', ')}` };
  if (file.threadsFromArgs && !ref.args) return { problem: `args: "${ref.use}" needs args: { threads: N }` };
  if (!file.threadsFromArgs && ref.args) return { problem: `args: "${ref.use}" takes no arguments` };
  const workload = structuredClone(file.workload);
  if (ref.args) workload.busy = Math.min(1, ref.args.threads / vcpus);
  return { workload };
}
