"""InfluxDB line protocol parser used by the influx2 emulator and the Timestream bulk loader.

Follows the reference rules: measurement escapes comma and space; tag keys, tag values and field
keys escape comma, '=' and space; string field values escape '"' and '\\'; '\\\\' is one backslash
and a backslash before any other character is literal.  Lines without backslashes or quotes take
a fast split()-based path because bulk loads parse millions of them.
"""

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
UINT64_MAX = (1 << 64) - 1
MAX_STRING_FIELD = 64 * 1024

PRECISION_NS = {"ns": 1, "n": 1, "us": 1000, "u": 1000, "ms": 1000000, "s": 1000000000}

_TRUE = frozenset(("t", "T", "true", "True", "TRUE"))
_FALSE = frozenset(("f", "F", "false", "False", "FALSE"))


class LineError(ValueError):
    """A line that cannot be parsed; the message says why (as InfluxDB words it, roughly)."""


class Point:
    __slots__ = ("measurement", "tags", "fields", "time")

    def __init__(self, measurement, tags, fields, time):
        self.measurement = measurement  # str
        self.tags = tags                # list of (key, value), in line order
        self.fields = fields            # list of (key, kind, value); kind: float|integer|unsigned|string|boolean
        self.time = time                # int ns, or None when the line has none

    def __repr__(self):
        return f"Point({self.measurement!r}, {self.tags!r}, {self.fields!r}, {self.time!r})"


def _field_value(raw):
    """Typed value of an unquoted field literal."""
    if not raw:
        raise LineError("missing field value")
    last = raw[-1]
    if last == "i" and len(raw) > 1:
        try:
            v = int(raw[:-1], 10)
        except ValueError:
            raise LineError(f"invalid integer {raw!r}") from None
        if not INT64_MIN <= v <= INT64_MAX:
            raise LineError(f"integer {raw!r} out of range")
        return "integer", v
    if last == "u" and len(raw) > 1:
        try:
            v = int(raw[:-1], 10)
        except ValueError:
            raise LineError(f"invalid unsigned integer {raw!r}") from None
        if not 0 <= v <= UINT64_MAX:
            raise LineError(f"unsigned integer {raw!r} out of range")
        return "unsigned", v
    if raw in _TRUE:
        return "boolean", True
    if raw in _FALSE:
        return "boolean", False
    # Python's float() accepts 'nan', 'inf', '1_0' and spaces; line protocol does not.
    c0 = raw[0]
    if not (c0.isdigit() or c0 in "+-."):
        raise LineError(f"invalid field value {raw!r}")
    low = raw.lower()
    if "_" in raw or "n" in low or " " in raw:
        raise LineError(f"invalid number {raw!r}")
    try:
        return "float", float(raw)
    except ValueError:
        raise LineError(f"invalid number {raw!r}") from None


def _timestamp(raw, mult):
    try:
        t = int(raw, 10)
    except ValueError:
        raise LineError(f"invalid timestamp {raw!r}") from None
    if "_" in raw or raw[0] == "+":
        raise LineError(f"invalid timestamp {raw!r}")
    t *= mult
    if not INT64_MIN < t < INT64_MAX:
        raise LineError(f"timestamp {raw!r} out of range")
    return t


def _fast(line, mult):
    """Parse a line without backslashes or quotes; returns a Point."""
    parts = line.split(" ")
    if len(parts) == 3:
        head, fieldpart, ts = parts
        time = _timestamp(ts, mult)
    elif len(parts) == 2:
        head, fieldpart = parts
        time = None
    else:
        if len(parts) < 2:
            raise LineError("missing fields")
        raise LineError("invalid field format" if len(parts) > 3 else "bad line")
    hp = head.split(",")
    measurement = hp[0]
    if not measurement:
        raise LineError("missing measurement")
    tags = []
    for kv in hp[1:]:
        k, eq, v = kv.partition("=")
        if not eq or not k:
            raise LineError("missing tag key")
        if not v:
            raise LineError("missing tag value")
        if "=" in v:
            raise LineError("invalid tag format")
        tags.append((k, v))
    if not fieldpart:
        raise LineError("missing fields")
    fields = []
    for kv in fieldpart.split(","):
        k, eq, v = kv.partition("=")
        if not eq:
            raise LineError("missing field value" if k else "missing field key")
        if not k:
            raise LineError("missing field key")
        kind, val = _field_value(v)
        fields.append((k, kind, val))
    return Point(measurement, tags, fields, time)


def _scan_name(line, i, stops, escapable):
    """Read an escaped name from line[i:] up to an unescaped char in stops; returns (text, index)."""
    out = []
    n = len(line)
    while i < n:
        c = line[i]
        if c == "\\" and i + 1 < n:
            nxt = line[i + 1]
            if nxt in escapable or nxt == "\\":
                out.append(nxt)
                i += 2
                continue
            out.append(c)
            i += 1
            continue
        if c in stops:
            break
        out.append(c)
        i += 1
    return "".join(out), i


def _slow(line, mult):
    n = len(line)
    measurement, i = _scan_name(line, 0, ", ", ", ")
    if not measurement:
        raise LineError("missing measurement")
    tags = []
    while i < n and line[i] == ",":
        k, i = _scan_name(line, i + 1, ",= ", ",= ")
        if i >= n or line[i] != "=" or not k:
            raise LineError("missing tag key" if not k else "missing tag value")
        v, i = _scan_name(line, i + 1, ",= ", ",= ")
        if not v:
            raise LineError("missing tag value")
        if i < n and line[i] == "=":
            raise LineError("invalid tag format")
        tags.append((k, v))
    if i >= n or line[i] != " ":
        raise LineError("missing fields")
    i += 1
    fields = []
    while True:
        k, i = _scan_name(line, i, ",= ", ",= ")
        if not k:
            raise LineError("missing field key" if i < n and line[i] == "=" else "missing fields")
        if i >= n or line[i] != "=":
            raise LineError("missing field value")
        i += 1
        if i < n and line[i] == '"':
            # String field: only \" and \\ are escapes; anything else, even a space, is content.
            i += 1
            out = []
            while True:
                if i >= n:
                    raise LineError("unbalanced quotes")
                c = line[i]
                if c == "\\" and i + 1 < n and line[i + 1] in '"\\':
                    out.append(line[i + 1])
                    i += 2
                    continue
                if c == '"':
                    i += 1
                    break
                out.append(c)
                i += 1
            s = "".join(out)
            if len(s.encode("utf-8")) > MAX_STRING_FIELD:
                raise LineError("string field value too long")
            fields.append((k, "string", s))
        else:
            j = i
            while j < n and line[j] not in ", ":
                j += 1
            kind, val = _field_value(line[i:j])
            fields.append((k, kind, val))
            i = j
        if i < n and line[i] == ",":
            i += 1
            continue
        break
    time = None
    if i < n:
        if line[i] != " ":
            raise LineError("invalid field format")
        rest = line[i + 1:].strip(" ")
        if rest:
            if " " in rest:
                raise LineError("invalid timestamp: extra data after timestamp")
            time = _timestamp(rest, mult)
    return Point(measurement, tags, fields, time)


def parse_line(line, precision="ns"):
    """Parse one line (no newline) into a Point; raises LineError."""
    mult = PRECISION_NS[precision]
    if "\\" in line or '"' in line:
        return _slow(line, mult)
    return _fast(line, mult)


def iter_lines(text):
    """Yield (line_number, line) for every line that holds a point (skips blanks and comments)."""
    for no, line in enumerate(text.split("\n"), 1):
        if line.endswith("\r"):
            line = line[:-1]
        s = line.lstrip(" \t")
        if not s or s[0] == "#":
            continue
        yield no, s.rstrip(" \t") if not s.endswith("\\ ") else s


def parse(text, precision="ns"):
    """Parse a whole body; returns (points, errors): [(line_no, Point)], [(line_no, line, message)]."""
    mult_ok = precision in PRECISION_NS
    if not mult_ok:
        raise ValueError(f"invalid precision {precision!r}")
    points, errors = [], []
    for no, line in iter_lines(text):
        try:
            points.append((no, parse_line(line, precision)))
        except LineError as e:
            errors.append((no, line, str(e)))
    return points, errors
