"""Named word vectors downloaded from a loopback server: ok, checksum mismatch, interrupted and resumed, 404."""

import gzip
import hashlib
import http.server
import threading

import numpy as np
import pytest

from spiketext.cli import main
from spiketext.data import fetch
from spiketext.data.fetch import RemoteVectors, fetch_embeddings, fetch_resumable
from spiketext.data.load import embeddings_digest
from spiketext.data.vector_files import load_vectors
from spiketext.errors import SpiketextError

WORDS = ["good", "bad", "film", "plot"]
TEXT = "4 3\n" + "".join(f"{w} {i}.5 -{i}.25 {i}\n" for i, w in enumerate(WORDS))
PAYLOAD = gzip.compress(TEXT.encode(), mtime=0)  # a word2vec text file with a header, gzip'd


class Server:
    """Serves PAYLOAD at /vectors.gz with Range support; `cut` bytes: drop the connection after that many."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.cut: int | None = None
        self.honour_range = True
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                rng = self.headers.get("Range")
                server.requests.append({"path": self.path, "range": rng})
                if self.path != "/vectors.gz":
                    self.send_error(404, "Not Found")
                    return
                start = int(rng.split("=")[1].rstrip("-")) if rng and server.honour_range else 0
                body = PAYLOAD[start:]
                self.send_response(206 if start else 200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.cut is not None:
                    self.wfile.write(body[: server.cut])
                    server.cut = None
                    self.wfile.flush()
                    self.connection.shutdown(2)  # the connection drops mid-file
                    return
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/vectors.gz"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


def md5(data: bytes) -> str:
    return "md5:" + hashlib.md5(data).hexdigest()


def test_download_checks_and_is_reused(server, tmp_path, monkeypatch):
    remote = RemoteVectors("tiny", "tiny vectors", server.url, len(PAYLOAD), md5(PAYLOAD))
    monkeypatch.setitem(fetch.EMBEDDINGS, "tiny", remote)
    path = fetch_embeddings("tiny", tmp_path)
    assert path.read_bytes() == PAYLOAD and path == tmp_path / "embeddings" / "tiny" / "vectors.gz"
    assert fetch_embeddings("tiny", tmp_path) == path and len(server.requests) == 1  # the cache is used
    vectors = load_vectors("tiny", tmp_path)
    assert vectors.name == "tiny" and vectors.words == WORDS and vectors.vectors.shape == (4, 3)
    assert np.allclose(vectors.vectors[1], [1.5, -1.25, 1.0])
    assert embeddings_digest("tiny", tmp_path) == {"name": "tiny", "url": server.url, "checksum": md5(PAYLOAD),
                                                   "bytes": len(PAYLOAD)}  # fmt: skip


def test_checksum_mismatch_keeps_nothing(server, tmp_path):
    dest = tmp_path / "v.gz"
    with pytest.raises(SpiketextError, match="checksum mismatch .* the file was removed"):
        fetch_resumable(server.url, dest, md5(b"something else"), len(PAYLOAD))
    assert not dest.exists() and not list(tmp_path.iterdir())


def test_interrupted_download_resumes_where_it_stopped(server, tmp_path, monkeypatch):
    remote = RemoteVectors("tiny", "tiny vectors", server.url, len(PAYLOAD), md5(PAYLOAD))
    monkeypatch.setitem(fetch.EMBEDDINGS, "tiny", remote)
    server.cut = 40
    with pytest.raises(
        SpiketextError, match="download interrupted .* after 40 bytes, kept in .*run the same command again"
    ):
        fetch_embeddings("tiny", tmp_path)
    part = tmp_path / "embeddings" / "tiny" / "vectors.gz.part"
    assert part.read_bytes() == PAYLOAD[:40]
    assert main(["data", "fetch-embeddings", "tiny", "--cache-dir", str(tmp_path)]) == 0  # the CLI resumes
    assert (tmp_path / "embeddings" / "tiny" / "vectors.gz").read_bytes() == PAYLOAD and not part.exists()
    assert server.requests[-1]["range"] == "bytes=40-"


def test_a_server_that_ignores_range_gets_a_fresh_download(server, tmp_path):
    dest = tmp_path / "v.gz"
    dest.with_name("v.gz.part").write_bytes(b"garbage!")
    server.honour_range = False
    assert fetch_resumable(server.url, dest, md5(PAYLOAD), len(PAYLOAD)).read_bytes() == PAYLOAD


def test_missing_file_is_an_http_error_and_leaves_nothing(server, tmp_path):
    dest = tmp_path / "v.gz"
    with pytest.raises(SpiketextError, match="HTTP 404"):
        fetch_resumable(server.url.replace("vectors", "nothing"), dest, md5(PAYLOAD), len(PAYLOAD))
    assert not list(tmp_path.iterdir())


def test_unpublished_checksum_is_recorded_on_first_download(server, tmp_path, monkeypatch):
    monkeypatch.setitem(fetch.EMBEDDINGS, "tofu", RemoteVectors("tofu", "no checksum", server.url, None, None))
    path = fetch_embeddings("tofu", tmp_path)
    record = path.with_name("vectors.gz.sha256").read_text()
    assert record.split()[0] == hashlib.sha256(PAYLOAD).hexdigest()


def test_offline_and_unknown_names_say_what_to_do(tmp_path):
    with pytest.raises(SpiketextError, match="fetch-embeddings glove-6b-300d"):
        fetch_embeddings("glove-6b-300d", tmp_path, download=False)
    with pytest.raises(SpiketextError, match="unknown name"):
        fetch_embeddings("glove-7b", tmp_path)
    assert fetch.EMBEDDINGS["glove-6b-300d"].checksum.startswith("md5:")
