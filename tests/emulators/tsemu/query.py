"""Query execution and paging (MaxRows, ~1 MB pages, NextToken tied to its QueryString).

A query runs once on its own SQLite connection; its cursor is kept in a QueryState so later pages
continue where the last one stopped, reading the same snapshot.  The last page served is cached
under its token, so a client that retries a token (after a dropped connection, say) gets the
same page again, as the service allows a token to be used more than once.
"""
import collections
import json
import secrets
import sqlite3
import threading
import time

from . import fmt, sql
from .store import ServiceError

PAGE_BYTES = 1000 * 1000          # the service's page cap is 1 MB
MAX_STATES = 256                  # open paged queries kept; the least recently used is dropped
STATE_TTL = 3600.0                # tokens live an hour
NULL = {"NullValue": True}
FETCH_ROWS = 2048                 # rows taken from SQLite at a time (does not change pages)


def _plain(s):
    """True when json.dumps(s) is s in quotes (no escapes): its size is len(s) + 2."""
    return s.isascii() and s.isprintable() and '"' not in s and "\\" not in s


def _make_converter(formatters, may_escape):
    """A function row -> ({"Data": [...]}, size) specialised for the columns, generated once per
    query: the per-value loop, zip and branches cost more than the formatting itself.  Sizes
    are what the general rule gives: NULL 18, a pre-built Datum its JSON length, a ScalarValue
    its JSON string length + 17 (len + 19 for a string without escapes), 12 per row."""
    env = {"NULL": NULL, "json": json, "_plain": _plain}
    n = len(formatters)
    lines = ["def conv(row):", "    size = 12"]
    if n:
        lines.append("    " + "".join("v%d, " % i for i in range(n)) + "= row")
    for i, (f, esc) in enumerate(zip(formatters, may_escape)):
        env["f%d" % i] = f
        lines.append("    if v%d is None:" % i)
        lines.append("        d%d = NULL; size += 18" % i)
        lines.append("    else:")
        if f is None:
            lines.append("        d%d = v%d; size += len(json.dumps(v%d))" % (i, i, i))
            continue
        if f is str:   # VARCHAR: SQLite already hands back a str
            lines.append("        s = v%d if type(v%d) is str else str(v%d); d%d = {'ScalarValue': s}"
                         % (i, i, i, i))
        else:
            lines.append("        s = f%d(v%d); d%d = {'ScalarValue': s}" % (i, i, i))
        if esc:
            lines.append("        size += (len(s) + 19 if s.isascii() and s.isprintable() and '\"' not in s"
                         " and '\\\\' not in s else len(json.dumps(s)) + 17)")
        else:
            lines.append("        size += len(s) + 19")
    lines.append("    return {'Data': [%s]}, size" % ", ".join("d%d" % i for i in range(n)))
    exec("\n".join(lines), env)  # noqa: S102 - our own generated code, no input in it
    return env["conv"]


def _alnum(n):
    return "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(n))


def _formatter(typ):
    if typ == "TIMESTAMP":
        return fmt.fmt_timestamp
    if typ == "DOUBLE":
        return fmt.fmt_double
    if typ == "BOOLEAN":
        return fmt.fmt_bool
    if typ == "BIGINT":
        return _fmt_bigint
    if typ == "INTERVAL":
        return fmt.fmt_interval
    return str


def _fmt_bigint(v):
    # SQLite turns an overflowing integer expression into a REAL; Presto would fail the query.
    if isinstance(v, float) and (v != v or abs(v) >= 9.223372036854775807e18):
        raise ValueError("bigint overflow")
    return str(int(v))


def column_info(columns):
    out = []
    for name, typ in columns:
        if isinstance(typ, dict):      # a complex type, already in wire form
            out.append({"Name": name, "Type": typ})
        else:
            st = {"INTERVAL": "INTERVAL_DAY_TO_SECOND"}.get(typ, typ)
            out.append({"Name": name, "Type": {"ScalarType": st}})
    return out


class QueryState:
    def __init__(self, query_string, columns, rows_iter, conn=None):
        self.query_string = query_string
        self.query_id = _alnum(26)
        self.columns = columns
        self.column_info = column_info(columns)
        self.formatters = [_formatter(t) if not isinstance(t, dict) else None for _n, t in columns]
        # only VARCHAR values can need JSON escaping; the others are plain ASCII by construction
        self.may_escape = [t == "VARCHAR" for _n, t in columns]
        self._convert = _make_converter(self.formatters, self.may_escape)
        self.rows = rows_iter
        self.conn = conn
        self.lookahead = collections.deque()   # raw rows fetched, not yet converted
        self.pending = collections.deque()     # converted rows given back by unread()
        self.done = False
        self.rows_served = 0
        self.bytes_scanned = 0
        self.lock = threading.Lock()
        self.expected_token = None    # token that continues the query
        self.cache = {}               # token → response already served for it
        self.touched = time.monotonic()

    def close(self):
        self.done = True
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:
                pass
            self.conn = None

    def convert(self, row):
        """A result row as wire Datums, and its approximate serialized size in bytes."""
        try:
            return self._convert(row)
        except (ValueError, TypeError, OverflowError) as e:
            raise ServiceError("ValidationException",
                               f"Query failed: a value does not fit its column type ({e})") from None

    def _next_raw(self):
        if self.lookahead:
            return self.lookahead.popleft()
        if self.done:
            return None
        try:
            batch = self.rows.fetchmany(FETCH_ROWS) if hasattr(self.rows, "fetchmany") else _take(self.rows, 256)
        except sqlite3.Error as e:   # e.g. integer overflow in sum(): the query's fault, not ours
            self.close()
            raise ServiceError("ValidationException", f"Query failed while reading results: {e}") from None
        if not batch:
            self.close()
            return None
        self.lookahead.extend(batch[1:])
        return batch[0]

    def has_more(self):
        if self.pending or self.lookahead:
            return True
        raw = self._next_raw()
        if raw is None:
            return False
        self.lookahead.appendleft(raw)
        return True

    def unread(self, rows):
        """Give rows back so the next page starts with them (used for empty pages)."""
        for row in reversed(rows):
            self.pending.appendleft((row, len(json.dumps(row))))

    def next_rows(self, max_rows):
        """Up to max_rows rows (None = no count limit) and ≤ PAGE_BYTES; returns (rows, more)."""
        rows = []
        size = 0
        limit = max_rows if max_rows else 1 << 62
        while len(rows) < limit and size < PAGE_BYTES:
            if self.pending:
                row, rsize = self.pending.popleft()
            else:
                raw = self._next_raw()
                if raw is None:
                    break
                row, rsize = self.convert(raw)
                if rsize > PAGE_BYTES:
                    raise ServiceError("ValidationException",
                                       "Query aborted as max page response size has been exceeded by the output "
                                       "result row.")
            if rows and size + rsize > PAGE_BYTES:
                self.pending.appendleft((row, rsize))
                break
            rows.append(row)
            size += rsize
        self.bytes_scanned += size
        return rows, self.has_more()


def _take(it, n):
    out = []
    for _ in range(n):
        try:
            out.append(next(it))
        except StopIteration:
            break
    return out


class QueryEngine:
    def __init__(self, store, faults=None):
        self.store = store
        self.faults = faults
        self.states = {}        # token → QueryState
        self.lock = threading.Lock()

    # ---------------------------------------------------------------- entry point
    def query(self, req):
        qs = req.get("QueryString")
        if not isinstance(qs, str) or not qs:
            raise ServiceError("ValidationException",
                               "1 validation error detected: Value null at 'queryString' failed to satisfy "
                               "constraint: Member must not be null")
        if len(qs) > 262144:
            raise ServiceError("ValidationException",
                               "1 validation error detected: Value at 'queryString' failed to satisfy constraint: "
                               "Member must have length less than or equal to 262144")
        max_rows = req.get("MaxRows")
        if max_rows is not None and (not isinstance(max_rows, int) or not 1 <= max_rows <= 1000):
            raise ServiceError("ValidationException",
                               f"1 validation error detected: Value '{max_rows}' at 'maxRows' failed to satisfy "
                               f"constraint: Member must have value between 1 and 1000")
        token = req.get("NextToken")
        if token is not None:
            return self.continue_query(token, qs, max_rows)
        st = self.start(qs)
        rows, more = st.next_rows(max_rows)
        # The service often answers the first call of a MaxRows query with no rows and a token
        # (reference §1.5); we do so whenever the result does not fit in that first page, so
        # every client has to loop on NextToken rather than on "rows came back".  The
        # `empty_pages` fault adds such pages anywhere.
        if more and (max_rows or (self.faults is not None and self.faults.empty_page())):
            st.unread(rows)
            rows = []
        return self._respond(st, rows, more)

    def _respond(self, st, rows, more):
        st.rows_served += len(rows)
        resp = {"QueryId": st.query_id, "Rows": rows, "ColumnInfo": st.column_info,
                "QueryStatus": {"ProgressPercentage": 100.0 if not more else
                                round(min(99.0, 100.0 * st.rows_served / (st.rows_served + 1000)), 1),
                                "CumulativeBytesScanned": st.bytes_scanned,
                                "CumulativeBytesMetered": max(10000000, st.bytes_scanned)}}
        if more:
            tok = "AYAB" + secrets.token_urlsafe(48)
            st.expected_token = tok
            with self.lock:
                self.states[tok] = st
                self._evict()
            resp["NextToken"] = tok
        else:
            st.close()
        return resp

    def _evict(self):
        now = time.monotonic()
        for tok, st in list(self.states.items()):
            if now - st.touched > STATE_TTL:
                st.close()
                del self.states[tok]
        if len(self.states) > MAX_STATES:
            oldest = sorted(self.states.items(), key=lambda kv: kv[1].touched)
            for tok, st in oldest[:len(self.states) - MAX_STATES]:
                st.close()
                del self.states[tok]

    def continue_query(self, token, qs, max_rows):
        with self.lock:
            st = self.states.get(token)
        if st is None:
            raise ServiceError("ValidationException", "Invalid pagination token: it is unknown, expired or was "
                                                      "superseded by a newer token. Re-run the query.")
        if st.query_string != qs:
            raise ServiceError("ValidationException",
                               "Invalid pagination token: the NextToken must be sent with the same QueryString as "
                               "the call that returned it.")
        with st.lock:
            st.touched = time.monotonic()
            cached = st.cache.get(token)
            if cached is not None:
                return cached
            if token != st.expected_token:
                raise ServiceError("ValidationException", "Invalid pagination token: a newer token of this query "
                                                          "was already used. Re-run the query.")
            if self.faults is not None and self.faults.empty_page():
                rows, more = [], True
            else:
                rows, more = st.next_rows(max_rows)
            resp = self._respond(st, rows, more)
            # Keep only the latest answered token: older ones are superseded, like the service's.
            for old in list(st.cache):
                with self.lock:
                    self.states.pop(old, None)
            st.cache = {token: resp}
            return resp

    # ---------------------------------------------------------------- statements
    def start(self, qs):
        try:
            st = sql.parse(qs)
        except sql.SqlError as e:
            raise ServiceError("ValidationException", str(e)) from None
        # The catalog is read and the SQLite snapshot taken under the store lock, so a query
        # never sees a column that a write in progress added but has not committed yet.
        with self.store.lock:
            return self._start(qs, st)

    def _start(self, qs, st):
        kind = st[0]
        store = self.store
        if kind == "show_databases":
            names = sorted(store.databases)
            rows = [(n,) for n in names if _like(n, st[1])]
            return QueryState(qs, [("Database", "VARCHAR")], iter(rows))
        if kind == "show_tables":
            db = st[1][0] if st[1] else None
            if db is not None and db not in store.databases:
                raise ServiceError("ValidationException", f"The database {db} does not exist.")
            names = sorted(t for (d, t) in store.tables if db is None or d == db)
            rows = [(n,) for n in names if _like(n, st[2])]
            return QueryState(qs, [("Table", "VARCHAR")], iter(rows))
        if kind in ("describe", "show_measures"):
            t = self._table(st[1], qs)
            if kind == "describe":
                # Spelling as the service prints it (AWS's own published DESCRIBE output): the
                # type in lower case, the attribute type in upper case (DIMENSION, MEASURE_NAME,
                # TIMESTAMP, MEASURE_VALUE, MULTI).  Clients should compare case-insensitively.
                rows = [(name, typ.lower(), attr.upper()) for name, _p, typ, attr in t.columns()]
                return QueryState(qs, [("Column", "VARCHAR"), ("Type", "VARCHAR"),
                                       ("Timestream attribute type", "VARCHAR")], iter(rows))
            rows = []
            for m in sorted(t.measures):
                if not _like(m, st[2]):
                    continue
                mtype = t.measures[m]
                seen = t.measure_dims.get(m, ())
                order = [c[0] for c in t.cols if c[3] == "dimension" and c[0] in seen]  # table order
                dims = {"ArrayValue": [{"RowValue": {"Data": [{"ScalarValue": d}, {"ScalarValue": "varchar"}]}}
                                       for d in order]}
                rows.append((m, mtype.lower(), dims))
            dim_type = {"ArrayColumnInfo": {"Type": {"RowColumnInfo": [
                {"Name": "dimension_name", "Type": {"ScalarType": "VARCHAR"}},
                {"Name": "data_type", "Type": {"ScalarType": "VARCHAR"}}]}}}
            return QueryState(qs, [("measure_name", "VARCHAR"), ("data_type", "VARCHAR"), ("dimensions", dim_type)],
                              iter(rows))
        # SELECT
        t = self._table(st[3], qs)
        try:
            plan = sql.compile_select(qs, st, t, time.time_ns())
        except sql.SqlError as e:
            raise ServiceError("ValidationException", str(e)) from None
        conn = store.reader()
        try:
            cur = conn.execute(plan.sql)
        except Exception as e:  # SQLite rejects what our compiler let through: still the client's SQL
            conn.close()
            raise ServiceError("ValidationException", f"Query could not be executed: {e}") from None
        return QueryState(qs, plan.columns, cur, conn)

    def _table(self, tref, qs):
        db, table = tref[0][0], tref[1][0]
        if db not in self.store.databases:
            # the service's wording for this case (seen in user reports)
            raise ServiceError("ValidationException", f"Requested database '{db}' not found for identifier "
                                                      f"'{db}.{table}' at {sql._where(qs, tref[3].pos)}")
        t = self.store.tables.get((db, table))
        if t is None:
            raise ServiceError("ValidationException",
                               f"{sql._where(qs, tref[3].pos)}: Table '{db}.{table}' does not exist")
        return t

    def cancel(self, query_id):
        with self.lock:
            for tok, st in list(self.states.items()):
                if st.query_id == query_id:
                    st.close()
                    del self.states[tok]


def _like(name, pattern):
    if pattern is None:
        return True
    import fnmatch
    return fnmatch.fnmatchcase(name, sql.like_to_glob(pattern))
