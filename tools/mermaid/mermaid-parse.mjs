#!/usr/bin/env node
// Parse Mermaid diagrams with Mermaid's own parser: `node mermaid-parse.mjs FILE...`.
//
// A FILE ending in .md is searched for ```mermaid fenced blocks (each is parsed; a markdown file
// without one is an error, so a test cannot pass by checking nothing); any other FILE is one
// diagram. Prints `FILE[:LINE]: ok` or the parser's error per diagram, and exits 0 when every
// diagram parses, 1 when one does not, 2 when it could not run.
//
// Why jsdom: `mermaid.parse` sanitises labels with DOMPurify, which needs a DOM; in Node there is
// none, so a jsdom window is installed before mermaid is first imported. No browser is needed.
import { readFile } from "node:fs/promises";
import { JSDOM } from "jsdom";

const { window } = new JSDOM("");
globalThis.window = window;
globalThis.document = window.document;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });

// Opening fence: ``` or longer, then `mermaid`; the block ends at a fence at least as long.
function diagramsIn(file, text) {
  if (!file.endsWith(".md")) {
    return [{ where: file, text }];
  }
  const lines = text.split("\n");
  const found = [];
  for (let i = 0; i < lines.length; i += 1) {
    const open = /^(`{3,})mermaid\s*$/.exec(lines[i]);
    if (!open) {
      continue;
    }
    const body = [];
    let j = i + 1;
    const close = new RegExp(`^\`{${open[1].length},}\\s*$`);
    while (j < lines.length && !close.test(lines[j])) {
      body.push(lines[j]);
      j += 1;
    }
    found.push({ where: `${file}:${i + 1}`, text: body.join("\n") });
    i = j;
  }
  return found;
}

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node mermaid-parse.mjs FILE...");
    return 2;
  }
  let failures = 0;
  for (const file of files) {
    const diagrams = diagramsIn(file, await readFile(file, "utf8"));
    if (diagrams.length === 0) {
      console.log(`${file}: no mermaid block found`);
      failures += 1;
    }
    for (const { where, text } of diagrams) {
      try {
        await mermaid.parse(text);
        console.log(`${where}: ok`);
      } catch (error) {
        console.log(`${where}: ${String(error?.message ?? error)}`);
        failures += 1;
      }
    }
  }
  return failures > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`mermaid-parse: ${error?.stack ?? error}`);
    process.exit(2);
  },
);
