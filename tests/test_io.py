"""Atomic writes keep the previous file when a write fails; damaged JSON names the file; write checks up front."""

import json
import os

import pytest

from spiketext.errors import SpiketextError
from spiketext.io import atomic_write, atomic_write_json, check_writable, read_json, read_json_object


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
