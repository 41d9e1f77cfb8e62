"""The selector's measurement: rows of the reader's scores, the model's shares and the labels,
turned into the share of questions answered right at each weight."""

from __future__ import annotations

import json

from assistant.measure.selection import best_holds, main


def row(set_name: str, scores, shares, labels, seconds=1.0) -> dict:
    return {"set": set_name, "id": "q", "scored": True, "scores": scores, "shares": shares, "labels": labels,
            "seconds": seconds}


def test_the_weight_decides_whether_the_models_choice_wins():
    r = row("a", [0.6, 0.5], [0.2, 0.8], [False, True])
    assert not best_holds(r, 0.0) and not best_holds(r, 0.1)  # 0.6 - 0.06 > 0.5
    assert best_holds(r, 0.5)  # 0.6 - 0.3 < 0.5
    assert not best_holds(row("a", [], [], []), 1.0)


def test_the_command_prints_each_set_and_the_pool_from_the_rows(tmp_path, capsys):
    rows = tmp_path / "rows.jsonl"
    rows.write_text("\n".join(json.dumps(r) for r in [
        row("a", [0.6, 0.5], [0.2, 0.8], [False, True], 2.0),
        row("b", [0.7, 0.2], [0.9, 0.1], [True, False], 4.0)]) + "\n")
    assert main(["--reuse", "--rows", str(rows)]) == 0
    out = capsys.readouterr().out
    table = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith(("a ", "b ", "all"))}
    assert table["a"][:3] == ["1", "0.000", "0.000"] and table["a"][-1] == "1.000"  # weight 0 and 0.1; shown
    assert table["b"][1] == "1.000" and table["all,"][1:3] == ["2", "0.500"]
    assert "p50 3.00 s" in out
