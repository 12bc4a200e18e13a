#!/usr/bin/env python3
"""Restore benchmark: tsarchive restore of N points (default 5 million) from an archive into a
real InfluxDB 1.x server, against curl posting the same line protocol, pre-encoded and
pre-gzipped, with the same batch size and concurrency (xargs -P), in the same run on the same
server. Prints both throughputs, the ratio, and tsarchive's own CPU time per million points
(getrusage of the child). Bounded in time: when curl needs longer than --budget seconds for N
points, both are re-run with 1 million.

  bench/restore_bench.py [--points N] [--concurrency C] [--batch-lines L] [--budget S]
"""
import argparse
import calendar
import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))
from servers import influxd  # noqa: E402


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def build_archive(bin_, n, work):
    """N energy points, one point per plant per minute, as an archive. `tsarchive export` when
    this build can export a file; otherwise DuckDB writes one Parquet file per month."""
    os.makedirs(work, exist_ok=True)
    lp = os.path.join(work, "energy.lp")
    sh([sys.executable, os.path.join(REPO, "scripts", "gen_energy.py"), "--rows", str(n), "--step", "60",
        "--out", lp])
    root = os.path.join(work, "root")
    p = subprocess.run([bin_, "export", "--from", lp, "--database", "bench", "--to", root],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if p.returncode == 0:
        return root, "tsarchive export"
    if not os.path.isdir(os.path.join(REPO, "node_modules", "@duckdb")):
        sys.exit("restore bench: needs `tsarchive export` from a file or DuckDB (npm ci)")
    csvp = os.path.join(work, "energy.csv")
    sh([sys.executable, os.path.join(REPO, "scripts", "gen_energy.py"), "--rows", str(n), "--step", "60",
        "--format", "csv", "--out", csvp])
    months = {}
    span = {}
    with open(csvp) as f:
        r = csv.reader(f)
        next(r)
        for row in r:
            ym = row[0][:7]
            months[ym] = months.get(ym, 0) + 1
            lo_hi = span.setdefault(ym, [row[0], row[0]])
            lo_hi[0] = min(lo_hi[0], row[0])
            lo_hi[1] = max(lo_hi[1], row[0])
    base = os.path.join(root, "timestream-archive", "bench")
    setup = ["CREATE TABLE src AS SELECT * FROM read_csv('%s', header=true, types={'time':'TIMESTAMPTZ',"
             "'region':'VARCHAR','plant_id':'VARCHAR','source':'VARCHAR','generation_mw':'DOUBLE',"
             "'capacity_factor':'DOUBLE','online':'BOOLEAN'})" % csvp]
    files = []
    for ym in sorted(months):
        y, m = int(ym[:4]), int(ym[5:])
        last = calendar.monthrange(y, m)[1]
        rel = "generation/year=%04d/month=%02d/generation_%04d%02d01_%04d%02d%02d.parquet" % (y, m, y, m, y, m, last)
        out = os.path.join(base, rel)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        q = ("SELECT time, plant_id, region, source, capacity_factor, generation_mw, online FROM src "
             "WHERE strftime(time, '%%Y-%%m') = '%s' ORDER BY time" % ym)
        setup.append("COPY (%s) TO '%s' (FORMAT parquet, COMPRESSION zstd)" % (q, out))
        files.append((rel, out, months[ym]))
    args = ["node", os.path.join(REPO, "tests", "oracles", "write_duckdb.mjs")]
    for s in setup[:-1]:
        args += ["--setup", s]
    last_q = setup[-1][len("COPY ("):setup[-1].rindex(") TO '")]
    args += ["--sql", last_q, "--out", files[-1][1], "--compression", "zstd"]
    sh(args, stdout=subprocess.DEVNULL, cwd=REPO)
    cols = [("time", "time", "TIMESTAMP", "timestamp"), ("plant_id", "dimension", "VARCHAR", "string"),
            ("region", "dimension", "VARCHAR", "string"), ("source", "dimension", "VARCHAR", "string"),
            ("capacity_factor", "measure", "DOUBLE", "double"), ("generation_mw", "measure", "DOUBLE", "double"),
            ("online", "measure", "BOOLEAN", "bool")]
    tfiles = []
    for rel, out, cnt in files:
        h = hashlib.sha256()
        with open(out, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        ym = rel.split("year=")[1][:4] + "-" + rel.split("month=")[1][:2]
        tfiles.append({"path": rel, "record_count": cnt, "min_time": span[ym][0], "max_time": span[ym][1],
                       "size": os.path.getsize(out), "sha256": h.hexdigest()})
    size = sum(f["size"] for f in tfiles)
    man = {"format_version": 1, "tool": {"name": "tsarchive", "version": "bench", "build": "bench"},
           "export_id": "bench", "started_at": "2026-01-01T00:00:00.000000000Z",
           "finished_at": "2026-01-01T00:00:00.000000000Z",
           "source": {"kind": "file", "region": None, "endpoint": None, "database": "bench"},
           "database": "bench", "compression": "zstd",
           "tables": [{"name": "generation", "time_unit": "us", "time_ns": False, "record_count": n,
                       "min_time": min(f["min_time"] for f in tfiles),
                       "max_time": max(f["max_time"] for f in tfiles),
                       "columns": [{"name": a, "role": b, "source_type": c, "type": d} for a, b, c, d in cols],
                       "files": tfiles}],
           "totals": {"tables": 1, "files": len(tfiles), "records": n, "bytes": size}}
    with open(os.path.join(base, "export_metadata.json"), "w") as f:
        json.dump(man, f)
    return root, "DuckDB (tests/oracles/write_duckdb.mjs)"


def run_child(cmd, timeout=None):
    """Runs cmd; returns (exit status, wall seconds, user+sys CPU seconds of the child)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = None if timeout is None else t0 + timeout
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if deadline and time.monotonic() > deadline:
            p.kill()
            os.wait4(p.pid, 0)
            return None, time.monotonic() - t0, 0.0
        time.sleep(0.01)
    wall = time.monotonic() - t0
    rc = os.waitstatus_to_exitcode(status)
    if rc != 0:
        sys.stderr.write(p.stderr.read().decode(errors="replace")[-2000:])
    return rc, wall, ru.ru_utime + ru.ru_stime


def count(srv, db):
    res = srv.query("SELECT count(generation_mw) FROM generation", db)["results"][0]
    return res["series"][0]["values"][0][1] if "series" in res else 0


def one_round(bin_, srv, root, n, conc, lines, work, budget):
    host = srv.url
    # the same line protocol tsarchive sends, pre-encoded and pre-gzipped per batch
    lpdir = os.path.join(work, "lp")
    shutil.rmtree(lpdir, ignore_errors=True)
    sh([bin_, "restore", root, "--to", lpdir, "--format", "lp"], stdout=subprocess.DEVNULL)
    lpfile = os.path.join(lpdir, "bench", "generation.lp")
    bdir = os.path.join(work, "batches")
    shutil.rmtree(bdir, ignore_errors=True)
    os.makedirs(bdir)
    sh(["split", "-l", str(lines), "-a", "5", lpfile, os.path.join(bdir, "b")])
    sh("ls %s/b* | xargs -P 2 -n 50 gzip -1" % bdir, shell=True)
    nbatches = len(os.listdir(bdir))

    # one curl process per connection, each posting its share of the batches over one
    # keep-alive connection (a config file chaining the requests with "next"), started by
    # xargs -P: the strongest curl baseline (a curl process per batch costs ~40 ms of CPU each)
    gz = sorted(os.listdir(bdir))
    cfgs = []
    for w in range(conc):
        cfg = os.path.join(work, "curl-%d.cfg" % w)
        with open(cfg, "w") as f:
            for i, name in enumerate(gz[w::conc]):
                if i:
                    f.write("next\n")
                f.write('url = "%s/write?db=curl&precision=n"\nrequest = "POST"\n'
                        'header = "Content-Encoding: gzip"\nheader = "Content-Type: text/plain; charset=utf-8"\n'
                        'header = "Expect:"\ndata-binary = "@%s"\noutput = "/dev/null"\nsilent\nfail\n'
                        % (host, os.path.join(bdir, name)))
        cfgs.append(cfg)
    curl_cmd = ["sh", "-c", "printf '%%s\\n' %s | xargs -P %d -n 1 curl -K" % (" ".join(cfgs), conc)]
    ts_cmd = [bin_, "restore", root, "--to", "influx1://%s/ts" % host.replace("http://", ""),
              "--concurrency", str(conc), "--batch-lines", str(lines), "--no-resume", "--no-parity"]
    # two rounds, alternating who goes first, each into a fresh database; best of each
    curl_best = ts_best = None
    for rnd in range(2):
        order = ("curl", "ts") if rnd == 0 else ("ts", "curl")
        for who in order:
            srv.query("DROP DATABASE %s" % who)
            srv.query("CREATE DATABASE %s" % who)
            cmd = curl_cmd if who == "curl" else ts_cmd
            rc, wall, cpu = run_child(cmd, timeout=budget if who == "curl" else budget * 4)
            if rc is None:
                return None
            if rc != 0:
                sys.exit("%s run failed (exit %s)" % (who, rc))
            got = count(srv, who)
            print("  round %d %-9s %6.1f s  %9.0f points/s  cpu %.2f s  stored %d"
                  % (rnd + 1, who, wall, n / wall, cpu, got), flush=True)
            if who == "curl" and (curl_best is None or wall < curl_best[0]):
                curl_best = (wall, cpu, got)
            if who == "ts" and (ts_best is None or wall < ts_best[0]):
                ts_best = (wall, cpu, got)
    curl_wall, curl_cpu, curl_count = curl_best
    ts_wall, ts_cpu, ts_count = ts_best
    return dict(points=n, batches=nbatches, curl_s=curl_wall, curl_count=curl_count, curl_cpu=curl_cpu,
                ts_s=ts_wall, ts_count=ts_count, ts_cpu=ts_cpu)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=int(os.environ.get("BENCH_POINTS", 5000000)))
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--batch-lines", type=int, default=5000)
    ap.add_argument("--budget", type=float, default=float(os.environ.get("BENCH_BUDGET", 300)),
                    help="seconds curl may take before falling back to 1M points")
    ap.add_argument("--bin", default=os.environ.get("TSARCHIVE_BIN", os.path.join(REPO, "build", "tsarchive")))
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="restore-bench-", dir=os.environ.get("BENCH_DIR"))
    try:
        with influxd() as srv:
            n = a.points
            while True:
                t0 = time.monotonic()
                root, how = build_archive(a.bin, n, os.path.join(work, str(n)))
                print("archive: %d points via %s in %.0f s" % (n, how, time.monotonic() - t0), flush=True)
                r = one_round(a.bin, srv, root, n, a.concurrency, a.batch_lines, os.path.join(work, str(n)),
                              a.budget)
                if r is not None or n <= 1000000:
                    break
                print("curl needed more than %.0f s for %d points: falling back to 1M" % (a.budget, n), flush=True)
                shutil.rmtree(os.path.join(work, str(n)), ignore_errors=True)
                n = 1000000
            if r is None:
                sys.exit("curl did not finish 1M points within the budget")
            curl_rate = r["points"] / r["curl_s"]
            ts_rate = r["points"] / r["ts_s"]
            print("restore bench (best of 2 rounds each): %d points, batches of %d lines, concurrency %d, InfluxDB %s"
                  % (r["points"], a.batch_lines, a.concurrency, "1.x (Debian influxd)"))
            print("  curl (pre-encoded, pre-gzipped, xargs -P, keep-alive): %7.1f s  %9.0f points/s  (%d points stored)"
                  % (r["curl_s"], curl_rate, r["curl_count"]))
            print("  tsarchive restore (Parquet -> LP -> gzip):  %7.1f s  %9.0f points/s  (%d points stored)"
                  % (r["ts_s"], ts_rate, r["ts_count"]))
            print("  ratio tsarchive/curl: %.2f" % (ts_rate / curl_rate))
            print("  tsarchive CPU: %.2f s total, %.3f s per million points (user+sys, getrusage)"
                  % (r["ts_cpu"], r["ts_cpu"] / (r["points"] / 1e6)))
            if r["ts_count"] != r["points"] or r["curl_count"] != r["points"]:
                print("  WARNING: stored counts differ from the points sent")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
