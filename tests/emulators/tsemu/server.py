"""HTTP front of the Timestream emulator: awsJson1_0 dispatch, SigV4, faults, Write and Query ops."""
import argparse
import base64
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from http.server import BaseHTTPRequestHandler

from emucommon.serve import Faults, drop_connection, serve
from . import shapes, sigv4
from .load import LoadError, load_file
from .query import QueryEngine
from .store import ServiceError, open_store

TARGET_PREFIX = "Timestream_20181101"
ERROR_NS = "com.amazonaws.timestream.v20181101#"
MAX_BODY = 4 * 1024 * 1024       # 100 records × 2 KB plus JSON overhead fits easily; larger is abuse
MAX_RECORDS = 100
LIST_MAX = 20
FAULT_KINDS = ("throttle", "5xx", "drop", "drop_after")


class Context:
    def __init__(self, store, faults, access_key, secret_key, session_token, verbose):
        self.store = store
        self.faults = faults
        self.engine = QueryEngine(store, faults=self)
        self.access_key = access_key
        self.secret_key = secret_key
        self.session_token = session_token
        self.verbose = verbose
        self.port = None
        self.tags = {}

    def on_listen(self, port):
        self.port = port

    def empty_page(self):
        return self.faults.chance("empty_pages")


def _b64(obj):
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode()


def _unb64(tok):
    try:
        return json.loads(base64.urlsafe_b64decode(tok.encode()))
    except Exception:
        raise ServiceError("ValidationException", "Invalid NextToken.") from None


def _page(names, req):
    max_results = req.get("MaxResults")
    if max_results is None:
        max_results = LIST_MAX
    if not isinstance(max_results, int) or not 1 <= max_results <= LIST_MAX:
        raise ServiceError("ValidationException",
                           f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to satisfy "
                           f"constraint: Member must have value less than or equal to {LIST_MAX}")
    after = None
    if req.get("NextToken"):
        after = _unb64(req["NextToken"]).get("after")
        if not isinstance(after, str):
            raise ServiceError("ValidationException", "Invalid NextToken.")
    names = sorted(names)
    if after is not None:
        names = [n for n in names if n > after]
    page = names[:max_results]
    tok = _b64({"after": page[-1]}) if len(names) > max_results else None
    return page, tok


def _need_str(req, key):
    v = req.get(key)
    if not isinstance(v, str) or not v:
        raise ServiceError("ValidationException",
                           f"1 validation error detected: Value null at '{key[0].lower() + key[1:]}' failed to "
                           f"satisfy constraint: Member must not be null")
    return v


def _check_name(name, what):
    import re
    if not re.fullmatch(r"[a-zA-Z0-9_.-]{1,256}", name):
        raise ServiceError("ValidationException",
                           f"1 validation error detected: Value '{name}' at '{what}' failed to satisfy constraint: "
                           f"Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and length 1..256")


# ------------------------------------------------------------------------------------ operations

def op_describe_endpoints(ctx, req):
    return {"Endpoints": [{"Address": f"127.0.0.1:{ctx.port}", "CachePeriodInMinutes": 1440}]}


def op_create_database(ctx, req):
    name = _need_str(req, "DatabaseName")
    _check_name(name, "databaseName")
    return {"Database": ctx.store.create_database(name, req.get("KmsKeyId"))}


def op_describe_database(ctx, req):
    name = _need_str(req, "DatabaseName")
    with ctx.store.lock:
        ctx.store.need_db(name)
        return {"Database": ctx.store.database_json(name)}


def op_update_database(ctx, req):
    return {"Database": ctx.store.update_database(_need_str(req, "DatabaseName"), _need_str(req, "KmsKeyId"))}


def op_list_databases(ctx, req):
    with ctx.store.lock:
        page, tok = _page(list(ctx.store.databases), req)
        out = {"Databases": [ctx.store.database_json(n) for n in page]}
    if tok:
        out["NextToken"] = tok
    return out


def op_delete_database(ctx, req):
    ctx.store.delete_database(_need_str(req, "DatabaseName"))
    return {}


def op_create_table(ctx, req):
    db, name = _need_str(req, "DatabaseName"), _need_str(req, "TableName")
    _check_name(name, "tableName")
    return {"Table": ctx.store.create_table(db, name, req)}


def op_describe_table(ctx, req):
    t = ctx.store.need_table(_need_str(req, "DatabaseName"), _need_str(req, "TableName"))
    return {"Table": ctx.store.table_json(t)}


def op_update_table(ctx, req):
    return {"Table": ctx.store.update_table(_need_str(req, "DatabaseName"), _need_str(req, "TableName"), req)}


def op_list_tables(ctx, req):
    db = req.get("DatabaseName")
    with ctx.store.lock:
        if db is not None:
            ctx.store.need_db(db)
        keys = {f"{d}\x00{t}": (d, t) for (d, t) in ctx.store.tables if db is None or d == db}
        page, tok = _page(list(keys), req)
        out = {"Tables": [ctx.store.table_json(ctx.store.tables[keys[k]]) for k in page]}
    if tok:
        out["NextToken"] = tok
    return out


def op_delete_table(ctx, req):
    ctx.store.delete_table(_need_str(req, "DatabaseName"), _need_str(req, "TableName"))
    return {}


def op_write_records(ctx, req):
    db, table = _need_str(req, "DatabaseName"), _need_str(req, "TableName")
    records = req.get("Records")
    if not isinstance(records, list) or not records:
        raise ServiceError("ValidationException",
                           "1 validation error detected: Value at 'records' failed to satisfy constraint: Member "
                           "must have length greater than or equal to 1")
    if len(records) > MAX_RECORDS:
        raise ServiceError("ValidationException",
                           f"1 validation error detected: Value '[…{len(records)} records…]' at 'records' failed to "
                           f"satisfy constraint: Member must have length less than or equal to {MAX_RECORDS}")
    common = req.get("CommonAttributes") or {}
    if not isinstance(common, dict) or not all(isinstance(r, dict) for r in records):
        raise ServiceError("ValidationException", "Records and CommonAttributes must be objects.")
    ingested, rejected = ctx.store.write_records(db, table, common, records)
    if rejected:
        raise ServiceError("RejectedRecordsException",
                           "One or more records have been rejected. See RejectedRecords for details.",
                           status=419, RejectedRecords=rejected)
    return {"RecordsIngested": ingested}


def op_query(ctx, req):
    return ctx.engine.query(req)


def op_cancel_query(ctx, req):
    ctx.engine.cancel(_need_str(req, "QueryId"))
    return {"CancellationMessage": "Query cancellation was requested."}


SQ_LIST_MAX = 1000


def _need_obj(req, key, *inner):
    """A required structure member (and required string members inside it, by path)."""
    v = req.get(key)
    if not isinstance(v, dict):
        raise ServiceError("ValidationException",
                           f"1 validation error detected: Value null at '{key[0].lower() + key[1:]}' failed to "
                           f"satisfy constraint: Member must not be null")
    for path in inner:
        cur = v
        for part in path.split("."):
            cur = cur.get(part) if isinstance(cur, dict) else None
        if not isinstance(cur, str) or not cur:
            raise ServiceError("ValidationException",
                               f"1 validation error detected: Value null at '{key}.{path}' failed to satisfy "
                               f"constraint: Member must not be null")
    return v


def op_create_scheduled_query(ctx, req):
    import re
    name = _need_str(req, "Name")
    if not re.fullmatch(r"[a-zA-Z0-9|!\-_*'()]([a-zA-Z0-9]|[!\-_*'()/.])+", name) or len(name) > 64:
        raise ServiceError("ValidationException",
                           f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: "
                           f"Member must satisfy regular expression pattern and have length 1..64")
    _need_str(req, "QueryString")
    _need_str(req, "ScheduledQueryExecutionRoleArn")
    _need_obj(req, "ScheduleConfiguration", "ScheduleExpression")
    _need_obj(req, "NotificationConfiguration", "SnsConfiguration.TopicArn")
    _need_obj(req, "ErrorReportConfiguration", "S3Configuration.BucketName")
    if req.get("TargetConfiguration") is not None:
        _need_obj(req, "TargetConfiguration", "TimestreamConfiguration.DatabaseName",
                  "TimestreamConfiguration.TableName", "TimestreamConfiguration.TimeColumn")
    token = req.get("ClientToken")
    if token is not None and not 32 <= len(token) <= 128:
        raise ServiceError("ValidationException",
                           "1 validation error detected: Value at 'clientToken' failed to satisfy constraint: "
                           "Member must have length between 32 and 128")
    spec = {k: req[k] for k in ctx.store.SQ_FIELDS if req.get(k) is not None}
    return {"Arn": ctx.store.create_scheduled_query(name, token, spec)}


def op_list_scheduled_queries(ctx, req):
    max_results = req.get("MaxResults")
    if max_results is None:
        max_results = SQ_LIST_MAX
    if not isinstance(max_results, int) or not 1 <= max_results <= SQ_LIST_MAX:
        raise ServiceError("ValidationException",
                           f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to satisfy "
                           f"constraint: Member must have value between 1 and {SQ_LIST_MAX}")
    with ctx.store.lock:
        arns = sorted(ctx.store.scheduled_query_arns())
        if req.get("NextToken"):
            after = _unb64(req["NextToken"]).get("after_arn")
            if not isinstance(after, str):
                raise ServiceError("ValidationException", "Invalid NextToken.")
            arns = [a for a in arns if a > after]
        page = arns[:max_results]
        out = {"ScheduledQueries": [ctx.store.scheduled_query_json(a, False) for a in page]}
    if len(arns) > max_results:
        out["NextToken"] = _b64({"after_arn": page[-1]})
    return out


def op_describe_scheduled_query(ctx, req):
    return {"ScheduledQuery": ctx.store.scheduled_query_json(_need_str(req, "ScheduledQueryArn"), True)}


def op_update_scheduled_query(ctx, req):
    state = _need_str(req, "State")
    if state not in ("ENABLED", "DISABLED"):
        raise ServiceError("ValidationException",
                           f"1 validation error detected: Value '{state}' at 'state' failed to satisfy constraint: "
                           f"Member must satisfy enum value set: [ENABLED, DISABLED]")
    ctx.store.update_scheduled_query(_need_str(req, "ScheduledQueryArn"), state)
    return {}


def op_delete_scheduled_query(ctx, req):
    ctx.store.delete_scheduled_query(_need_str(req, "ScheduledQueryArn"))
    return {}


def op_tag_resource(ctx, req):
    arn = _need_str(req, "ResourceARN")
    tags = ctx.tags.setdefault(arn, {})
    for t in req.get("Tags") or []:
        tags[t.get("Key")] = t.get("Value")
    return {}


def op_untag_resource(ctx, req):
    tags = ctx.tags.setdefault(_need_str(req, "ResourceARN"), {})
    for k in req.get("TagKeys") or []:
        tags.pop(k, None)
    return {}


def op_list_tags_for_resource(ctx, req):
    tags = ctx.tags.get(_need_str(req, "ResourceARN"), {})
    return {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}


OPS = {
    "DescribeEndpoints": op_describe_endpoints,
    "CreateDatabase": op_create_database, "DescribeDatabase": op_describe_database,
    "UpdateDatabase": op_update_database, "ListDatabases": op_list_databases, "DeleteDatabase": op_delete_database,
    "CreateTable": op_create_table, "DescribeTable": op_describe_table, "UpdateTable": op_update_table,
    "ListTables": op_list_tables, "DeleteTable": op_delete_table, "WriteRecords": op_write_records,
    "Query": op_query, "CancelQuery": op_cancel_query, "ListScheduledQueries": op_list_scheduled_queries,
    "CreateScheduledQuery": op_create_scheduled_query, "DescribeScheduledQuery": op_describe_scheduled_query,
    "UpdateScheduledQuery": op_update_scheduled_query, "DeleteScheduledQuery": op_delete_scheduled_query,
    "TagResource": op_tag_resource, "UntagResource": op_untag_resource,
    "ListTagsForResource": op_list_tags_for_resource,
}


# ------------------------------------------------------------------------------------ HTTP

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"     # SDKs keep connections alive; every answer has a length
    disable_nagle_algorithm = True    # headers and body go out in two writes: no 40 ms delayed-ACK stalls
    timeout = 300                     # a client that stalls mid-request frees its thread eventually
    server_version = "tsarchive-timestream-emulator"
    sys_version = ""

    def log_message(self, format, *args):
        if self.server.ctx.verbose:
            sys.stderr.write("timestream-emulator: " + (format % args) + "\n")

    def send_json(self, status, obj, error_type=None):
        body = json.dumps(obj, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type)
        self.end_headers()
        self.wfile.write(body)

    def send_error_json(self, status, code, message, namespaced=True, **extra):
        obj = {"__type": (ERROR_NS + code) if namespaced else code, "message": message}
        obj.update(extra)
        self.send_json(status, obj, error_type=code)

    def do_GET(self):
        if self.path in ("/ping", "/health"):
            self.send_json(200, {"status": "ok"})
        elif self.path == "/emulator/stats":
            # unsigned on purpose: a test helper, not part of the AWS API
            f = self.server.ctx.faults
            with f.lock:
                self.send_json(200, {"faults": dict(f.count)})
        else:
            self.send_error_json(404, "UnknownOperationException", "Use POST / with X-Amz-Target.", False)

    def do_POST(self):
        ctx = self.server.ctx
        length = self.headers.get("Content-Length")
        if length is None or not length.strip().isdigit():
            self.close_connection = True
            self.send_error_json(411, "SerializationException", "A Content-Length header is required.", False)
            return
        n = int(length)
        if n > MAX_BODY:
            # Do not read a huge body into memory; answer and hang up.
            self.close_connection = True
            self.send_error_json(413, "RequestEntityTooLargeException",
                                 f"Request body of {n} bytes exceeds the emulator's {MAX_BODY} byte limit.", False)
            return
        body = self.rfile.read(n)
        target = self.headers.get("X-Amz-Target", "")
        prefix, _, op = target.partition(".")
        path, _, query = self.path.partition("?")
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            sigv4.verify("POST", path, query, headers, body, ctx.access_key, ctx.secret_key, "timestream",
                         session_token=ctx.session_token)
        except sigv4.AuthError as e:
            self.send_error_json(e.status, e.code, str(e), namespaced=False)
            return
        if prefix != TARGET_PREFIX or op not in OPS:
            self.send_error_json(400, "UnknownOperationException",
                                 f"Unknown operation '{target}'. Supported: {', '.join(sorted(OPS))}.", False)
            return
        # Faults never hit DescribeEndpoints: SDKs cache its answer, and a test that starts with
        # discovery should not depend on the seed.
        after_drop = False
        if op != "DescribeEndpoints" and ctx.faults.active:
            lat = ctx.faults.latency()
            if lat:
                time.sleep(lat)
            kind = ctx.faults.draw(op)
            if kind == "throttle":
                self.send_error_json(400, "ThrottlingException", "Rate exceeded (injected fault).")
                return
            if kind == "5xx":
                self.send_error_json(500, "InternalServerException",
                                     "The service failed to process the request (injected fault).")
                return
            if kind == "drop":
                drop_connection(self)
                return
            after_drop = kind == "drop_after"
        elif op != "DescribeEndpoints" and ctx.faults.latency():
            time.sleep(ctx.faults.latency())
        try:
            req = json.loads(body.decode("utf-8")) if body.strip() else {}
            if not isinstance(req, dict):
                raise ValueError("the request body must be a JSON object")
        except (ValueError, UnicodeDecodeError) as e:
            self.send_error_json(400, "SerializationException", f"Malformed JSON request body: {e}", False)
            return
        try:
            shapes.check(op, req)
            resp = OPS[op](ctx, req)
        except ServiceError as e:
            if after_drop:
                drop_connection(self)
                return
            self.send_error_json(e.status, e.code, str(e), **e.extra)
            return
        except Exception as e:  # a bug in the emulator: say so rather than hang the client
            import traceback
            traceback.print_exc()
            self.send_error_json(500, "InternalServerException", f"emulator error: {type(e).__name__}: {e}")
            return
        if after_drop:
            drop_connection(self)   # the work is done but the answer is lost, as on a network cut
            return
        self.send_json(200, resp)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="timestream", description="Amazon Timestream Query+Write emulator")
    ap.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = any free port)")
    ap.add_argument("--data", help="directory for the SQLite store (kept); default: a temp dir removed at exit")
    ap.add_argument("--faults", default="",
                    help="throttle=P,5xx=P,drop=P,drop_after=P,empty_pages=P,latency_ms=N,seed=N,only=Op+Op")
    ap.add_argument("--load", action="append", default=[], metavar="DB.TABLE=FILE.lp",
                    help="bulk-load a line-protocol file (.gz ok) before listening; repeatable")
    ap.add_argument("--load-mode", choices=("multi", "single"), default="multi",
                    help="fields → one multi-measure record per line (multi) or one record per field (single)")
    ap.add_argument("--load-precision", choices=("ns", "us", "ms", "s"), default="ns")
    ap.add_argument("--retention", choices=("enforce", "ignore"), default="enforce",
                    help="reject WriteRecords outside the memory/magnetic store windows (default) or accept all")
    ap.add_argument("--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
                    or "us-east-1", help="region used in ARNs")
    ap.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = ap.parse_args(argv)
    try:
        faults = Faults(args.faults, FAULT_KINDS, extra_numbers=("empty_pages",))
    except ValueError as e:
        ap.error(f"--faults: {e}")
    tmp = None
    data = args.data
    if not data:
        tmp = data = tempfile.mkdtemp(prefix="tsemu-")
    store = open_store(data, region=args.region, enforce_retention=args.retention == "enforce")

    def cleanup():
        try:
            store.db.close()
        finally:
            if tmp:
                shutil.rmtree(tmp, ignore_errors=True)

    try:
        for spec in args.load:
            target, eq, path = spec.partition("=")
            db, dot, table = target.partition(".")
            if not eq or not dot or not db or not table or not path:
                ap.error(f"--load wants DB.TABLE=FILE, got {spec!r}")
            load_file(store, db, table, path, mode=args.load_mode, precision=args.load_precision,
                      log=lambda m: print("timestream-emulator: " + m, file=sys.stderr, flush=True))
    except (LoadError, OSError) as e:
        cleanup()
        print(f"timestream-emulator: --load failed: {e}", file=sys.stderr)
        return 2
    ctx = Context(store, faults, os.environ.get("AWS_ACCESS_KEY_ID") or "test",
                  os.environ.get("AWS_SECRET_ACCESS_KEY") or "test", os.environ.get("AWS_SESSION_TOKEN"),
                  args.verbose)
    return serve(Handler, args.port, ctx, cleanup)
