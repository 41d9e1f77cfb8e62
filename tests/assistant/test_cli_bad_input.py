"""Bad input through the real command line: a clear message naming the input, exit status 2 for
usage errors (1 when some files failed), never a traceback, and nothing already indexed lost."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.settings import load_settings
from ingest.encoders import cpu_has_bf16
from ingest.store import recorded_variant
from tests.helpers import SEEDS, as_plain_user, free_port

pytestmark = pytest.mark.integration
SOLDIERS = "How many French soldiers are deployed in Niger?"
MEMORY_LIMIT = 6 << 30  # a reader that ignored the size limit on /dev/zero would hit this, not the machine


def limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run(*args: str, prefix: list[str] | None = None, env: dict | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**{k: v for k, v in os.environ.items() if k != "CHROMA_HOST"}, **(env or {})}
    done = subprocess.run([*(prefix or []), sys.executable, "-m", "assistant.cli", *args], capture_output=True,
                          text=True, errors="replace", env=env, timeout=timeout, preexec_fn=limited)
    assert "Traceback" not in done.stderr + done.stdout, done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """The seed article indexed by the real command."""
    root = tmp_path_factory.mktemp("hostile")
    done = run("--data-dir", str(root / "index"), "ingest", str(SEEDS), "--quiet")
    assert done.returncode == 0, done.stderr
    return root / "index"


def test_a_question_with_undecodable_bytes_is_refused_with_a_reason(data_dir):
    done = subprocess.run([sys.executable.encode(), b"-m", b"assistant.cli", b"--data-dir", str(data_dir).encode(),
                           b"ask", b"\xff Niger"], capture_output=True, timeout=300)
    assert done.returncode == 2
    assert b"not valid text" in done.stderr and b"Traceback" not in done.stderr


def test_devices_fifos_and_symlinks_to_them_are_refused_by_name(tmp_path):
    folder = tmp_path / "articles"
    shutil.copytree(SEEDS, folder)
    (folder / "zero.txt").symlink_to("/dev/zero")
    (folder / "random.md").symlink_to("/dev/urandom")
    os.mkfifo(folder / "pipe.txt")
    os.mkfifo(tmp_path / "alone.txt")
    done = run("--data-dir", str(tmp_path / "index"), "ingest", str(folder), str(tmp_path / "alone.txt"),
               "--quiet", timeout=120)
    assert done.returncode == 1
    for name in ("zero.txt", "random.md", "pipe.txt", "alone.txt"):
        assert f"{name}: not a regular file" in done.stderr, done.stderr
    assert "added 1" in done.stdout and "failed 4" in done.stdout  # the seed beside them is read


def test_an_unreadable_folder_is_reported_and_its_articles_are_kept(tmp_path):
    folder = tmp_path / "articles"
    (folder / "locked").mkdir(parents=True)
    shutil.copy(next(SEEDS.glob("*.txt")), folder / "locked" / "niger.txt")
    (folder / "open.txt").write_text("Harbour news\nThe harbour of Zarnova counted 417 pelicans this autumn.\n")
    data = str(tmp_path / "index")
    assert run("--data-dir", data, "ingest", str(folder), "--quiet").returncode == 0
    os.chmod(folder / "locked", 0)
    try:
        done = run("--data-dir", data, "ingest", str(folder), "--prune", "--quiet", prefix=as_plain_user())
    finally:
        os.chmod(folder / "locked", 0o755)
    assert done.returncode == 1
    assert f"{folder / 'locked'}: the folder cannot be read" in done.stderr
    assert "removed 0" in done.stdout and "failed 1" in done.stdout
    assert "1,500" in run("--data-dir", data, "ask", SOLDIERS).stdout  # nothing was pruned


def test_a_data_dir_that_is_a_file_is_named(tmp_path):
    file = tmp_path / "index"
    file.write_text("not a folder")
    for args in (["ask", SOLDIERS], ["ingest", str(SEEDS)]):
        done = run("--data-dir", str(file), *args)
        assert done.returncode == 2 and f"the data dir {file} is a file" in done.stderr


def test_an_encoder_that_cannot_run_as_asked_is_named_with_what_to_set(data_dir, tmp_path):
    asked = run("--data-dir", str(data_dir), "ask", SOLDIERS,
                env={"ASSISTANT_EMBED_BACKEND": "torch", "ASSISTANT_EMBED_VARIANT": "int8"})
    assert asked.returncode == 2 and "runs on ONNX Runtime; set ASSISTANT_EMBED_BACKEND=onnx" in asked.stderr
    # by default the question is embedded as the index was built (int8 on a host without native
    # bf16, else full); the other variant, asked for by name, is refused, not compared with it
    built = recorded_variant(load_settings(data_dir=data_dir, chroma_host=None))
    assert built == ("full" if cpu_has_bf16() else "int8")
    other = "full" if built == "int8" else "int8"
    asked = run("--data-dir", str(data_dir), "ask", SOLDIERS, env={"ASSISTANT_EMBED_VARIANT": other})
    assert asked.returncode == 2 and f"{built} variant), not" in asked.stderr
    assert f"{other} variant); set" in asked.stderr and "ASSISTANT_EMBED_VARIANT" in asked.stderr


def test_a_read_only_index_still_answers_and_refuses_ingest(data_dir, tmp_path):
    copy = tmp_path / "readonly"
    shutil.copytree(data_dir, copy)
    for folder, _, files in os.walk(copy):
        os.chmod(folder, 0o555)
        for f in files:
            os.chmod(os.path.join(folder, f), 0o444)
    try:
        asked = run("--data-dir", str(copy), "ask", SOLDIERS, prefix=as_plain_user())
        assert asked.returncode == 0 and "1,500" in asked.stdout, asked.stderr
        ingested = run("--data-dir", str(copy), "ingest", str(SEEDS), prefix=as_plain_user())
        assert ingested.returncode == 2 and "is read-only" in ingested.stderr
        parent = tmp_path / "locked"
        parent.mkdir(mode=0o555)
        done = run("--data-dir", str(parent / "index"), "ingest", str(SEEDS), prefix=as_plain_user())
        assert done.returncode == 2 and f"cannot create the data dir {parent / 'index'}" in done.stderr
    finally:
        for folder, _, _ in os.walk(tmp_path):
            os.chmod(folder, 0o755)


def test_a_chroma_server_that_is_down_is_named_once(tmp_path):
    closed = {"CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(free_port())}
    for args in (["ask", SOLDIERS], ["ingest", str(SEEDS)]):
        done = run(*args, env=closed)
        assert done.returncode == 2
        assert f"the Chroma server at 127.0.0.1:{closed['CHROMA_PORT']} does not answer" in done.stderr
        assert done.stderr.count("error:") == 1


def test_a_data_set_that_is_not_there_or_not_readable_as_one_is_named(tmp_path):
    for path, reason in [(tmp_path / "nowhere", "no such data set"), (tmp_path, "cannot tell the data set's format")]:
        done = run("--data-dir", str(tmp_path / "index"), "eval", str(path))
        assert done.returncode == 2 and str(path) in done.stderr and reason in done.stderr, done.stderr


def nice_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])
    except (OSError, IndexError, ValueError):
        return None


@pytest.mark.parametrize("asked, expected", [(None, 10), ("0", 0)])
def test_ingest_yields_the_cpu_to_questions_unless_told_not_to(tmp_path, asked, expected):
    env = {k: v for k, v in os.environ.items() if k != "CHROMA_HOST"}
    if asked is not None:
        env["ASSISTANT_INGEST_NICE"] = asked
    started = subprocess.Popen([sys.executable, "-m", "assistant.cli", "--data-dir", str(tmp_path / "index"), "ingest",
                                str(SEEDS), "--quiet"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen = set()
    while started.poll() is None:
        seen.add(nice_of(started.pid))
        time.sleep(0.01)
    out, err = started.communicate()
    assert started.returncode == 0, err
    assert "added 1" in out.decode()
    assert expected in seen and seen - {None, 0, expected} == set()  # 0 only before it lowers itself
