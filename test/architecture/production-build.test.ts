import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, sep } from 'node:path';
import { after, it } from 'node:test';

const REPO = join(__dirname, '..', '..', '..');
// Inside the repository, so the build's modules resolve this checkout's node_modules.
const OUT = mkdtempSync(join(REPO, '.prod-build-'));
after(() => rmSync(OUT, { recursive: true, force: true }));

it("the production build (the image's) holds src/ without tests, the dashboard's page included, and runs", () => {
  const tsc = join(REPO, 'node_modules', '.bin', 'tsc');
  execFileSync(tsc, ['-p', join(REPO, 'tsconfig.prod.json'), '--outDir', OUT], { stdio: 'inherit' });
  const dashboard = join(REPO, 'src', 'dashboard', 'tsconfig.json');
  execFileSync(tsc, ['-p', dashboard, '--outDir', join(OUT, '.dashboard-build')], { stdio: 'inherit' });
  execFileSync(process.execPath, [join(REPO, 'scripts', 'copy-dashboard-page.mjs'), OUT], {
    stdio: 'inherit',
  });
  const files = readdirSync(OUT, { recursive: true }).map(String);
  const outside = files.filter((f) => !f.startsWith(`src${sep}`) && f !== 'src');
  assert.deepEqual(outside, [], 'only src/ is built (no test/, bench/, deploy/dev)');
  assert.deepEqual(
    files.filter((f) => f.endsWith('.test.js')),
    [],
    'no test files',
  );
  for (const page of ['index.html', 'style.css', 'app.js', 'api.js'])
    assert.ok(files.includes(join('src', 'dashboard', page)), `the dashboard's ${page}`);
  // The dashboard takes the API's types from the server's source; its scripts import none of it.
  const api = readFileSync(join(OUT, 'src', 'dashboard', 'api.js'), 'utf8');
  assert.doesNotMatch(api, /advisor|telemetry/, 'type imports compile away');
  const out = execFileSync(
    process.execPath,
    [
      '-e',
      `require(${JSON.stringify(join(OUT, 'src', 'cli', 'main.js'))}).main(['models']).then((c) => (process.exitCode = c))`,
    ],
    { encoding: 'utf8' },
  );
  assert.match(out, /stock-5\.6/);
});
