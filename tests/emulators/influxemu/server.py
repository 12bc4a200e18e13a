"""InfluxDB 2.x write-API emulator: /api/v2/write with token, org, bucket, gzip, precision, faults.

Points are kept in memory per bucket and deduplicated as InfluxDB does: the same measurement,
tag set and timestamp is one point, and a later write merges its fields into it (new values win).
A field keeps the type of its first write per measurement; a conflicting type is refused with
422 like a real server.  /emulator/* endpoints let tests see what arrived.
"""
import argparse
import gzip
import hashlib
import json
import os
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from emucommon import lineproto
from . import influxql
from emucommon.serve import Faults, drop_connection, serve

VERSION = "v2.7.11-emulator"
FAULT_KINDS = ("429", "503", "500", "drop")
DEFAULT_MAX_BODY = 50 * 1024 * 1024   # compressed and decompressed; a bigger batch is a client bug
FIELD_TYPE_NAMES = {"float": "float", "integer": "integer", "unsigned": "unsigned", "string": "string",
                    "boolean": "boolean"}


def _id(text):
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class Bucket:
    def __init__(self, org, name):
        self.org = org
        self.name = name
        self.id = _id("bucket:" + org + "/" + name)
        self.points = {}        # (measurement, tags tuple, time) → {field: (kind, value)}
        self.field_types = {}   # measurement → {field: kind}
        self.last_write = set() # keys of the latest write request (stale_queries hides them)
        self.lock = threading.Lock()


class Context:
    def __init__(self, token, orgs, buckets, faults, max_body, partial, verbose):
        self.token = token
        self.orgs = {o: _id("org:" + o) for o in orgs}
        self.buckets = {}
        for org, name in buckets:
            self.add_bucket(org, name)
        self.faults = faults
        self.stale_left = int(faults.values.get("stale_queries", 0))
        self.max_body = max_body
        self.partial = partial
        self.verbose = verbose
        self.stats = {"requests": 0, "writes_ok": 0, "points_written": 0, "lines_rejected": 0,
                      "gzip_requests": 0, "bytes_received": 0, "status": {}}
        self.stats_lock = threading.Lock()
        self.started = time.time()

    def add_bucket(self, org, name):
        if org not in self.orgs:
            self.orgs[org] = _id("org:" + org)
        self.buckets[(org, name)] = Bucket(org, name)

    def count(self, key, n=1):
        with self.stats_lock:
            self.stats[key] = self.stats.get(key, 0) + n


class HttpError(Exception):
    def __init__(self, status, code, message, headers=None, **extra):
        super().__init__(message)
        self.status, self.code, self.headers, self.extra = status, code, headers or {}, extra


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True    # headers and body go out in two writes: no 40 ms delayed-ACK stalls
    timeout = 300                     # a client that stalls mid-request frees its thread eventually
    server_version = "tsarchive-influx2-emulator"
    sys_version = ""

    def log_message(self, format, *args):
        if self.server.ctx.verbose:
            sys.stderr.write("influx2-emulator: " + (format % args) + "\n")

    # --------------------------------------------------------------- plumbing
    def reply(self, status, obj=None, headers=None):
        ctx = self.server.ctx
        with ctx.stats_lock:
            ctx.stats["status"][str(status)] = ctx.stats["status"].get(str(status), 0) + 1
        body = b"" if obj is None else json.dumps(obj).encode()
        self.send_response(status)
        if obj is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Influxdb-Version", VERSION)
        self.send_header("X-Influxdb-Build", "OSS")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def fail(self, e):
        obj = {"code": e.code, "message": str(e)}
        obj.update(e.extra)
        headers = dict(e.headers)
        headers["X-Platform-Error-Code"] = e.code
        self.reply(e.status, obj, headers)

    def read_raw(self):
        """The request body as sent, or None when it is over the limit (left unread).

        Reading it before any check keeps keep-alive connections in step even when we refuse.
        """
        ctx = self.server.ctx
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked(ctx.max_body)
        length = self.headers.get("Content-Length")
        if length is None or not length.strip().isdigit():
            return b""
        n = int(length)
        if n > ctx.max_body:
            self.close_connection = True     # the unread body makes the stream unusable
            return None
        raw = self.rfile.read(n)
        ctx.count("bytes_received", len(raw))
        return raw

    def too_large(self):
        cap = self.server.ctx.max_body
        return HttpError(413, "request too large", "unable to read data: points batch is too large", maxLength=cap)

    def decode_body(self, raw):
        """Gunzip if asked, never inflating past max_body (a gzip bomb is a 413, as in InfluxDB)."""
        ctx = self.server.ctx
        if raw is None:
            raise self.too_large()
        enc = self.headers.get("Content-Encoding", "identity").strip().lower()
        if enc in ("gzip", "x-gzip"):
            ctx.count("gzip_requests")
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                out = d.decompress(raw, ctx.max_body + 1)
                if len(out) > ctx.max_body or d.unconsumed_tail:
                    raise self.too_large()
                if not d.eof:
                    raise HttpError(400, "invalid", "unable to read data: unexpected EOF")
            except zlib.error as e:
                raise HttpError(400, "invalid", f"unable to read data: gzip: invalid header ({e})") from None
            return out
        if enc not in ("identity", ""):
            raise HttpError(415, "unsupported media type", f"unsupported Content-Encoding {enc!r}")
        return raw

    def _read_chunked(self, cap):
        out = bytearray()
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                self.close_connection = True
                return None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return bytes(out)
            if len(out) + size > cap:
                self.close_connection = True
                return None
            out += self.rfile.read(size)
            self.rfile.readline(16)

    def auth(self):
        ctx = self.server.ctx
        h = self.headers.get("Authorization", "")
        scheme, _, tok = h.partition(" ")
        if scheme.lower() not in ("token", "bearer") or not tok or tok.strip() != ctx.token:
            raise HttpError(401, "unauthorized", "unauthorized access")

    def find_bucket(self, q):
        ctx = self.server.ctx
        org = (q.get("org") or [None])[0] or None
        org_id = (q.get("orgID") or [None])[0] or None
        if org is None and org_id is not None:
            org = next((o for o, i in ctx.orgs.items() if i == org_id), None)
            if org is None:
                raise HttpError(404, "not found", f"organization id \"{org_id}\" not found")
        if org is None:
            raise HttpError(400, "invalid", "Please provide either orgID or org")
        if org not in ctx.orgs:
            raise HttpError(404, "not found", f"organization name \"{org}\" not found")
        name = (q.get("bucket") or [None])[0]
        bid = (q.get("bucketID") or [None])[0]
        if not name and bid:
            b = next((b for b in ctx.buckets.values() if b.id == bid and b.org == org), None)
            if b is None:
                raise HttpError(404, "not found", f"bucket id \"{bid}\" not found")
            return b
        if not name:
            raise HttpError(404, "not found", "bucket not found")
        b = ctx.buckets.get((org, name))
        if b is None:
            raise HttpError(404, "not found", f"bucket \"{name}\" not found")
        return b

    # --------------------------------------------------------------- routes
    def do_GET(self):
        url = urlsplit(self.path)
        q = parse_qs(url.query)
        ctx = self.server.ctx
        if url.path == "/health":
            self.reply(200, {"name": "influxdb", "message": "ready for queries and writes", "status": "pass",
                             "checks": [], "version": VERSION, "commit": "emulator"})
        elif url.path == "/ping":
            self.reply(204)
        elif url.path == "/api/v2/buckets":
            try:
                self.auth()
            except HttpError as e:
                return self.fail(e)
            want = (q.get("name") or [None])[0]
            org = (q.get("org") or [None])[0]
            out = [{"id": b.id, "orgID": ctx.orgs[b.org], "name": b.name, "type": "user", "retentionRules": []}
                   for b in ctx.buckets.values() if (want is None or b.name == want) and (org is None or b.org == org)]
            self.reply(200, {"buckets": out})
        elif url.path == "/query":
            self.query(q)
        elif url.path == "/emulator/points":
            self.points(q)
        elif url.path == "/emulator/stats":
            with ctx.stats_lock:
                st = json.loads(json.dumps(ctx.stats))
            st["faults"] = dict(ctx.faults.count)
            self.reply(200, st)
        else:
            self.reply(404, {"code": "not found", "message": "path not found"})

    do_HEAD = do_GET

    def points(self, q):
        """What arrived: count, min/max time and (up to `limit`) points, oldest first."""
        ctx = self.server.ctx
        bname = (q.get("bucket") or [None])[0]
        org = (q.get("org") or [None])[0]
        meas = (q.get("measurement") or [None])[0]
        try:
            limit = int((q.get("limit") or ["10000"])[0])
        except ValueError:
            return self.reply(400, {"code": "invalid", "message": "limit must be an integer"})
        buckets = [b for b in ctx.buckets.values()
                   if (bname is None or b.name == bname) and (org is None or b.org == org)]
        if bname is not None and not buckets:
            return self.reply(404, {"code": "not found", "message": f"bucket \"{bname}\" not found"})
        pts = []
        for b in buckets:
            with b.lock:
                for (m, tags, t), fields in b.points.items():
                    if meas is None or m == meas:
                        pts.append((t, m, tags, fields, b.name))
        pts.sort(key=lambda p: (p[0], p[1], p[2]))
        out = {"count": len(pts),
               "min_time": pts[0][0] if pts else None,
               "max_time": pts[-1][0] if pts else None,
               "field_types": {},
               "points": [{"bucket": bn, "measurement": m, "tags": dict(tags),
                           "fields": {k: v for k, (_kind, v) in fields.items()}, "time": t}
                          for t, m, tags, fields, bn in pts[:max(0, limit)]]}
        for b in buckets:
            with b.lock:
                for m, ft in b.field_types.items():
                    if meas is None or m == meas:
                        out["field_types"].setdefault(m, {}).update(ft)
        self.reply(200, out)

    def query(self, q):
        """InfluxQL through the 1.x-compatible /query (db = bucket name, as 2.x's virtual DBRP)."""
        ctx = self.server.ctx
        h = self.headers.get("Authorization", "")
        scheme, _, cred = h.partition(" ")
        token = None
        if scheme.lower() in ("token", "bearer"):
            token = cred.strip()
        elif scheme.lower() == "basic":
            import base64
            try:
                token = base64.b64decode(cred.strip()).decode().partition(":")[2]
            except Exception:
                token = None
        elif q.get("p"):
            token = q["p"][0]
        if token != ctx.token:
            return self.reply(401, {"code": "unauthorized", "message": "unauthorized access"},
                              {"X-Platform-Error-Code": "unauthorized"})
        text = (q.get("q") or [""])[0]
        db = (q.get("db") or [""])[0]
        epoch = (q.get("epoch") or [""])[0] or None
        if epoch is not None and epoch not in influxql.EPOCH_DIV:
            return self.reply(400, {"error": f"invalid epoch {epoch!r}"})
        if not text.strip():
            return self.reply(400, {"error": "missing required parameter \"q\""})
        try:
            stmts = influxql.parse(text, time.time_ns())
        except influxql.QueryError as e:
            return self.reply(400, {"error": str(e)})
        bucket = next((b for b in ctx.buckets.values() if b.name == db), None)
        results = []
        for i, st in enumerate(stmts):
            if bucket is None and st[0] != "show_databases":
                results.append({"statement_id": i, "error": f"database not found: {db}"})
                continue
            hide = ()
            if bucket is not None and st[0] == "select" and ctx.stale_left > 0:
                # answered as if the latest write were not visible yet (see --faults)
                with ctx.stats_lock:
                    ctx.stale_left -= 1
                hide = bucket.last_write
            try:
                res = influxql.run(st, bucket, epoch, hide) if bucket else {
                    "series": [{"name": "databases", "columns": ["name"],
                                "values": [[b.name] for b in ctx.buckets.values()]}]}
            except influxql.QueryError as e:
                res = {"error": str(e)}
            results.append(dict({"statement_id": i}, **res))
        if (q.get("chunked") or [""])[0] == "true":
            # chunked=true: one JSON document per line, series cut into chunk_size rows
            try:
                size = int((q.get("chunk_size") or ["10000"])[0]) or 10000
            except ValueError:
                return self.reply(400, {"error": "invalid chunk_size"})
            body = b"".join(json.dumps({"results": [piece]}).encode() + b"\n"
                            for r in results for piece in influxql.chunks(r, size))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Influxdb-Version", VERSION)
            self.end_headers()
            self.wfile.write(body)
            with self.server.ctx.stats_lock:
                st = self.server.ctx.stats["status"]
                st["200"] = st.get("200", 0) + 1
            return
        self.reply(200, {"results": results})

    def do_DELETE(self):
        if urlsplit(self.path).path == "/emulator/points":
            for b in self.server.ctx.buckets.values():
                with b.lock:
                    b.points.clear()
                    b.field_types.clear()
            return self.reply(204)
        self.reply(404, {"code": "not found", "message": "path not found"})

    def do_POST(self):
        url = urlsplit(self.path)
        ctx = self.server.ctx
        ctx.count("requests")
        if url.path == "/query":
            # InfluxQL may come as a form body: q=…&db=…
            raw = self.read_raw()
            q = parse_qs(url.query)
            if raw and "form-urlencoded" in self.headers.get("Content-Type", ""):
                for k, v in parse_qs(raw.decode("utf-8", "replace")).items():
                    q.setdefault(k, v)
            return self.query(q)
        if url.path != "/api/v2/write":
            # drain a small body so keep-alive stays in sync, then refuse
            n = self.headers.get("Content-Length")
            if n and n.isdigit() and int(n) <= ctx.max_body:
                self.rfile.read(int(n))
            else:
                self.close_connection = True
            return self.reply(404, {"code": "not found", "message": "path not found"})
        raw = self.read_raw()
        try:
            # the order of checks is InfluxDB 2.7's: token, precision, bucket given, org, bucket
            self.auth()
            q = parse_qs(url.query, keep_blank_values=True)
            precision = (q.get("precision") or [""])[0] or "ns"
            if precision not in ("ns", "us", "ms", "s"):
                raise HttpError(400, "invalid", "invalid precision; valid precision units are ns, us, ms, and s")
            bucket = self.find_bucket(q)
            body = self.decode_body(raw)
            if not body:
                raise HttpError(400, "invalid", "writing requires points")
            # faults come after validation, so a client's own mistakes are never masked by one
            if ctx.faults.active or ctx.faults.latency():
                lat = ctx.faults.latency()
                if lat:
                    time.sleep(lat)
                kind = ctx.faults.draw("write")
                retry = str(int(ctx.faults.values.get("retry_after", 1)))
                if kind == "429":
                    raise HttpError(429, "too many requests", "org exceeded its write quota (injected fault)",
                                    {"Retry-After": retry})
                if kind == "503":
                    raise HttpError(503, "unavailable", "service temporarily unavailable (injected fault)",
                                    {"Retry-After": retry})
                if kind == "500":
                    raise HttpError(500, "internal error", "unexpected error writing points (injected fault)")
                if kind == "drop":
                    drop_connection(self)
                    return
            self.write(bucket, body, precision)
        except HttpError as e:
            self.fail(e)

    def write(self, bucket, body, precision):
        """Parse and store a batch, answering as InfluxDB 2.7 does.

        Unparsable lines reject the whole batch (400, every bad line in the message, as OSS 2.x);
        with --partial-writes the good lines are written first (InfluxDB 3 / Cloud behaviour).
        Points whose field type conflicts with an earlier write are dropped and the rest
        written: 422 "partial write: field type conflict … dropped=N".
        """
        ctx = self.server.ctx
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as e:
            raise HttpError(400, "invalid", f"unable to parse points: invalid UTF-8 at byte {e.start}") from None
        points, errors = lineproto.parse(text, precision)
        good = []
        for no, p in points:
            if p.measurement.startswith("_") or any(k.startswith("_") for k, _v in p.tags) \
                    or any(f[0].startswith("_") for f in p.fields):
                errors.append((no, None, "names starting with '_' are reserved in InfluxDB 2"))
            else:
                good.append(p)
        if errors:
            errors.sort(key=lambda e: e[0])
            lines = text.split("\n")
            errors = [(no, line if line is not None else lines[no - 1].rstrip("\r"), msg) for no, line, msg in errors]
            ctx.count("lines_rejected", len(errors))
            detail = "\n".join(f"unable to parse '{line[:1024]}': {msg}" for _no, line, msg in errors[:100])
            if not ctx.partial:
                raise HttpError(400, "invalid", detail, line=errors[0][0])
        now = time.time_ns()
        conflicts = []
        written = 0
        written_keys = set()
        with bucket.lock:
            for p in good:
                ftypes = bucket.field_types.setdefault(p.measurement, {})
                bad = next(((k, kind, ftypes[k]) for k, kind, _v in p.fields if ftypes.get(k, kind) != kind), None)
                if bad:
                    conflicts.append(f"field type conflict: input field \"{bad[0]}\" on measurement "
                                     f"\"{p.measurement}\" is type {bad[1]}, already exists as type {bad[2]}")
                    continue
                for k, kind, _v in p.fields:
                    ftypes.setdefault(k, kind)
                key = (p.measurement, tuple(sorted(dict(p.tags).items())), p.time if p.time is not None else now)
                fields = bucket.points.setdefault(key, {})
                for k, kind, v in p.fields:
                    fields[k] = (kind, v)
                written_keys.add(key)
                written += 1
            bucket.last_write = written_keys
        ctx.count("points_written", written)
        if errors:
            raise HttpError(400, "invalid", f"partial write: {detail}; {len(errors)} line(s) rejected, "
                                            f"{written} point(s) written", line=errors[0][0])
        if conflicts:
            ctx.count("lines_rejected", len(conflicts))
            raise HttpError(422, "unprocessable entity",
                            f"failure writing points to database: partial write: {conflicts[0]} "
                            f"dropped={len(conflicts)}")
        ctx.count("writes_ok")
        self.reply(204)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="influx2", description="InfluxDB 2.x write-API emulator")
    ap.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = any free port)")
    ap.add_argument("--token", default=os.environ.get("INFLUX_TOKEN") or "test-token",
                    help="accepted API token (default: $INFLUX_TOKEN or test-token)")
    ap.add_argument("--org", action="append", default=[], help="organization name (repeatable; default test-org)")
    ap.add_argument("--bucket", action="append", default=[],
                    help="bucket in the first org, or ORG/BUCKET (repeatable; default test-bucket)")
    ap.add_argument("--create-bucket", action="store_true",
                    help="create unknown buckets of known orgs on first write instead of answering 404")
    ap.add_argument("--faults", default="", help="429=P,503=P,500=P,drop=P,retry_after=S,latency_ms=N,stale_queries=N,seed=N "
                         "(stale_queries: the first N SELECTs do not see the latest write)")
    ap.add_argument("--max-body-bytes", type=int, default=DEFAULT_MAX_BODY,
                    help="largest request body, compressed or not (413 above it)")
    ap.add_argument("--partial-writes", action="store_true",
                    help="write the good lines of a batch with bad ones, then answer 400 (InfluxDB 3/Cloud style); "
                         "default: reject the whole batch, as InfluxDB 2.x OSS")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    try:
        faults = Faults(args.faults, FAULT_KINDS, extra_numbers=("retry_after", "stale_queries"))
    except ValueError as e:
        ap.error(f"--faults: {e}")
    orgs = args.org or ["test-org"]
    buckets = []
    for b in args.bucket or ["test-bucket"]:
        org, slash, name = b.rpartition("/")
        buckets.append((org if slash else orgs[0], name))
    ctx = Context(args.token, orgs, buckets, faults, args.max_body_bytes, args.partial_writes, args.verbose)
    if args.create_bucket:
        orig = Handler.find_bucket

        def find_or_create(self, q):
            try:
                return orig(self, q)
            except HttpError as e:
                name = (q.get("bucket") or [None])[0]
                org = (q.get("org") or [None])[0]
                if e.status == 404 and name and org in ctx.orgs:
                    ctx.add_bucket(org, name)
                    return ctx.buckets[(org, name)]
                raise
        Handler.find_bucket = find_or_create
    return serve(Handler, args.port, ctx)
