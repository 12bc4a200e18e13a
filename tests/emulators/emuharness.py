"""Start and stop an emulator for a test, with bounded waits; find the shared contract checker.

Tests run as `python3 tests/emulators/test_*.py` from the repository root (CTest does so), so
this file's directory is on sys.path and paths are computed from it, never from the machine.
"""
import os
import select
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
START_TIMEOUT = 20.0


class Emulator:
    """A running emulator process; use as a context manager or call stop()."""

    def __init__(self, name, *args, env=None):
        exe = os.path.join(HERE, name)
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen([exe, "--port", "0", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=full_env)
        self.url = None
        line = b""
        deadline = time.monotonic() + START_TIMEOUT
        fd = self.proc.stdout.fileno()
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0:
                self.stop()
                raise RuntimeError(f"{name}: no first line within {START_TIMEOUT}s")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 1)
                if not chunk:
                    err = self.stop()
                    raise RuntimeError(f"{name} exited before listening: {err[-600:]}")
                line += chunk
        text = line.decode().rstrip("\n")
        prefix = "listening on http://127.0.0.1:"
        if not text.startswith(prefix) or not text[len(prefix):].isdigit():
            self.stop()
            raise RuntimeError(f"{name}: unexpected first line {text!r}")
        self.url = text[len("listening on "):]
        self.port = int(text[len(prefix):])

    def stop(self):
        """Terminate (SIGTERM, then SIGKILL after 5 s); returns stderr text; returncode on self."""
        p = self.proc
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        try:
            err = p.stderr.read().decode(errors="replace")
        except Exception:
            err = ""
        for f in (p.stdout, p.stderr):
            try:
                f.close()
            except Exception:
                pass
        self.returncode = p.returncode
        return err

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def contract_checker():
    """Path of ../shared/tools/check-emulator-contract beside the clone, or None if absent.

    CI has shared/ beside the clone; a git worktree one level deeper finds it one level up.
    """
    for rel in (os.path.join("..", "shared"), os.path.join("..", "..", "shared")):
        path = os.path.normpath(os.path.join(REPO, rel, "tools", "check-emulator-contract"))
        if os.access(path, os.X_OK):
            return path
    return None


def run_contract_checker(name):
    """(returncode, output) of the shared checker on tests/emulators/<name>, or None if absent."""
    checker = contract_checker()
    if checker is None:
        return None
    r = subprocess.run([checker, os.path.join("tests", "emulators", name)], cwd=REPO, capture_output=True,
                       text=True, timeout=60)
    return r.returncode, (r.stdout + r.stderr).strip()
