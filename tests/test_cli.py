"""End-to-end `spiketext data ...` runs on tiny data, and the shape of its errors."""

import json
import os
import subprocess
import sys

import pytest

from conftest import TINY
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


@pytest.mark.slow
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
    assert main(["data", "describe", "--train", str(bad), "--strict"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "bad.csv: line 3: empty text" in err
    assert main(["data", "describe", "imdb"]) == 2
    assert "unknown data set 'imdb'" in capsys.readouterr().err


@pytest.mark.slow
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


# --- hostile input: every case one line on stderr, exit code 2, nothing written lost (issues 10, 15, 16) -------


def one_line_error(capsys, *needles: str) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if line.startswith("spiketext: error:")]
    assert len(errors) == 1 and "Traceback" not in "\n".join(err), err
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


def tiny_argv(data, vectors, out, *extra):
    argv = ["run", "--train", str(data), "--embeddings", str(vectors), "--out", str(out), *TINY]
    return [*argv, "--set", "cnn.epochs=2", "--set", "finetune.epochs=1", *extra]


@pytest.mark.parametrize(
    "extra, needles",
    [
        (["--set", "eval_batch_size=0"], ["setting eval_batch_size: 0 must be >= 1"]),
        (["--set", "model.kernel_sizes=[500]"], ["kernel of 500 tokens is longer than the sentence length"]),
        (["--set", "data.max_len=1"], ["longer than the sentence length L = 1"]),
        (["--device", "bogus"], ["'bogus' is not a device"]),
        (["--set", "snn.num_steps=100000000"], ["needs about", "TB of memory", "lower snn.num_steps"]),
        (["--set", "snn.num_steps=!!python/object:os.system"], ["not a plain YAML value"]),
        (["--set", "snn.num_steps=[1, 2"], ["not a plain YAML value"]),
        (["--set", "cnn.lr=.inf"], ["cnn.lr: inf is not a finite number"]),
    ],
)
def test_bad_settings_fail_before_any_work(tmp_path, tiny_task, capsys, extra, needles):
    data, vectors = tiny_task
    assert main(tiny_argv(data, vectors, tmp_path / "r", *extra)) == 2
    one_line_error(capsys, *needles)
    assert not (tmp_path / "r" / "checkpoints").exists()


def test_cuda_on_a_cpu_only_torch(tmp_path, tiny_task, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    data, vectors = tiny_task
    assert main(tiny_argv(data, vectors, tmp_path / "r", "--device", "cuda")) == 2
    one_line_error(capsys, "sees no CUDA GPU; use --device cpu")


def test_a_diverging_run_stops_with_one_line(tmp_path, tiny_task, capsys):
    data, vectors = tiny_task
    assert main(tiny_argv(data, vectors, tmp_path / "r", "--set", "cnn.lr=1e30")) == 2
    one_line_error(capsys, "the training loss became nan", "lower the learning rate")
    assert (
        "NaN" not in (tmp_path / "r" / "metrics.jsonl").read_text()
        if (tmp_path / "r" / "metrics.jsonl").exists()
        else True
    )


@pytest.mark.slow
def test_a_corpus_with_empty_texts_runs_end_to_end(tmp_path, capsys):
    from conftest import write_tiny_task

    data, vectors = write_tiny_task(tmp_path)
    rows = [r.split(",") for r in data.read_text().splitlines()[1:]]
    lines = [json.dumps({"text": "" if i in (5, 50, 120, 160) else t, "label": y}) for i, (t, y) in enumerate(rows)]
    jsonl = tmp_path / "reviews.jsonl"
    jsonl.write_text("\n".join(lines) + "\n")
    assert main(tiny_argv(jsonl, vectors, tmp_path / "r")) == 0
    assert "SKIPPED: 4 row(s)" in capsys.readouterr().out
    skipped = json.loads((tmp_path / "r" / "data.json").read_text())["skipped"][str(jsonl)]
    assert skipped["rows"] == 4 and skipped["first_lines"] == [6, 51, 121, 161]
    assert main([*tiny_argv(jsonl, vectors, tmp_path / "s"), "--strict"]) == 2
    one_line_error(capsys, "reviews.jsonl: line 6: empty text")


def test_output_locations_are_checked_first(tmp_path, tiny_task, capsys):
    data, vectors = tiny_task
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    assert main(tiny_argv(data, vectors, afile)) == 2
    one_line_error(capsys, "afile: is a file, not a folder; choose another --out")
    assert main(tiny_argv(data, vectors, afile / "run")) == 2
    one_line_error(capsys, "lies under", "which is a file")
    assert afile.read_text() == "keep me"


def test_read_only_places(tmp_path, tiny_task, finished_run, read_only, capsys):
    from conftest import copy_run

    data, vectors = tiny_task
    ro = read_only(tmp_path / "ro")
    assert main(tiny_argv(data, vectors, ro / "run")) == 2
    one_line_error(capsys, "cannot write here (Read-only file system); choose a writable --out")
    run, _, _ = copy_run(finished_run, tmp_path / "copy")
    before = (run / "results.json").read_text()
    read_only(run)
    assert main(["energy", str(run), "--costs", "int8"]) == 2
    one_line_error(capsys, "cannot write here")
    assert main(["attack", str(run), "--attack", "deepwordbug", "--n", "3"]) == 2
    one_line_error(capsys, "cannot write here")
    assert (run / "results.json").read_text() == before
    assert main(["predict", str(finished_run[0]), "good film", "--raster", str(ro / "sub" / "r.png")]) == 2
    one_line_error(capsys, "cannot write here")
    raster = tmp_path / "missing" / "folder" / "r.png"  # a folder that does not exist yet is made
    assert main(["predict", str(finished_run[0]), "good film", "--raster", str(raster)]) == 0 and raster.is_file()


def test_values_outside_the_config_are_checked(finished_run, capsys):
    run = str(finished_run[0])
    for argv, needle in [
        (["evaluate", run, "--num-steps", "-3"], "num_steps -3: must be a positive integer"),
        (["evaluate", run, "--num-steps", "0"], "num_steps 0: must be a positive integer"),
        (["evaluate", run, "--repeats", "0"], "repeats 0: must be a positive integer"),
        (["predict", run, "good film", "--num-steps", "-1"], "num_steps -1"),
        (["energy", run, "--batch-size", "0", "--out", str(finished_run[0].parent / "e")], "batch_size 0"),
        (["attack", run, "--attack", "textfooler", "--draws", "0"], "draws 0"),
        (["attack", run, "--attack", "textfooler", "--n", "0"], "n 0"),
    ]:
        assert main(argv) == 2, argv
        one_line_error(capsys, needle)


def test_files_that_never_end_are_refused_at_once(tmp_path, capsys):
    assert main(["data", "describe", "--train", "/dev/urandom"]) == 2
    one_line_error(capsys, "/dev/urandom: is not a regular file")
    assert main(["data", "describe", "--train", str(tmp_path)]) == 2
    one_line_error(capsys, "is a folder")


def test_damaged_cache_is_rebuilt_silently(tmp_path, tiny_task, capsys, monkeypatch):
    data, vectors = tiny_task
    cache = tmp_path / "cache"
    argv = ["data", "describe", "--train", str(data), "--embeddings", str(vectors), "--cache-dir", str(cache), "--json"]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    (folder,) = (cache / "vectors").glob("vectors.txt-*")
    npy = folder / "vectors.npy"
    npy.write_bytes(npy.read_bytes()[:40])  # truncated by a killed process
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out) == first
    (folder / "words.json").unlink()
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out) == first and (folder / "words.json").is_file()


def test_unwritable_cache_falls_back_to_memory(tmp_path, tiny_task, read_only, capsys, caplog):
    data, vectors = tiny_task
    cache = read_only(tmp_path / "home-cache")
    argv = ["data", "describe", "--train", str(data), "--embeddings", str(vectors), "--cache-dir", str(cache)]
    assert main(argv) == 0
    assert "using an in-memory copy" in caplog.text


@pytest.mark.slow
def test_damaged_run_files(tmp_path, finished_run, capsys):
    from conftest import copy_run

    run, data, vectors = copy_run(finished_run, tmp_path)
    argv = tiny_argv(data, vectors, run)
    # a cut-off metrics line: repaired from the resume state, and the command goes on
    metrics = run / "metrics.jsonl"
    metrics.write_text(metrics.read_text()[:-20])
    assert main(argv) == 0
    assert all(json.loads(x) for x in metrics.read_text().splitlines())
    capsys.readouterr()
    # a truncated results.json: named, with the fix; the fix works
    results = (run / "results.json").read_text()
    (run / "results.json").write_text(results[: len(results) // 2])
    assert main(argv) == 2
    one_line_error(capsys, "results.json: damaged", "delete it and run the same command again")
    (run / "results.json").unlink()
    assert main(argv) == 0
    assert json.loads((run / "results.json").read_text())["snn_finetuned"] == json.loads(results)["snn_finetuned"]
    capsys.readouterr()
    # a corrupted config.json
    (run / "config.json").write_text("{oops")
    assert main(["evaluate", str(run)]) == 2
    one_line_error(capsys, "config.json: damaged")


def test_damaged_resume_state_is_never_used(tmp_path, finished_run, capsys):
    from conftest import copy_run

    run, data, vectors = copy_run(finished_run, tmp_path)
    for name in ("snn_finetuned", "snn_converted_data_norm_p999"):
        for suffix in (".json", ".safetensors"):
            (run / "checkpoints" / f"{name}{suffix}").unlink(missing_ok=True)
    state = run / "state" / "snn_finetune_last.safetensors"
    raw = bytearray(state.read_bytes())
    raw[-3] ^= 0x55  # same size, different content
    state.write_bytes(bytes(raw))
    assert main(tiny_argv(data, vectors, run)) == 2
    one_line_error(capsys, "snn_finetune_last.safetensors: its content does not match the sha256")
    meta_path = run / "state" / "snn_finetune_last.json"
    state.write_bytes(bytes(raw[:-3]) + bytes([raw[-3] ^ 0x55]) + bytes(raw[-2:]))
    meta = json.loads(meta_path.read_text())
    meta["epoch"] = -5
    meta_path.write_text(json.dumps(meta))
    assert main(tiny_argv(data, vectors, run)) == 2
    one_line_error(capsys, "snn_finetune_last.json: its content was changed after it was written")
    from spiketext.core.checkpoint import META_DIGEST, meta_digest

    meta[META_DIGEST] = meta_digest(meta)  # a consistent file that is still wrong
    meta_path.write_text(json.dumps(meta))
    assert main(tiny_argv(data, vectors, run)) == 2
    one_line_error(capsys, "snn_finetune_last.json: the resume state says epoch -5")


def test_an_edited_data_file_is_never_served_old_results(tmp_path, finished_run, capsys):
    from conftest import copy_run

    run, data, vectors = copy_run(finished_run, tmp_path)
    rows = data.read_text().splitlines()
    data.write_text("\n".join(rows[:-10]) + "\n")  # the user edits the data
    assert main(tiny_argv(data, vectors, run)) == 2
    one_line_error(capsys, "computed from other content of train", "new --out")
    assert main(["evaluate", str(run)]) == 2
    one_line_error(capsys, "the run's train file changed since the run")
    assert main(tiny_argv(data, vectors, tmp_path / "fresh")) == 0  # a new folder is a new run


def test_a_failed_run_does_not_block_its_fix(tmp_path, tiny_task, capsys):
    data, vectors = tiny_task
    out = tmp_path / "r"
    assert main(tiny_argv(data, vectors, out, "--label-column", "sentiment")) == 2
    one_line_error(capsys, "no column named 'sentiment'")
    assert main(tiny_argv(data, vectors, out, "--set", "cnn.lr=1e30")) == 2  # got as far as training, then diverged
    capsys.readouterr()
    assert main(tiny_argv(data, vectors, out)) == 0  # the corrected command on the same --out


def test_energy_recounts_never_overwrite_the_runs_record(tmp_path, finished_run, capsys):
    from conftest import copy_run

    run, _, _ = copy_run(finished_run, tmp_path)
    before = {n: (run / n).read_bytes() for n in ("energy.json", "energy.md", "results.json")}
    assert main(["energy", str(run), "--costs", "int8", "--num-steps", "4", "--split", "dev"]) == 0
    assert "energy_dev_T4_int8.json" in capsys.readouterr().out
    assert all((run / n).read_bytes() == b for n, b in before.items())
    assert json.loads((run / "energy_dev_T4_int8.json").read_text())["costs"]["name"] == "int8"
    assert main(["energy", str(run)]) == 0  # the run's own settings: the same record, rewritten identically
    assert (
        json.loads((run / "energy.json").read_text())["ratio_all_ops"]
        == json.loads(before["energy.json"])["ratio_all_ops"]
    )


def test_no_silent_fallback_to_another_checkpoint(tmp_path, finished_run, capsys):
    from conftest import copy_run

    run, _, _ = copy_run(finished_run, tmp_path)
    assert main(["evaluate", str(run), "--model", "snn_finetunedd"]) == 2
    assert "did you mean 'snn_finetuned'?" in capsys.readouterr().err
    for suffix in (".json", ".safetensors"):
        (run / "checkpoints" / f"snn_finetuned{suffix}").unlink()
    assert main(["attack", str(run), "--attack", "textfooler", "--n", "3"]) == 2
    one_line_error(capsys, "has no snn_finetuned checkpoint yet", "snn_converted")
    assert main(["attack", str(run), "--attack", "textfooler", "--n", "3", "--model", "snn_converted"]) == 0
    assert "| SNN | snn_converted |" in capsys.readouterr().out


def test_paths_in_run_metadata_are_not_trusted(tmp_path, finished_run, capsys):
    from conftest import copy_run

    run, _, _ = copy_run(finished_run, tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    cfg = json.loads((run / "config.json").read_text())
    cfg["data"]["train"] = str(secret)
    (run / "config.json").write_text(json.dumps(cfg))
    assert main(["evaluate", str(run)]) == 2
    assert "root:x" not in one_line_error(capsys, "could not be read as this run's data")
    cfg["data"]["train"] = str(tmp_path / "moved.csv")  # a file that is gone: its path (not content) is the message
    (run / "config.json").write_text(json.dumps(cfg))
    assert main(["evaluate", str(run)]) == 2
    one_line_error(capsys, "moved.csv: file not found")


def test_predict_escapes_control_characters_and_reports_ties(finished_run, capsys):
    run = str(finished_run[0])
    assert main(["predict", run, "good \x1b[31mfilm\x1b[0m", "zzz qqq", "--model", "cnn"]) == 0
    out, err = capsys.readouterr()
    assert "\x1b" not in out and "\\x1b[31mfilm" in out
    assert "no word of it is known" not in err or "tie" in err


def test_a_damaged_checkpoint_never_produces_a_model(tmp_path, finished_run, capsys):
    from conftest import copy_run

    run, _, _ = copy_run(finished_run, tmp_path)
    weights = run / "checkpoints" / "snn_finetuned.safetensors"
    raw = bytearray(weights.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    weights.write_bytes(bytes(raw))
    for argv in (["predict", str(run), "good film"], ["evaluate", str(run)], ["energy", str(run)]):
        assert main(argv) == 2
        one_line_error(capsys, "snn_finetuned.safetensors: its content does not match the sha256")
    meta = json.loads((run / "checkpoints" / "cnn.json").read_text())
    meta["data"]["labels"] = ["neg"]
    (run / "checkpoints" / "cnn.json").write_text(json.dumps(meta))
    assert main(["predict", str(run), "good film", "--model", "cnn"]) == 2
    one_line_error(capsys, "cnn.json: its content was changed after it was written")
    from spiketext.core.checkpoint import META_DIGEST, meta_digest

    meta[META_DIGEST] = meta_digest(meta)  # consistent, still wrong
    (run / "checkpoints" / "cnn.json").write_text(json.dumps(meta))
    assert main(["predict", str(run), "good film", "--model", "cnn"]) == 2
    one_line_error(capsys, "cnn.json: 1 labels for a model with 2 classes")


def test_every_parsed_option_reaches_its_verb():
    """A flag that argparse accepts and the command never reads (how `attack --no-recheck` once did nothing) is
    impossible: every option's dest is read by its command function or a helper that function calls."""
    import argparse
    import dataclasses
    import inspect
    import re

    from spiketext.cli import commands
    from spiketext.cli import parser as cli

    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    global_dests = {a.dest for a in parser._actions}
    unread = []
    for name, p in sub.choices.items():
        func = p.get_default("func")
        if func is None:  # a group of verbs (data ...): checked through its own sub-commands
            continue
        source, seen = inspect.getsource(func), set()
        while True:  # the module's helpers (and name tuples) the command uses, transitively
            new = {n for n in re.findall(r"\b(_[A-Za-z]\w*)\b", source) if hasattr(commands, n)} - seen
            if not new:
                break
            for n in new:
                obj = getattr(commands, n)
                source += inspect.getsource(obj) if callable(obj) else repr(obj)
            seen |= new
        classes = p.get_default("config_classes") or ()  # options generated from a verb's settings: read by `_config`
        generated = {
            f.name
            for cls in classes
            if "_config(args)" in source or f"_config(args, {cls.__name__})" in source
            for f in dataclasses.fields(cls)
        }
        for action in p._actions:
            dest = action.dest
            if dest in global_dests or dest in ("help", "func") or isinstance(action, argparse._SubParsersAction):
                continue
            if dest in generated:
                continue
            if not any(x in source for x in (f"args.{dest}", f'"{dest}"', f"'{dest}'")):
                unread.append(f"{name} {action.option_strings or dest}")
    assert not unread, f"parsed but never read: {unread}"


@pytest.mark.parametrize(
    "verb", ["evaluate", "energy", "attack", "export-nir", "run", "sweep", "reproduce", "predict", "bench"]
)
def test_a_verbs_options_are_its_configs_fields_and_come_back_unchanged(verb):
    """Generated options: one per field, and parsing the defaults gives the config's defaults; a given option
    arrives in the value (here every field set to a non-default)."""
    import argparse
    import dataclasses

    from spiketext.cli import commands
    from spiketext.cli import parser as cli

    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[verb]
    classes = sub.get_default("config_classes")
    dests = {a.dest for a in sub._actions}
    positional = {"export-nir": ["PATH", "OUT.nir"], "predict": ["PATH", "TEXT"], "run": ["sst2"], "sweep": ["sst2"]}
    args = parser.parse_args([verb, *positional.get(verb, [] if verb in ("reproduce", "bench") else ["PATH"])])
    for cls in classes:
        assert {f.name for f in dataclasses.fields(cls)} <= dests
        assert commands._config(args, cls) == cls()
    if verb == "sweep":
        argv = ["sweep", "sst2", "--grid", "snn.num_steps=4,8", "--grid", "snn.threshold=1,2", "--set", "seed=3",
                "--workers", "2", "--in-process", "--baselines"]  # fmt: skip
        a = parser.parse_args(argv)
        s, r = commands._config(a, classes[1]), commands._config(a, classes[0])
        p = commands._config(a, classes[2])
        assert s.grid == ("snn.num_steps=4,8", "snn.threshold=1,2") and r.set == ("seed=3",) and r.baselines
        assert (p.workers, p.in_process) == (2, True)
    if verb == "attack":
        argv = ["attack", "RUN", "--attack", "pwws", "--n", "7", "--no-recheck", "--victims", "cnn,snn-regular",
                "--confirm", "2/3", "--per-model-sets", "--draws", "4", "--eval-draws", "5", "--mlm", "M"]  # fmt: skip
        c = commands._config(parser.parse_args(argv))
        assert (c.attack, c.n, c.recheck, c.victims, c.confirm, c.same_set, c.draws, c.eval_draws, c.mlm) == (
            "pwws", 7, False, ("cnn", "snn-regular"), (2, 3), False, 4, 5, "M"
        )  # fmt: skip
