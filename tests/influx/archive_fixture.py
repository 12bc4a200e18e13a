"""Builds small archives (format 1) for the restore tests.

Prefers `tsarchive export --from FILE.lp --database DB --to ROOT` when this build can do it;
otherwise writes each table-month's Parquet file with DuckDB (tests/oracles/write_duckdb.mjs,
an independent writer) and the export_metadata.json by hand, following DESIGN.md's layout:
time (TIMESTAMP MICROS UTC), time_ns when a table has sub-microsecond times, dimensions by name,
measure_name, measures.
"""
import calendar
import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))


def rfc3339(ns):
    s, frac = divmod(ns, 10**9)
    y, mo, d, h, mi, se = __import__("time").gmtime(s)[:6]
    return "%04d-%02d-%02dT%02d:%02d:%02d.%09dZ" % (y, mo, d, h, mi, se, frac)


def parse_lp(path):
    """The sample energy line protocol (no escapes in it) -> rows of dicts per measurement."""
    tables = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            head, fields, ts = line.rsplit(" ", 2)
            parts = head.split(",")
            row = {"time": int(ts)}
            for kv in parts[1:]:
                k, v = kv.split("=", 1)
                row[k] = v
            for kv in fields.split(","):
                k, v = kv.split("=", 1)
                if v in ("true", "false"):
                    row[k] = v == "true"
                elif v.endswith("i"):
                    row[k] = int(v[:-1])
                elif v.startswith('"'):
                    row[k] = v[1:-1]
                else:
                    row[k] = float(v)
            tables.setdefault(parts[0], []).append(row)
    return tables


def have_duckdb():
    return shutil.which("node") and os.path.isdir(os.path.join(REPO, "node_modules", "@duckdb"))


SQL_TYPES = {"string": "VARCHAR", "double": "DOUBLE", "bigint": "BIGINT", "boolean": "BOOLEAN"}


def write_archive(root, database, tables, workdir):
    """tables: {name: {"dims": [...], "measure_name": bool, "measures": [(name, type)], "rows": [...]}}
    rows: dicts with "time" (int ns) and column values (None = NULL). Returns the manifest."""
    base = os.path.join(root, "timestream-archive", database)
    os.makedirs(base, exist_ok=True)
    manifest = {"format_version": 1, "tool": {"name": "tsarchive", "version": "test", "build": "test"},
                "export_id": "test-fixture", "started_at": "2026-01-01T00:00:00.000000000Z",
                "finished_at": "2026-01-01T00:00:00.000000000Z",
                "source": {"kind": "file", "region": None, "endpoint": None, "database": database},
                "database": database, "compression": "zstd", "tables": []}
    tot = {"tables": 0, "files": 0, "records": 0, "bytes": 0}
    for tname in sorted(tables):
        spec = tables[tname]
        rows = spec["rows"]
        need_ns = any(r["time"] % 1000 for r in rows)
        cols = [("time", "time", "TIMESTAMP", "timestamp")]
        if need_ns:
            cols.append(("time_ns", "time_ns", "BIGINT", "int64"))
        for d in sorted(spec["dims"]):
            cols.append((d, "dimension", "VARCHAR", "string"))
        if spec.get("measure_name"):
            cols.append(("measure_name", "measure_name", "VARCHAR", "string"))
        for m, t in spec["measures"]:
            cols.append((m, "measure", SQL_TYPES[t].replace("VARCHAR", "VARCHAR"), {
                "string": "string", "double": "double", "bigint": "int64", "boolean": "bool"}[t]))
        months = {}
        for r in rows:
            y, mo = __import__("time").gmtime(r["time"] // 10**9)[:2]
            months.setdefault((y, mo), []).append(r)
        tinfo = {"name": tname, "columns": [{"name": c[0], "role": c[1], "source_type": c[2], "type": c[3]}
                                            for c in cols],
                 "time_unit": "us", "time_ns": need_ns, "files": []}
        csvp = os.path.join(workdir, "%s.csv" % tname)
        with open(csvp, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["t_us", "t_ns"] + [c[0] for c in cols[1:] if c[0] != "time_ns"])
            for r in rows:
                vals = []
                for c in cols[1:]:
                    if c[0] == "time_ns":
                        continue
                    v = r.get(c[0])
                    vals.append("" if v is None else ("true" if v is True else "false" if v is False else v))
                w.writerow([r["time"] // 1000, r["time"]] + vals)
        sel = ["make_timestamp(t_us::BIGINT)::TIMESTAMPTZ AS \"time\""]
        if need_ns:
            sel.append("t_ns::BIGINT AS time_ns")
        for c in cols[1:]:
            if c[0] == "time_ns":
                continue
            sel.append("CAST(NULLIF(\"%s\", '') AS %s) AS \"%s\"" % (c[0], c[2], c[0]))
        setup = ["CREATE TABLE src AS SELECT * FROM read_csv('%s', header=true, all_varchar=true, "
                 "quote='\"')" % csvp]
        outs = []
        for (y, mo) in sorted(months):
            last = calendar.monthrange(y, mo)[1]
            rel = "%s/year=%04d/month=%02d/%s_%04d%02d01_%04d%02d%02d.parquet" % (
                tname, y, mo, tname, y, mo, y, mo, last)
            out = os.path.join(base, rel)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            lo = calendar.timegm((y, mo, 1, 0, 0, 0)) * 10**9
            hi = calendar.timegm((y + (mo == 12), mo % 12 + 1, 1, 0, 0, 0)) * 10**9
            q = "SELECT %s FROM src WHERE t_ns::BIGINT >= %d AND t_ns::BIGINT < %d ORDER BY t_ns::BIGINT" % (
                ", ".join(sel), lo, hi)
            outs.append((y, mo, rel, out, q))
        args = ["node", os.path.join(REPO, "tests", "oracles", "write_duckdb.mjs")]
        for _y, _mo, _rel, out, q in outs[:-1]:
            setup.append("COPY (%s) TO '%s' (FORMAT parquet, COMPRESSION zstd)" % (q, out))
        for st in setup:
            args += ["--setup", st]
        args += ["--out", outs[-1][3], "--sql", outs[-1][4], "--compression", "zstd"]
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL, cwd=REPO)
        for y, mo, rel, out, _q in outs:
            mrows = months[(y, mo)]
            data = open(out, "rb").read()
            tinfo["files"].append({"path": rel, "record_count": len(mrows),
                                   "min_time": rfc3339(min(r["time"] for r in mrows)),
                                   "max_time": rfc3339(max(r["time"] for r in mrows)),
                                   "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
            tot["files"] += 1
            tot["bytes"] += len(data)
        tinfo["record_count"] = len(rows)
        tinfo["min_time"] = rfc3339(min(r["time"] for r in rows)) if rows else None
        tinfo["max_time"] = rfc3339(max(r["time"] for r in rows)) if rows else None
        manifest["tables"].append(tinfo)
        tot["tables"] += 1
        tot["records"] += len(rows)
    manifest["totals"] = tot
    with open(os.path.join(base, "export_metadata.json"), "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
    return manifest


def try_export(bin_, lp_path, database, root):
    """The real path: the line protocol bulk-loaded into the Timestream emulator, then
    `tsarchive export --from timestream://` into ROOT (when this build has export)."""
    p = subprocess.run([bin_, "export", "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0 or b"timestream://" not in p.stdout + p.stderr:
        return False
    from servers import emulator
    with emulator("timestream", "--load", "%s.%s=%s" % (database, "generation", lp_path),
                  "--retention", "ignore") as emu:
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_REGION="us-east-1",
                   AWS_ENDPOINT_URL=emu.url)
        env.pop("AWS_PROFILE", None)
        p = subprocess.run([bin_, "export", "--from", "timestream://us-east-1", "--database", database,
                            "--to", root], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    return p.returncode == 0 and os.path.exists(
        os.path.join(root, "timestream-archive", database, "export_metadata.json"))


ENERGY_SPEC = {"dims": ["plant_id", "region", "source"],
               "measures": [("capacity_factor", "double"), ("generation_mw", "double"), ("online", "boolean")]}


def energy_archive(bin_, lp_path, database, root, workdir, prefer_export=True):
    """The energy line protocol (measurement "generation") as an archive: Timestream emulator +
    `tsarchive export` when possible (prefer_export), else DuckDB; the other when one is missing."""
    if prefer_export and try_export(bin_, lp_path, database, root):
        return "export"
    if not have_duckdb() and not prefer_export and try_export(bin_, lp_path, database, root):
        return "export"
    if not have_duckdb():
        raise unittest_skip("neither `tsarchive export` from a file nor DuckDB (npm ci) is available")
    rows = parse_lp(lp_path)
    tables = {m: dict(ENERGY_SPEC, rows=r) for m, r in rows.items()}
    write_archive(root, database, tables, workdir)
    return "duckdb"


def unittest_skip(msg):
    import unittest
    return unittest.SkipTest(msg)
