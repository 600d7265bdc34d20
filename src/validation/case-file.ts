import { z } from 'zod';
import type { FeatureId } from '../sim/kernel-features';
import { KERNEL_FEATURES } from '../sim/kernel-features';
import { modelByName, modelForKernel, modelWithFeatures, type ModelDefinition } from '../sim/models';
import { describeIssues, parseScenario, ScenarioError, type Scenario } from '../sim/scenario';
import { resolveWorkload, workloadRef, type WorkloadFile } from './workload-library';
import { readYamlDocument } from './yaml-document';

const featureId = z.enum(KERNEL_FEATURES.map((f) => f.id) as [FeatureId, ...FeatureId[]]);

/** One side of a comparison: a model or a kernel, features added or removed, host keys and guest PV features changed. */
const configuration = z
  .object({
    model: z.string().min(1).optional(),
    kernel: z.string().min(1).optional(),
    features: z
      .object({ add: z.array(featureId).default([]), remove: z.array(featureId).default([]) })
      .strict()
      .default({}),
    /** Merged into the case's host. */
    host: z.record(z.unknown()).optional(),
    /** Merged into every VM's workload.pv. */
    pv: z.record(z.unknown()).optional(),
  })
  .strict()
  .refine((c) => (c.model === undefined) !== (c.kernel === undefined), 'either "model" or "kernel"');

/** A VM of a case: any scenario VM key, but its workload only named from the library. */
const caseVm = z
  .object({ workload: workloadRef })
  .passthrough()
  .superRefine((vm, ctx) => {
    if (typeof vm.vcpus !== 'number')
      ctx.addIssue({ code: 'custom', path: ['vcpus'], message: 'a number of vCPUs' });
  });

const published = z
  .object({
    baseline: z.number().positive().optional(),
    treatment: z.number().positive().optional(),
    change: z.number().finite().optional(),
  })
  .strict()
  .refine(
    (p) => (p.change === undefined) === (p.baseline !== undefined && p.treatment !== undefined),
    'either { baseline, treatment } or { change }',
  );

export const caseSchema = z
  .object({
    name: z.string().min(1),
    /** The primary text the numbers come from: commit, mail, paper, with the quoted figures. */
    source: z.string().min(1),
    host: z.record(z.unknown()),
    vms: z.array(caseVm).min(1),
    duration: z.union([z.string(), z.number()]).optional(),
    seed: z.number().int().min(0).optional(),
    baseline: configuration,
    treatment: configuration,
    metric: z.enum(['useful', 'spin', 'pleExits', 'yieldCalls']),
    /** The VMs the metric sums (a VM spec's name covers its copies); default every VM. */
    measure: z
      .object({ vms: z.array(z.string().min(1)).min(1) })
      .strict()
      .optional(),
    published,
    /** The published numbers are times (lower is better); the metric is throughput. */
    lowerIsBetter: z.boolean().default(false),
    /** Setup details the source does not publish, and what was assumed for each. */
    assumptions: z.array(z.string().min(1)).default([]),
  })
  .strict();
export type CaseInput = z.infer<typeof caseSchema>;

export interface Side {
  scenario: Scenario;
  model: ModelDefinition;
  /** What this side is, in a few words: `stock-5.6-ready-boost`. */
  label: string;
}

export interface ValidationCase {
  file: string;
  input: CaseInput;
  baseline: Side;
  treatment: Side;
  /** The published change in the metric's sense (throughput for a time), as a fraction. */
  publishedChange: number;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function merge(
  base: Record<string, unknown>,
  over: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(over ?? {}))
    out[k] = isObject(v) && isObject(out[k]) ? merge(out[k], v) : v;
  return out;
}

/** The published change as a fraction of the metric (for a time, its throughput: base/treatment − 1). */
export function publishedChangeOf(p: CaseInput['published'], lowerIsBetter: boolean): number {
  if (p.change !== undefined) return lowerIsBetter ? 1 / (1 + p.change) - 1 : p.change;
  const [base, treated] = [p.baseline!, p.treatment!];
  return lowerIsBetter ? base / treated - 1 : treated / base - 1;
}

/** Reads and checks one case file; every problem names the file and the key. */
export function readCase(file: string, library: ReadonlyMap<string, WorkloadFile>): ValidationCase {
  const parsed = caseSchema.safeParse(readYamlDocument(file));
  if (!parsed.success) throw new ScenarioError(file, describeIssues(parsed.error.issues));
  const input = parsed.data;
  const problems: string[] = [];
  const vms = input.vms.map((vm, i) => {
    const resolved = resolveWorkload(vm.workload, vm.vcpus as number, library);
    if ('problem' in resolved) problems.push(`vms[${i}].workload.${resolved.problem}`);
    return { ...vm, workload: 'workload' in resolved ? resolved.workload : {} };
  });
  if (problems.length) throw new ScenarioError(file, problems);
  const side = (which: 'baseline' | 'treatment'): Side => {
    const c = input[which];
    const scenarioInput = {
      host: merge(input.host, c.host),
      vms: vms.map((vm) => (c.pv ? { ...vm, workload: merge(vm.workload, { pv: c.pv }) } : vm)),
      ...(input.duration !== undefined ? { duration: input.duration } : {}),
      ...(input.seed !== undefined ? { seed: input.seed } : {}),
    };
    let scenario: Scenario;
    try {
      scenario = parseScenario(scenarioInput, `${file} (${which})`);
    } catch (err) {
      throw err instanceof ScenarioError
        ? new ScenarioError(
            file,
            err.problems.map((p) => `${which}: ${p}`),
          )
        : err;
    }
    let model: ModelDefinition;
    try {
      const base = c.model ? modelByName(c.model) : modelForKernel(c.kernel!).model;
      model =
        c.features.add.length || c.features.remove.length
          ? modelWithFeatures(base, c.features.add, c.features.remove)
          : base;
    } catch (err) {
      throw new ScenarioError(file, [`${which}.${c.model ? 'model' : 'kernel'}: ${(err as Error).message}`]);
    }
    return { scenario, model, label: model.name };
  };
  const measured = new Set(input.vms.map((vm) => vm.name as string));
  for (const [i, name] of (input.measure?.vms ?? []).entries())
    if (!measured.has(name))
      throw new ScenarioError(file, [`measure.vms[${i}]: "${name}" is not a VM of the case`]);
  return {
    file,
    input,
    baseline: side('baseline'),
    treatment: side('treatment'),
    publishedChange: publishedChangeOf(input.published, input.lowerIsBetter),
  };
}
