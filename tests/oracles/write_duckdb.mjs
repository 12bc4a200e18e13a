#!/usr/bin/env node
// Writes a Parquet file with DuckDB, so tests can check that our reader reads what DuckDB writes.
//
// usage: node tests/oracles/write_duckdb.mjs --out FILE.parquet (--sql 'SELECT ...' | --csv FILE.csv [--types 'col=TYPE,...'])
//            [--compression zstd|snappy|gzip|uncompressed|lz4|brotli] [--row-group-size N]
//            [--option 'KEY VALUE']... [--setup 'SQL;']...
//
// --sql     a query whose result is written:  COPY (query) TO FILE (FORMAT parquet, ...)
// --csv     a CSV file with a header line, read with read_csv (types auto-detected unless
//           --types gives some: 'time=TIMESTAMPTZ,v=DOUBLE')
// --option  any further COPY option, e.g. --option 'PARQUET_VERSION v2' --option 'ROW_GROUP_SIZE_BYTES 100000'
// --setup   statements run first (the session time zone is already UTC)
// Prints one line: {"written":FILE,"rows":N}. Exit 0 ok, 2 DuckDB error, 64 usage.
import { DuckDBInstance } from '@duckdb/node-api';
import { jsonValue } from './canon.mjs';

const COMPRESSIONS = ['zstd', 'snappy', 'gzip', 'uncompressed', 'lz4', 'lz4_raw', 'brotli'];
const usage = (msg) => {
  if (msg) process.stderr.write(`write_duckdb.mjs: ${msg}\n`);
  process.stderr.write("usage: write_duckdb.mjs --out FILE (--sql QUERY | --csv FILE [--types 'c=T,...']) " +
    '[--compression C] [--row-group-size N] [--option "KEY VALUE"]... [--setup SQL]...\n');
  process.exit(64);
};

const o = { options: [], setup: [] };
const argv = process.argv.slice(2);
while (argv.length) {
  const a = argv.shift();
  const val = () => (argv.length ? argv.shift() : usage(`${a} needs a value`));
  switch (a) {
    case '--out': o.out = val(); break;
    case '--sql': o.sql = val(); break;
    case '--csv': o.csv = val(); break;
    case '--types': o.types = val(); break;
    case '--compression': o.compression = val().toLowerCase(); break;
    case '--row-group-size': o.rowGroupSize = val(); break;
    case '--option': o.options.push(val()); break;
    case '--setup': o.setup.push(val()); break;
    case '-h': case '--help': usage(); break;
    default: usage(`unknown argument ${a}`);
  }
}
if (!o.out || (!o.sql === !o.csv)) usage('need --out and exactly one of --sql, --csv');
if (o.compression && !COMPRESSIONS.includes(o.compression)) usage(`compression must be one of ${COMPRESSIONS.join(', ')}`);
if (o.rowGroupSize && !/^[1-9][0-9]*$/.test(o.rowGroupSize)) usage('--row-group-size must be a positive integer');

const q = (s) => "'" + String(s).replace(/'/g, "''") + "'";
let query = o.sql;
if (o.csv) {
  let types = '';
  if (o.types) {
    const pairs = o.types.split(',').map((p) => {
      const i = p.indexOf('=');
      if (i < 1) usage(`bad --types entry ${p}`);
      return `${q(p.slice(0, i).trim())}: ${q(p.slice(i + 1).trim())}`;
    });
    types = `, types = {${pairs.join(', ')}}`;
  }
  query = `SELECT * FROM read_csv(${q(o.csv)}, header = true${types})`;
}
const opts = ['FORMAT parquet'];
if (o.compression) opts.push(`COMPRESSION ${o.compression}`);
if (o.rowGroupSize) opts.push(`ROW_GROUP_SIZE ${o.rowGroupSize}`);
opts.push(...o.options);

try {
  const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
  const con = await inst.connect();
  try { await con.run("SET TimeZone = 'UTC'"); } catch { /* no ICU: TIMESTAMPTZ is UTC anyway */ }
  for (const s of o.setup) await con.run(s);
  await con.run(`COPY (${query}) TO ${q(o.out)} (${opts.join(', ')})`);
  const n = (await con.runAndReadAll(`SELECT count(*) AS n FROM read_parquet(${q(o.out)})`)).getRowObjects()[0].n;
  process.stdout.write(jsonValue({ written: o.out, rows: n }) + '\n');
} catch (e) {
  process.stderr.write(`write_duckdb.mjs: ${e?.message ?? e}\n`);
  process.exit(2);
}
