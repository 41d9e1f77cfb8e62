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
