import assert from 'node:assert/strict';
import { it } from 'node:test';
import { modelForKernel } from './models';

it('maps a kernel release to the closest stock model and says why', () => {
  const cases: [string, string][] = [
    ['5.4.0-150-generic', 'stock-5.6'],
    ['5.6.0', 'stock-5.6'],
    ['5.15.0-91-generic', 'stock-5.13'],
    ['6.1.0-27-amd64', 'stock-5.13'],
    ['6.8.0-45-generic', 'stock-6.6'],
    ['6.13.2', 'stock-6.13'],
    ['6.17.0', 'stock-6.14'],
    ['6.19.1', 'stock-6.19'],
    ['7.0.0', 'stock-6.19'],
  ];
  for (const [release, model] of cases) assert.equal(modelForKernel(release).model.name, model, release);
  assert.match(
    modelForKernel('5.15.0-91-generic').reason,
    /5\.15 runs CFS; stock-5\.13 is the newest model not after it/,
  );
  assert.match(modelForKernel('6.8.0').reason, /EEVDF/);
  assert.match(modelForKernel('garbage').reason, /not a kernel release/);
});
