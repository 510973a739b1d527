import pytest

from spiketext.data.tokenize import detect_language, tokenize_chinese, tokenize_english


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("It's great!", ["it", "'s", "great", "!"]),
        ("it 's great !", ["it", "'s", "great", "!"]),
        ("I can't believe it doesn't WORK.", ["i", "ca", "n't", "believe", "it", "does", "n't", "work", "."]),
        ("they wo n't sit still", ["they", "wo", "n't", "sit", "still"]),
        ("we're here, you've seen", ["we", "'re", "here", ",", "you", "'ve", "seen"]),
        ("-lrb- a -rrb- b\\/c", ["(", "a", ")", "b/c"]),
        ("-LRB- Yes -RRB-", ["(", "yes", ")"]),
        ("\u201cSmart\u201d \u2014 it\u2019s fine\u2026", ['"', "smart", '"', "\u2014", "it", "'s", "fine", "..."]),
        ("the u.s. army .", ["the", "u.s.", "army", "."]),
        ("costs $1,000 , ok ...", ["costs", "$", "1,000", ",", "ok", "..."]),
        ("'hello' she said", ["'", "hello", "'", "she", "said"]),
        ("a re-imagining of 1930s horror", ["a", "re-imagining", "of", "1930s", "horror"]),
    ],
)
def test_english_cases(text, tokens):
    assert tokenize_english(text) == tokens


def test_english_is_idempotent_on_its_output():
    for text in ["It's a Truly GREAT film (really)!", "i don't know, can't say.", 'what\'s "this"?']:
        once = tokenize_english(text)
        assert tokenize_english(" ".join(once)) == once


def test_raw_text_meets_corpus_style():
    # An SST line and the same sentence as a user would type it give the same tokens.
    assert tokenize_english("It wasn't (entirely) bad.") == tokenize_english("it was n't -lrb- entirely -rrb- bad .")


def test_chinese_jieba():
    tokens = tokenize_chinese("这个宾馆比较陈旧了，特价的房间也很一般。")
    assert tokens[:4] == ["这个", "宾馆", "比较", "陈旧"]
    assert "".join(tokens) == "这个宾馆比较陈旧了，特价的房间也很一般。"
    assert " " not in tokenize_chinese("很好 吃")


def test_detect_language():
    assert detect_language(["这个宾馆比较陈旧了", "很好"]) == "zh"
    assert detect_language(["a great film", "bad"]) == "en"
