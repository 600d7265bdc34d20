// The dashboard's page and style beside its compiled scripts, so the advisor serves it all from
// the build (`node scripts/copy-dashboard-page.mjs [OUT_DIR]`, default dist).
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, URL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = process.argv[2] ?? join(root, 'dist');
cpSync(join(root, 'src', 'dashboard', 'public'), join(out, 'src', 'dashboard'), { recursive: true });
