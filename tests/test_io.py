"""Atomic writes keep the previous file when a write fails; damaged JSON names the file; write checks up front."""

import json
import os

import pytest

from spiketext.errors import SpiketextError
from spiketext.io import (
    LOCK_FILE,
    atomic_write,
    atomic_write_json,
    check_writable,
    read_json,
    read_json_object,
    writer_lock,
)


def test_a_failed_write_leaves_the_previous_file(tmp_path):
    path = tmp_path / "results.json"
    atomic_write_json(path, {"acc": 0.7})

    def boom(tmp):
        tmp.write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(SpiketextError, match=r"results.json: the disk is full"):
        atomic_write(path, boom)
    assert json.loads(path.read_text()) == {"acc": 0.7}
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]  # no temporary left behind


def test_non_finite_numbers_are_never_written(tmp_path):
    with pytest.raises(SpiketextError, match="not a finite number"):
        atomic_write_json(tmp_path / "r.json", {"acc": float("nan")})
    assert not (tmp_path / "r.json").exists()


def test_damaged_json_names_the_file_and_the_fix(tmp_path):
    p = tmp_path / "config.json"
    p.write_text('{"data": {"dataset": "ss')
    with pytest.raises(SpiketextError, match=r"config.json: damaged \(not valid JSON.*; restore it"):
        read_json(p, fix="restore it")
    p.write_text("[1, 2]")
    with pytest.raises(SpiketextError, match="expected a JSON object, found list"):
        read_json_object(p)
    assert read_json(tmp_path / "absent.json", {"x": 1}) == {"x": 1}


def test_check_writable(tmp_path):
    assert check_writable(tmp_path / "new" / "run").is_dir()
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(SpiketextError, match=r"file: is a file, not a folder; choose another --out"):
        check_writable(f)
    with pytest.raises(SpiketextError, match=r"file/run: lies under .*file, which is a file"):
        check_writable(f / "run")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permission bits")
def test_read_only_folder(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    with pytest.raises(SpiketextError, match="cannot write here"):
        check_writable(ro)


def test_a_nan_in_a_json_file_is_refused_naming_the_field(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"snn": {"num_steps": 8, "threshold": NaN}, "xs": [1, -Infinity]}')
    with pytest.raises(SpiketextError, match=r"c.json: snn.threshold is nan, not a finite number"):
        read_json(path)


def test_a_path_that_is_not_utf8_is_refused_up_front(tmp_path):
    bad = os.fsdecode(os.fsencode(str(tmp_path)) + b"/run\xff")
    with pytest.raises(SpiketextError, match=r"run\\xff: the name is not valid UTF-8"):
        check_writable(bad)
    assert not os.path.exists(bad)


def test_the_lock_names_the_whole_command_and_goes_with_its_holder(tmp_path, monkeypatch):
    monkeypatch.setattr("sys.argv", ["spiketext", "run", "--train", "a b.csv", "--set", "cnn.lr=0.5"])
    out = tmp_path / "new"
    with writer_lock(out):
        text = (out / LOCK_FILE).read_text()
        assert "spiketext run --train 'a b.csv' --set cnn.lr=0.5" in text
    # the folder the lock created, left empty (a refused command), is gone again; a folder with files stays
    assert not out.exists()
    with writer_lock(out):
        (out / "results.json").write_text("{}")
    assert sorted(p.name for p in out.iterdir()) == ["results.json"]


def test_a_lock_file_with_undecodable_bytes_still_names_its_holder(tmp_path):
    import fcntl

    lock = tmp_path / LOCK_FILE
    lock.write_bytes(b"pid 7 \xff\n")
    with lock.open("rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another process's open file description holds it
        busy = pytest.raises(SpiketextError, match=r"another spiketext process is writing this folder \(pid 7")
        with busy, writer_lock(tmp_path):
            pass
