"""Real test servers on 127.0.0.1, started and always stopped by context managers.

    import os, sys
    sys.path.insert(0, os.path.join(os.environ["TSARCHIVE_SRC"], "tests", "lib"))
    from servers import moto_server, s3rver, influxd, emulator, run_tsarchive

    with moto_server() as moto:
        rc, out, err = run_tsarchive(["export", ...], env=moto.env())
        moto.reset()

Every server runs in a fresh temporary directory (its logs are there too: server.out and
server.err), binds only loopback ports chosen free, and is waited for with a bounded timeout.
A server that fails to start raises ServerError with the tail of its stderr.  Leaving the
`with` block (normally, by exception, or by SIGTERM to the test process) stops it: SIGTERM to
its process group, then SIGKILL after a grace period.  Should the test process itself be
killed outright, the servers get SIGTERM from the kernel (PR_SET_PDEATHSIG).

Standard library only; see docs/testing.md.
"""
import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
EMULATORS_DIR = os.path.join(REPO_ROOT, "tests", "emulators")

__all__ = ["ServerError", "free_port", "port_is_free", "wait_http", "moto_server", "s3rver",
           "influxd", "emulator", "run_tsarchive", "tsarchive_bin", "REPO_ROOT", "S3RVER_KEY"]

# s3rver 3.x accepts exactly this key pair (and checks the SigV4 signature made with it).
S3RVER_KEY = ("S3RVER", "S3RVER")

START_TIMEOUT = float(os.environ.get("TSARCHIVE_SERVER_START_TIMEOUT", "60"))
STOP_GRACE = 5.0


class ServerError(RuntimeError):
    pass


# Loopback only: never route our requests through an HTTP proxy from the environment.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# --------------------------------------------------------------------------- helpers

def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port):
    """True when nothing listens on 127.0.0.1:port (TIME_WAIT leftovers do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def wait_http(url, timeout=30.0, proc=None, what=None):
    """Wait until `url` answers HTTP at all (any status).  Raises ServerError on timeout or
    when `proc` (a Popen) exits first."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        if proc is not None and proc.poll() is not None:
            raise ServerError("%s exited with status %s before answering %s"
                              % (what or "server", proc.returncode, url))
        try:
            with _opener.open(url, timeout=2) as r:
                r.read()
            return
        except urllib.error.HTTPError:
            return  # it answered
        except (urllib.error.URLError, ConnectionError, socket.timeout, OSError) as e:
            last = e
        if time.monotonic() > deadline:
            raise ServerError("%s did not answer %s within %.0f s (last error: %s)"
                              % (what or "server", url, timeout, last))
        time.sleep(0.1)


def _tail(path, limit=3000):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - limit))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


try:
    _prctl = ctypes.CDLL(None, use_errno=True).prctl  # loaded before any fork
except (OSError, AttributeError):
    _prctl = None


def _child_setup():
    # New process group (so that stop() reaches grandchildren), and SIGTERM when the thread
    # that started it dies (start servers from the main thread or a long-lived one).
    os.setsid()
    if _prctl is not None:
        _prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


_sigterm_installed = False


def _install_sigterm_handler():
    """Turn SIGTERM into SystemExit in the test process so that `with` blocks stop servers."""
    global _sigterm_installed
    if _sigterm_installed or threading.current_thread() is not threading.main_thread():
        return
    _sigterm_installed = True
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        def handler(signum, frame):
            raise SystemExit(128 + signum)
        signal.signal(signal.SIGTERM, handler)


def _clean_env(extra=None, drop_prefixes=()):
    env = dict(os.environ)
    for k in list(env):
        if any(k.startswith(p) for p in drop_prefixes):
            del env[k]
    for k, v in (extra or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = str(v)
    return env


class Server:
    """A running server process.  Attributes: name, url, port, dir, proc, log_out, log_err."""

    def __init__(self, name, workdir):
        self.name = name
        self.dir = workdir
        self.proc = None
        self.port = None
        self.url = None
        self.log_out = os.path.join(workdir, "server.out")
        self.log_err = os.path.join(workdir, "server.err")
        self.extra_ports = []

    def start(self, cmd, env=None, cwd=None, stdout_pipe=False):
        _install_sigterm_handler()
        self._out = open(self.log_out, "wb")
        self._err = open(self.log_err, "wb")
        try:
            self.proc = subprocess.Popen(
                cmd, cwd=cwd or self.dir, env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if stdout_pipe else self._out, stderr=self._err,
                preexec_fn=_child_setup, close_fds=True)
        except OSError as e:
            self._close_logs()
            raise ServerError("cannot start %s (%s): %s" % (self.name, cmd[0], e))
        return self.proc

    def stderr_tail(self, limit=3000):
        return _tail(self.log_err, limit)

    def fail(self, message):
        """Stop the server and raise ServerError with its stderr tail."""
        self.stop()
        tail = self.stderr_tail().strip()
        out = _tail(self.log_out, 1500).strip()
        raise ServerError("%s: %s\n--- stderr tail ---\n%s%s" % (
            self.name, message, tail or "(empty)",
            ("\n--- stdout tail ---\n" + out) if out else ""))

    def stop(self):
        p = self.proc
        if p is not None and p.poll() is None:
            for sig, wait in ((signal.SIGTERM, STOP_GRACE), (signal.SIGKILL, STOP_GRACE)):
                try:
                    os.killpg(p.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    p.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if p is not None:
            # reap anything left in its process group (children of the server)
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            if p.stdout:
                p.stdout.close()
            try:
                p.wait(STOP_GRACE)
            except subprocess.TimeoutExpired:
                pass
        self._close_logs()

    def _close_logs(self):
        for f in (getattr(self, "_out", None), getattr(self, "_err", None)):
            if f and not f.closed:
                f.close()

    def __repr__(self):
        return "<%s %s>" % (self.name, self.url)


@contextlib.contextmanager
def _workdir(prefix):
    d = tempfile.mkdtemp(prefix="tsarchive-%s-" % prefix)
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _start_http(server, make_cmd, ready_path="/", env=None, attempts=3):
    """Start a server on a fresh free port (retrying if the port was taken meanwhile)."""
    for attempt in range(attempts):
        port = free_port()
        server.start(make_cmd(port), env=env)
        server.port = port
        server.url = "http://127.0.0.1:%d" % port
        try:
            wait_http(server.url + ready_path, START_TIMEOUT, server.proc, server.name)
            return
        except ServerError as e:
            taken = "address already in use" in server.stderr_tail().lower()
            if taken and attempt + 1 < attempts:
                server.stop()
                continue
            server.fail(str(e))


# --------------------------------------------------------------------------- moto

class MotoServer(Server):
    def reset(self):
        """Forget every resource (POST /moto-api/reset)."""
        req = urllib.request.Request(self.url + "/moto-api/reset", data=b"", method="POST")
        with _opener.open(req, timeout=30) as r:
            r.read()

    def env(self, **extra):
        """Environment for a client (tsarchive, boto3) that should talk to this moto."""
        e = {"AWS_ENDPOINT_URL": self.url, "AWS_ACCESS_KEY_ID": "test",
             "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1",
             "AWS_DEFAULT_REGION": "us-east-1", "AWS_SESSION_TOKEN": None,
             "AWS_PROFILE": None}
        e.update(extra)
        return e


@contextlib.contextmanager
def moto_server(env=None):
    """moto 5.x server (python3 -m moto.server) -> MotoServer with .url, .reset(), .env().

    moto accepts any key pair and does not check signatures, unless started with
    env={"INITIAL_NO_AUTH_ACTION_COUNT": "N"}: after N unauthenticated requests (enough to
    create an IAM user and its access key), every request must be signed with a key moto
    issued, and a wrong SigV4 signature is refused (SignatureDoesNotMatch), as on AWS.
    Caveat seen with moto 5.2.1: in that mode it also refuses correctly signed S3 requests
    whose key contains '=' (e.g. year=2024/month=01), so use it for other keys only."""
    with _workdir("moto") as d:
        s = MotoServer("moto", d)
        extra = {"HOME": d, "MOTO_CALL_RESET_API": None}
        extra.update(env or {})
        env = _clean_env(extra, drop_prefixes=("AWS_",))
        try:
            _start_http(s, lambda port: [sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                                         "-p", str(port)], "/moto-api/", env=env)
            yield s
        finally:
            s.stop()


# --------------------------------------------------------------------------- s3rver

class S3rverServer(Server):
    def env(self, **extra):
        """Environment for an S3 client pointed at this s3rver (its fixed key pair)."""
        e = {"AWS_ENDPOINT_URL": self.url, "AWS_ENDPOINT_URL_S3": self.url,
             "AWS_ACCESS_KEY_ID": S3RVER_KEY[0], "AWS_SECRET_ACCESS_KEY": S3RVER_KEY[1],
             "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
             "AWS_SESSION_TOKEN": None, "AWS_PROFILE": None}
        e.update(extra)
        return e


@contextlib.contextmanager
def s3rver(dir=None, buckets=()):
    """npm s3rver 3.x on 127.0.0.1 -> S3rverServer with .url, .env(), .data_dir.

    dir: where it keeps objects (default: a fresh temp dir, removed afterwards; a given dir is
    kept).  buckets: names to create at start (--configure-bucket).  s3rver accepts only the
    access key id S3RVER (secret S3RVER, see .env()) and parses the SigV4 Authorization
    header, but does not verify SigV4 signatures (only V2 ones).  It serves path-style
    requests on the IP address (virtual-host style only under --service-endpoint)."""
    exe = os.path.join(REPO_ROOT, "node_modules", ".bin", "s3rver")
    if not os.path.exists(exe):
        raise ServerError("s3rver is not installed: %s is missing (run: bash scripts/deps.sh)" % exe)
    with _workdir("s3rver") as d:
        data = dir or os.path.join(d, "data")
        os.makedirs(data, exist_ok=True)
        s = S3rverServer("s3rver", d)
        s.data_dir = data

        def cmd(port):
            c = [exe, "--address", "127.0.0.1", "--port", str(port), "--directory", data, "--silent"]
            for b in buckets:
                c += ["--configure-bucket", b]
            return c
        try:
            _start_http(s, cmd, "/", env=_clean_env({"HOME": d}, drop_prefixes=("AWS_",)))
            yield s
        finally:
            s.stop()


# --------------------------------------------------------------------------- influxd

INFLUXD_CONFIG = """\
# generated by tests/lib/servers.py
reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"

[meta]
  dir = "{dir}/meta"
  logging-enabled = false

[data]
  dir = "{dir}/data"
  wal-dir = "{dir}/wal"
  query-log-enabled = false
  index-version = "inmem"

[coordinator]

[retention]
  enabled = false

[shard-precreation]
  enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:{http_port}"
  auth-enabled = false
  log-enabled = false
  write-tracing = false
  pprof-enabled = false

[ifql]
  enabled = false
  bind-address = "127.0.0.1:{ifql_port}"

[logging]
  level = "warn"
  suppress-logo = true

[[graphite]]
  enabled = false

[[collectd]]
  enabled = false

[[opentsdb]]
  enabled = false

[[udp]]
  enabled = false

[continuous_queries]
  enabled = false
"""


class InfluxdServer(Server):
    def _request(self, path, params, data=None, timeout=30):
        url = self.url + path + "?" + urllib.parse.urlencode(params)
        req = urllib.request.Request(url, data=data, method="POST")
        try:
            with _opener.open(req, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def query(self, q, db=None, epoch="ns"):
        """Run InfluxQL through POST /query; returns the decoded JSON.  Raises ServerError when
        the server reports an error (HTTP or per-statement)."""
        params = {"q": q, "epoch": epoch}
        if db:
            params["db"] = db
        status, body = self._request("/query", params)
        try:
            doc = json.loads(body or b"{}")
        except ValueError:
            raise ServerError("influxd /query %r: HTTP %d: %r" % (q, status, body[:500]))
        errors = [r["error"] for r in doc.get("results", []) if "error" in r]
        if status >= 300 or "error" in doc or errors:
            raise ServerError("influxd /query %r: HTTP %d: %s" % (q, status, doc.get("error") or errors))
        return doc

    def write(self, lines, db, precision="ns"):
        """POST /write; `lines` is line protocol (str, bytes or a list of lines)."""
        if isinstance(lines, (list, tuple)):
            lines = "\n".join(lines)
        if isinstance(lines, str):
            lines = lines.encode("utf-8")
        status, body = self._request("/write", {"db": db, "precision": precision}, lines)
        if status != 204:
            raise ServerError("influxd /write db=%s: HTTP %d: %s" % (db, status, body[:500]))

    def points(self, q, db):
        """Rows of the first series of a SELECT as a list of dicts (column -> value)."""
        res = self.query(q, db)["results"][0]
        out = []
        for series in res.get("series", []):
            for row in series["values"]:
                out.append(dict(zip(series["columns"], row)))
        return out


@contextlib.contextmanager
def influxd():
    """Debian's InfluxDB 1.x server with a generated config: data, meta and WAL under a temp dir,
    HTTP and the RPC bind address on free loopback ports, reporting and every other listener
    off -> InfluxdServer with .url, .query(q, db), .write(lines, db, precision), .points()."""
    exe = shutil.which("influxd")
    if not exe:
        raise ServerError("influxd not found (Debian package influxdb; run: bash scripts/deps.sh)")
    with _workdir("influxd") as d:
        s = InfluxdServer("influxd", d)
        conf = os.path.join(d, "influxdb.conf")

        def cmd(port):
            rpc, ifql = free_port(), free_port()
            s.extra_ports = [rpc]
            with open(conf, "w") as f:
                f.write(INFLUXD_CONFIG.format(dir=d, http_port=port, rpc_port=rpc, ifql_port=ifql))
            return [exe, "run", "-config", conf]
        try:
            _start_http(s, cmd, "/ping", env=_clean_env({"HOME": d}, drop_prefixes=("INFLUXDB_",)))
            yield s
        finally:
            s.stop()


# --------------------------------------------------------------------------- emulators

class EmulatorServer(Server):
    pass


@contextlib.contextmanager
def emulator(name, *args, env=None):
    """Start tests/emulators/NAME --port 0 ARGS... -> EmulatorServer with .url.

    Contract (docs/testing.md): the first stdout line is exactly
    `listening on http://127.0.0.1:PORT`; the emulator stops on SIGTERM."""
    exe = os.path.join(EMULATORS_DIR, name)
    if not os.path.exists(exe):
        raise FileNotFoundError("emulator %s not found at %s" % (name, exe))
    with _workdir("emu-" + name) as d:
        s = EmulatorServer(name, d)
        cmd = [exe, "--port", "0"] + [str(a) for a in args]
        if not os.access(exe, os.X_OK):
            raise ServerError("emulator %s is not executable: %s" % (name, exe))
        proc = s.start(cmd, env=_clean_env(env), stdout_pipe=True)
        try:
            first = _read_first_line(proc, START_TIMEOUT)
            prefix = "listening on http://127.0.0.1:"
            if first is None:
                s.fail("no first line on stdout within %.0f s (exit status %s)"
                       % (START_TIMEOUT, proc.poll()))
            if not first.startswith(prefix) or not first[len(prefix):].isdigit():
                s.fail("first stdout line is %r, expected %r" % (first, prefix + "PORT"))
            s.port = int(first[len(prefix):])
            s.url = "http://127.0.0.1:%d" % s.port
            _drain(proc.stdout, s._out)
            yield s
        finally:
            s.stop()


def _read_first_line(proc, timeout):
    box = []

    def reader():
        box.append(proc.stdout.readline())
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    t.join(timeout)
    if not box or not box[0]:
        return None
    return box[0].decode("utf-8", "replace").rstrip("\r\n")


def _drain(pipe, sink):
    def run():
        try:
            for chunk in iter(lambda: pipe.read1(65536) if hasattr(pipe, "read1") else pipe.read(65536), b""):
                if not sink.closed:
                    sink.write(chunk)
                    sink.flush()
        except (ValueError, OSError):
            pass
    threading.Thread(target=run, daemon=True).start()


# --------------------------------------------------------------------------- tsarchive

def tsarchive_bin():
    b = os.environ.get("TSARCHIVE_BIN")
    if not b:
        for cand in (os.path.join(REPO_ROOT, "build", "tsarchive"),
                     os.path.join(REPO_ROOT, "build", "src", "tsarchive")):
            if os.access(cand, os.X_OK):
                return cand
        raise ServerError("TSARCHIVE_BIN is not set (CTest sets it; or build with make first)")
    return b


def run_tsarchive(args, env=None, input=None, timeout=120, cwd=None, text=True):
    """Run the built tsarchive (TSARCHIVE_BIN) -> (rc, stdout, stderr).

    env: variables to add or override (None removes one); input: str or bytes for stdin;
    text=False returns bytes.  A timeout kills it and raises subprocess.TimeoutExpired."""
    cmd = [tsarchive_bin()] + [str(a) for a in args]
    if isinstance(input, str):
        input = input.encode("utf-8")
    p = subprocess.Popen(cmd, cwd=cwd, env=_clean_env(env), stdin=subprocess.PIPE if input is not None
                         else subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    try:
        out, err = p.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.communicate()
        raise
    if text:
        out, err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    return p.returncode, out, err
