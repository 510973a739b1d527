"""Own-data readers and corpora: formats, label mapping, carved splits, and one-line errors for bad input."""

import json
from pathlib import Path

import numpy as np
import pytest

from spiketext.data.corpus import label_order, load_files
from spiketext.data.readers import read_records
from spiketext.errors import SpiketextError
from spiketext.settings.config import ReadOptions, SplitSettings


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_label_text_lines(tmp_path):
    p = write(tmp_path / "d.txt", "1 a good film\n\n0  a bad film \r\n")
    recs = read_records(p)
    assert [(r.label, r.text, r.line) for r in recs] == [("1", "a good film", 1), ("0", "a bad film", 3)]


def test_cp1252_with_0x85_is_one_line(tmp_path):
    # 0x85 is "…" in cp1252; decoded as latin-1 + splitlines() it would split the line in two.
    p = tmp_path / "d.txt"
    p.write_bytes(b"1 wait for it \x85 great\n0 meh\n")
    recs = read_records(p, options=ReadOptions(encoding="cp1252"))
    assert len(recs) == 2 and recs[0].text == "wait for it \u2026 great"


def test_tsv_label_with_leading_spaces_and_tabs_in_text(tmp_path):
    p = write(tmp_path / "d.tsv", 'label\ttext_a\n    0\t很一般\n1\t"好"\t还行\n')
    recs = read_records(p)
    assert [(r.label, r.text) for r in recs] == [("0", "很一般"), ("1", '"好"\t还行')]


def test_csv_quoted_multiline_and_columns_by_name(tmp_path):
    p = write(tmp_path / "d.csv", 'id,Sentence,Label\n1,"line one,\nline two",pos\n2,plain,neg\n')
    with pytest.raises(SpiketextError, match=r"d.csv: line 2: a quoted field runs over 2 lines"):
        read_records(p)
    recs = read_records(p, options=ReadOptions(multiline=True))
    assert [(r.label, r.text, r.line) for r in recs] == [("pos", "line one,\nline two", 2), ("neg", "plain", 4)]


def test_jsonl_with_given_columns(tmp_path):
    p = write(
        tmp_path / "d.jsonl", json.dumps({"body": "fine", "stars": 5}) + "\n" + json.dumps({"body": "no", "stars": 1})
    )
    recs = read_records(p, options=ReadOptions(text_column="body", label_column="stars"))
    assert [(r.label, r.text) for r in recs] == [("5", "fine"), ("1", "no")]


def test_label_order():
    assert label_order(["pos", "neg", "neutral", "neg"]) == ["neg", "neutral", "pos"]
    assert label_order(["10", "2", "-1"]) == ["-1", "2", "10"]


def test_own_csv_with_string_labels_is_split_and_mapped(review_csv):
    corpus = load_files(review_csv, splitting=SplitSettings(seed=3))
    assert corpus.labels == ["mixed", "neg", "pos"]
    sizes = {s: len(sp) for s, sp in corpus.splits.items()}
    assert sizes == {"train": 48, "dev": 6, "test": 6}  # 10% of 60 per class -> 2 each; 10% of 18 -> 2 each
    for s in ("dev", "test"):
        assert np.bincount(corpus.splits[s].labels).tolist() == [2, 2, 2]
    assert corpus.split_info["kind"] == "seeded-stratified" and corpus.split_info["seed"] == 3
    again = load_files(review_csv, splitting=SplitSettings(seed=3))
    assert again.splits["test"].texts == corpus.splits["test"].texts
    assert load_files(review_csv, splitting=SplitSettings(seed=4)).splits["test"].texts != corpus.splits["test"].texts


def test_train_and_test_carve_dev_from_train(tmp_path, review_csv):
    test = write(tmp_path / "test.txt", "pos a good film\nneg a bad one\n")
    corpus = load_files(review_csv, test=test)
    assert len(corpus.splits["test"]) == 2 and len(corpus.splits["dev"]) == 6 and len(corpus.splits["train"]) == 54
    assert corpus.split_info["carved_from_train"] == ["dev"]


# --- malformed input: one line naming file, line and fix ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "kwargs", "pattern"),
    [
        ("a.csv", "id,body,label\n1,x,pos\n", {}, r"a.csv: line 1: no text column found in header .*--text-column"),
        ("a.csv", "text,label\nok,pos\n  ,neg\n", {"strict": True}, r"a.csv: line 3: empty text"),
        ("a.csv", "text,stars\nok,pos\n", {"label_column": "label"}, r"a.csv: line 1: no column named 'label'"),
        ("a.txt", "1 good\n0\n", {"strict": True}, r"a.txt: line 2: expected '<label> <text>'"),
        ("a.jsonl", '{"text": "a", "label": [1]}\n', {}, r"a.jsonl: line 1: the label \[1\] is not a single value"),
        ("a.jsonl", '{"text": "a", "label": 1}\n{"text": "b", "label": 0\n', {}, r"a.jsonl: line 2: not valid JSON"),
        ("a.csv", "text,label\nok,pos,extra\n", {}, r"a.csv: line 2: expected 2 fields"),
        ("a.tsv", "", {}, r"a.tsv: line 1: the file is empty"),
        # a missing-value marker is refused in CSV as a JSON NaN is in JSON Lines, never a class of its own
        ("a.csv", "text,label\nok,pos\nfine,NaN\n", {}, r"a.csv: line 3: the label 'NaN' marks a missing value"),
        ("a.tsv", "text\tlabel\nok\tNA\n", {}, r"a.tsv: line 2: the label 'NA' marks a missing value"),
        # every labelled row blank: the cause is named, not "no labelled lines"
        ("a.csv", "text,label\n ,pos\n,neg\n", {}, r"a.csv: every one of its 2 labelled row\(s\) has an empty text"),
    ],
)
def test_malformed_input_errors(tmp_path, name, content, kwargs, pattern):
    p = write(tmp_path / name, content)
    with pytest.raises(SpiketextError, match=pattern) as e:
        read_records(p, options=ReadOptions(**kwargs))
    assert "\n" not in str(e.value)


def test_undecodable_bytes_name_line_and_fix(tmp_path):
    p = tmp_path / "a.txt"
    p.write_bytes(b"1 fine\n0 caf\xe9 bad\n")
    with pytest.raises(SpiketextError, match=r"a.txt: line 2: byte 0xe9 at column 6 is not valid utf-8.*--encoding"):
        read_records(p)
    assert read_records(p, options=ReadOptions(encoding="cp1252"))[1].text == "caf\u00e9 bad"


def test_test_label_never_seen_in_training(tmp_path, review_csv):
    test = write(tmp_path / "test.txt", "pos fine\nneg bad\nsarcastic oh great\n")
    with pytest.raises(SpiketextError, match=r"test.txt: line 3: label 'sarcastic' never appears in the training file"):
        load_files(review_csv, test=test)


def test_missing_file_and_single_label(tmp_path):
    with pytest.raises(SpiketextError, match="nope.csv: file not found"):
        load_files(tmp_path / "nope.csv")
    with pytest.raises(SpiketextError, match="only one label"):
        load_files(write(tmp_path / "one.txt", "1 a\n1 b\n"))


# --- holes that used to pass silently (issue 16) -------------------------------------------------------------


def test_empty_texts_are_skipped_and_counted(tmp_path, caplog):
    rows = "".join(f'{{"text": "{"" if i in (3, 7) else f"review {i}"}", "label": {i % 2}}}\n' for i in range(12))
    p = write(tmp_path / "reviews.jsonl", rows)
    skipped: list[int] = []
    records = read_records(p, skipped=skipped)
    assert len(records) == 10 and skipped == [4, 8]
    assert "skipped 2 row(s) with an empty text (lines 4, 8)" in caplog.text
    corpus = load_files(p, test=p, dev=p)
    assert corpus.skipped[str(p)]["rows"] == 2 and corpus.skipped[str(p)]["first_lines"] == [4, 8]


def test_a_stray_quote_cannot_swallow_the_file(tmp_path):
    rows = ["text,label"] + [f"review {i},{i % 2}" for i in range(200)]
    rows[5] = '"a stray quote,0'
    rows[150] = 'another " quote,1'
    p = write(tmp_path / "a.csv", "\n".join(rows) + "\n")
    with pytest.raises(SpiketextError, match=r"a.csv: line 6: a quoted field runs over 146 lines \(to line 151\)"):
        read_records(p)
    assert (
        len(read_records(p, options=ReadOptions(multiline=True))) < 60
    )  # what the lenient reading used to do, silently


def test_a_long_quoted_field_on_one_line_still_loads(tmp_path):
    long = "word " * 200_000  # 1 MB
    p = write(tmp_path / "a.csv", f'text,label\n"{long}, still one field",1\nshort,0\n')
    records = read_records(p)
    assert len(records) == 2 and len(records[0].text) > 1_000_000


def test_missing_key_names_its_own_line(tmp_path):
    rows = "".join('{"text": "a", "label": 1}\n' for _ in range(10)) + '{"text": "b"}\n'
    with pytest.raises(SpiketextError, match=r"a.jsonl: line 11: no label column"):
        read_records(write(tmp_path / "a.jsonl", rows))


def test_utf16_file_gets_a_utf16_hint(tmp_path):
    p = tmp_path / "a.csv"
    p.write_bytes("text,label\ngood,1\nbad,0\n".encode("utf-16"))
    with pytest.raises(SpiketextError, match="UTF-16 byte-order mark; pass --encoding utf-16"):
        read_records(p)
    assert len(read_records(p, options=ReadOptions(encoding="utf-16"))) == 2


def test_folders_and_devices_are_refused_at_once(tmp_path):
    with pytest.raises(SpiketextError, match="is a folder"):
        read_records(tmp_path)
    with pytest.raises(SpiketextError, match="not a regular file"):
        read_records(Path("/dev/urandom"))
