"""Shared fixtures of the Python tests: the CLI to compare with, the seeds, a corpus with
near-duplicates. ctest sets DOPPEL_CLI and PYTHONPATH (build/python); run by hand:
    PYTHONPATH=build/python /usr/bin/python3 -m pytest -q tests/python
"""

import collections
import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: over a minute; ctest label slow (python_slow)")


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("DOPPEL_CLI", str(ROOT / "build" / "doppel"))
    if not os.path.exists(path):
        pytest.skip("the doppel tool is not built: " + path)

    def run(*args, ok=(0,)):
        r = subprocess.run([path, "--quiet", *args], capture_output=True, text=True)
        assert r.returncode in ok, r.stderr
        return r.stdout

    return run


@pytest.fixture(scope="session")
def seed_files():
    return sorted(str(p) for p in SEEDS.glob("*.txt"))


def edited(text, k):
    """A reprint of `text`: a credit line added, one word in 100 changed, the last line dropped."""
    lines = text.splitlines()[:-1]
    words = "\n".join(lines).split(" ")
    for i in range(k, len(words), 100):
        words[i] = words[i] + "x"
    return "Reprinted with permission (%d)\n" % k + " ".join(words) + "\n"


@pytest.fixture(scope="session")
def corpus(tmp_path_factory, seed_files):
    """The seeds and a reprint of each: a folder of .txt files and the same as JSONL records."""
    import json

    d = tmp_path_factory.mktemp("corpus")
    folder = d / "docs"
    folder.mkdir()
    records = []
    for k, f in enumerate(seed_files):
        text = pathlib.Path(f).read_text(encoding="utf-8")
        name = pathlib.Path(f).stem
        for doc_id, t in ((name, text), (name + "-reprint", edited(text, k + 1))):
            (folder / (doc_id + ".txt")).write_text(t, encoding="utf-8")
            records.append({"id": doc_id, "text": t})
    jsonl = d / "docs.jsonl"
    jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return {"folder": str(folder), "jsonl": str(jsonl), "records": records}


def tsv(text):
    return [tuple(line.split("\t")) for line in text.splitlines() if line]


def assert_same_lines(got, want, what="records"):
    """Fails at once, with a short message, where two outputs differ: str (compared byte for
    byte, line by line) or lists of records (one JSON line each). The message gives the counts
    of lines and of lines found on one side only, and the first differing lines of each side,
    where pytest would print a diff of two long strings."""
    def lines(x):
        if isinstance(x, str):
            return x.splitlines()
        return [json.dumps(r, sort_keys=True, ensure_ascii=False) for r in x]

    if got == want:
        return
    a, b = lines(got), lines(want)
    first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    ca, cb = collections.Counter(a), collections.Counter(b)

    # Lines shown from a little before the first differing character of the first differing line
    # (records of aligned units run to thousands of characters).
    x, y = (a[first], b[first]) if first < min(len(a), len(b)) else ("", "")
    diff = next((c for c, (p, q) in enumerate(zip(x, y)) if p != q), min(len(x), len(y)))
    col = max(0, diff - 100)

    def shown(side):
        return "\n".join("  %d: %s%s" % (i + 1, "..." if col else "", side[i][col:col + 400])
                         for i in range(first, min(len(side), first + 3)))

    pytest.fail("%s differ: %d lines, %d wanted; %d only here, %d only wanted; first at line %d, column %d:\n"
                "got:\n%s\nwanted:\n%s"
                % (what, len(a), len(b), sum((ca - cb).values()), sum((cb - ca).values()), first + 1,
                   diff + 1, shown(a) or "  (none)", shown(b) or "  (none)"), pytrace=False)
