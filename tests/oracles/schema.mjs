#!/usr/bin/env node
// usage: node tests/oracles/schema.mjs READER FILE
// Prints one JSON line per top-level column as READER sees it:
//   {"name":N,"type":T,"native":X}
// T is the reader-independent type name (see readers.mjs / docs/testing.md), X the reader's
// own description (DuckDB DESCRIBE type, hyparquet schema element, polars dtype).
// Exit status: 0 ok; 2 the reader refused the file; 64 usage.
import { openReader, READERS } from './readers.mjs';
import { jsonValue } from './canon.mjs';

const args = process.argv.slice(2);
if (args.length !== 2 || !READERS.includes(args[0])) {
  process.stderr.write(`usage: schema.mjs {${READERS.join('|')}} FILE\n`);
  process.exit(64);
}
const [reader, file] = args;
let r;
try {
  r = await openReader(reader, file);
} catch (e) {
  process.stderr.write(`schema.mjs: ${reader}: ${file}: ${e?.message ?? e}\n`);
  process.exit(2);
}
let text = '';
for (const c of r.columns) text += jsonValue({ name: c.name, type: c.type, native: c.native }) + '\n';
process.stdout.write(text);
r.close();
