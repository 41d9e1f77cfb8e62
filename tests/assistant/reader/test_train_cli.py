"""`assistant train reader` refuses a data folder that is not one, by name and with what to do."""

from __future__ import annotations

from assistant.cli import main


def test_a_data_folder_without_the_training_sets_is_named_with_what_to_pass(tmp_path, capsys):
    assert main(["train", "reader", "--data", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "--data DIR" in err and "realtimeqa/" in err
    assert not (tmp_path / "out").exists()  # nothing written, nothing trained
