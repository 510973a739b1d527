"""End-to-end `spiketext data ...` runs on tiny data, and the shape of its errors."""

import json
import os
import subprocess
import sys

import pytest

from spiketext.cli import main


def run_json(capsys, *argv):
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_describe_own_csv_with_string_labels(capsys, review_csv, five_word_vectors):
    d = run_json(
        capsys, "data", "describe", "--train", str(review_csv), "--embeddings", str(five_word_vectors), "--json"
    )
    assert d["num_classes"] == 3
    assert [lab["label"] for lab in d["labels"]] == ["mixed", "neg", "pos"]
    assert {s: v["size"] for s, v in d["splits"].items()} == {"train": 48, "dev": 6, "test": 6}
    assert d["splits"]["test"]["class_counts"] == {"mixed": 2, "neg": 2, "pos": 2}
    assert d["language"] == "en" and d["embeddings"]["dim"] == 2
    # Tokens "good/bad/great/awful/film" have vectors; "number", the digits, "," and "really" do not.
    assert 0 < d["splits"]["train"]["oov_rate"] < 1
    assert d["max_len"] >= 5


def test_describe_markdown_table(capsys, review_csv, five_word_vectors):
    assert main(["data", "describe", "--train", str(review_csv), "--embeddings", str(five_word_vectors)]) == 0
    out = capsys.readouterr().out
    assert "| train | 48 | 16 | 16 | 16 |" in out and "OOV" in out


def test_describe_builtin_json(capsys, shared_data):
    d = run_json(capsys, "data", "describe", "sst2", "--data-dir", str(shared_data), "--json")
    assert d["num_classes"] == 2 and d["max_len"] == 25
    assert d["splits"]["train"]["size"] == 6920
    assert d["splits"]["test"]["class_counts"] == {"0": 912, "1": 909}
    assert d["embeddings"]["name"] == "glove-6b-50d" and d["embeddings"]["dim"] == 50
    assert d["embeddings"]["deviation"] is None
    assert 0 < d["splits"]["test"]["oov_rate"] < 0.03


def test_describe_chinese_own_data_trains_vectors(capsys, tmp_path):
    rows = ["label,review"] + [f"{i % 2},{'很好吃，还会再来' if i % 2 else '太慢了，菜都凉了'}{i}" for i in range(40)]
    path = tmp_path / "zh.csv"
    path.write_text("\n".join(rows), encoding="utf-8")
    d = run_json(capsys, "data", "describe", "--train", str(path), "--json", "--max-len", "8")
    assert d["language"] == "zh" and d["embeddings"]["name"] == "train-skipgram"
    assert "sgns.merge.bigram" in d["embeddings"]["deviation"] and d["max_len"] == 8


def test_error_is_one_line_with_exit_code_2(capsys, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\ngood,pos\n,neg\n", encoding="utf-8")
    assert main(["data", "describe", "--train", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "bad.csv: line 3: empty text" in err
    assert main(["data", "describe", "imdb"]) == 2
    assert "unknown data set 'imdb'" in capsys.readouterr().err


def test_debug_shows_traceback(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("body,label\ngood,pos\n", encoding="utf-8")
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    plain = subprocess.run(
        [sys.executable, "-m", "spiketext.cli", "data", "describe", "--train", str(bad)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert plain.returncode == 2 and "Traceback" not in plain.stderr
    assert plain.stderr.strip().count("\n") == 0 and "--text-column" in plain.stderr
    debug = subprocess.run(
        [sys.executable, "-m", "spiketext.cli", "--debug", "data", "describe", "--train", str(bad)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert debug.returncode != 0 and "Traceback" in debug.stderr


@pytest.mark.parametrize("argv", [["data", "describe"], ["data", "describe", "sst2", "--train", "x.csv"]])
def test_exactly_one_source(capsys, argv):
    assert main(argv) == 2
    assert "give exactly one" in capsys.readouterr().err
