import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { textTable } from './text-table';

describe('textTable', () => {
  it('left-aligns text columns and right-aligns number columns', () => {
    const out = textTable(
      ['vm', 'kind', 'PLE exits', 'change'],
      [
        ['a', 'kernel', '1,234', '-12.5%'],
        ['longer-vm', 'ple', '7', '+3.0% ± 2'],
      ],
    ).split('\n');
    assert.equal(out[0], 'vm         kind    PLE exits     change');
    assert.equal(out[2], 'a          kernel      1,234     -12.5%');
    assert.equal(out[3], 'longer-vm  ple             7  +3.0% ± 2');
  });
});
