"""SQLite store behind the Timestream emulator: catalog, per-table row storage and write rules.

Each Timestream table is one SQLite table `t<id>` WITHOUT ROWID, clustered on (time, k) where
`time` is int64 nanoseconds and `k` is the record identity (sorted dimensions + measure_name).
Clustering on time makes the exporter's time-window scans range reads, and (time, k) being the
primary key is exactly Timestream's dedup identity.  Dimension and measure columns are added with
ALTER TABLE as writes introduce them; physical names are `c<N>` so any Timestream name (spaces,
quotes, `measure_value::double`) is safe, and the catalog maps names to physical columns.

Concurrency: one writer connection guarded by a lock (SQLite has one writer anyway); each query
opens its own connection in WAL mode, so a paged query reads a stable snapshot while writes go on.
"""
import json
import math
import os
import sqlite3
import threading
import time as _time

from . import fmt

TYPES = ("DOUBLE", "BIGINT", "VARCHAR", "BOOLEAN", "TIMESTAMP")
UNIT_NS = {"MILLISECONDS": 1000000, "SECONDS": 1000000000, "MICROSECONDS": 1000, "NANOSECONDS": 1}
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
RESERVED_NAMES = {"time", "measure_name", "measure_value"}
DEFAULT_RETENTION = {"MemoryStoreRetentionPeriodInHours": 6, "MagneticStoreRetentionPeriodInDays": 73000}
FUTURE_WINDOW_NS = 15 * 60 * 1000000000


class ServiceError(Exception):
    """An error the service would answer with `__type` = code."""

    def __init__(self, code, message, status=400, **extra):
        super().__init__(message)
        self.code = code
        self.status = status
        self.extra = extra


def _q(name):
    return '"' + name.replace('"', '""') + '"'


def now_ns():
    return _time.time_ns()


class Table:
    def __init__(self, tid, db, name, created, updated, props):
        self.id = tid
        self.db = db
        self.name = name
        self.created = created
        self.updated = updated
        self.props = props            # RetentionProperties, MagneticStoreWriteProperties, Schema
        self.phys = f"t{tid}"
        self.cols = []                # [name, phys, type, attr] in creation order (dims and measures)
        self.by_name = {}
        self.measures = {}            # measure_name → 'DOUBLE'… or 'MULTI'
        self.measure_dims = {}        # measure_name → set of dimension names seen with it

    def columns(self):
        """Timestream view order: dimensions, measure_name, time, measure columns."""
        dims = [(c[0], c[1], "VARCHAR", "dimension") for c in self.cols if c[3] == "dimension"]
        meas = [tuple(c) for c in self.cols if c[3] != "dimension"]
        return dims + [("measure_name", "measure_name", "VARCHAR", "measure_name"),
                       ("time", "time", "TIMESTAMP", "timestamp")] + meas

    def measure_columns(self):
        return [c for c in self.cols if c[3] != "dimension"]


class Store:
    def __init__(self, path, region="us-east-1", account="000000000000", enforce_retention=True):
        self.path = path
        self.region = region
        self.account = account
        self.enforce_retention = enforce_retention
        self.lock = threading.RLock()
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=OFF")   # test data: speed over durability
        self.db.executescript("""
            CREATE TABLE IF NOT EXISTS databases (name TEXT PRIMARY KEY, created REAL, updated REAL, kms TEXT);
            CREATE TABLE IF NOT EXISTS tables (id INTEGER PRIMARY KEY, db TEXT, name TEXT, created REAL,
                                               updated REAL, props TEXT, UNIQUE (db, name));
            CREATE TABLE IF NOT EXISTS columns (table_id INTEGER, ord INTEGER, name TEXT, phys TEXT, type TEXT,
                                                attr TEXT);
            CREATE TABLE IF NOT EXISTS measures (table_id INTEGER, name TEXT, type TEXT, dims TEXT,
                                                 PRIMARY KEY (table_id, name));
            CREATE TABLE IF NOT EXISTS scheduled_queries (arn TEXT PRIMARY KEY, name TEXT UNIQUE,
                                                          token TEXT, created REAL, state TEXT, spec TEXT);
        """)
        self.databases = {}
        self.tables = {}  # (db, name) → Table
        self._load_catalog()

    # ------------------------------------------------------------------ catalog
    def _load_catalog(self):
        for name, created, updated, kms in self.db.execute("SELECT name, created, updated, kms FROM databases"):
            self.databases[name] = {"created": created, "updated": updated, "kms": kms}
        for tid, db, name, created, updated, props in self.db.execute(
                "SELECT id, db, name, created, updated, props FROM tables"):
            t = Table(tid, db, name, created, updated, json.loads(props))
            for name_, phys, typ, attr in self.db.execute(
                    "SELECT name, phys, type, attr FROM columns WHERE table_id=? ORDER BY ord", (tid,)):
                t.cols.append([name_, phys, typ, attr])
                t.by_name[name_] = t.cols[-1]
            for mname, mtype, dims in self.db.execute("SELECT name, type, dims FROM measures WHERE table_id=?", (tid,)):
                t.measures[mname] = mtype
                t.measure_dims[mname] = set(json.loads(dims))
            self.tables[(db, t.name)] = t

    def arn(self, db, table=None):
        base = f"arn:aws:timestream:{self.region}:{self.account}:database/{db}"
        return base + (f"/table/{table}" if table else "")

    def database_json(self, name):
        d = self.databases[name]
        return {"Arn": self.arn(name), "DatabaseName": name,
                "TableCount": sum(1 for (db, _t) in self.tables if db == name),
                "KmsKeyId": d["kms"] or f"arn:aws:kms:{self.region}:{self.account}:key/emulator-default",
                "CreationTime": d["created"], "LastUpdatedTime": d["updated"]}

    def table_json(self, t):
        p = t.props
        return {"Arn": self.arn(t.db, t.name), "TableName": t.name, "DatabaseName": t.db, "TableStatus": "ACTIVE",
                "RetentionProperties": p["RetentionProperties"],
                "MagneticStoreWriteProperties": p["MagneticStoreWriteProperties"],
                "Schema": p["Schema"], "CreationTime": t.created, "LastUpdatedTime": t.updated}

    def need_db(self, name):
        if name not in self.databases:
            raise ServiceError("ResourceNotFoundException", f"The database {name} does not exist.")

    def need_table(self, db, name):
        self.need_db(db)
        t = self.tables.get((db, name))
        if t is None:
            raise ServiceError("ResourceNotFoundException", f"The table {name} does not exist.")
        return t

    def create_database(self, name, kms=None):
        with self.lock:
            if name in self.databases:
                raise ServiceError("ConflictException", f"The database {name} already exists.")
            now = _time.time()
            self.db.execute("INSERT INTO databases VALUES (?,?,?,?)", (name, now, now, kms))
            self.databases[name] = {"created": now, "updated": now, "kms": kms}
            return self.database_json(name)

    def update_database(self, name, kms):
        with self.lock:
            self.need_db(name)
            now = _time.time()
            self.db.execute("UPDATE databases SET kms=?, updated=? WHERE name=?", (kms, now, name))
            self.databases[name].update(kms=kms, updated=now)
            return self.database_json(name)

    def delete_database(self, name):
        with self.lock:
            self.need_db(name)
            left = sorted(t for (db, t) in self.tables if db == name)
            if left:
                raise ServiceError("ValidationException",
                                   f"Cannot delete database {name}: it still contains {len(left)} table(s) "
                                   f"({', '.join(left[:5])}{', …' if len(left) > 5 else ''}). "
                                   f"Delete all tables before deleting the database.")
            self.db.execute("DELETE FROM databases WHERE name=?", (name,))
            del self.databases[name]

    @staticmethod
    def merge_props(base, req):
        props = json.loads(json.dumps(base))
        if req.get("RetentionProperties"):
            props["RetentionProperties"].update(req["RetentionProperties"])
        if req.get("MagneticStoreWriteProperties"):
            props["MagneticStoreWriteProperties"] = req["MagneticStoreWriteProperties"]
        if req.get("Schema"):
            props["Schema"] = req["Schema"]
        keys = (props.get("Schema") or {}).get("CompositePartitionKey") or []
        if len(keys) > 1:
            raise ServiceError("ValidationException",
                               "You have specified too many partition keys to be used in your composite partition "
                               "key. Only 1 partition keys can be specified.")
        for k in keys:
            if k.get("Type") not in ("DIMENSION", "MEASURE") or (k.get("Type") == "DIMENSION" and not k.get("Name")):
                raise ServiceError("ValidationException",
                                   "A composite partition key needs Type DIMENSION (with a Name) or MEASURE.")
        rp = props["RetentionProperties"]
        h, d = rp.get("MemoryStoreRetentionPeriodInHours"), rp.get("MagneticStoreRetentionPeriodInDays")
        if not isinstance(h, int) or not 1 <= h <= 8766:
            raise ServiceError("ValidationException",
                               f"1 validation error detected: Value '{h}' at 'retentionProperties."
                               f"memoryStoreRetentionPeriodInHours' failed to satisfy constraint: "
                               f"Member must have value between 1 and 8766")
        if not isinstance(d, int) or not 1 <= d <= 73000:
            raise ServiceError("ValidationException",
                               f"1 validation error detected: Value '{d}' at 'retentionProperties."
                               f"magneticStoreRetentionPeriodInDays' failed to satisfy constraint: "
                               f"Member must have value between 1 and 73000")
        return props

    def create_table(self, db, name, req=None):
        with self.lock:
            self.need_db(db)
            if (db, name) in self.tables:
                raise ServiceError("ConflictException", f"The table {name} already exists.")
            base = {"RetentionProperties": dict(DEFAULT_RETENTION),
                    "MagneticStoreWriteProperties": {"EnableMagneticStoreWrites": False},
                    "Schema": {"CompositePartitionKey": [{"Type": "MEASURE"}]}}
            props = self.merge_props(base, req or {})
            now = _time.time()
            self.db.execute("BEGIN")
            try:
                cur = self.db.execute("INSERT INTO tables (db, name, created, updated, props) VALUES (?,?,?,?,?)",
                                      (db, name, now, now, json.dumps(props)))
                t = Table(cur.lastrowid, db, name, now, now, props)
                self.db.execute(f"CREATE TABLE {t.phys} (time INTEGER NOT NULL, k TEXT NOT NULL, "
                                f"measure_name TEXT NOT NULL, v INTEGER NOT NULL DEFAULT 1, "
                                f"PRIMARY KEY (time, k)) WITHOUT ROWID")
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.tables[(db, name)] = t
            return self.table_json(t)

    def update_table(self, db, name, req):
        with self.lock:
            t = self.need_table(db, name)
            t.props = self.merge_props(t.props, req)
            t.updated = _time.time()
            self.db.execute("UPDATE tables SET props=?, updated=? WHERE id=?", (json.dumps(t.props), t.updated, t.id))
            return self.table_json(t)

    # ------------------------------------------------------------------ scheduled queries
    # Stored, listed, described, updated and deleted as the service does; never run.
    SQ_FIELDS = ("QueryString", "ScheduleConfiguration", "NotificationConfiguration", "TargetConfiguration",
                 "ScheduledQueryExecutionRoleArn", "KmsKeyId", "ErrorReportConfiguration")

    def _sq_json(self, arn, name, created, state, spec, full):
        out = {"Arn": arn, "Name": name, "CreationTime": created, "State": state,
               "ErrorReportConfiguration": spec.get("ErrorReportConfiguration")}
        tc = (spec.get("TargetConfiguration") or {}).get("TimestreamConfiguration")
        if full:
            for k in self.SQ_FIELDS:
                if spec.get(k) is not None:
                    out[k] = spec[k]
        elif tc:
            out["TargetDestination"] = {"TimestreamDestination": {
                "DatabaseName": tc.get("DatabaseName"), "TableName": tc.get("TableName")}}
        return {k: v for k, v in out.items() if v is not None}

    def create_scheduled_query(self, name, token, spec):
        with self.lock:
            if token:
                row = self.db.execute("SELECT arn, name FROM scheduled_queries WHERE token=?", (token,)).fetchone()
                if row:
                    if row[1] != name:
                        raise ServiceError("ConflictException",
                                           f"The ClientToken was already used for scheduled query {row[1]}.")
                    return row[0]          # an idempotent retry: the same query
            if self.db.execute("SELECT 1 FROM scheduled_queries WHERE name=?", (name,)).fetchone():
                raise ServiceError("ConflictException", f"A scheduled query with name {name} already exists.")
            arn = (f"arn:aws:timestream:{self.region}:{self.account}:scheduled-query/"
                   f"{name}-{os.urandom(8).hex()}")
            self.db.execute("INSERT INTO scheduled_queries VALUES (?,?,?,?,?,?)",
                            (arn, name, token, _time.time(), "ENABLED", json.dumps(spec)))
            return arn

    def _need_sq(self, arn):
        row = self.db.execute("SELECT arn, name, created, state, spec FROM scheduled_queries WHERE arn=?",
                              (arn,)).fetchone()
        if row is None:
            raise ServiceError("ResourceNotFoundException", f"The scheduled query {arn} does not exist.")
        return row

    def scheduled_query_arns(self):
        return [r[0] for r in self.db.execute("SELECT arn FROM scheduled_queries")]

    def scheduled_query_json(self, arn, full):
        with self.lock:
            arn_, name, created, state, spec = self._need_sq(arn)
            return self._sq_json(arn_, name, created, state, json.loads(spec), full)

    def update_scheduled_query(self, arn, state):
        with self.lock:
            self._need_sq(arn)
            self.db.execute("UPDATE scheduled_queries SET state=? WHERE arn=?", (state, arn))

    def delete_scheduled_query(self, arn):
        with self.lock:
            self._need_sq(arn)
            self.db.execute("DELETE FROM scheduled_queries WHERE arn=?", (arn,))

    def delete_table(self, db, name):
        with self.lock:
            t = self.need_table(db, name)
            self.db.execute("BEGIN")
            try:
                self.db.execute(f"DROP TABLE {t.phys}")
                for tbl in ("columns", "measures"):
                    self.db.execute(f"DELETE FROM {tbl} WHERE table_id=?", (t.id,))
                self.db.execute("DELETE FROM tables WHERE id=?", (t.id,))
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            del self.tables[(db, name)]

    def _add_column(self, t, name, typ, attr):
        phys = f"c{len(t.cols)}"
        while any(c[1] == phys for c in t.cols):
            phys += "_"
        self.db.execute(f"ALTER TABLE {t.phys} ADD COLUMN {phys}")
        self.db.execute("INSERT INTO columns VALUES (?,?,?,?,?,?)", (t.id, len(t.cols), name, phys, typ, attr))
        col = [name, phys, typ, attr]
        t.cols.append(col)
        t.by_name[name] = col
        return col

    def _note_measure(self, t, mname, mtype, dims):
        known = t.measure_dims.get(mname)
        if known is not None and dims <= known and t.measures.get(mname) == mtype:
            return
        merged = (known or set()) | dims
        t.measures[mname] = mtype
        t.measure_dims[mname] = merged
        self.db.execute("INSERT OR REPLACE INTO measures VALUES (?,?,?,?)",
                        (t.id, mname, mtype, json.dumps(sorted(merged))))

    # ------------------------------------------------------------------ writes
    @staticmethod
    def parse_value(typ, raw, unit_mult):
        """A MeasureValue string → the stored Python value, or raise ValueError(reason)."""
        if not isinstance(raw, str):
            raise ValueError(f"Measure value must be a string, got {type(raw).__name__}")
        if typ == "DOUBLE":
            try:
                v = float(raw)
            except ValueError:
                raise ValueError(f"Invalid measure value '{raw}' for measure value type DOUBLE.") from None
            if math.isnan(v) or math.isinf(v):
                raise ValueError(f"Invalid measure value '{raw}': NaN and Infinity cannot be written.")
            return v
        if typ == "BIGINT":
            try:
                v = int(raw.strip(), 10)
            except ValueError:
                raise ValueError(f"Invalid measure value '{raw}' for measure value type BIGINT.") from None
            if not INT64_MIN <= v <= INT64_MAX:
                raise ValueError(f"Measure value '{raw}' is out of range for BIGINT.")
            return v
        if typ == "BOOLEAN":
            low = raw.strip().lower()
            if low not in ("true", "false"):
                raise ValueError(f"Invalid measure value '{raw}' for measure value type BOOLEAN.")
            return 1 if low == "true" else 0
        if typ == "VARCHAR":
            if len(raw.encode("utf-8")) > 2048:
                raise ValueError("Measure value exceeds the maximum length of 2048 bytes for VARCHAR.")
            return raw
        if typ == "TIMESTAMP":
            # A TIMESTAMP measure is epoch time in the record's TimeUnit (documented choice).
            try:
                v = int(raw.strip(), 10) * unit_mult
            except ValueError:
                raise ValueError(f"Invalid measure value '{raw}' for measure value type TIMESTAMP.") from None
            if not INT64_MIN <= v <= INT64_MAX:
                raise ValueError(f"Measure value '{raw}' is out of the TIMESTAMP range.")
            return v
        raise ValueError(f"Unknown measure value type {typ}.")

    def _window(self, t, now):
        rp = t.props["RetentionProperties"]
        mem_lo = now - rp["MemoryStoreRetentionPeriodInHours"] * 3600 * 1000000000
        mag_lo = now - rp["MagneticStoreRetentionPeriodInDays"] * 86400 * 1000000000
        return mem_lo, mag_lo, now + FUTURE_WINDOW_NS

    @staticmethod
    def _iso(ns):
        s = fmt.fmt_timestamp(ns)
        return s[:10] + "T" + s[11:23] + "Z"

    def write_records(self, db, table, common, records):
        """Apply WriteRecords; returns (ingested dict, rejected list)."""
        with self.lock:
            t = self.need_table(db, table)
            now = now_ns()
            mem_lo, mag_lo, hi = self._window(t, now)
            magnetic_ok = bool(t.props["MagneticStoreWriteProperties"].get("EnableMagneticStoreWrites"))
            rejected = []
            mem = mag = 0
            self.db.execute("BEGIN")
            try:
                for idx, rec in enumerate(records):
                    try:
                        where = self._write_one(t, common, rec, now, mem_lo, mag_lo, hi, magnetic_ok)
                    except _Reject as r:
                        rejected.append({"RecordIndex": idx, "Reason": r.reason,
                                         **({"ExistingVersion": r.existing} if r.existing is not None else {})})
                        continue
                    if where == "memory":
                        mem += 1
                    else:
                        mag += 1
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                # The in-memory catalog may hold columns the rollback removed: reload it.
                self.databases.clear()
                self.tables.clear()
                self._load_catalog()
                raise
            return {"Total": mem + mag, "MemoryStore": mem, "MagneticStore": mag}, rejected

    def _write_one(self, t, common, rec, now, mem_lo, mag_lo, hi, magnetic_ok):
        dims = list(common.get("Dimensions") or [])
        cdim_names = {d.get("Name") for d in dims}
        for d in rec.get("Dimensions") or []:
            if d.get("Name") in cdim_names:
                raise ServiceError("ValidationException",
                                   f"Dimension '{d.get('Name')}' is set both in CommonAttributes and in a record.")
            dims.append(d)

        def pick(key, default=None):
            v = rec.get(key)
            return v if v is not None else common.get(key, default)

        mname = pick("MeasureName")
        mtype = pick("MeasureValueType", "DOUBLE")
        unit = pick("TimeUnit", "MILLISECONDS")
        version = pick("Version", 1)
        raw_time = pick("Time")
        if mtype not in TYPES + ("MULTI",):
            raise ServiceError("ValidationException",
                               f"1 validation error detected: Value '{mtype}' at 'measureValueType' failed to satisfy "
                               f"constraint: Member must satisfy enum value set: [DOUBLE, BIGINT, VARCHAR, BOOLEAN, "
                               f"TIMESTAMP, MULTI]")
        if unit not in UNIT_NS:
            raise ServiceError("ValidationException",
                               f"1 validation error detected: Value '{unit}' at 'timeUnit' failed to satisfy "
                               f"constraint: Member must satisfy enum value set: [MILLISECONDS, SECONDS, "
                               f"MICROSECONDS, NANOSECONDS]")
        if not mname:
            raise _Reject("Measure name must be specified.")
        if len(mname.encode()) > 256:
            raise _Reject("Measure name exceeds the maximum length of 256 bytes.")
        if raw_time is None:
            raise _Reject("Time must be specified.")
        mult = UNIT_NS[unit]
        try:
            tval = int(str(raw_time).strip(), 10) * mult
        except ValueError:
            raise _Reject(f"Invalid time value '{raw_time}'.") from None
        if not INT64_MIN <= tval <= INT64_MAX:
            raise _Reject(f"The record timestamp {raw_time} {unit} is outside the TIMESTAMP range "
                          f"(1677-09-21 … 2262-04-11).")
        if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= INT64_MAX:
            raise _Reject(f"Invalid version {version}: versions must be positive 64-bit integers.")
        dmap = {}
        for d in dims:
            dn, dv = d.get("Name"), d.get("Value")
            if d.get("DimensionValueType", "VARCHAR") != "VARCHAR":
                raise ServiceError("ValidationException",
                                   f"1 validation error detected: Value '{d.get('DimensionValueType')}' at "
                                   f"'dimensionValueType' failed to satisfy constraint: Member must satisfy enum "
                                   f"value set: [VARCHAR]")
            if not dn or dv is None:
                raise _Reject("Dimensions must have a Name and a Value.")
            if dn in RESERVED_NAMES or dn.startswith("ts_") or dn.startswith("measure_value"):
                raise _Reject(f"Dimension name '{dn}' is reserved.")
            if len(dn.encode()) > 60:
                raise _Reject(f"Dimension name '{dn}' exceeds the maximum length of 60 bytes.")
            if dn in dmap:
                raise _Reject(f"Duplicate dimension name '{dn}' in the record.")
            dmap[dn] = dv
        for k in (t.props.get("Schema") or {}).get("CompositePartitionKey") or []:
            if k.get("Type") == "DIMENSION" and k.get("EnforcementInRecord", "OPTIONAL") == "REQUIRED" \
                    and k.get("Name") not in dmap:
                raise _Reject(f"The record is missing the dimension '{k.get('Name')}', which the table's composite "
                              f"partition key requires.")
        # values: list of (column name, type, value)
        values = []
        if mtype == "MULTI":
            mvs = rec.get("MeasureValues") if rec.get("MeasureValues") is not None else common.get("MeasureValues")
            if not mvs:
                raise _Reject("MeasureValues must be specified for a record of type MULTI.")
            seen = set()
            for mv in mvs:
                n, typ = mv.get("Name"), mv.get("Type")
                if not n:
                    raise _Reject("Every MeasureValue needs a Name.")
                if n in seen:
                    raise _Reject(f"Duplicate measure name '{n}' in MeasureValues.")
                seen.add(n)
                if typ not in TYPES:
                    raise _Reject(f"Invalid measure value type '{typ}' for measure '{n}'.")
                if n in RESERVED_NAMES or n.startswith("ts_") or n.startswith("measure_value"):
                    raise _Reject(f"Measure name '{n}' is reserved.")
                try:
                    values.append((n, typ, self.parse_value(typ, mv.get("Value"), mult)))
                except ValueError as e:
                    raise _Reject(str(e)) from None
            if rec.get("MeasureValue") is not None:
                raise _Reject("MeasureValue cannot be set on a record of type MULTI; use MeasureValues.")
        else:
            if rec.get("MeasureValues"):
                raise _Reject("MeasureValues can only be used with MeasureValueType MULTI.")
            raw = pick("MeasureValue")
            if raw is None:
                raise _Reject("MeasureValue must be specified for a record that is not MULTI.")
            try:
                values.append((f"measure_value::{mtype.lower()}", mtype, self.parse_value(mtype, raw, mult)))
            except ValueError as e:
                raise _Reject(str(e)) from None
        # window check (the reason text is the service's)
        where = "memory"
        if self.enforce_retention:
            if tval >= hi or tval < (mag_lo if magnetic_ok else mem_lo):
                lo = mag_lo if magnetic_ok else mem_lo
                store = "magnetic store" if magnetic_ok else "memory store"
                raise _Reject(f"The record timestamp is outside the time range [{self._iso(lo)}, "
                              f"{self._iso(hi)}) of the {store}.")
            if tval < mem_lo:
                where = "magnetic"
        # type rules: one type per measure name; one type per column; names shared by one role only
        known = t.measures.get(mname)
        if known is not None and known != mtype:
            raise _Reject(f"Measure '{mname}' already exists in table {t.name} with type {known}; "
                          f"it cannot be written as {mtype}.")
        for n, typ, _v in values:
            col = t.by_name.get(n)
            if col is not None:
                if col[3] == "dimension":
                    raise _Reject(f"Measure name '{n}' is already used as a dimension name in table {t.name}.")
                if col[2] != typ:
                    raise _Reject(f"Measure '{n}' already exists in table {t.name} with type {col[2]}; "
                                  f"it cannot be written as {typ}.")
        for dn in dmap:
            col = t.by_name.get(dn)
            if col is not None and col[3] != "dimension":
                raise _Reject(f"Dimension name '{dn}' is already used as a measure name in table {t.name}.")
        key = record_key(dmap, mname)
        # create columns now that the record is known to be valid
        for dn in dmap:
            if dn not in t.by_name:
                self._add_column(t, dn, "VARCHAR", "dimension")
        for n, typ, _v in values:
            if n not in t.by_name:
                self._add_column(t, n, typ, "multi" if mtype == "MULTI" else "measure_value")
        mcols = t.measure_columns()
        newvals = {t.by_name[n][1]: v for n, _typ, v in values}
        row = self.db.execute(f"SELECT v{''.join(', ' + c[1] for c in mcols)} FROM {t.phys} WHERE time=? AND k=?",
                              (tval, key)).fetchone()
        if row is not None:
            existing_version = row[0]
            old = {c[1]: val for c, val in zip(mcols, row[1:]) if val is not None}
            if old == newvals:
                if version > existing_version:
                    self.db.execute(f"UPDATE {t.phys} SET v=? WHERE time=? AND k=?", (version, tval, key))
                return where
            if version <= existing_version:
                raise _Reject("A record with the same dimensions, time and measure name but a different measure "
                              f"value already exists with version {existing_version}. Write with a higher version "
                              "to update it.", existing_version)
            sets = ", ".join(f"{c[1]}=?" for c in mcols)
            self.db.execute(f"UPDATE {t.phys} SET v=?, {sets} WHERE time=? AND k=?",
                            [version] + [newvals.get(c[1]) for c in mcols] + [tval, key])
        else:
            cols = ["time", "k", "measure_name", "v"] + [t.by_name[d][1] for d in dmap] + list(newvals)
            vals = [tval, key, mname, version] + list(dmap.values()) + list(newvals.values())
            self.db.execute(f"INSERT INTO {t.phys} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", vals)
        self._note_measure(t, mname, mtype, set(dmap))
        t.updated = _time.time()
        return where

    # ------------------------------------------------------------------ bulk load
    def bulk_insert(self, t, rows_by_shape):
        """Insert prepared rows; `rows_by_shape` maps a column-name tuple to a list of value rows.

        Used by --load: one transaction, executemany per shape, last write wins on duplicates.
        """
        with self.lock:
            self.db.execute("BEGIN")
            try:
                for shape, rows in rows_by_shape.items():
                    phys = ["time", "k", "measure_name", "v"] + [t.by_name[n][1] for n in shape]
                    self.db.executemany(
                        f"INSERT OR REPLACE INTO {t.phys} ({', '.join(phys)}) VALUES ({', '.join('?' * len(phys))})",
                        rows)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def ensure_column(self, t, name, typ, attr):
        with self.lock:
            col = t.by_name.get(name)
            if col is None:
                return self._add_column(t, name, typ, attr)
            if col[3] == "dimension" and attr != "dimension" or col[3] != "dimension" and attr == "dimension":
                raise ValueError(f"'{name}' is a {col[3]} in {t.db}.{t.name}; cannot also be a {attr}")
            if col[2] != typ:
                raise ValueError(f"'{name}' has type {col[2]} in {t.db}.{t.name}; cannot load it as {typ}")
            return col

    def note_measure(self, t, mname, mtype, dims):
        with self.lock:
            known = t.measures.get(mname)
            if known is not None and known != mtype:
                raise ValueError(f"measure '{mname}' has type {known} in {t.db}.{t.name}; cannot load it as {mtype}")
            self._note_measure(t, mname, mtype, dims)

    # ------------------------------------------------------------------ reads
    def reader(self):
        """A fresh read connection for one query (its own snapshot), with the SQL helpers."""
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        register_functions(conn)
        return conn


class _Reject(Exception):
    def __init__(self, reason, existing=None):
        super().__init__(reason)
        self.reason = reason
        self.existing = existing


def record_key(dmap, mname):
    """Identity of a record: sorted dimensions and the measure name, unambiguous (JSON)."""
    return json.dumps([sorted(dmap.items()), mname], ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------------- SQLite helper functions

_TRUNC_CACHE = {}


def _ts_trunc(unit, ns):
    """date_trunc for month/quarter/year; cached per (unit, day) because exports group whole
    tables by month and SQLite calls this once per row."""
    if ns is None:
        return None
    day = ns // (86400 * fmt.NS)
    hit = _TRUNC_CACHE.get((unit, day))
    if hit is not None:
        return hit
    import datetime
    d = datetime.date(1970, 1, 1) + datetime.timedelta(days=day)
    if unit == "month":
        d = d.replace(day=1)
    elif unit == "quarter":
        d = d.replace(month=(d.month - 1) // 3 * 3 + 1, day=1)
    else:
        d = d.replace(month=1, day=1)
    out = (d - datetime.date(1970, 1, 1)).days * 86400 * fmt.NS
    if len(_TRUNC_CACHE) < 200000:
        _TRUNC_CACHE[(unit, day)] = out
    return out


def _ts_field(field, ns):
    if ns is None:
        return None
    import datetime
    secs, frac = divmod(ns, fmt.NS)
    d = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=secs)
    return {"year": d.year, "month": d.month, "day": d.day, "hour": d.hour, "minute": d.minute,
            "second": d.second, "millisecond": frac // 1000000, "day_of_week": d.isoweekday(),
            "dow": d.isoweekday(), "day_of_year": d.timetuple().tm_yday, "doy": d.timetuple().tm_yday,
            "week": d.isocalendar()[1], "quarter": (d.month - 1) // 3 + 1}[field]


def _math(fn, x):
    if x is None:
        return None
    try:
        if fn in ("floor", "ceil", "ceiling"):
            r = math.floor(x) if fn == "floor" else math.ceil(x)
            return r if isinstance(x, int) else float(r)
        return {"sqrt": math.sqrt, "ln": math.log, "exp": math.exp}[fn](x)
    except (ValueError, OverflowError):
        return float("nan")


def _safe(f):
    def g(*a):
        if any(x is None for x in a):
            return None
        try:
            return f(*a)
        except (ValueError, TypeError, OverflowError, ZeroDivisionError):
            return None
    return g


def register_functions(conn):
    conn.create_function("ts_str", 1, _safe(fmt.fmt_timestamp), deterministic=True)
    conn.create_function("dbl_str", 1, _safe(fmt.fmt_double), deterministic=True)
    conn.create_function("str_dbl", 1, _safe(float), deterministic=True)
    conn.create_function("str_int", 1, _safe(lambda s: int(s.strip())), deterministic=True)
    conn.create_function("str_ts", 1, _safe(fmt.parse_timestamp), deterministic=True)
    conn.create_function("ts_trunc", 2, _ts_trunc, deterministic=True)
    conn.create_function("ts_field", 2, _ts_field, deterministic=True)
    conn.create_function("math_fn", 2, _math, deterministic=True)
    conn.create_function("math_pow", 2, _safe(lambda a, b: float(a) ** float(b)), deterministic=True)
    conn.create_function("math_fmod", 2, _safe(math.fmod), deterministic=True)


def open_store(data_dir, **kw):
    os.makedirs(data_dir, exist_ok=True)
    return Store(os.path.join(data_dir, "timestream.sqlite3"), **kw)
