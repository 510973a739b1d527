"""Downloads against a local HTTP server on 127.0.0.1: success, checksum mismatch, HTTP error, server down."""

import dataclasses
import hashlib
import http.server
import threading
from functools import partial

import pytest

from spiketext.data.fetch import fetch_resumable
from spiketext.data.sources import DATASETS, RemoteFile, locate_files
from spiketext.errors import SpiketextError

CONTENT = b"1 a fine film\n0 a dull film\n"


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "good.txt").write_bytes(CONTENT)
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def download_file(url, dest, sha256, timeout=60.0):
    """A data set file as `sources` fetches one."""
    return fetch_resumable(url, dest, f"sha256:{sha256}", None, timeout, fix="put a copy in the data directory")


def test_download_ok(server, tmp_path):
    dest = tmp_path / "cache" / "good.txt"
    download_file(f"{server}/good.txt", dest, hashlib.sha256(CONTENT).hexdigest())
    assert dest.read_bytes() == CONTENT
    assert leftovers(dest.parent) == ["good.txt"]


def test_checksum_mismatch_leaves_nothing(server, tmp_path):
    dest = tmp_path / "cache" / "good.txt"
    with pytest.raises(SpiketextError, match=r"checksum mismatch .*the file was removed.*data directory"):
        download_file(f"{server}/good.txt", dest, "0" * 64)
    assert leftovers(dest.parent) == []


def test_http_error_and_refused_connection_leave_nothing(server, tmp_path):
    dest = tmp_path / "cache" / "missing.txt"
    with pytest.raises(SpiketextError, match=r"missing.txt: HTTP 404 .*nothing was kept"):
        download_file(f"{server}/missing.txt", dest, "0" * 64)
    with pytest.raises(SpiketextError, match="download failed"):
        download_file("http://127.0.0.1:9/none.txt", dest, "0" * 64, timeout=5)
    assert leftovers(dest.parent) == []


def test_missing_data_set_is_downloaded_into_cache(server, tmp_path):
    spec = dataclasses.replace(
        DATASETS["sst2"],
        name="tiny",
        files=(RemoteFile("good.txt", f"{server}/good.txt", hashlib.sha256(CONTENT).hexdigest()),),
        splits={"all": "good.txt"},
    )
    data_dir, cache = tmp_path / "data", tmp_path / "cache"
    paths = locate_files(spec, data_dir, cache)
    assert paths["good.txt"] == cache / "data" / "tiny" / "good.txt"
    # A verified cached copy is used without the network; a copy in the data dir wins over the cache.
    assert locate_files(spec, data_dir, cache, download=False)["good.txt"] == paths["good.txt"]
    (data_dir / "tiny").mkdir(parents=True)
    (data_dir / "tiny" / "good.txt").write_bytes(CONTENT)
    assert locate_files(spec, data_dir, cache)["good.txt"] == data_dir / "tiny" / "good.txt"


def test_no_download_allowed_names_folders(tmp_path):
    with pytest.raises(SpiketextError, match=r"data set 'mr': rt-polarity.all is in neither .*--data-dir"):
        locate_files(DATASETS["mr"], tmp_path / "data", tmp_path / "cache", download=False)
