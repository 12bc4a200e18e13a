"""--load DB.TABLE=FILE.lp: fast bulk load of line protocol into an emulated table.

Mapping (documented in docs/emulators.md):
  * tags → dimensions, except a tag named `measure_name`, which gives the record's measure name;
  * a field named `measure_value::<type>` → a single-measure record of that type (the layout
    AWS's migration tooling and tsarchive's restore write), measure name = the `measure_name` tag,
    else the measurement;
  * other fields, mode `multi` (default): one multi-measure record per line holding all of them,
    measure name = the `measure_name` tag, else the measurement;
    mode `single`: one single-measure record per field, measure name = the field key;
  * float → DOUBLE, integer/unsigned → BIGINT, string → VARCHAR, boolean → BOOLEAN;
  * duplicates (same dimensions, measure name and time): the last line wins.
Retention windows are not applied: benchmark data is usually old.
"""
import gzip
import time

from emucommon import lineproto
from .store import INT64_MAX, record_key

KIND_TYPE = {"float": "DOUBLE", "integer": "BIGINT", "unsigned": "BIGINT", "string": "VARCHAR", "boolean": "BOOLEAN"}
MV_TYPES = {"double": "DOUBLE", "bigint": "BIGINT", "varchar": "VARCHAR", "boolean": "BOOLEAN",
            "timestamp": "TIMESTAMP"}
CHUNK = 50000


class LoadError(Exception):
    pass


def _value(typ, kind, v, path, no):
    if typ == "BOOLEAN":
        if kind != "boolean":
            raise LoadError(f"{path}:{no}: a BOOLEAN measure needs a boolean field value")
        return 1 if v else 0
    if typ == "VARCHAR":
        if kind != "string":
            raise LoadError(f"{path}:{no}: a VARCHAR measure needs a string field value")
        return v
    if typ == "DOUBLE":
        if kind not in ("float", "integer", "unsigned"):
            raise LoadError(f"{path}:{no}: a DOUBLE measure needs a numeric field value")
        return float(v)
    # BIGINT / TIMESTAMP
    if kind == "float" and v == int(v):
        v = int(v)
    elif kind not in ("integer", "unsigned"):
        raise LoadError(f"{path}:{no}: a {typ} measure needs an integer field value")
    if v > INT64_MAX:
        raise LoadError(f"{path}:{no}: value {v} does not fit BIGINT")
    return v


def load_file(store, db, table, path, mode="multi", precision="ns", log=None):
    """Load one file; creates the database and table when missing. Returns the row count."""
    if mode not in ("multi", "single"):
        raise LoadError(f"unknown load mode {mode!r} (multi or single)")
    if db not in store.databases:
        store.create_database(db)
    t = store.tables.get((db, table))
    if t is None:
        store.create_table(db, table, {"RetentionProperties": {"MemoryStoreRetentionPeriodInHours": 8766,
                                                               "MagneticStoreRetentionPeriodInDays": 73000},
                                       "MagneticStoreWriteProperties": {"EnableMagneticStoreWrites": True}})
        t = store.tables[(db, table)]
    opener = gzip.open if path.endswith(".gz") else open
    started = time.monotonic()
    now = time.time_ns()
    total = 0
    shapes = {}          # (dim names…, measure names…) → rows
    known_cols = {}      # name → (type, attr) already ensured
    key_cache = {}
    measures_seen = {}   # measure name → type
    pending = 0

    def col(name, typ, attr, no):
        have = known_cols.get(name)
        if have == (typ, attr):
            return
        if have is None:
            try:
                store.ensure_column(t, name, typ, attr)
            except ValueError as e:
                raise LoadError(f"{path}:{no}: {e}") from None
            known_cols[name] = (typ, attr)
        elif have != (typ, attr):
            raise LoadError(f"{path}:{no}: '{name}' was loaded as {have[1]} {have[0]}, now as {attr} {typ}")

    def emit(dims, mname, mtype, measures, ts, no):
        # One cache hit per row in the common case: the identity key of (dims, measure name) and
        # the fact that this measure was already registered with these dimensions and type.
        sig = (dims, mname, mtype)
        key = key_cache.get(sig)
        if key is None:
            prev = measures_seen.get(mname)
            if prev is not None and prev != mtype:
                raise LoadError(f"{path}:{no}: measure '{mname}' is {prev} earlier in the file, {mtype} here")
            try:
                store.note_measure(t, mname, mtype, {d for d, _ in dims})
            except ValueError as e:
                raise LoadError(f"{path}:{no}: {e}") from None
            measures_seen[mname] = mtype
            key = record_key(dict(dims), mname)
            if len(key_cache) < 1000000:
                key_cache[sig] = key
        shape = tuple([d for d, _ in dims] + [m for m, _ in measures])
        rows = shapes.get(shape)
        if rows is None:
            rows = shapes[shape] = []
        rows.append(tuple([ts, key, mname, 1] + [v for _, v in dims] + [v for _, v in measures]))

    def flush():
        if shapes:
            store.bulk_insert(t, shapes)
            shapes.clear()

    mult = lineproto.PRECISION_NS[precision]
    head_cache = {}      # "measurement,tags" text → (dims, measurement, measure_name tag)

    def split_head(p, no):
        mname_tag = None
        dims = []
        for k, v in p.tags:
            if k == "measure_name":
                mname_tag = v
            else:
                dims.append((k, v))
        dims.sort()
        dims = tuple(dims)
        for d, _ in dims:
            col(d, "VARCHAR", "dimension", no)
        return dims, p.measurement, mname_tag

    with opener(path, "rt", encoding="utf-8", newline="\n") as fh:
        for no, line in enumerate(fh, 1):
            line = line.rstrip("\r\n")
            s = line.lstrip(" \t")
            if not s or s[0] == "#":
                continue
            s = s.rstrip(" \t") if not s.endswith("\\ ") else s
            parts = s.split(" ") if "\\" not in s and '"' not in s else ()
            try:
                if 2 <= len(parts) <= 3 and parts[1]:
                    # Fast path: most lines of a benchmark file share a few hundred heads
                    # (measurement + tags); parse each head once, then only fields and time.
                    h = head_cache.get(parts[0])
                    if h is None:
                        h = split_head(lineproto.parse_line(parts[0] + " _=0"), no)
                        if len(head_cache) < 100000:
                            head_cache[parts[0]] = h
                    dims, measurement, mname_tag = h
                    ts = lineproto._timestamp(parts[2], mult) if len(parts) == 3 else now
                    fields = []
                    for kv in parts[1].split(","):
                        k, eq, v = kv.partition("=")
                        if not eq or not k:
                            raise lineproto.LineError("missing field key" if eq else "missing field value")
                        kind, val = lineproto._field_value(v)
                        fields.append((k, kind, val))
                else:
                    p = lineproto.parse_line(s, precision)
                    ts = p.time if p.time is not None else now
                    dims, measurement, mname_tag = split_head(p, no)
                    fields = p.fields
            except lineproto.LineError as e:
                raise LoadError(f"{path}:{no}: {e}") from None
            multi = []
            for fk, kind, v in fields:
                if fk.startswith("measure_value::"):
                    typ = MV_TYPES.get(fk[len("measure_value::"):])
                    if typ is None:
                        raise LoadError(f"{path}:{no}: unknown single-measure column {fk!r}")
                    col(fk, typ, "measure_value", no)
                    emit(dims, mname_tag or measurement, typ, [(fk, _value(typ, kind, v, path, no))], ts, no)
                    total += 1
                elif mode == "single":
                    typ = KIND_TYPE[kind]
                    cname = f"measure_value::{typ.lower()}"
                    col(cname, typ, "measure_value", no)
                    emit(dims, fk, typ, [(cname, _value(typ, kind, v, path, no))], ts, no)
                    total += 1
                else:
                    typ = KIND_TYPE[kind]
                    col(fk, typ, "multi", no)
                    multi.append((fk, _value(typ, kind, v, path, no)))
            if multi:
                emit(dims, mname_tag or measurement, "MULTI", multi, ts, no)
                total += 1
            pending += 1
            if pending >= CHUNK:
                flush()
                pending = 0
    flush()
    if log:
        secs = time.monotonic() - started
        log(f"loaded {total} records into {db}.{table} from {path} in {secs:.1f}s "
            f"({total / secs if secs > 0 else 0:.0f} records/s)")
    return total
