"""The vocabulary (spiketext.data.vocab): training words by frequency then A-Z after <pad> and <unk>, padding and
truncation to L, unknown words to <unk>, extension keeping every existing id."""

import numpy as np
import pytest

from spiketext.data.vocab import PAD_ID, UNK_ID, Vocabulary


def test_build_orders_by_frequency_then_alphabet():
    v = Vocabulary.build([["b", "a", "c"], ["c", "b"], ["c"]])
    assert v.itos == ["<pad>", "<unk>", "c", "b", "a"] and v.stoi["b"] == 3
    assert Vocabulary.build([["b", "a", "c"], ["c", "b"]], min_freq=2).itos == ["<pad>", "<unk>", "b", "c"]


def test_encode_pads_truncates_and_maps_unknown_words():
    v = Vocabulary.build([["good", "film"]])  # film = 2, good = 3 (equal counts: A-Z)
    np.testing.assert_array_equal(v.encode(["good", "dull", "film"], 5), [3, UNK_ID, 2, PAD_ID, PAD_ID])
    np.testing.assert_array_equal(v.encode(["film", "good", "good"], 2), [2, 3])
    many = v.encode_many([["good"], [], ["film", "film", "film"]], 2)
    assert many.dtype == np.int32 and many.tolist() == [[3, 0], [0, 0], [2, 2]]


def test_extended_keeps_ids_and_adds_new_words_once_in_order():
    v = Vocabulary.build([["good", "film"]])
    w = v.extended(["plot", "good", "plot", "cast"])
    assert w.itos[: len(v)] == v.itos and w.itos[len(v) :] == ["plot", "cast"]
    assert len(v) == 4  # the original is unchanged


def test_a_vocabulary_must_start_with_pad_and_unk():
    with pytest.raises(ValueError, match="starts with <pad>, <unk>"):
        Vocabulary(["good", "<pad>", "<unk>"])
