"""`assistant train reader` refuses a data folder that is not one, by name and with what to do."""

from __future__ import annotations

from assistant.cli import main


def test_a_data_folder_without_the_training_sets_is_named_with_what_to_pass(tmp_path, capsys):
    assert main(["train", "reader", "--data", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "--data DIR" in err and "realtimeqa/" in err
    assert not (tmp_path / "out").exists()  # nothing written, nothing trained


def test_the_scorer_refuses_the_same_folder_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "scorer.json"
    assert main(["train", "scorer", "--data", str(tmp_path), "--work", str(tmp_path / "work"), "--out", str(out)]) == 2
    assert "--data DIR" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "work").exists()
