import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { KERNEL_FEATURES } from './kernel-features';

it("README's table of host kernel features is the table kernel-features.ts declares", () => {
  const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
  const rows = [...readme.matchAll(/^\| `([a-z0-9.-]+)` +\| ([\d.]+) +\| ([^|]+?) +\| (yes|no) +\|$/gm)].map(
    (m) => [m[1], m[2], m[3], m[4]],
  );
  const declared = KERNEL_FEATURES.filter((f) => f.side === 'host' && f.mainline).map((f) => [
    f.id,
    f.mainline!.join('.'),
    f.stable.length ? f.stable.map((s) => `${s.series.join('.')}.${s.from}`).join(', ') : '–',
    f.modelled ? 'yes' : 'no',
  ]);
  assert.deepEqual(rows, declared);
});
