import { join } from 'node:path';

/** Tests run from dist/; their captured inputs stay in the source tree's `test-data/` folders. */
export function testDataDir(compiledDir: string, ...parts: string[]): string {
  return join(compiledDir.replace(`${join('dist', 'src')}`, 'src'), 'test-data', ...parts);
}
