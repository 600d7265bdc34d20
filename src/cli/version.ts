import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The package's version, from package.json (dist/src/cli → the package root). */
export const VERSION: string = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }
).version;
