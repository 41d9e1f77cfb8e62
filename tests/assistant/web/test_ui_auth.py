import pytest

from assistant.settings import load_settings
from assistant.web.server import read_auth


def test_no_login_by_default(monkeypatch):
    monkeypatch.delenv("ASSISTANT_AUTH", raising=False)
    assert read_auth(load_settings()) is None


def test_login_from_env_and_file(tmp_path, monkeypatch):
    users = tmp_path / "users"
    users.write_text("# team\nann:s3cret:with:colons\n\nbob:pw\n")
    monkeypatch.setenv("ASSISTANT_AUTH", "admin:pa55")
    monkeypatch.setenv("ASSISTANT_AUTH_FILE", str(users))
    assert read_auth(load_settings()) == [("admin", "pa55"), ("ann", "s3cret:with:colons"), ("bob", "pw")]


def test_bad_login_lines_are_refused(tmp_path):
    with pytest.raises(ValueError, match="user:password"):
        read_auth(load_settings(auth="nocolon"))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_auth(load_settings(auth_file=tmp_path / "missing"))
