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
    secs, frac = divmod(int(ns), NS)
    days, rem = divmod(secs, 86400)
    d = _day_cache.get(days)
    if d is None:
        d = (_EPOCH + datetime.timedelta(days=days)).strftime("%Y-%m-%d")
        if len(_day_cache) < 100000:
            _day_cache[days] = d
    h, rem = divmod(rem, 3600)
    mi, s = divmod(rem, 60)
    return f"{d} {h:02d}:{mi:02d}:{s:02d}.{frac:09d}"


def fmt_double(x):
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0.0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    ax = abs(x)
    r = repr(x)  # shortest round-trip digits
    if 1e-3 <= ax < 1e7:
        if "e" in r or "E" in r:
            r = format(x, "f")
            r = r.rstrip("0")
            if r.endswith("."):
                r += "0"
        elif "." not in r:
            r += ".0"
        return r
    # Scientific: mantissa digits from repr, Java layout d.ddd…E<exp>.
    sign = "-" if x < 0 else ""
    mant, _, exp = format(ax, ".17e").partition("e")
    # use the shortest digits instead of 17 significant ones
    digits = repr(ax)
    if "e" in digits:
        m, _, e = digits.partition("e")
        exp_i = int(e)
        m = m.replace(".", "")
        lead = m.lstrip("0")
        # repr mantissa is already normalised to one leading digit
        mdigits = lead
    else:
        # a plain repr such as 12345678.0 or 0.0001
        ip, _, fp = digits.partition(".")
        if ip.strip("0"):
            exp_i = len(ip.lstrip("0")) - 1
            mdigits = (ip.lstrip("0") + fp)
        else:
            stripped = fp.lstrip("0")
            exp_i = -(len(fp) - len(stripped) + 1)
            mdigits = stripped
    mdigits = mdigits.rstrip("0") or "0"
    frac = mdigits[1:] or "0"
    return f"{sign}{mdigits[0]}.{frac}E{exp_i}"


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
