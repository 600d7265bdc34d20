import { counterValue } from '../procfs/proc-formats';

/**
 * Parser for a tracefs `hist` file (kernel/trace/trace_events_hist.c), e.g.
 *   { common_pid:       4243 } hitcount:        340
 *   { common_pid:       4243, dest_id:          1 } hitcount:          5
 * Returns one entry per line with its key fields; malformed lines are counted, not thrown.
 */
export interface HistEntry {
  keys: Record<string, number>;
  hitcount: number;
}

export function parseHist(text: string): { entries: HistEntry[]; errors: number } {
  const entries: HistEntry[] = [];
  let errors = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('{')) continue;
    const m = /^\{([^}]*)\}\s+hitcount:\s+(\d+)\s*$/.exec(line);
    if (!m) {
      errors++;
      continue;
    }
    const keys: Record<string, number> = {};
    let ok = true;
    for (const part of m[1]!.split(',')) {
      const kv = /^\s*([a-z_]+):\s+(\d+)\s*$/.exec(part);
      const value = kv ? counterValue(kv[2]!) : null;
      if (value === null) ok = false;
      else keys[kv![1]!] = value;
    }
    const hitcount = counterValue(m[2]!);
    if (!ok || hitcount === null) errors++;
    else entries.push({ keys, hitcount });
  }
  return { entries, errors };
}
