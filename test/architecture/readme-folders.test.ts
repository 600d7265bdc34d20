import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';

const ROOT = join(__dirname, '..', '..', '..');

it("README's folder table describes every folder of src/ (and of src/adapters/), and names none that is gone", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const described = new Set(
    [...readme.matchAll(/^\| `(src\/[a-z-]+(?:\/[a-z-]+)?)` +\|/gm)].map((m) => m[1]!),
  );
  const dirs = (dir: string) =>
    readdirSync(join(ROOT, dir), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => `${dir}/${d.name}`);
  const folders = [...dirs('src').filter((d) => d !== 'src/adapters'), ...dirs('src/adapters')].sort();
  assert.deepEqual([...described].sort(), folders);
});
