import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { growWindow, shrinkWindow, SVM_DEFAULTS, VMX_DEFAULTS, windowNs, type PleConfig } from './ple';

const vmx: PleConfig = {
  vendor: 'vmx',
  enabled: true,
  ...VMX_DEFAULTS,
  cyclesPerUnit: 1,
  cpuGhz: 2,
  exitCostNs: 2000,
};
const svm: PleConfig = {
  vendor: 'svm',
  enabled: true,
  ...SVM_DEFAULTS,
  cyclesPerUnit: 40,
  cpuGhz: 2,
  exitCostNs: 2000,
};

describe('PLE window', () => {
  it('doubles per exit with the default grow of 2, up to the maximum', () => {
    let w = vmx.base;
    const seen = [w];
    for (let i = 0; i < 3; i++) seen.push((w = growWindow(w, vmx)));
    assert.deepEqual(seen, [4096, 8192, 16384, 32768]);
    assert.equal(growWindow(60000, svm), 65535, 'SVM clamps at pause_filter_count_max');
  });

  it('resets to the base on sched-in with shrink 0, divides or subtracts otherwise', () => {
    assert.equal(shrinkWindow(32768, vmx), 4096);
    assert.equal(shrinkWindow(32768, { ...vmx, shrink: 2 }), 16384);
    assert.equal(shrinkWindow(9000, { ...vmx, shrink: 5000 }), 4096, 'never below the base');
  });

  it('adds a modifier at least as large as the base; a modifier below 1 resets', () => {
    assert.equal(growWindow(4096, { ...vmx, grow: 5000 }), 9096);
    assert.equal(growWindow(8192, { ...vmx, grow: 0 }), 4096);
  });

  it('turns cycles (VMX) and PAUSEs (SVM) into time', () => {
    assert.equal(windowNs(4096, vmx), 2048);
    assert.equal(windowNs(3000, svm), 60_000);
  });
});
