"""Canonical JSON Lines encoding of Parquet rows (docs/testing.md, "Canonical JSON Lines").

The Node oracles (tests/oracles/read.mjs) print exactly what these functions print, byte for
byte, so a test can turn tsarchive's own output into the same form and compare.  Python
standard library only.

    canon_row(["time", "host", "v"], [Timestamp(1704067200123456789), "a", 1.5])
    -> '{"time":"2024-01-01T00:00:00.123456789Z","host":"a","v":1.5}'
"""
import datetime
import decimal
import json
import math

__all__ = [
    "Timestamp", "Date", "canon_value", "canon_row", "canon_int", "canon_float",
    "format_timestamp_ns", "format_date", "summary_line", "SUMMARY_KEY",
]

SUMMARY_KEY = "#summary"
_TWO53 = 1 << 53
_NS_PER_DAY = 86400 * 1_000_000_000


class Timestamp:
    """A timestamp as exact integer nanoseconds since 1970-01-01T00:00:00Z."""
    __slots__ = ("ns",)

    def __init__(self, ns):
        self.ns = int(ns)

    @classmethod
    def from_unit(cls, value, unit):
        """unit: 's', 'ms', 'us' or 'ns' (also MILLIS/MICROS/NANOS)."""
        f = {"s": 10**9, "ms": 10**6, "millis": 10**6, "us": 1000, "micros": 1000,
             "ns": 1, "nanos": 1}[unit.lower()]
        return cls(int(value) * f)

    def __eq__(self, other):
        return isinstance(other, Timestamp) and other.ns == self.ns

    def __hash__(self):
        return hash(self.ns)

    def __repr__(self):
        return f"Timestamp({self.ns})"


class Date:
    """A calendar date as days since 1970-01-01."""
    __slots__ = ("days",)

    def __init__(self, days):
        self.days = int(days)

    def __repr__(self):
        return f"Date({self.days})"


def _civil_from_days(z):
    # Howard Hinnant's days_from_civil inverse; proleptic Gregorian, any integer.
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    if m <= 2:
        y += 1
    return y, m, d


def _fmt_year(y):
    if 0 <= y <= 9999:
        return "%04d" % y
    return ("-" if y < 0 else "+") + "%06d" % abs(y)


def format_date(days):
    y, m, d = _civil_from_days(int(days))
    return "%s-%02d-%02d" % (_fmt_year(y), m, d)


def format_timestamp_ns(ns):
    """Exact ns since the epoch -> 'YYYY-MM-DDTHH:MM:SS.fffffffffZ' (always 9 digits, UTC)."""
    ns = int(ns)
    days, rem = divmod(ns, _NS_PER_DAY)
    y, m, d = _civil_from_days(days)
    secs, frac = divmod(rem, 1_000_000_000)
    hh, rest = divmod(secs, 3600)
    mi, ss = divmod(rest, 60)
    return "%s-%02d-%02dT%02d:%02d:%02d.%09dZ" % (_fmt_year(y), m, d, hh, mi, ss, frac)


def canon_int(v):
    v = int(v)
    return str(v) if abs(v) < _TWO53 else '"%d"' % v


def canon_float(x):
    x = float(x)
    if math.isnan(x):
        return '"NaN"'
    if math.isinf(x):
        return '"Infinity"' if x > 0 else '"-Infinity"'
    return repr(x)


def canon_value(v):
    """Canonical JSON text of one Python value.

    None -> null; bool; int (string of digits when |v| >= 2**53); float (repr; NaN/Infinity as
    strings); str; bytes -> "hex:..."; Timestamp -> RFC 3339 with 9 digits; Date or
    datetime.date -> "YYYY-MM-DD"; decimal.Decimal -> plain decimal string;
    datetime.datetime (must be timezone-aware) -> timestamp (microsecond precision).
    """
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return canon_int(v)
    if isinstance(v, float):
        return canon_float(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return json.dumps("hex:" + bytes(v).hex())
    if isinstance(v, Timestamp):
        return json.dumps(format_timestamp_ns(v.ns))
    if isinstance(v, Date):
        return json.dumps(format_date(v.days))
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            raise ValueError("naive datetime: give a timezone or use Timestamp(ns)")
        delta = v - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        us = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
        return json.dumps(format_timestamp_ns(us * 1000))
    if isinstance(v, datetime.date):
        return json.dumps(format_date((v - datetime.date(1970, 1, 1)).days))
    if isinstance(v, decimal.Decimal):
        return json.dumps(format(v, "f"))
    raise TypeError("value outside the canonical set: %r" % (v,))


def canon_row(names, values):
    """One canonical line (no newline): {"name":value,...} in the given column order."""
    if len(names) != len(values):
        raise ValueError("%d names but %d values" % (len(names), len(values)))
    return "{" + ",".join(json.dumps(n) + ":" + canon_value(v) for n, v in zip(names, values)) + "}"


def summary_line(**fields):
    return json.dumps({SUMMARY_KEY: fields}, separators=(",", ":"))
