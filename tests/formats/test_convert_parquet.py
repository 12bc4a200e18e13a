"""Lossless round trips through Parquet with `tsarchive convert`, checked by independent readers:

- CSV -> Parquet -> CSV gives back the same CSV (exact ns times, every type, NULL vs "").
- Our Parquet read by hyparquet and polars equals our own reading of the CSV.
- Parquet written by DuckDB -> LP -> Parquet: the same rows (as dicts; LP reorders columns).
- DuckDB reads our CSV output and our Parquet written from that CSV with identical values.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SRC = os.environ.get("TSARCHIVE_SRC", ".")
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
from servers import run_tsarchive  # noqa: E402
import oracles  # noqa: E402

TWO53 = 2 ** 53


def canon(v):
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int):
        return v if abs(v) < TWO53 else str(v)
    if isinstance(v, float):
        return repr(v)  # keeps -0.0 apart from 0.0
    return v


def rows_of(lines):
    out = []
    for l in lines:
        d = json.loads(l)
        if "#summary" in d:
            continue
        out.append({k: canon(v) for k, v in d.items()})
    return out


def ts(ns):
    """RFC 3339 with 9 digits for any int64 ns (proleptic Gregorian)."""
    s, frac = divmod(ns, 1_000_000_000)
    days, sod = divmod(s, 86400)
    # civil from days (Howard Hinnant)
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    y += m <= 2
    return "%04d-%02d-%02dT%02d:%02d:%02d.%09dZ" % (y, m, d, sod // 3600, sod // 60 % 60, sod % 60, frac)


def q(s):
    return '"' + s.replace('"', '""') + '"'


SCHEMA = ("time:timestamp,plant:string:dimension,region:string:dimension,"
          "capacity_factor:double,count:int64,note:string:measure,online:bool,seen:timestamp")


def energy_csv(n, sub_us=True):
    """CSV in archive column order (time, dimensions by name, measures) with awkward values."""
    doubles = [0.1, 1 / 3, -0.0, 5e-324, 1.7976931348623157e308, 1e16, 123.456, float("nan"),
               float("inf"), float("-inf"), -2.5e-300, 7.0]
    notes = ['say "hi"', "comma, here", "new\nline", "", "ünïcødé 😀", "crlf\r\nx", None]
    lines = ["time,plant,region,capacity_factor,count,note,online,seen"]
    for i in range(n):
        t = -1_000_000_000_000 + i * 3_600_000_123_457
        if not sub_us:
            t -= t % 1000
        d = doubles[i % len(doubles)]
        dv = "NaN" if d != d else ("Infinity" if d == float("inf") else "-Infinity" if d == float("-inf") else repr(d))
        note = notes[i % len(notes)]
        cells = [
            ts(t),
            "p%d" % (i % 4),
            "" if i % 5 == 0 else q("north, east" if i % 2 else "south"),
            "" if i % 11 == 3 else dv,
            str([0, -1, 9223372036854775807, -9223372036854775808, 2 ** 53 + 1][i % 5]),
            "" if note is None else q(note),
            ["true", "false", ""][i % 3],
            "" if i % 2 else ts(t + (999 if sub_us else 999000)),
        ]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


class ConvertThroughParquet(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tsa-fmt-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def p(self, name):
        return os.path.join(self.tmp, name)

    def convert(self, *args, expect=0):
        rc, out, err = run_tsarchive(["convert", *args])
        self.assertEqual(rc, expect, "convert %s -> %d\n%s%s" % (args, rc, out, err))
        return out, err

    def read(self, path):
        with open(path, encoding="utf-8", newline="") as f:
            return f.read()

    def test_csv_parquet_csv_is_lossless(self):
        src = self.p("energy.csv")
        with open(src, "w", encoding="utf-8", newline="") as f:
            f.write(energy_csv(200))
        # our own normal form of the CSV (9-digit times, repr doubles)
        self.convert(src, self.p("norm.csv"), "--schema", SCHEMA)
        for codec in ("zstd", "snappy", "gzip", "none"):
            pq = self.p("energy_%s.parquet" % codec)
            self.convert(src, pq, "--schema", SCHEMA, "--codec", codec)
            back = self.p("back_%s.csv" % codec)
            self.convert(pq, back)
            a, b = self.read(self.p("norm.csv")), self.read(back)
            if a != b:
                al, bl = a.split("\n"), b.split("\n")
                for i, (x, y) in enumerate(zip(al, bl)):
                    if x != y:
                        self.fail("codec %s: line %d differs:\n csv:     %r\n parquet: %r" % (codec, i + 1, x, y))
                self.fail("codec %s: %d vs %d lines" % (codec, len(al), len(bl)))

    @unittest.skipIf(oracles.node_ready(), "node oracles unavailable")
    def test_archive_time_layout(self):
        """--time-unit archive: time TIMESTAMP(MICROS), plus exact time_ns only when needed."""
        src = self.p("energy.csv")
        with open(src, "w", encoding="utf-8", newline="") as f:
            f.write(energy_csv(60))
        schema = SCHEMA.replace(",seen:timestamp", ",seen:string:measure")  # one timestamp column
        pq = self.p("arch.parquet")
        self.convert(src, pq, "--schema", schema, "--time-unit", "archive")
        cols = oracles.read_schema("hyparquet", pq)
        self.assertEqual([(c["name"], c["type"]) for c in cols][:2],
                         [("time", "TIMESTAMP(MICROS,UTC)"), ("time_ns", "INT64")])
        res = oracles.read_rows("duckdb", pq)
        self.assertEqual(res.rc, 0, res.stderr)
        for line in res.lines:
            r = json.loads(line)
            if "#summary" in r:
                continue
            ns = int(r["time_ns"])
            self.assertEqual(r["time"], ts(ns - ns % 1000))  # floor to microseconds
        # reading it back folds time_ns into time: the CSV comes back exactly
        self.convert(src, self.p("norm.csv"), "--schema", schema)
        self.convert(pq, self.p("back.csv"))
        self.assertEqual(self.read(self.p("norm.csv")), self.read(self.p("back.csv")))
        # microsecond data gets no time_ns
        with open(self.p("us.csv"), "w") as f:
            f.write(energy_csv(30, sub_us=False))
        self.convert(self.p("us.csv"), self.p("us.parquet"), "--schema", schema, "--time-unit", "archive")
        cols = [c["name"] for c in oracles.read_schema("hyparquet", self.p("us.parquet"))]
        self.assertNotIn("time_ns", cols)
        self.assertEqual([f for f in os.listdir(self.tmp) if f.startswith(".tmp")], [])

    @unittest.skipIf(oracles.node_ready(), "node oracles unavailable")
    def test_independent_readers_see_our_values(self):
        src = self.p("energy.csv")
        with open(src, "w", encoding="utf-8", newline="") as f:
            f.write(energy_csv(120))
        pq = self.p("energy.parquet")
        self.convert(src, pq, "--schema", SCHEMA)
        ours, _ = self.convert(src, "-", "--to-format", "jsonl", "--schema", SCHEMA)
        want = rows_of(ours.splitlines())
        for reader in ("hyparquet", "polars", "duckdb"):
            res = oracles.read_rows(reader, pq)
            self.assertEqual(res.rc, 0, "%s: %s" % (reader, res.stderr))
            got = rows_of(res.lines)
            self.assertEqual(len(got), len(want), reader)
            for i, (g, w) in enumerate(zip(got, want)):
                if reader == "duckdb":  # DuckDB reads TIMESTAMP(NANOS) as microseconds
                    g = {k: v for k, v in g.items() if k not in ("time", "seen")}
                    w = {k: v for k, v in w.items() if k not in ("time", "seen")}
                self.assertEqual(g, w, "%s row %d" % (reader, i))

    @unittest.skipIf(oracles.node_ready(), "node oracles unavailable")
    def test_duckdb_parquet_to_lp_to_parquet(self):
        src = self.p("duck.parquet")
        oracles.write_duckdb(src, sql=(
            "SELECT make_timestamp_ns(1700000000000000000 + i * 1000000007) AS time, "
            "'host ' || (i % 3) AS host, CASE WHEN i % 4 = 0 THEN NULL ELSE 'r=' || (i % 2) END AS region, "
            "i * 0.1 AS usage, CAST(i AS BIGINT) * 3 - 100 AS n, i % 2 = 0 AS ok, "
            "CASE WHEN i % 5 = 0 THEN NULL ELSE i * 1.5 END AS maybe "
            "FROM range(500) t(i)"))
        lp = self.p("duck.lp")
        out, _ = self.convert(src, lp, "--json")
        self.assertEqual(json.loads(out)["rows_out"], 500)
        back = self.p("back.parquet")
        self.convert(lp, back)
        a = oracles.read_rows("hyparquet", src)
        b = oracles.read_rows("hyparquet", back)
        self.assertEqual((a.rc, b.rc), (0, 0), a.stderr + b.stderr)
        ra, rb = rows_of(a.lines), rows_of(b.lines)
        self.assertEqual(len(ra), 500)
        self.assertEqual(ra, rb)
        # and the archive's column order: time, tags by name, fields by name
        cols = [c["name"] for c in oracles.read_schema("hyparquet", back)]
        self.assertEqual(cols, ["time", "host", "region", "maybe", "n", "ok", "usage"])

    @unittest.skipIf(oracles.node_ready(), "node oracles unavailable")
    def test_duckdb_reads_our_csv_like_our_parquet(self):
        src = self.p("energy.csv")
        with open(src, "w", encoding="utf-8", newline="") as f:
            f.write(energy_csv(150, sub_us=False))  # DuckDB timestamps stop at microseconds
        ours_csv = self.p("ours.csv")
        ours_pq = self.p("ours.parquet")
        self.convert(src, ours_csv, "--schema", SCHEMA)
        self.convert(ours_csv, ours_pq, "--schema", SCHEMA, "--time-unit", "us")
        duck_pq = self.p("duck_from_csv.parquet")
        # allow_quoted_nulls=false: DuckDB then reads "" as the empty string, as we write it
        oracles.write_duckdb(duck_pq, sql=(
            "SELECT * FROM read_csv('%s', header=true, allow_quoted_nulls=false, columns={"
            "'time':'TIMESTAMPTZ','plant':'VARCHAR','region':'VARCHAR','capacity_factor':'DOUBLE',"
            "'count':'BIGINT','note':'VARCHAR','online':'BOOLEAN','seen':'TIMESTAMPTZ'})" % ours_csv))
        a = oracles.read_rows("duckdb", duck_pq)
        b = oracles.read_rows("duckdb", ours_pq)
        self.assertEqual((a.rc, b.rc), (0, 0), a.stderr + b.stderr)
        ra, rb = rows_of(a.lines), rows_of(b.lines)
        self.assertEqual(len(ra), 150)
        for i, (x, y) in enumerate(zip(ra, rb)):
            self.assertEqual(x, y, "row %d: DuckDB from our CSV vs DuckDB on our Parquet" % i)


if __name__ == "__main__":
    unittest.main()
