import hashlib
import json

import numpy as np
import pytest

from spiketext.data.embeddings import (
    PositiveTransform,
    WordVectors,
    check_dimension,
    embedding_matrix,
)
from spiketext.data.skipgram import train_skipgram
from spiketext.data.vector_files import load_vector_file
from spiketext.data.vocab import Vocabulary
from spiketext.errors import SpiketextError
from spiketext.settings.config import SkipgramSettings


def test_positive_transform_known_values(five_word_vectors, tmp_path):
    vec = load_vector_file(five_word_vectors, tmp_path)
    assert vec.dim == 2 and vec.words == ["good", "bad", "film", "great", "awful"]
    # Entries: 1, 2, -1, 0, 0, 0, 3, 1, -3, -1 -> sum 2, mean 0.2; sum of squares 26, var 2.6 - 0.04 = 2.56.
    t = PositiveTransform.fit(vec, clip=3.0)
    assert t.mean == pytest.approx(0.2)
    assert t.std == pytest.approx(1.6)
    # good = (1, 2): z = (0.5, 1.125) -> ((z + 3) / 6) = (0.58333, 0.6875)
    np.testing.assert_allclose(t(np.array([1.0, 2.0])), [3.5 / 6, 4.125 / 6], rtol=1e-6)
    # awful = (-3, -1): z = (-2, -0.75)
    np.testing.assert_allclose(t(np.array([-3.0, -1.0])), [1 / 6, 2.25 / 6], rtol=1e-6)
    # Clipping at ±c: a value 10σ away maps to exactly 1 (or 0).
    np.testing.assert_allclose(t(np.array([0.2 + 16.0, 0.2 - 16.0])), [1.0, 0.0])
    # OOV: the zero vector through the transform, z = -0.125 -> 2.875 / 6.
    np.testing.assert_allclose(t.oov_vector(2), [2.875 / 6] * 2, rtol=1e-6)
    # A narrower clip changes the scale: c = 1, good -> (0.5 + 1) / 2, (1 + 1) / 2 (clipped).
    np.testing.assert_allclose(PositiveTransform(0.2, 1.6, clip=1.0)(np.array([1.0, 2.0])), [0.75, 1.0])


def test_embedding_matrix_rows(five_word_vectors, tmp_path):
    vec = load_vector_file(five_word_vectors, tmp_path)
    t = PositiveTransform.fit(vec)
    vocab = Vocabulary.build([["good", "film", "zzz"], ["good"]])
    m = embedding_matrix(vocab, vec, t)
    assert vocab.itos == ["<pad>", "<unk>", "good", "film", "zzz"]
    np.testing.assert_array_equal(m[0], [0.0, 0.0])  # padding never spikes
    np.testing.assert_allclose(m[1], t.oov_vector(2))
    np.testing.assert_allclose(m[2], t(np.array([1.0, 2.0])))
    np.testing.assert_allclose(m[3], t(np.array([0.0, 0.0])))  # "film" really is the zero vector
    np.testing.assert_allclose(m[4], t.oov_vector(2))  # a word with no vector: the one OOV rule
    assert m.dtype == np.float32 and m.min() >= 0 and m.max() <= 1


def test_word2vec_text_with_header_and_binary(tmp_path):
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=3)
    kv.add_vectors(["a", "b"], np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float32))
    kv.save_word2vec_format(str(tmp_path / "v.txt"), binary=False)
    kv.save_word2vec_format(str(tmp_path / "v.bin"), binary=True)
    for name in ("v.txt", "v.bin"):
        vec = load_vector_file(tmp_path / name, tmp_path / f"cache-{name}")
        assert vec.dim == 3 and vec.words == ["a", "b"]
        np.testing.assert_array_equal(vec.vectors, [[1, 2, 3], [4, 5, 6]])
        # Second load comes from the .npy cache and is identical.
        again = load_vector_file(tmp_path / name, tmp_path / f"cache-{name}")
        np.testing.assert_array_equal(again.vectors, vec.vectors)


def test_malformed_vector_file_names_the_file(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("good 1.0 2.0\nbad 1.0\n", encoding="utf-8")
    with pytest.raises(SpiketextError, match=r"bad.txt: line 2: 1 numbers where earlier rows have 2"):
        load_vector_file(bad, tmp_path / "cache")
    bad.write_text("good 1.0 2.0\nbad 1.0 x\n", encoding="utf-8")
    with pytest.raises(SpiketextError, match=r"bad.txt: line 2: not a number"):
        load_vector_file(bad, tmp_path / "cache2")
    with pytest.raises(SpiketextError, match="not found"):
        load_vector_file(tmp_path / "missing.txt", tmp_path / "cache")


def test_dimension_mismatch_names_both():
    with pytest.raises(SpiketextError, match=r"checkpoint run/ expects D = 300.*vectors.txt has D = 50"):
        check_dimension(300, 50, "checkpoint run/", "vectors.txt")
    check_dimension(50, 50, "a", "b")


def _known_key(corpus, params):
    h = hashlib.sha256(json.dumps(params, sort_keys=True).encode())
    for tokens in corpus:
        h.update("\x1f".join(tokens).encode("utf-8"))
        h.update(b"\x1e")
    return h.hexdigest()[:16]


def test_skipgram_is_seeded_and_cached(tmp_path):
    corpus = [["我", "喜欢", "这个", "酒店"], ["房间", "很", "干净"], ["服务", "太", "差", "了"]] * 20
    a = train_skipgram(corpus, tmp_path / "a", SkipgramSettings(dim=8, epochs=2), seed=1)
    b = train_skipgram(corpus, tmp_path / "b", SkipgramSettings(dim=8, epochs=2), seed=1)
    c = train_skipgram(corpus, tmp_path / "a", SkipgramSettings(dim=8, epochs=2), seed=2)
    np.testing.assert_array_equal(a.vectors, b.vectors)
    # the cache key is a known function of the settings and the seed, so tables already cached stay valid
    (folder,) = (tmp_path / "b" / "vectors").iterdir()
    params = {"dim": 8, "epochs": 2, "window": 5, "min_count": 1, "seed": 1}
    assert folder.name == "skipgram-" + _known_key(corpus, params)
    assert a.words == b.words and set(a.words) == {t for s in corpus for t in s}
    assert not np.array_equal(a.vectors, c.vectors)
    assert "sgns.merge.bigram" in a.deviation
    assert len(list((tmp_path / "a" / "vectors").iterdir())) == 2


def test_global_stats_match_numpy():
    rng = np.random.default_rng(0)
    table = rng.normal(0.3, 2.0, size=(70000, 3)).astype(np.float32)  # spans two 65,536-row chunks
    mean, std = WordVectors("x", [str(i) for i in range(len(table))], table).global_stats()
    assert mean == pytest.approx(float(table.astype(np.float64).mean()), rel=1e-9)
    assert std == pytest.approx(float(table.astype(np.float64).std()), rel=1e-9)


def test_exported_subset_reproduces_the_full_table(five_word_vectors, tmp_path):
    from spiketext.data.embeddings import export_vectors

    full = load_vector_file(five_word_vectors, tmp_path / "cache")
    sub = export_vectors(full, {"good", "awful", "zzz"}, tmp_path / "subset")
    small = load_vector_file(sub, tmp_path / "cache")
    assert small.words == ["good", "awful"] and small.name == full.name
    assert small.global_stats() == full.global_stats()  # μ, σ of the whole table travel with the subset
    vocab = Vocabulary.build([["good", "awful", "film"]])
    t_full, t_small = PositiveTransform.fit(full), PositiveTransform.fit(small)
    np.testing.assert_array_equal(
        embedding_matrix(vocab, full, t_full)[:4], embedding_matrix(vocab, small, t_small)[:4]
    )
    with pytest.raises(SpiketextError, match="already exists"):
        export_vectors(full, {"good"}, tmp_path / "subset")


def test_dead_zone_zeroes_small_standardized_values_and_round_trips():
    import dataclasses

    t = PositiveTransform(mean=0.0, std=1.0, clip=3.0, dead_zone=0.2)  # |z| < 0.6 -> z = 0 -> e⁺ = ½
    got = t(np.array([0.5, -0.59, 0.61, -3.5]))
    np.testing.assert_allclose(got, [0.5, 0.5, (0.61 + 3) / 6, 0.0], rtol=1e-6)
    assert PositiveTransform(**dataclasses.asdict(t)) == t  # what a checkpoint stores and loads
    assert PositiveTransform(0.0, 1.0)(np.array([0.5]))[0] == pytest.approx(3.5 / 6)  # none by default
