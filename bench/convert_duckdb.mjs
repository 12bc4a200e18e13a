#!/usr/bin/env node
// Runs one SQL statement in DuckDB (in-memory database) for bench/convert.sh, so the
// benchmark times DuckDB doing the same conversion as `tsarchive convert`.
// usage: node bench/convert_duckdb.mjs 'SQL' [THREADS]
import { DuckDBInstance } from '@duckdb/node-api';

const [sql, threads] = process.argv.slice(2);
if (!sql) {
  process.stderr.write("usage: convert_duckdb.mjs 'SQL' [THREADS]\n");
  process.exit(64);
}
const opts = {};
if (threads) opts.threads = String(threads);
const db = await DuckDBInstance.create(':memory:', opts);
const con = await db.connect();
await con.run(sql);
