#!/usr/bin/env python3
"""Deterministic sample energy data as InfluxDB line protocol.

The same arguments always give the same bytes, so the bundled sample, the
tests and the benchmarks agree. Columns: region, plant_id, source (tags),
generation_mw, capacity_factor (floats), online (bool); one point per plant
per interval.

  gen_energy.py --rows 5000000 --out energy.lp      (benchmarks)
  gen_energy.py --format csv --rows 1000 --out e.csv
"""
import argparse
import math
import random
import sys

PLANTS = [
    ("eu-north", "wind-01", "wind", 120.0),
    ("eu-north", "hydro-02", "hydro", 300.0),
    ("eu-west", "solar-03", "solar", 80.0),
    ("eu-west", "gas-04", "gas", 450.0),
    ("eu-south", "solar-05", "solar", 150.0),
    ("us-east", "wind-06", "wind", 200.0),
]
START_NS = 1704067200 * 10**9  # 2024-01-01T00:00:00Z


def rows(n, step_s, seed):
    rng = random.Random(seed)
    t = START_NS
    i = 0
    while i < n:
        hour = (t // 10**9 // 3600) % 24
        for region, plant, source, cap in PLANTS:
            if i >= n:
                break
            if source == "solar":
                base = max(0.0, math.sin((hour - 6) / 12 * math.pi))
            elif source == "wind":
                base = 0.3 + 0.4 * rng.random()
            else:
                base = 0.6 + 0.2 * rng.random()
            online = rng.random() > 0.01
            mw = round(cap * base * (0.9 + 0.2 * rng.random()), 3) if online else 0.0
            yield t, region, plant, source, mw, round(mw / cap, 6), online
            i += 1
        t += step_s * 10**9


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=4320)
    ap.add_argument("--step", type=int, default=10800, help="seconds between intervals")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--format", choices=["lp", "csv"], default="lp")
    ap.add_argument("--measurement", default="generation")
    ap.add_argument("--out", default="-")
    a = ap.parse_args()
    out = sys.stdout if a.out == "-" else open(a.out, "w", buffering=1 << 20)
    if a.format == "csv":
        out.write("time,region,plant_id,source,generation_mw,capacity_factor,online\n")
    for t, region, plant, source, mw, cf, online in rows(a.rows, a.step, a.seed):
        if a.format == "lp":
            out.write(f"{a.measurement},plant_id={plant},region={region},source={source} "
                      f"capacity_factor={cf!r},generation_mw={mw!r},online={'true' if online else 'false'} {t}\n")
        else:
            s, ns = divmod(t, 10**9)
            import datetime
            iso = datetime.datetime.fromtimestamp(s, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
            out.write(f"{iso}.{ns:09d}Z,{region},{plant},{source},{mw!r},{cf!r},{'true' if online else 'false'}\n")
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
