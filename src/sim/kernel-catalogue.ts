import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { modelForKernel } from './models';
import { describeIssues, ScenarioError } from './scenario';

const entry = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'an id of lower-case letters, digits, dots and dashes'),
    title: z.string().min(1),
    /** The release to place (uname -r as the kernel reports it). */
    release: z.string().min(1),
    /** Which running kernels belong to this line (a regular expression on uname -r). */
    match: z.string().min(1),
    /** A maintained upstream long-term line. */
    lts: z.boolean().default(false),
    /** The line the distribution moves to next. */
    next: z.string().optional(),
    /** What an operator installs, in their words. */
    install: z.string().min(1),
    /** Where the release and its placement come from; "assumption:" when not read. */
    evidence: z.string().min(1),
  })
  .strict();

const catalogueSchema = z
  .object({
    date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD'),
    kernels: z.array(entry).min(1),
  })
  .strict();

export type CatalogueEntry = z.infer<typeof entry>;

/** A catalogue entry placed on the feature table. */
export interface PlacedKernel extends CatalogueEntry {
  /** The model that stands for it (spinwise models --kernel). */
  model: string;
  /** Whether its placement rests on an assumption (a frozen point release, or evidence not read). */
  assumed: boolean;
}

export interface KernelCatalogue {
  date: string;
  kernels: PlacedKernel[];
}

export const CATALOGUE_FILE = join(__dirname, '..', '..', '..', 'scenarios', 'kernels.yaml');

/** Reads and places the catalogue; a bad file is a ScenarioError naming the key. */
export function loadCatalogue(file = CATALOGUE_FILE): KernelCatalogue {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ScenarioError(file, [`not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  const parsed = catalogueSchema.safeParse(doc);
  if (!parsed.success) throw new ScenarioError(file, describeIssues(parsed.error.issues));
  const ids = new Set(parsed.data.kernels.map((k) => k.id));
  const problems = parsed.data.kernels.flatMap((k, i) => {
    const out: string[] = [];
    if (k.next && !ids.has(k.next)) out.push(`kernels[${i}].next: "${k.next}" is not a catalogue id`);
    let match: RegExp | null = null;
    try {
      match = new RegExp(k.match);
    } catch {
      out.push(`kernels[${i}].match: not a regular expression`);
    }
    if (match && !match.test(k.release))
      out.push(`kernels[${i}].match: does not match its own release "${k.release}"`);
    return out;
  });
  if (problems.length) throw new ScenarioError(file, problems);
  return {
    date: parsed.data.date,
    kernels: parsed.data.kernels.map((k) => {
      const placed = modelForKernel(k.release);
      const frozen = placed.reasons.some((r) => /assumption/.test(r));
      return { ...k, model: placed.model.name, assumed: frozen || k.evidence.startsWith('assumption') };
    }),
  };
}

/** A kernel an operator could move a node to, with what it changes. */
export interface KernelUpgrade {
  model: string;
  /** Every catalogue entry that the model stands for, in catalogue order. */
  kernels: PlacedKernel[];
  /** Why it is a candidate: the node's own line, its distribution's next, the newest LTS. */
  why: ('own line' | 'distribution next' | 'newest LTS')[];
  /** "6.12.95 or later (6.12 LTS); Debian 13 linux-image-amd64 (6.12.y)". */
  label: string;
}

/**
 * The kernels worth replaying for a node running `kernel` under `currentModel`: the newest point
 * release of its own line, the next release of its distribution, and the newest LTS — only those
 * whose model differs from the node's (the same features cannot change a prediction), one
 * candidate per model.
 */
export function upgradesFor(
  catalogue: KernelCatalogue,
  kernel: string,
  currentModel: string,
): KernelUpgrade[] {
  const own = catalogue.kernels.find((k) => new RegExp(k.match).test(kernel.trim()));
  const picks: [PlacedKernel, KernelUpgrade['why'][number]][] = [];
  if (own) picks.push([own, 'own line']);
  const next = own?.next ? catalogue.kernels.find((k) => k.id === own.next) : undefined;
  if (next) picks.push([next, 'distribution next']);
  const newestLts = catalogue.kernels.find((k) => k.lts);
  if (newestLts) picks.push([newestLts, 'newest LTS']);
  const byModel = new Map<string, KernelUpgrade>();
  for (const [k, why] of picks) {
    if (k.model === currentModel) continue;
    const u = byModel.get(k.model) ?? { model: k.model, kernels: [], why: [], label: '' };
    if (!u.kernels.includes(k)) u.kernels.push(k);
    if (!u.why.includes(why)) u.why.push(why);
    byModel.set(k.model, u);
  }
  return [...byModel.values()].map((u) => ({ ...u, label: u.kernels.map((k) => k.install).join('; ') }));
}
