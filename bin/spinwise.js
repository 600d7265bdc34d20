#!/usr/bin/env node
// The `spinwise` command: runs the compiled CLI (npm run build creates dist/).
require('../dist/src/cli/main.js')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
