#!/usr/bin/env node
// The `spinwise` command: runs the compiled CLI (npm run build creates dist/).
// A reader that stops early (`spinwise models | head`) closes the pipe: stop quietly, as `cat` does.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
require('../dist/src/cli/main.js')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
