"""`newsgrab diff` stays fast on long articles and says when it gives up on words."""

from __future__ import annotations

import hashlib
import json
import random
import time
from pathlib import Path

from click.testing import CliRunner

from newsgrab import collection
from newsgrab.cli import cli
from newsgrab.collection import COARSE_NOTE, Change

FIXTURE = Path(__file__).parent / "fixtures" / "show" / "collection" / "alpha.sources.json"
URL = "https://news.example.com/council-budget"


def article(words: int, per_paragraph: int, seed: int = 1) -> str:
    """Text that reads like prose to a diff: Zipf-distributed words (so "the"
    words repeat a lot), a full stop every 17 words."""
    rnd = random.Random(seed)
    vocab = [f"w{i}" for i in range(3000)]
    weights = [1 / (i + 1) for i in range(3000)]
    tokens = rnd.choices(vocab, weights, k=words)
    for i in range(16, words, 17):
        tokens[i] += "."
    paras = [" ".join(tokens[i : i + per_paragraph]) for i in range(0, words, per_paragraph)]
    return "\n\n".join(paras)


def edited(text: str, edits: int, seed: int = 2) -> tuple[str, list[tuple[str, str]]]:
    """`text` with `edits` words replaced by EDIT<n>; the (old, new) pairs."""
    rnd = random.Random(seed)
    paras = [p.split(" ") for p in text.split("\n\n")]
    spots = rnd.sample([(p, w) for p, para in enumerate(paras) for w in range(len(para))], edits)
    pairs = []
    for n, (p, w) in enumerate(sorted(spots)):
        pairs.append((paras[p][w], f"EDIT{n}"))
        paras[p][w] = f"EDIT{n}"
    return "\n\n".join(" ".join(p) for p in paras), pairs


def cpu(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def changed_words(blocks) -> tuple[list[str], list[str]]:
    removed, added = [], []
    for block in blocks:
        if isinstance(block, Change):
            for tag, words in block.runs:
                (removed if tag == "-" else added if tag == "+" else []).extend(
                    w for w in words if w != collection.PARAGRAPH
                )
    return removed, added


def test_32_edits_in_16000_words_are_each_shown():
    for per_paragraph in (120, 16_000):  # many paragraphs, or one long one
        old = article(16_000, per_paragraph)
        new, pairs = edited(old, 32)
        blocks = collection.word_diff(old, new)
        removed, added = changed_words(blocks)
        assert added == [n for _, n in pairs]
        assert removed == [o for o, _ in pairs]
        assert collection.diff_counts(blocks) == (32, 32)


def test_diff_time_is_bounded_and_grows_about_linearly():
    def timing(words: int) -> float:
        old = article(words, words)  # one paragraph: the word level does all the work
        new, _ = edited(old, 32)
        return cpu(lambda: collection.word_diff(old, new), repeat=5)

    small, large = timing(16_000), timing(64_000)
    assert small < 3.0, f"16,000 words: {small:.2f} s CPU"
    # quadratic work would cost 16x for 4x the words
    assert large < 8 * max(small, 0.005), f"16k words {small:.3f} s, 64k words {large:.3f} s"


def test_too_many_changes_fall_back_to_paragraphs_and_say_so():
    rnd = random.Random(3)
    vocab = ["the", "a", "of", "and", "to", "in"]
    old = " ".join(rnd.choice(vocab) for _ in range(40_000))
    new = " ".join(rnd.choice(vocab) for _ in range(40_000))
    elapsed = cpu(lambda: collection.word_diff(old, new), repeat=1)
    assert elapsed < 3.0
    blocks = collection.word_diff(old, new)
    text = " ".join(w for b in blocks if isinstance(b, Change) for _, ws in b.runs for w in ws)
    assert COARSE_NOTE in text
    assert collection.diff_counts(blocks) == (40_000, 40_000)  # nothing is lost


def write_story(folder: Path, old: str, new: str) -> Path:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    source = data["sources"][0]
    source["article"].update(
        text=new,
        word_count=len(new.split()),
        content_sha256=hashlib.sha256(new.encode()).hexdigest(),
    )
    source["revisions"] = [
        {
            "fetched_at": "2026-11-21T08:00:00Z",
            "content_sha256": hashlib.sha256(old.encode()).hexdigest(),
            "title": source["article"]["title"],
            "text": old,
        }
    ]
    data["sources"] = [source]
    seed = folder / "story.md"
    seed.write_text(f"Budget story\n{URL}\n", encoding="utf-8")
    data["seed"] = {"path": "story.md", "sha256": hashlib.sha256(seed.read_bytes()).hexdigest()}
    sidecar = folder / "story.md.sources.json"
    sidecar.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return sidecar


def test_newsgrab_diff_on_a_long_article(tmp_path):
    old = article(16_000, 16_000)
    new, pairs = edited(old, 32)
    sidecar = write_story(tmp_path, old, new)
    start = time.process_time()
    r = CliRunner().invoke(cli, ["diff", URL, str(sidecar), "--format", "text"])
    elapsed = time.process_time() - start
    assert r.exit_code == 0, r.output
    assert elapsed < 3.0
    assert "+32 -32 words since the version before" in r.stdout
    shown = " ".join(r.stdout.split())  # unwrapped
    for old_word, new_word in pairs:
        assert f"[-{old_word}-] {{+{new_word}+}}" in shown
    assert COARSE_NOTE not in r.stdout


def test_newsgrab_diff_says_when_it_shows_paragraphs(tmp_path):
    rnd = random.Random(4)
    old = "\n\n".join(" ".join(rnd.choice("abc") for _ in range(50)) for _ in range(800))
    new = "\n\n".join(" ".join(rnd.choice("abc") for _ in range(50)) for _ in range(800))
    sidecar = write_story(tmp_path, old, new)
    r = CliRunner().invoke(cli, ["diff", URL, str(sidecar), "--format", "text"])
    assert r.exit_code == 0, r.output
    assert COARSE_NOTE in r.stdout
    assert "+40000 -40000 words since the version before" in r.stdout


def test_unchanged_paragraphs_around_a_rewrite_stay_folded():
    rnd = random.Random(5)

    def para() -> str:
        return " ".join(rnd.choice(["x", "y", "z"]) for _ in range(40))

    same_head, same_tail = [f"Head {i}." for i in range(10)], [f"Tail {i}." for i in range(10)]
    old = "\n\n".join(same_head + [para() for _ in range(1500)] + same_tail)
    new = "\n\n".join(same_head + [para() for _ in range(1500)] + same_tail)
    blocks = collection.word_diff(old, new)
    assert blocks[0] == collection.Fold(10) and blocks[-1] == collection.Fold(10)
    [change] = blocks[1:-1]
    assert isinstance(change, Change) and " ".join(change.runs[0][1]).startswith(COARSE_NOTE)
    assert collection.diff_counts(blocks) == (60_000, 60_000)
