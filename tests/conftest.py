"""Shared fixtures: the real embedding model (loaded once), temp indexes, no network. What tests
import lives in `helpers` (paths, ports, servers) and `kit` (the fakes)."""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

from tests.helpers import LOOPBACK, OUTPUT, SEED_FILE

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
# Whatever the code keeps in the user's cache (the ONNX export, assembled GGUFs) goes to a temp
# dir of this run, removed at its end: tests write only to temp dirs.
_CACHE = tempfile.mkdtemp(prefix="assistant-test-cache-")
os.environ["XDG_CACHE_HOME"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, True)

@pytest.fixture(autouse=True, scope="session")
def no_network():
    """Any connection beyond this machine fails the test loudly."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else str(address)
        if isinstance(host, str) and not host.startswith(LOOPBACK) and self.family != socket.AF_UNIX:
            raise RuntimeError(f"test tried to reach the network: {address}")
        return real_connect(self, address)

    socket.socket.connect = guarded
    yield
    socket.socket.connect = real_connect


@pytest.fixture(scope="session")
def embedder():
    from ingest.encoders import open_encoder

    model = open_encoder()
    model.embed(["load"])
    return model


@pytest.fixture
def settings(tmp_path):
    from assistant.settings import load_settings

    return load_settings(data_dir=tmp_path / "index", chroma_host=None)


@pytest.fixture
def seed_copy(tmp_path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(SEED_FILE, folder / SEED_FILE.name)
    return folder


@pytest.fixture
def output_dir(request) -> Path:
    folder = OUTPUT / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    return folder
