// The dashboard's compiled scripts, page and style in one folder, so the advisor serves it all from
// the build (`node scripts/copy-dashboard-page.mjs [OUT_DIR]`, default dist). The dashboard's
// build compiles from src/ (it imports the API's types from src/advisor/http/api-types.ts) into
// OUT_DIR/.dashboard-build; only its own scripts are taken from there — the type-only modules
// it read compile to nothing a browser needs — and the rest is removed.
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, URL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = process.argv[2] ?? join(root, 'dist');
const dashboard = join(out, 'src', 'dashboard');
const built = join(out, '.dashboard-build', 'dashboard');
for (const file of readdirSync(built))
  if (/\.js(\.map)?$/.test(file)) cpSync(join(built, file), join(dashboard, file));
rmSync(join(out, '.dashboard-build'), { recursive: true, force: true });
cpSync(join(root, 'src', 'dashboard', 'public'), dashboard, { recursive: true });
