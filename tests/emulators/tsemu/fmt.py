"""Scalar formatting and parsing the way Timestream prints query results.

TIMESTAMP: `YYYY-MM-DD hh:mm:ss.nnnnnnnnn` UTC, always nine fraction digits (reference §1.4).
DOUBLE: Java `Double.toString` style (the service is a JVM/Presto engine): plain decimal with at
least one fraction digit for 1e-3 <= |x| < 1e7, otherwise `d.dddE[-]n`; shortest round-trip
digits; `NaN`, `Infinity`, `-Infinity`.  (The exact DOUBLE spelling is not documented; this is
our best model and is listed in docs/emulators.md as a known uncertainty.)
"""
import calendar
import datetime
import math
import re

NS = 1_000_000_000
_EPOCH = datetime.datetime(1970, 1, 1)
_day_cache = {}


def fmt_timestamp(ns):
    secs, frac = divmod(ns if type(ns) is int else int(ns), NS)
    days, rem = divmod(secs, 86400)
    d = _day_cache.get(days)
    if d is None:
        d = (_EPOCH + datetime.timedelta(days=days)).strftime("%Y-%m-%d")
        if len(_day_cache) < 100000:
            _day_cache[days] = d
    h, rem = divmod(rem, 3600)
    mi, s = divmod(rem, 60)
    return "%s %02d:%02d:%02d.%09d" % (d, h, mi, s, frac)


def fmt_double(x):
    x = float(x)
    # 1e-3 <= |x| < 1e7: repr() is already plain decimal with the shortest round-trip digits
    # and at least one fraction digit, which is what the general path below builds
    if 1e-3 <= x < 1e7 or -1e7 < x <= -1e-3:
        return repr(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0.0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    sign = "-" if x < 0 else ""
    ax = abs(x)
    # Shortest round-trip digits from repr(), as (digit string, decimal exponent of the first digit).
    r = repr(ax)
    if "e" in r:
        mant, _, e = r.partition("e")
        exp = int(e)
        digits = mant.replace(".", "")
    else:
        ip, _, fp = r.partition(".")
        if ip != "0":
            exp = len(ip) - 1
            digits = ip + fp
        else:
            stripped = fp.lstrip("0")
            exp = -(len(fp) - len(stripped) + 1)
            digits = stripped
    digits = digits.rstrip("0") or "0"
    if 1e-3 <= ax < 1e7:
        if exp >= 0:
            whole = digits[:exp + 1].ljust(exp + 1, "0")
            frac = digits[exp + 1:] or "0"
        else:
            whole = "0"
            frac = "0" * (-exp - 1) + digits
        return f"{sign}{whole}.{frac}"
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{exp}"


def fmt_bool(v):
    return "true" if v else "false"


def fmt_interval(ns):
    """INTERVAL_DAY_TO_SECOND as Presto prints it: `D hh:mm:ss.nnnnnnnnn`."""
    sign = "-" if ns < 0 else ""
    ns = abs(int(ns))
    secs, frac = divmod(ns, NS)
    days, rem = divmod(secs, 86400)
    h, rem = divmod(rem, 3600)
    mi, s = divmod(rem, 60)
    return f"{sign}{days} {h:02d}:{mi:02d}:{s:02d}.{frac:09d}"


_ISO_RE = re.compile(
    r"^\s*(-?\d{4,})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*$")


def parse_timestamp(text):
    """ISO-8601 / SQL timestamp text → int ns since epoch (UTC unless an offset is given)."""
    m = _ISO_RE.match(text)
    if not m:
        raise ValueError(f"Invalid format: \"{text}\"")
    y, mo, d, h, mi, s, frac, tz = m.groups()
    try:
        dt = datetime.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0))
    except ValueError as e:
        raise ValueError(f"Invalid timestamp \"{text}\": {e}") from None
    secs = calendar.timegm(dt.timetuple())
    if tz and tz != "Z":
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        off = int(digits[:2]) * 3600 + (int(digits[2:4]) * 60 if len(digits) > 2 else 0)
        secs -= sign * off
    ns = secs * NS + (int((frac or "0").ljust(9, "0")) if frac else 0)
    return ns
