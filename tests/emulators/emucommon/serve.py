"""Emulator lifecycle (DESIGN.md "Emulator contract") and seeded fault injection.

Every emulator binds 127.0.0.1:PORT (0 = any free port), prints exactly
`listening on http://127.0.0.1:PORT` as its first stdout line once the socket listens, and
serves until SIGTERM or SIGINT, then runs its cleanup and exits 0.
"""
import random
import signal
import socket
import sys
import threading
from http.server import ThreadingHTTPServer


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True          # a stuck client must not keep the process alive at SIGTERM
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # Clients that hang up mid-response are normal under fault injection; anything else is
        # a bug worth a traceback on stderr.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, socket.timeout, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


def serve(handler_cls, port, context, cleanup=None):
    """Run the server until a signal; `context` is attached to the server as `server.ctx`."""
    httpd = QuietServer(("127.0.0.1", port), handler_cls)
    httpd.ctx = context
    real_port = httpd.server_address[1]
    if hasattr(context, "on_listen"):
        context.on_listen(real_port)
    stopping = threading.Event()

    def stop(signum, frame):
        if not stopping.is_set():
            stopping.set()
            # shutdown() waits for serve_forever() to return, so it cannot run on this thread.
            threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.stdout.write(f"listening on http://127.0.0.1:{real_port}\n")
    sys.stdout.flush()
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        httpd.server_close()
        if cleanup:
            cleanup()
    return 0


class Faults:
    """Seeded fault plan: one random draw per eligible request, taken in arrival order.

    With one client sending requests one after another the sequence of faults is identical on
    every run with the same seed; concurrent clients see the same sequence but which request
    gets which fault depends on arrival order.
    """

    def __init__(self, spec, kinds, extra_numbers=()):
        """`kinds` names the probabilistic faults (in draw order); `extra_numbers` other keys."""
        self.kinds = list(kinds)
        self.prob = {k: 0.0 for k in self.kinds}
        self.values = {}
        self.seed = 0
        self.only = None
        self.lock = threading.Lock()
        allowed_numbers = set(extra_numbers) | {"latency_ms"}
        for item in filter(None, (s.strip() for s in (spec or "").split(","))):
            key, eq, val = item.partition("=")
            key = key.strip()
            if not eq:
                raise ValueError(f"fault '{item}' needs a value (KEY=VALUE)")
            if key == "seed":
                self.seed = int(val)
            elif key == "only":
                self.only = set(filter(None, val.split("+")))
            elif key in self.prob:
                p = float(val)
                if not 0.0 <= p <= 1.0:
                    raise ValueError(f"fault probability {key}={val} is not within 0..1")
                self.prob[key] = p
            elif key in allowed_numbers:
                self.values[key] = float(val)
            else:
                known = ", ".join(self.kinds + sorted(allowed_numbers) + ["seed", "only"])
                raise ValueError(f"unknown fault '{key}' (known: {known})")
        if sum(self.prob.values()) > 1.0:
            raise ValueError("fault probabilities add up to more than 1")
        self.rng = random.Random(self.seed)
        self.count = {k: 0 for k in self.kinds}

    @property
    def active(self):
        return any(self.prob.values())

    def latency(self):
        return self.values.get("latency_ms", 0.0) / 1000.0

    def chance(self, key):
        """An independent seeded yes/no for a side fault given as a number (e.g. empty_pages=0.2)."""
        p = self.values.get(key, 0.0)
        if p <= 0.0:
            return False
        with self.lock:
            return self.rng.random() < p

    def draw(self, op=None):
        """Return the fault kind for this request, or None."""
        if not self.active or (self.only is not None and op not in self.only):
            return None
        with self.lock:
            u = self.rng.random()
        acc = 0.0
        for k in self.kinds:
            acc += self.prob[k]
            if u < acc:
                with self.lock:
                    self.count[k] += 1
                return k
        return None


def drop_connection(handler):
    """Close the client's socket without writing a byte, as a crashed server would."""
    handler.close_connection = True
    try:
        handler.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
