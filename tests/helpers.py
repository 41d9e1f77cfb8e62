"""What tests share besides fixtures: the project's paths, free ports, waiting for a server, and
running a command as a user whom file permissions bind."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

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
