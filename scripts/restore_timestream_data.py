#!/usr/bin/env python3
"""Restore archived Timestream data: the seed guide's front end to `tsarchive restore`.

Reads ENVIRONMENT, PROJECT_NAME and AWS_REGION like the guide's other scripts and maps its
arguments onto one `tsarchive restore` run (stdlib only; all the work is done by the binary):

  archive root   --archive ROOT, else s3://${PROJECT_NAME}-${ENVIRONMENT}-timestream-archive
  target         --target influx (default; --influx-url or INFLUX_HOST, --org/INFLUX_ORG,
                 --bucket, token from INFLUX_TOKEN), influx1 (--influx-url, --db), timestream
                 (AWS_REGION), or a directory with --format lp|csv|jsonl
  selection      --database NAME (default: every archived ${PROJECT_NAME}_${ENVIRONMENT}_* database,
                 one run each), --table T (repeatable), --start-time/--end-time (RFC 3339)

  examples
    ENVIRONMENT=dev PROJECT_NAME=ons-data-platform \\
      scripts/restore_timestream_data.py --archive ./archive --bucket restored --dry-run
    scripts/restore_timestream_data.py --target influx1 --influx-url http://127.0.0.1:8086 --db restored

Exit status is tsarchive's (0 done and checked, 3 parity mismatch, 4 unreachable, 5 points refused
or skipped, 130 interrupted: run it again to resume). --print-command shows the command only.
"""
import argparse
import fnmatch
import os
import shlex
import shutil
import subprocess
import sys
import urllib.parse


def tsarchive_binary(explicit):
    if explicit:
        return explicit
    env = os.environ.get("TSARCHIVE_BIN")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    built = os.path.join(os.path.dirname(here), "build", "tsarchive")
    if os.access(built, os.X_OK):
        return built
    found = shutil.which("tsarchive")
    if found:
        return found
    sys.exit("restore_timestream_data.py: tsarchive not found (build it with make, or set TSARCHIVE_BIN)")


def host_port(url):
    """'http://h:8086' or 'h:8086' -> ('h:8086', tls)."""
    if "://" not in url:
        return url.rstrip("/"), False
    u = urllib.parse.urlsplit(url)
    if u.scheme not in ("http", "https"):
        sys.exit("restore_timestream_data.py: --influx-url must be http:// or https://, not %s" % url)
    return u.netloc, u.scheme == "https"


def target_url(a, env):
    if a.target == "influx":
        hp, tls = host_port(a.influx_url or env.get("INFLUX_HOST") or "http://127.0.0.1:8086")
        q = {"bucket": a.bucket}
        if a.org or env.get("INFLUX_ORG"):
            q["org"] = a.org or env.get("INFLUX_ORG")
        return "%s://%s?%s" % ("influxs" if tls else "influx", hp, urllib.parse.urlencode(q))
    if a.target == "influx1":
        hp, tls = host_port(a.influx_url or env.get("INFLUX_HOST") or "http://127.0.0.1:8086")
        url = "%s://%s/%s" % ("influx1s" if tls else "influx1", hp, urllib.parse.quote(a.db, safe=""))
        return url + ("?rp=" + urllib.parse.quote(a.rp, safe="") if a.rp else "")
    if a.target == "timestream":
        region = a.region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
        if not region:
            sys.exit("restore_timestream_data.py: --target timestream needs AWS_REGION or --region")
        return "timestream://" + region
    return a.target  # a directory


def local_databases(root, prefix, pattern):
    base = os.path.join(root, prefix)
    try:
        names = sorted(os.listdir(base))
    except OSError:
        return []
    return [n for n in names if fnmatch.fnmatch(n, pattern)
            and os.path.exists(os.path.join(base, n, "export_metadata.json"))]


def main(argv=None):
    env = os.environ
    project, environment = env.get("PROJECT_NAME", ""), env.get("ENVIRONMENT", "")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--archive", help="archive root: a directory or s3://bucket[/prefix]")
    ap.add_argument("--prefix", default="timestream-archive/", help="archive prefix (default timestream-archive/)")
    ap.add_argument("--database", action="append", default=[], help="archived database (repeatable)")
    ap.add_argument("--table", action="append", default=[], help="only this table (repeatable)")
    ap.add_argument("--start-time", help="only rows at or after this time (RFC 3339)")
    ap.add_argument("--end-time", help="only rows before this time")
    ap.add_argument("--target", default="influx",
                    help="influx (v2 API, default), influx1 (v1 API), timestream, or a directory")
    ap.add_argument("--influx-url", help="InfluxDB URL (default $INFLUX_HOST or http://127.0.0.1:8086)")
    ap.add_argument("--org", help="InfluxDB v2 organization (default $INFLUX_ORG)")
    ap.add_argument("--bucket", help="InfluxDB v2 bucket (default: the archived database name)")
    ap.add_argument("--db", help="InfluxDB 1.x database (default: the archived database name)")
    ap.add_argument("--rp", help="InfluxDB 1.x retention policy")
    ap.add_argument("--region", help="AWS region for --target timestream (default $AWS_REGION)")
    ap.add_argument("--format", choices=["lp", "csv", "jsonl"], help="file format for a directory target")
    ap.add_argument("--measurement", choices=["table", "measure_name"], help="measurement naming")
    ap.add_argument("--batch-lines", type=int)
    ap.add_argument("--concurrency", type=int)
    ap.add_argument("--create", action="store_true", help="timestream: create missing databases/tables")
    ap.add_argument("--dry-run", action="store_true", help="show what would be written; write nothing")
    ap.add_argument("--no-parity", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--print-command", action="store_true", help="print the tsarchive command(s) only")
    ap.add_argument("--tsarchive", help="path of the tsarchive binary")
    a = ap.parse_args(argv)

    root = a.archive
    if not root:
        if not project or not environment:
            ap.error("give --archive, or set PROJECT_NAME and ENVIRONMENT for the default bucket")
        root = "s3://%s-%s-timestream-archive" % (project, environment)
    dbs = a.database
    if not dbs:
        if "://" in root:
            dbs = [None]  # the binary restores every database under the root
        else:
            pattern = "%s_%s_*" % (project, environment) if project and environment else "*"
            dbs = local_databases(root, a.prefix, pattern)
            if not dbs:
                sys.exit("restore_timestream_data.py: no archived database matching %s under %s"
                         % (pattern, os.path.join(root, a.prefix)))
    bin_ = tsarchive_binary(a.tsarchive)
    rc_all = 0
    for db in dbs:
        if a.target == "influx" and not a.bucket and not db:
            ap.error("--bucket is required when restoring every database of an s3:// archive")
        sub = argparse.Namespace(**vars(a))
        sub.bucket = a.bucket or db
        sub.db = a.db or db
        if a.target == "influx1" and not sub.db:
            ap.error("--db is required with --target influx1")
        cmd = [bin_, "restore", root]
        if a.dry_run:
            cmd.append("--dry-run")
        else:
            cmd += ["--to", target_url(sub, env)]
        if a.prefix != "timestream-archive/":
            cmd += ["--prefix", a.prefix]
        if db:
            cmd += ["--database", db]
        if a.table:
            cmd += ["--tables", ",".join(a.table)]
        for opt, val in (("--since", a.start_time), ("--until", a.end_time), ("--format", a.format),
                         ("--measurement", a.measurement), ("--batch-lines", a.batch_lines),
                         ("--concurrency", a.concurrency)):
            if val is not None:
                cmd += [opt, str(val)]
        for flag, on in (("--create", a.create), ("--no-parity", a.no_parity), ("--json", a.json)):
            if on:
                cmd.append(flag)
        if a.print_command:
            print(" ".join(shlex.quote(c) for c in cmd))
            continue
        rc = subprocess.call(cmd)
        if rc == 130:
            return rc
        # the first failure wins; "finished with rejections" (5) only over success
        if rc not in (0, 5) and rc_all in (0, 5):
            rc_all = rc
        elif rc == 5 and rc_all == 0:
            rc_all = 5
    return rc_all


if __name__ == "__main__":
    sys.exit(main())
