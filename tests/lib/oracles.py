"""Run the Node Parquet oracles (tests/oracles/*.mjs) from Python tests.

    import sys, os; sys.path.insert(0, os.path.join(os.environ["TSARCHIVE_SRC"], "tests", "lib"))
    from oracles import read_rows, compare_with_oracles

    res = read_rows("duckdb", path)        # OracleResult(rc, lines, summary, stderr)
    diffs = compare_rows(our_lines, res.lines)

Standard library only.  See docs/testing.md.
"""
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
ORACLES_DIR = os.path.join(REPO_ROOT, "tests", "oracles")
if ORACLES_DIR not in sys.path:
    sys.path.insert(0, ORACLES_DIR)

from compare import compare_rows, format_diffs, parse_lines  # noqa: E402
from canon import SUMMARY_KEY  # noqa: E402

READERS = ("duckdb", "hyparquet", "polars")

__all__ = ["READERS", "REPO_ROOT", "OracleResult", "node_ready", "shared_dir", "read_rows",
           "read_many", "read_schema", "write_duckdb", "compare_with_oracles", "compare_rows", "format_diffs",
           "parse_lines"]


class OracleResult:
    def __init__(self, rc, lines, summary, stderr):
        self.rc = rc            # 0 ok, 2 reader refused the file, 3 unsupported column type
        self.lines = lines      # canonical row lines (without the summary)
        self.summary = summary  # dict from the summary line, or None
        self.stderr = stderr

    @property
    def rows(self):
        return len(self.lines)

    def __repr__(self):
        return "OracleResult(rc=%d, rows=%d, stderr=%r)" % (self.rc, len(self.lines), self.stderr[-300:])


def node_ready():
    """None when node and node_modules are usable, else a message saying what to run."""
    if not shutil.which("node"):
        return "node is not installed (run: bash scripts/deps.sh)"
    for pkg in ("@duckdb/node-api", "hyparquet", "hyparquet-compressors", "nodejs-polars"):
        if not os.path.isdir(os.path.join(REPO_ROOT, "node_modules", *pkg.split("/"))):
            return "node_modules/%s is missing (run: bash scripts/deps.sh, or npm ci)" % pkg
    return None


def shared_dir(*parts):
    """Path under ../shared (beside the repo root), or None when that directory is absent."""
    base = os.environ.get("TSARCHIVE_SHARED") or os.path.join(os.path.dirname(REPO_ROOT), "shared")
    p = os.path.join(base, *parts)
    return p if os.path.exists(p) else None


def _node(script, args, timeout):
    cmd = ["node", os.path.join(ORACLES_DIR, script)] + [str(a) for a in args]
    p = subprocess.run(cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8", "replace")


def _result(rc, out, err):
    lines, summary = [], None
    for line in out.splitlines():
        if line.startswith('{"%s":' % SUMMARY_KEY):
            summary = json.loads(line)[SUMMARY_KEY]
        elif line:
            lines.append(line)
    if rc == 0 and summary is None:
        rc, err = 2, err + "\n(no summary line: output truncated?)"
    return OracleResult(rc, lines, summary, err)


def read_rows(reader, path, skip_unsupported=False, timeout=120):
    """Read a Parquet file with one oracle -> OracleResult."""
    args = (["--skip-unsupported"] if skip_unsupported else []) + [reader, path]
    return _result(*_node("read.mjs", args, timeout))


def read_many(reader, paths, skip_unsupported=False, timeout=300):
    """Read many files with one oracle in one Node process -> list of OracleResult (same order).

    Faster than read_rows() per file (Node and the reader start once), but a reader that
    crashes the process fails them all: use it for files known not to do that."""
    import tempfile
    with tempfile.TemporaryDirectory(prefix="tsarchive-oracle-") as d:
        args = (["--skip-unsupported"] if skip_unsupported else []) + ["--out-dir", d, reader]
        rc, out, err = _node("read.mjs", args + list(paths), timeout)
        if rc != 0:
            raise RuntimeError("read.mjs --out-dir %s failed (%d): %s" % (reader, rc, err.strip()))
        results = []
        for i in range(len(paths)):
            def slurp(ext):
                with open(os.path.join(d, "%d.%s" % (i, ext)), encoding="utf-8") as f:
                    return f.read()
            results.append(_result(int(slurp("rc")), slurp("jsonl"), slurp("err")))
        return results


def read_schema(reader, path, timeout=120):
    """-> list of {"name", "type", "native"} as the reader sees the file's columns."""
    rc, out, err = _node("schema.mjs", [reader, path], timeout)
    if rc != 0:
        raise RuntimeError("schema.mjs %s %s failed (%d): %s" % (reader, path, rc, err.strip()))
    return [json.loads(l) for l in out.splitlines() if l.strip()]


def write_duckdb(out, sql=None, csv=None, types=None, compression=None, row_group_size=None,
                 options=(), setup=(), timeout=120):
    """Write a Parquet file with DuckDB (tests/oracles/write_duckdb.mjs); returns its row count."""
    args = ["--out", out]
    if sql is not None:
        args += ["--sql", sql]
    if csv is not None:
        args += ["--csv", csv]
    if types:
        args += ["--types", types if isinstance(types, str) else
                 ",".join("%s=%s" % kv for kv in types.items())]
    if compression:
        args += ["--compression", compression]
    if row_group_size:
        args += ["--row-group-size", row_group_size]
    for o in options:
        args += ["--option", o]
    for s in setup:
        args += ["--setup", s]
    rc, outp, err = _node("write_duckdb.mjs", args, timeout)
    if rc != 0:
        raise RuntimeError("write_duckdb.mjs failed (%d): %s" % (rc, err.strip()))
    return json.loads(outp)["rows"]


def compare_with_oracles(our_lines, path, readers=READERS, **kw):
    """Compare our canonical lines for `path` with each oracle; returns {reader: [diffs]}
    (only readers that differ or fail appear)."""
    problems = {}
    for r in readers:
        res = read_rows(r, path)
        if res.rc != 0:
            problems[r] = [{"message": "%s refused %s: %s" % (r, path, res.stderr.strip())}]
            continue
        d = compare_rows(our_lines, res.lines, a_name="tsarchive", b_name=r, **kw)
        if d:
            problems[r] = d
    return problems
