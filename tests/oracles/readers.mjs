// The three independent Parquet readers used as test oracles (docs/testing.md).
// Each reader returns:
//   { reader, version, columns: [{ name, native, type, kind }], notes, rows() }
// where `type` is a reader-independent type name (BOOLEAN, INT8..INT64, UINT8..UINT64,
// FLOAT, DOUBLE, STRING, BINARY, DATE, DECIMAL(p,s), TIMESTAMP(UNIT,UTC|LOCAL),
// UNSUPPORTED(native)), `kind` says how values are mapped to the canonical encoding, and
// rows() is an async generator of arrays of values ready for canon.canonValue().
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { Ts, DateDays, Dec, Bin, F64, decimalText } from './canon.mjs';

const require = createRequire(import.meta.url);

export const READERS = ['duckdb', 'hyparquet', 'polars'];

function pkgVersion(name) {
  try {
    return require(`${name}/package.json`).version;
  } catch {
    // packages with an "exports" map that hides package.json
    const main = require.resolve(name);
    let dir = main;
    for (let i = 0; i < 6; i++) {
      dir = dir.slice(0, dir.lastIndexOf('/'));
      try {
        const p = JSON.parse(fs.readFileSync(`${dir}/package.json`, 'utf8'));
        if (p.name === name) return p.version;
      } catch { /* keep looking */ }
    }
    return 'unknown';
  }
}

function sqlString(s) {
  return "'" + String(s).replace(/'/g, "''") + "'";
}
function sqlIdent(s) {
  return '"' + String(s).replace(/"/g, '""') + '"';
}

// ---------------------------------------------------------------- DuckDB
const DUCK_SIMPLE = {
  BOOLEAN: ['BOOLEAN', 'bool'],
  TINYINT: ['INT8', 'int'], SMALLINT: ['INT16', 'int'], INTEGER: ['INT32', 'int'], BIGINT: ['INT64', 'int'],
  HUGEINT: ['INT128', 'int'],
  UTINYINT: ['UINT8', 'int'], USMALLINT: ['UINT16', 'int'], UINTEGER: ['UINT32', 'int'], UBIGINT: ['UINT64', 'int'],
  UHUGEINT: ['UINT128', 'int'],
  FLOAT: ['FLOAT', 'float'], DOUBLE: ['DOUBLE', 'float'],
  VARCHAR: ['STRING', 'string'], BLOB: ['BINARY', 'binary'], DATE: ['DATE', 'date'],
  TIMESTAMP: ['TIMESTAMP(MICROS,LOCAL)', 'ts'],
  'TIMESTAMP WITH TIME ZONE': ['TIMESTAMP(MICROS,UTC)', 'ts'],
  TIMESTAMP_NS: ['TIMESTAMP(NANOS,LOCAL)', 'ts'],
  TIMESTAMP_MS: ['TIMESTAMP(MILLIS,LOCAL)', 'ts'],
  TIMESTAMP_S: ['TIMESTAMP(SECONDS,LOCAL)', 'ts'],
};

function duckType(native) {
  if (DUCK_SIMPLE[native]) return DUCK_SIMPLE[native];
  const m = /^DECIMAL\((\d+),(\d+)\)$/.exec(native);
  if (m) return [`DECIMAL(${m[1]},${m[2]})`, 'decimal'];
  return [`UNSUPPORTED(${native})`, 'unsupported'];
}

function duckValue(kind, v) {
  if (v === null || v === undefined) return null;
  switch (kind) {
    case 'bool': case 'string': return v;
    case 'int': return typeof v === 'bigint' ? v : BigInt(v);
    case 'float': return new F64(v);
    case 'binary': return new Bin(v.bytes);
    case 'date': return new DateDays(v.days);
    case 'decimal': return new Dec(decimalText(v.value, v.scale));
    case 'ts':
      if (v.nanos !== undefined) return new Ts(v.nanos);
      if (v.micros !== undefined) return new Ts(v.micros * 1000n);
      if (v.millis !== undefined) return new Ts(v.millis * 1000000n);
      if (v.seconds !== undefined) return new Ts(v.seconds * 1000000000n);
      throw new Error(`unexpected DuckDB timestamp value ${v}`);
    default: throw new Error(`DuckDB: no mapping for kind ${kind}`);
  }
}

export async function openDuckdb(file) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
  const con = await inst.connect();
  const src = `read_parquet(${sqlString(file)})`;
  const desc = (await con.runAndReadAll(`DESCRIBE SELECT * FROM ${src}`)).getRowObjects();
  const version = (await con.runAndReadAll('SELECT version() AS v')).getRowObjects()[0].v;
  const columns = desc.map((d) => {
    const [type, kind] = duckType(String(d.column_type));
    return { name: String(d.column_name), native: String(d.column_type), type, kind };
  });
  // DuckDB reads TIMESTAMP(NANOS, isAdjustedToUTC=true) and INT96 at microsecond precision:
  // note such columns so that tests know this oracle is not exact there.
  const notes = [];
  try {
    const ps = (await con.runAndReadAll(
      `SELECT name, type, logical_type FROM parquet_schema(${sqlString(file)})`)).getRowObjects();
    for (const c of columns) {
      const p = ps.find((x) => x.name === c.name);
      if (!p) continue;
      const ns = p.type === 'INT96' || /NANOS=NanoSeconds/.test(String(p.logical_type ?? ''));
      if (ns && !/NANOS/.test(c.type)) notes.push(`${c.name}: sub-microsecond digits dropped by DuckDB`);
    }
  } catch { /* parquet_schema is informational only */ }
  return {
    reader: 'duckdb', version: String(version), columns, notes,
    async *rows(selected) {
      const cols = selected ?? columns;
      const list = cols.map((c) => sqlIdent(c.name)).join(', ');
      const result = await con.stream(`SELECT ${list || '*'} FROM ${src}`);
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        for (const row of chunk.getRows()) {
          yield cols.length ? row.map((v, i) => duckValue(cols[i].kind, v)) : [];
        }
      }
    },
    close() { try { con.closeSync?.(); inst.closeSync?.(); } catch { /* ignore */ } },
  };
}

// ---------------------------------------------------------------- hyparquet
const HP_INT = { INT_8: 'INT8', INT_16: 'INT16', INT_32: 'INT32', INT_64: 'INT64', UINT_8: 'UINT8', UINT_16: 'UINT16', UINT_32: 'UINT32', UINT_64: 'UINT64' };

function hpType(el, nested) {
  const lt = el.logical_type;
  const ct = el.converted_type;
  const t = el.type;
  const desc = [t, lt ? lt.type : null, ct].filter(Boolean).join('/');
  if (nested) return [`UNSUPPORTED(nested ${desc || 'group'})`, 'unsupported'];
  if (ct === 'DECIMAL' || lt?.type === 'DECIMAL') {
    return [`DECIMAL(${el.precision ?? lt?.precision},${el.scale ?? lt?.scale ?? 0})`, 'decimal'];
  }
  if (ct === 'BSON' || ct === 'INTERVAL' || ct === 'TIME_MILLIS' || ct === 'TIME_MICROS' ||
      ['TIME', 'UUID', 'GEOMETRY', 'GEOGRAPHY', 'VARIANT', 'INTERVAL', 'UNKNOWN'].includes(lt?.type)) {
    return [`UNSUPPORTED(${desc})`, 'unsupported'];
  }
  switch (t) {
    case 'BOOLEAN': return ['BOOLEAN', 'bool'];
    case 'INT32':
    case 'INT64':
      if (ct === 'DATE' || lt?.type === 'DATE') return ['DATE', 'date'];
      if (lt?.type === 'TIMESTAMP') return [`TIMESTAMP(${lt.unit},${lt.isAdjustedToUTC ? 'UTC' : 'LOCAL'})`, 'ts'];
      if (ct === 'TIMESTAMP_MILLIS') return ['TIMESTAMP(MILLIS,UTC)', 'ts'];
      if (ct === 'TIMESTAMP_MICROS') return ['TIMESTAMP(MICROS,UTC)', 'ts'];
      if (lt?.type === 'INTEGER') return [`${lt.isSigned ? 'INT' : 'UINT'}${lt.bitWidth}`, 'int'];
      if (HP_INT[ct]) return [HP_INT[ct], 'int'];
      return [t, 'int'];
    case 'INT96': return ['TIMESTAMP(INT96)', 'ts'];
    case 'FLOAT': return ['FLOAT', 'float'];
    case 'DOUBLE': return ['DOUBLE', 'float'];
    case 'BYTE_ARRAY':
    case 'FIXED_LEN_BYTE_ARRAY':
      if (lt?.type === 'FLOAT16') return ['FLOAT16', 'float'];
      if (ct === 'UTF8' || ct === 'ENUM' || ct === 'JSON' || ['STRING', 'ENUM', 'JSON'].includes(lt?.type)) return ['STRING', 'string'];
      return ['BINARY', 'binary'];
    default: return [`UNSUPPORTED(${desc})`, 'unsupported'];
  }
}

function hpValue(kind, v, col) {
  if (v === null || v === undefined) return null;
  switch (kind) {
    case 'bool': return v;
    case 'int': return typeof v === 'bigint' ? v : BigInt(v);
    case 'float': return new F64(v);
    case 'string': return typeof v === 'string' ? v : new TextDecoder().decode(v);
    case 'binary': return new Bin(v);
    case 'ts': case 'date':
      if (v instanceof Ts || v instanceof DateDays) return v;
      throw new Error(`hyparquet: unexpected ${kind} value ${v}`);
    case 'decimal': {
      // hyparquet converts decimals to a JS number; exact only up to ~15 significant digits.
      return new Dec(Number(v).toFixed(col.scale));
    }
    default: throw new Error(`hyparquet: no mapping for kind ${kind}`);
  }
}

export async function openHyparquet(file) {
  const hp = await import('hyparquet');
  const { compressors } = await import('hyparquet-compressors');
  const buf = fs.readFileSync(file);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const metadata = hp.parquetMetadata(ab);
  const tree = hp.parquetSchema(metadata);
  const columns = tree.children.map((child) => {
    const el = child.element;
    const nested = child.children.length > 0 || el.repetition_type === 'REPEATED';
    const [type, kind] = hpType(el, nested);
    const native = [el.type ?? 'group', el.logical_type ? JSON.stringify(el.logical_type, (k, x) => typeof x === 'bigint' ? String(x) : x) : null,
      el.converted_type, el.repetition_type].filter(Boolean).join(' ');
    return { name: el.name, native, type, kind, scale: el.scale ?? el.logical_type?.scale ?? 0 };
  });
  const parsers = {
    timestampFromMilliseconds: (v) => (v == null ? v : new Ts(BigInt(v) * 1000000n)),
    timestampFromMicroseconds: (v) => (v == null ? v : new Ts(BigInt(v) * 1000n)),
    timestampFromNanoseconds: (v) => (v == null ? v : new Ts(BigInt(v))),
    dateFromDays: (v) => (v == null ? v : new DateDays(Number(v))),
    jsonFromBytes: (b) => (b == null ? b : new TextDecoder().decode(b)),
  };
  return {
    reader: 'hyparquet', version: pkgVersion('hyparquet'), columns, notes: [],
    async *rows(selected) {
      const cols = selected ?? columns;
      let start = 0;
      for (const rg of metadata.row_groups) {
        const n = Number(rg.num_rows);
        if (n === 0) continue;
        if (!cols.length) { for (let i = 0; i < n; i++) yield []; start += n; continue; }
        let out;
        await hp.parquetRead({
          file: ab, metadata, compressors, parsers, utf8: false,
          columns: cols.map((c) => c.name), rowStart: start, rowEnd: start + n,
          onComplete: (rows) => { out = rows; },
        });
        for (const row of out) yield row.map((v, i) => hpValue(cols[i].kind, v, cols[i]));
        start += n;
      }
    },
    close() {},
  };
}

// ---------------------------------------------------------------- polars
const PL_INT = { Int8: 'INT8', Int16: 'INT16', Int32: 'INT32', Int64: 'INT64', UInt8: 'UINT8', UInt16: 'UINT16', UInt32: 'UINT32', UInt64: 'UINT64' };
const PL_UNIT = { ms: ['MILLIS', 1000000n], us: ['MICROS', 1000n], ns: ['NANOS', 1n] };

export async function openPolars(file) {
  const pl = (await import('nodejs-polars')).default;
  const df = pl.readParquet(file);
  const columns = df.columns.map((name) => {
    let dt;
    try {
      dt = df.getColumn(name).dtype;
    } catch (e) {
      if (/Binary/.test(e.message)) return { name, native: 'Binary', type: 'BINARY', kind: 'binary' };
      return { name, native: `? (${e.message})`, type: 'UNSUPPORTED(?)', kind: 'unsupported' };
    }
    const v = dt.variant;
    if (v === 'Bool') return { name, native: v, type: 'BOOLEAN', kind: 'bool' };
    if (PL_INT[v]) return { name, native: v, type: PL_INT[v], kind: /64/.test(v) ? 'int64' : 'int' };
    if (v === 'Float32') return { name, native: v, type: 'FLOAT', kind: 'float' };
    if (v === 'Float64') return { name, native: v, type: 'DOUBLE', kind: 'float' };
    if (v === 'String' || v === 'Utf8' || v === 'Categorical') return { name, native: v, type: 'STRING', kind: 'string' };
    if (v === 'Date') return { name, native: v, type: 'DATE', kind: 'date' };
    if (v === 'Decimal') return { name, native: `Decimal(${dt.precision},${dt.scale})`, type: `DECIMAL(${dt.precision},${dt.scale})`, kind: 'decimal' };
    if (v === 'Datetime') {
      const [unit, factor] = PL_UNIT[dt.timeUnit];
      const tz = dt.timeZone ? 'UTC' : 'LOCAL';
      return { name, native: `Datetime(${dt.timeUnit},${dt.timeZone ?? ''})`, type: `TIMESTAMP(${unit},${tz})`, kind: 'ts', factor };
    }
    return { name, native: String(dt), type: `UNSUPPORTED(${String(dt)})`, kind: 'unsupported' };
  });
  const exprFor = (c) => {
    const e = pl.col(c.name);
    switch (c.kind) {
      case 'int64': case 'decimal': return e.cast(pl.Utf8).alias(c.name);
      case 'ts': return e.cast(pl.Int64).cast(pl.Utf8).alias(c.name);
      case 'date': return e.cast(pl.Int32).alias(c.name);
      case 'binary': return e.cast(pl.List(pl.UInt8)).alias(c.name);
      case 'string': return e.cast(pl.Utf8).alias(c.name);
      default: return e;
    }
  };
  const value = (c, v) => {
    if (v === null || v === undefined) return null;
    switch (c.kind) {
      case 'bool': return v;
      case 'int': return BigInt(v);
      case 'int64': return BigInt(v);
      case 'float': return new F64(v);
      case 'string': return v;
      case 'decimal': return new Dec(v);
      case 'date': return new DateDays(v);
      case 'ts': return new Ts(BigInt(v) * c.factor);
      case 'binary': return new Bin(Uint8Array.from(v));
      default: throw new Error(`polars: no mapping for kind ${c.kind}`);
    }
  };
  return {
    reader: 'polars', version: String(pl.version ?? pkgVersion('nodejs-polars')), columns, notes: [],
    async *rows(selected) {
      const cols = selected ?? columns;
      const n = df.height;
      if (!cols.length) { for (let i = 0; i < n; i++) yield []; return; }
      const view = df.select(...cols.map(exprFor));
      const step = 8192;
      for (let off = 0; off < n; off += step) {
        const part = view.slice(off, Math.min(step, n - off)).rows();
        for (const row of part) yield row.map((v, i) => value(cols[i], v));
      }
    },
    close() {},
  };
}

export async function openReader(reader, file) {
  if (!fs.existsSync(file)) throw new Error(`no such file: ${file}`);
  switch (reader) {
    case 'duckdb': return openDuckdb(file);
    case 'hyparquet': return openHyparquet(file);
    case 'polars': return openPolars(file);
    default: throw new Error(`unknown reader ${reader} (expected one of ${READERS.join(', ')})`);
  }
}
