"""What tests share besides fixtures: the project's paths, free ports, waiting for a server, and
running a command as a user whom file permissions bind."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_FILE = next(SEEDS.glob("*.txt"))
OUTPUT = ROOT / "test-output"
LOOPBACK = ("127.", "::1", "localhost")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc, seconds: float, log: Path | None = None) -> None:
    """Until something listens on 127.0.0.1:port; fails the test if the process dies or time runs out."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"the server exited: {log.read_text()[-2000:] if log else proc.returncode}")
            time.sleep(0.3)
    proc.kill()
    pytest.fail(f"nothing listened on port {port} within {seconds:.0f} s")


def as_plain_user() -> list[str]:
    """A command prefix under which file permissions bind, as they do for every user but root:
    root keeps its uid but loses the capabilities that override them (setpriv, util-linux)."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner"]


@contextmanager
def served(data_dir: Path, log: Path, env: dict | None = None, seconds: float = 180) -> Iterator[str]:
    """A real `assistant serve` of `data_dir` on a free port of 127.0.0.1, stopped at the end;
    yields its base URL."""
    port = free_port()
    environment = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), "GRADIO_ANALYTICS_ENABLED": "False",
                   **(env or {})}
    environment.pop("CHROMA_HOST", None)
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)],
                                env=environment, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, proc, seconds, log)
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


class Site:
    """A real HTTP server on 127.0.0.1 serving `routes` (path -> (status, headers, body or a
    callable of the handler)); it keeps every request's path and headers in `requests`."""

    def __init__(self, routes: dict):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        site = self
        self.routes, self.requests = routes, []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                site.requests.append((self.path, dict(self.headers)))
                status, headers, body = site.routes.get(self.path, (404, {"Content-Type": "text/plain"}, b"no"))
                try:
                    if callable(body):
                        body(self)
                        return
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    data = body.encode() if isinstance(body, str) else body
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading, as it should past its limit

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def paths(self) -> list[str]:
        return [p for p, _ in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
