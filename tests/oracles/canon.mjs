// Canonical value encoding shared by the Parquet oracles (see docs/testing.md,
// "Canonical JSON Lines"). tests/oracles/canon.py produces the same bytes from Python.

const TWO53 = 2n ** 53n;
const NS_PER_DAY = 86400n * 1000000000n;

/** Timestamp value: exact nanoseconds since the Unix epoch (bigint). */
export class Ts {
  constructor(ns) { this.ns = BigInt(ns); }
}
/** Date value: days since the Unix epoch (integer). */
export class DateDays {
  constructor(days) { this.days = Number(days); }
}
/** Decimal value: exact decimal text ("12.50"). */
export class Dec {
  constructor(text) { this.text = text; }
}
/** Binary value (BYTE_ARRAY / FIXED_LEN_BYTE_ARRAY without a string annotation). */
export class Bin {
  constructor(bytes) { this.bytes = bytes; }
}
/** A double (FLOAT is widened to double). Needed because JS numbers do not say int or float. */
export class F64 {
  constructor(v) { this.v = Number(v); }
}

// JSON string exactly as Python's json.dumps(s) (ensure_ascii=True) writes it.
const ESC = { 0x22: '\\"', 0x5c: '\\\\', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x08: '\\b', 0x0c: '\\f' };
export function jsonString(s) {
  return '"' + String(s).replace(/[\u0000-\u001f"\\\u007f-\uffff]/g, (ch) => {
    const c = ch.charCodeAt(0);
    return ESC[c] ?? '\\u' + c.toString(16).padStart(4, '0');
  }) + '"';
}

// A finite double formatted as Python's repr(float): shortest round-trip digits,
// scientific notation when the decimal exponent is < -4 or >= 16.
export function pyFloat(x) {
  if (Number.isNaN(x)) return '"NaN"';
  if (x === Infinity) return '"Infinity"';
  if (x === -Infinity) return '"-Infinity"';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(x.toExponential());
  if (!m) throw new Error(`cannot format double ${x}`);
  const sign = m[1];
  const digits = m[2] + (m[3] || '');
  const exp = parseInt(m[4], 10);
  if (exp < -4 || exp >= 16) {
    const mant = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits;
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${sign}${mant}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intLen = exp + 1;
  if (digits.length <= intLen) return `${sign}${digits.padEnd(intLen, '0')}.0`;
  return `${sign}${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
}

export function canonInt(v) {
  const b = BigInt(v);
  const a = b < 0n ? -b : b;
  return a < TWO53 ? b.toString() : '"' + b.toString() + '"';
}

function floorDiv(a, b) {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

function civilFromDays(days) {
  // Howard Hinnant's algorithm, proleptic Gregorian calendar, all in BigInt.
  const z = BigInt(days) + 719468n;
  const era = floorDiv(z, 146097n);
  const doe = z - era * 146097n;
  const yoe = (doe - doe / 1460n + doe / 36524n - doe / 146096n) / 365n;
  let y = yoe + era * 400n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const d = doy - (153n * mp + 2n) / 5n + 1n;
  const m = mp < 10n ? mp + 3n : mp - 9n;
  if (m <= 2n) y += 1n;
  return [y, m, d];
}

function fmtYear(y) {
  if (y >= 0n && y <= 9999n) return y.toString().padStart(4, '0');
  return (y < 0n ? '-' : '+') + (y < 0n ? -y : y).toString().padStart(6, '0');
}
const p2 = (n) => n.toString().padStart(2, '0');

export function formatDate(days) {
  const [y, m, d] = civilFromDays(BigInt(days));
  return `${fmtYear(y)}-${p2(m)}-${p2(d)}`;
}

export function formatTimestampNs(ns) {
  ns = BigInt(ns);
  const days = floorDiv(ns, NS_PER_DAY);
  let rem = ns - days * NS_PER_DAY;
  const [y, m, d] = civilFromDays(days);
  const frac = rem % 1000000000n; rem /= 1000000000n;
  const ss = rem % 60n; rem /= 60n;
  const mi = rem % 60n; const hh = rem / 60n;
  return `${fmtYear(y)}-${p2(m)}-${p2(d)}T${p2(hh)}:${p2(mi)}:${p2(ss)}.${frac.toString().padStart(9, '0')}Z`;
}

export function hex(bytes) {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Canonical JSON text of one value (already mapped to the classes above by the reader). */
export function canonValue(v) {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return canonInt(v);
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`untyped non-integer number ${v}`);
    return canonInt(BigInt(v));
  }
  if (typeof v === 'string') return jsonString(v);
  if (v instanceof F64) return pyFloat(v.v);
  if (v instanceof Ts) return jsonString(formatTimestampNs(v.ns));
  if (v instanceof DateDays) return jsonString(formatDate(v.days));
  if (v instanceof Dec) return jsonString(v.text);
  if (v instanceof Bin) return jsonString('hex:' + hex(v.bytes));
  throw new Error(`value outside the canonical set: ${Object.prototype.toString.call(v)}`);
}

/** One canonical row line: {"col":value,...} in column order, like json.dumps(separators=(',', ':')). */
export function canonRow(names, values) {
  let s = '{';
  for (let i = 0; i < names.length; i++) {
    if (i) s += ',';
    s += jsonString(names[i]) + ':' + canonValue(values[i]);
  }
  return s + '}';
}

/** The summary line that closes every oracle output. */
export function summaryLine(obj) {
  return '{"#summary":' + jsonValue(obj) + '}';
}

// Plain JSON for summaries (strings, numbers, arrays, objects; keys in insertion order).
export function jsonValue(v) {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return jsonString(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return canonInt(v);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pyFloat(v);
  if (Array.isArray(v)) return '[' + v.map(jsonValue).join(',') + ']';
  return '{' + Object.entries(v).map(([k, x]) => jsonString(k) + ':' + jsonValue(x)).join(',') + '}';
}

/** Decimal text from an unscaled integer and a scale: (1250n, 2) -> "12.50". */
export function decimalText(unscaled, scale) {
  let u = BigInt(unscaled);
  const neg = u < 0n;
  if (neg) u = -u;
  let s = u.toString();
  if (scale > 0) {
    s = s.padStart(scale + 1, '0');
    s = s.slice(0, s.length - scale) + '.' + s.slice(s.length - scale);
  }
  return (neg ? '-' : '') + s;
}

/** Buffered stdout writer that respects back-pressure. */
export class LineWriter {
  constructor(stream = process.stdout) { this.stream = stream; this.buf = []; this.size = 0; }
  async line(s) {
    this.buf.push(s); this.size += s.length + 1;
    if (this.size >= 1 << 16) await this.flush();
  }
  async flush() {
    if (!this.buf.length) return;
    const chunk = this.buf.join('\n') + '\n';
    this.buf = []; this.size = 0;
    if (!this.stream.write(chunk)) await new Promise((r) => this.stream.once('drain', r));
  }
}
