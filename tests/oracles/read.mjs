#!/usr/bin/env node
// usage: node tests/oracles/read.mjs [--skip-unsupported] READER FILE
//        node tests/oracles/read.mjs [--skip-unsupported] --out-dir DIR READER FILE...
//   READER: duckdb | hyparquet | polars
// Prints every row of FILE as canonical JSON Lines (docs/testing.md), then one summary line
//   {"#summary":{"reader":R,"version":V,"file":F,"rows":N,"columns":[...],"types":[...],"skipped":[...],"notes":[...]}}
// Exit status: 0 ok; 2 the reader refused the file (message on stderr);
// 3 a column has a type outside the canonical set (use --skip-unsupported); 64 usage.
// With --out-dir (many files in one process, to save start-up time), file number I (from 0)
// goes to DIR/I.jsonl, its messages to DIR/I.err and its exit status to DIR/I.rc; the
// process exits 0 once all are done.
import fs from 'node:fs';
import path from 'node:path';
import { openReader, READERS } from './readers.mjs';
import { canonRow, summaryLine, LineWriter } from './canon.mjs';

function usage(msg) {
  if (msg) process.stderr.write(`read.mjs: ${msg}\n`);
  process.stderr.write(`usage: read.mjs [--skip-unsupported] {${READERS.join('|')}} FILE\n` +
    `       read.mjs [--skip-unsupported] --out-dir DIR {${READERS.join('|')}} FILE...\n`);
  process.exit(64);
}

const args = process.argv.slice(2);
let skipUnsupported = false;
let outDir = null;
while (args[0]?.startsWith('--')) {
  const a = args.shift();
  if (a === '--skip-unsupported') skipUnsupported = true;
  else if (a === '--out-dir') outDir = args.shift() ?? usage('--out-dir needs a value');
  else usage(`unknown option ${a}`);
}
if (!READERS.includes(args[0])) usage();
const reader = args.shift();
if (outDir ? args.length < 1 : args.length !== 1) usage();

/** Reads one file to `out` (LineWriter); messages to errWrite; returns the exit status. */
async function readOne(file, out, errWrite) {
  let r;
  try {
    r = await openReader(reader, file);
  } catch (e) {
    errWrite(`read.mjs: ${reader}: ${file}: ${e?.message ?? e}\n`);
    return 2;
  }
  try {
    const unsupported = r.columns.filter((c) => c.kind === 'unsupported');
    if (unsupported.length && !skipUnsupported) {
      errWrite(`read.mjs: ${reader}: ${file}: columns outside the canonical set: ` +
        unsupported.map((c) => `${c.name} (${c.native})`).join(', ') + ' (use --skip-unsupported)\n');
      return 3;
    }
    const cols = r.columns.filter((c) => c.kind !== 'unsupported');
    const names = cols.map((c) => c.name);
    let n = 0;
    try {
      for await (const values of r.rows(cols)) {
        await out.line(canonRow(names, values));
        n++;
      }
    } catch (e) {
      await out.flush();
      errWrite(`read.mjs: ${reader}: ${file}: after ${n} rows: ${e?.message ?? e}\n`);
      return 2;
    }
    await out.line(summaryLine({
      reader, version: r.version, file, rows: n, columns: names, types: cols.map((c) => c.type),
      skipped: unsupported.map((c) => c.name), notes: r.notes,
    }));
    await out.flush();
    return 0;
  } finally {
    r.close();
  }
}

if (!outDir) {
  process.stdout.on('error', (e) => { if (e.code === 'EPIPE') process.exit(0); throw e; });
  const rc = await readOne(args[0], new LineWriter(process.stdout), (s) => process.stderr.write(s));
  process.exitCode = rc;
} else {
  fs.mkdirSync(outDir, { recursive: true });
  for (let i = 0; i < args.length; i++) {
    const stream = fs.createWriteStream(path.join(outDir, `${i}.jsonl`));
    let err = '';
    const rc = await readOne(args[i], new LineWriter(stream), (s) => { err += s; });
    await new Promise((resolve, reject) => stream.end((e) => (e ? reject(e) : resolve())));
    fs.writeFileSync(path.join(outDir, `${i}.err`), err);
    fs.writeFileSync(path.join(outDir, `${i}.rc`), `${rc}\n`);
  }
}
