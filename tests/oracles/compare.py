#!/usr/bin/env python3
"""Compare two canonical JSON Lines streams (ours vs an oracle's), see docs/testing.md.

As a module:
    from compare import compare_rows, parse_lines
    diffs = compare_rows(ours_text.splitlines(), oracle_text.splitlines())
    assert not diffs, format_diffs(diffs)

As a command:
    python3 tests/oracles/compare.py A.jsonl B.jsonl [--abs-tol X] [--rel-tol X]
            [--tol-columns a,b] [--ignore-columns a,b] [--max-diffs N]
    exit 0: same rows; 1: they differ (the first differences are printed); 2: usage or bad input.

Rules: rows are compared in order, column names and their order must match, and values must be
equal in JSON type and value (true is not 1, 1 is not 1.0, "1" is not 1).  Floats are exact by
default; --abs-tol/--rel-tol allow |a-b| <= max(abs_tol, rel_tol*max(|a|,|b|)) for float values
(in --tol-columns only, when given).  NaN equals NaN (it is the string "NaN" in the encoding);
-0.0 equals 0.0.  Lines whose only key is "#summary" are summaries, not rows: they are
set aside and never compared.  Blank lines are ignored.  Standard library only.
"""
import argparse
import json
import math
import sys

SUMMARY_KEY = "#summary"

__all__ = ["compare_rows", "parse_lines", "format_diffs", "values_equal", "SUMMARY_KEY"]


class BadInput(ValueError):
    pass


class _Obj(list):
    """A JSON object kept as its ordered list of (name, value) pairs (duplicates kept)."""


def _pairs(pairs):
    return _Obj(pairs)


def parse_lines(lines, source="input"):
    """Parse canonical JSONL lines -> (rows, summaries); each row is a list of (name, value).

    `lines` may be a str (split on newlines), bytes, or an iterable of str/bytes lines.
    """
    if isinstance(lines, bytes):
        lines = lines.decode("utf-8")
    if isinstance(lines, str):
        lines = lines.splitlines()
    rows, summaries = [], []
    for no, line in enumerate(lines, 1):
        if isinstance(line, bytes):
            line = line.decode("utf-8")
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line, object_pairs_hook=_pairs)
        except ValueError as e:
            raise BadInput("%s line %d: not JSON (%s): %.200s" % (source, no, e, line))
        if not isinstance(obj, _Obj):
            raise BadInput("%s line %d: not a JSON object: %.200s" % (source, no, line))
        if len(obj) == 1 and obj[0][0] == SUMMARY_KEY:
            summaries.append(_plain(obj[0][1]))
            continue
        rows.append(obj)
    return rows, summaries


def _plain(v):
    # object_pairs_hook leaves lists of pairs; turn summaries into dicts.
    if isinstance(v, _Obj):
        return {k: _plain(x) for k, x in v}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


def _kind(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    return "json"  # nested values: compared with ==


def values_equal(a, b, abs_tol=0.0, rel_tol=0.0):
    ka, kb = _kind(a), _kind(b)
    if ka != kb:
        return False
    if ka == "float":
        if a == b:
            return True
        if math.isnan(a) and math.isnan(b):
            return True
        if abs_tol or rel_tol:
            return abs(a - b) <= max(abs_tol, rel_tol * max(abs(a), abs(b)))
        return False
    return a == b


def _show(v):
    return json.dumps(_plain(v), ensure_ascii=False)


def compare_rows(a_lines, b_lines, abs_tol=0.0, rel_tol=0.0, tol_columns=None,
                 ignore_columns=(), max_diffs=20, a_name="a", b_name="b"):
    """Return a list of differences (empty when the streams hold the same rows).

    Each difference is a dict: {"row": index (0-based) or None, "column": name or None,
    "what": "count" | "columns" | "value", a_name: ..., b_name: ..., "message": text}.
    """
    ra, _ = parse_lines(a_lines, a_name)
    rb, _ = parse_lines(b_lines, b_name)
    ignore = set(ignore_columns or ())
    tol_cols = set(tol_columns) if tol_columns else None
    diffs = []

    def add(row, column, what, va, vb, message):
        diffs.append({"row": row, "column": column, "what": what, a_name: va, b_name: vb,
                      "message": message})

    for i, (x, y) in enumerate(zip(ra, rb)):
        if len(diffs) >= max_diffs:
            break
        xa = [(k, v) for k, v in x if k not in ignore]
        yb = [(k, v) for k, v in y if k not in ignore]
        na, nb = [k for k, _ in xa], [k for k, _ in yb]
        if na != nb:
            add(i, None, "columns", na, nb, "row %d: columns differ: %s=%s %s=%s"
                % (i, a_name, na, b_name, nb))
            continue
        for (k, va), (_, vb) in zip(xa, yb):
            use_tol = tol_cols is None or k in tol_cols
            if not values_equal(va, vb, abs_tol if use_tol else 0.0, rel_tol if use_tol else 0.0):
                add(i, k, "value", va, vb, "row %d, column %s: %s=%s %s=%s"
                    % (i, json.dumps(k), a_name, _show(va), b_name, _show(vb)))
                if len(diffs) >= max_diffs:
                    break
    if len(ra) != len(rb) and len(diffs) < max_diffs + 1:
        add(None, None, "count", len(ra), len(rb), "row count differs: %s=%d %s=%d"
            % (a_name, len(ra), b_name, len(rb)))
    return diffs


def format_diffs(diffs, limit=10):
    lines = [d["message"] for d in diffs[:limit]]
    if len(diffs) > limit:
        lines.append("... and %d more" % (len(diffs) - limit))
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description="Compare two canonical JSON Lines files.")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--abs-tol", type=float, default=0.0)
    p.add_argument("--rel-tol", type=float, default=0.0)
    p.add_argument("--tol-columns", default="", help="comma-separated; default: every column")
    p.add_argument("--ignore-columns", default="")
    p.add_argument("--max-diffs", type=int, default=20)
    args = p.parse_args(argv)
    split = lambda s: [c for c in s.split(",") if c]
    try:
        with open(args.a, encoding="utf-8") as fa, open(args.b, encoding="utf-8") as fb:
            diffs = compare_rows(fa.read(), fb.read(), args.abs_tol, args.rel_tol,
                                 split(args.tol_columns) or None, split(args.ignore_columns),
                                 args.max_diffs, a_name=args.a, b_name=args.b)
    except (OSError, BadInput) as e:
        print("compare.py: %s" % e, file=sys.stderr)
        return 2
    if diffs:
        print(format_diffs(diffs, args.max_diffs))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
