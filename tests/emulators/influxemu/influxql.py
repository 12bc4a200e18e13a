"""The InfluxQL read-back that InfluxDB 2.x serves on its 1.x-compatible /query endpoint.

Only what a restore's parity check and a person poking at the emulator send:
  SELECT count(*) | count("f") | * | "f", "t" FROM "m" [WHERE <cond> [AND <cond>]...]
         [ORDER BY time ASC|DESC] [LIMIT n]
  SELECT "f"::field, "t"::tag, ... (casts, as an exporter sends them)
  SHOW MEASUREMENTS, SHOW DATABASES, SHOW TAG KEYS [FROM "m"], SHOW FIELD KEYS [FROM "m"]
where <cond> is `time <op> <integer ns | 'RFC3339' | now() [- 1h]>` or `"tag" = 'value'`.
Answers are shaped as InfluxDB's: {"results":[{"statement_id":0,"series":[{"name","columns",
"values"}]}]}, with `time` first, the other columns in name order, times per `epoch`.
"""
import calendar
import re
import time as _time

EPOCH_DIV = {"ns": 1, "n": 1, "u": 1000, "µ": 1000, "us": 1000, "ms": 1000000, "s": 10**9, "m": 60 * 10**9,
             "h": 3600 * 10**9}
_TOKEN = re.compile(r"""\s*(?:
    (?P<qident>"(?:[^"\\]|\\.)*")
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<dur>\d+(?:ns|u|µ|ms|s|m|h|d|w)(?![A-Za-z0-9_]))
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<op>::|<=|>=|<>|!=|=~|[=<>(),*;+-])
)""", re.VERBOSE)
_DUR_NS = {"ns": 1, "u": 1000, "µ": 1000, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9,
           "d": 86400 * 10**9, "w": 7 * 86400 * 10**9}


class QueryError(ValueError):
    pass


def _tokens(q):
    out, pos = [], 0
    while pos < len(q):
        if q[pos:].strip() == "":
            break
        m = _TOKEN.match(q, pos)
        if not m:
            raise QueryError(f"error parsing query: found {q[pos:pos + 10]!r}, expected a statement")
        kind = m.lastgroup
        text = m.group(kind)
        if kind == "qident":
            out.append(("ident", re.sub(r"\\(.)", r"\1", text[1:-1])))
        elif kind == "string":
            out.append(("string", re.sub(r"\\(.)", r"\1", text[1:-1])))
        elif kind == "ident":
            out.append(("kw", text.lower()) if text.lower() in _KW else ("ident", text))
        else:
            out.append((kind, text))
        pos = m.end()
    return out


_KW = {"select", "from", "where", "and", "order", "by", "asc", "desc", "limit", "show", "measurements",
       "databases", "count", "time", "now", "tag", "field", "keys"}


def _rfc3339(ns):
    secs, frac = divmod(ns, 10**9)
    s = _time.strftime("%Y-%m-%dT%H:%M:%S", _time.gmtime(secs))
    return s + (("." + f"{frac:09d}".rstrip("0")) if frac else "") + "Z"


def _parse_time(text):
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?)?Z?", text)
    if not m:
        raise QueryError(f"invalid time literal {text!r}")
    y, mo, d, h, mi, s, frac = m.groups()
    secs = calendar.timegm((int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), 0, 0, 0))
    return secs * 10**9 + int((frac or "0").ljust(9, "0"))


class Parser:
    def __init__(self, toks, now):
        self.t, self.i, self.now = toks, 0, now

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else ("eof", "")

    def take(self, kind=None, value=None):
        k, v = self.peek()
        if (kind and k != kind) or (value and v != value):
            raise QueryError(f"error parsing query: found {v or 'EOF'}, expected {value or kind}")
        self.i += 1
        return v

    def accept(self, kind, value=None):
        k, v = self.peek()
        if k == kind and (value is None or v == value):
            self.i += 1
            return True
        return False

    def statement(self):
        if self.accept("kw", "show"):
            if self.accept("kw", "measurements"):
                return ("show_measurements",)
            for kind in ("tag", "field"):
                if self.accept("kw", kind):
                    self.take("kw", "keys")
                    meas = self.take("ident") if self.accept("kw", "from") else None
                    return ("show_%s_keys" % kind, meas)
            self.take("kw", "databases")
            return ("show_databases",)
        self.take("kw", "select")
        proj = []
        while True:
            if self.accept("op", "*"):
                proj.append(("star",))
            elif self.accept("kw", "count"):
                self.take("op", "(")
                if self.accept("op", "*"):
                    proj.append(("count_star",))
                else:
                    proj.append(("count", self.take("ident")))
                self.take("op", ")")
            elif self.accept("kw", "time"):
                pass                      # time is always the first column anyway
            else:
                name = self.take("ident")
                if self.accept("op", "::"):   # "x"::tag / "x"::field: the column kind
                    if not (self.accept("kw", "tag") or self.accept("kw", "field")):
                        raise QueryError("error parsing query: expected tag or field after ::")
                proj.append(("col", name))
            if not self.accept("op", ","):
                break
        self.take("kw", "from")
        meas = self.take("ident")
        conds = []
        if self.accept("kw", "where"):
            conds.append(self.cond())
            while self.accept("kw", "and"):
                conds.append(self.cond())
        desc = False
        if self.accept("kw", "order"):
            self.take("kw", "by")
            self.take("kw", "time")
            desc = self.accept("kw", "desc")
            if not desc:
                self.accept("kw", "asc")
        limit = None
        if self.accept("kw", "limit"):
            limit = int(self.take("num"))
        return ("select", proj, meas, conds, desc, limit)

    def cond(self):
        if self.accept("kw", "time"):
            k, op = self.peek()
            if k != "op" or op not in ("=", "<", "<=", ">", ">=", "!=", "<>"):
                raise QueryError(f"error parsing query: found {op}, expected a comparison")
            self.i += 1
            return ("time", op, self.time_value())
        name = self.take("ident")
        self.take("op", "=")
        return ("tag", name, self.take("string"))

    def time_value(self):
        k, v = self.peek()
        if k == "num":
            self.i += 1
            base = int(v)
        elif k == "string":
            self.i += 1
            base = _parse_time(v)
        elif k == "kw" and v == "now":
            self.i += 1
            self.take("op", "(")
            self.take("op", ")")
            base = self.now
        else:
            raise QueryError(f"error parsing query: found {v or 'EOF'}, expected a time")
        while self.peek()[0] == "op" and self.peek()[1] in "+-":
            sign = 1 if self.take("op") == "+" else -1
            k, v = self.peek()
            if k != "dur":
                raise QueryError(f"error parsing query: found {v}, expected a duration")
            self.i += 1
            n = re.match(r"\d+", v).group(0)
            base += sign * int(n) * _DUR_NS[v[len(n):]]
        return base


def parse(q, now):
    """A ';'-separated list of statements."""
    toks = _tokens(q)
    stmts, cur = [], []
    for tok in toks + [("op", ";")]:
        if tok == ("op", ";"):
            if cur:
                p = Parser(cur, now)
                stmts.append(p.statement())
                if p.i != len(cur):
                    raise QueryError(f"error parsing query: found {cur[p.i][1]}, expected ;")
            cur = []
        else:
            cur.append(tok)
    if not stmts:
        raise QueryError("error parsing query: empty query")
    return stmts


def _match(key, conds):
    _m, tags, t = key
    tagmap = dict(tags)
    for c in conds:
        if c[0] == "time":
            op, v = c[1], c[2]
            ok = {"=": t == v, "<": t < v, "<=": t <= v, ">": t > v, ">=": t >= v, "!=": t != v, "<>": t != v}[op]
        else:
            ok = tagmap.get(c[1], "") == c[2]
        if not ok:
            return False
    return True


_FTYPE = {"float": "float", "integer": "integer", "unsigned": "unsigned", "string": "string",
          "boolean": "boolean", "f": "float", "i": "integer", "u": "unsigned", "s": "string", "b": "boolean"}


def chunks(result, size):
    """A result split as InfluxDB's chunked=true answers it: pieces of at most `size` rows per
    series, every piece but the last marked "partial"."""
    out = []
    series = result.get("series")
    if not series or "error" in result:
        return [result]
    for si, s in enumerate(series):
        vals = s["values"]
        for off in range(0, max(len(vals), 1), size):
            piece = dict(s, values=vals[off:off + size])
            last_piece = off + size >= len(vals)
            if not last_piece:
                piece["partial"] = True
            r = dict((k, v) for k, v in result.items() if k != "series")
            r["series"] = [piece]
            if not (last_piece and si == len(series) - 1):
                r["partial"] = True
            out.append(r)
    return out


def run(stmt, bucket, epoch, hide=()):
    """One statement against a Bucket (influxemu.server.Bucket); returns a result object.
    A SELECT does not see the points whose keys are in `hide`."""
    fmt_t = (lambda ns: ns // EPOCH_DIV[epoch]) if epoch else _rfc3339
    if stmt[0] == "show_databases":
        return {"series": [{"name": "databases", "columns": ["name"], "values": [[bucket.name]]}]}
    with bucket.lock:
        if stmt[0] == "show_measurements":
            names = sorted({k[0] for k in bucket.points})
            return {"series": [{"name": "measurements", "columns": ["name"], "values": [[n] for n in names]}]} \
                if names else {}
        if stmt[0] in ("show_tag_keys", "show_field_keys"):
            ms = sorted({k[0] for k in bucket.points if stmt[1] in (None, k[0])})
            series = []
            for m in ms:
                if stmt[0] == "show_tag_keys":
                    keys = sorted({t for k in bucket.points if k[0] == m for t, _v in k[1]})
                    if keys:
                        series.append({"name": m, "columns": ["tagKey"], "values": [[k] for k in keys]})
                else:
                    ft = bucket.field_types.get(m, {})
                    series.append({"name": m, "columns": ["fieldKey", "fieldType"],
                                   "values": [[f, _FTYPE.get(ft[f], ft[f])] for f in sorted(ft)]})
            return {"series": series} if series else {}
        _, proj, meas, conds, desc, limit = stmt
        rows = [(k, f) for k, f in bucket.points.items()
                if k[0] == meas and _match(k, conds) and k not in hide]
        ftypes = dict(bucket.field_types.get(meas, {}))
    if not rows:
        return {}
    kinds = {p[0] for p in proj}
    if kinds & {"count_star", "count"}:
        if kinds - {"count_star", "count"}:
            raise QueryError("mixing aggregate and non-aggregate queries is not supported")
        # an aggregate's time is the start of the queried range, or the epoch without one
        lo = [c[2] for c in conds if c[0] == "time" and c[1] in (">=", ">")]
        t0 = max(lo) if lo else 0
        cols, vals = ["time"], [fmt_t(t0)]
        for p in proj:
            if p[0] == "count_star":
                for f in sorted(ftypes):
                    cols.append(f"count_{f}")
                    vals.append(sum(1 for _k, fs in rows if f in fs))
            else:
                cols.append("count")
                vals.append(sum(1 for _k, fs in rows if p[1] in fs))
        return {"series": [{"name": meas, "columns": cols, "values": [vals]}]}
    # InfluxDB merges series by time, then series key
    rows.sort(key=lambda r: (r[0][2], r[0][1]), reverse=desc)
    if limit is not None:
        rows = rows[:limit]
    if any(p[0] == "star" for p in proj):
        tagkeys = sorted({t for k, _f in rows for t, _v in k[1]})
        names = sorted(set(tagkeys) | set(ftypes))
    else:
        names = [p[1] for p in proj]
    values = []
    for (m, tags, t), fields in rows:
        tagmap = dict(tags)
        line = [fmt_t(t)]
        for n in names:
            if n in fields:
                line.append(fields[n][1])
            else:
                line.append(tagmap.get(n))
        values.append(line)
    return {"series": [{"name": meas, "columns": ["time"] + names, "values": values}]}
