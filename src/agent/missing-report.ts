import type { SignalName } from '../telemetry';
import type { Missing } from './host-root';

/** Longest reason a sample carries (the schema allows 500): one line, however many subjects. */
export const MAX_REASON_CHARS = 480;
/** Subjects named before "and N more". */
const NAMED_SUBJECTS = 3;

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/**
 * Collects why signals are missing during one snapshot and turns them into one bounded line per
 * signal. A problem met by many subjects (40 VMs whose QMP is down, 300 threads whose schedstat a
 * security module denies) is named once with its first subjects and a count, so a reason never
 * grows with the node.
 */
export class MissingReport {
  /** signal → problem → subjects that met it (null: the whole node). */
  private readonly problems = new Map<SignalName, Map<string, string[] | null>>();

  /** The signal is missing for the whole node, for this reason. */
  node(signal: SignalName, reason: string): void {
    this.problemsOf(signal).set(reason, null);
  }

  /** One subject (a VM, a thread, a file) lacks the signal because of `problem` (e.g. "EACCES on schedstat"). */
  add(signal: SignalName, problem: string, subject: string): void {
    const problems = this.problemsOf(signal);
    const subjects = problems.get(problem);
    if (subjects === null) return;
    if (subjects) subjects.push(subject);
    else problems.set(problem, [subject]);
  }

  /** Reasons other parts already phrased (the tracefs and host collectors keep theirs across snapshots). */
  merge(missing: readonly Missing[]): void {
    for (const m of missing) this.node(m.signal, m.reason);
  }

  /** One entry per signal, sorted, each reason at most MAX_REASON_CHARS. */
  list(): Missing[] {
    return [...this.problems]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([signal, problems]) => ({
        signal,
        reason: clip(
          [...problems]
            .map(([problem, subjects]) => (subjects ? `${problem}: ${summarise(subjects)}` : problem))
            .join('; '),
          MAX_REASON_CHARS,
        ),
      }));
  }

  private problemsOf(signal: SignalName): Map<string, string[] | null> {
    let problems = this.problems.get(signal);
    if (!problems) this.problems.set(signal, (problems = new Map<string, string[] | null>()));
    return problems;
  }
}

/**
 * "a, b, c and 37 more", in name order (the same reason from one sample to the next, whatever
 * order parallel work finished in), each name clipped so KubeVirt-length names cannot crowd out
 * the count.
 */
function summarise(subjects: string[]): string {
  const named = [...new Set(subjects)]
    .sort()
    .slice(0, NAMED_SUBJECTS)
    .map((s) => clip(s, 48));
  const more = new Set(subjects).size - named.length;
  return more > 0 ? `${named.join(', ')} and ${more} more` : named.join(', ');
}
