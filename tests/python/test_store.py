"""doppel.Store gives the answers of the doppel tool on the same inputs."""

import os
import subprocess

import pytest

import doppel
from conftest import tsv


@pytest.fixture(scope="module")
def stores(tmp_path_factory, cli, corpus):
    """The corpus folder indexed by the tool (store "cli") and by Python (store "py")."""
    d = tmp_path_factory.mktemp("stores")
    cli("index", "--store", str(d / "cli"), corpus["folder"])
    store = doppel.Store(str(d / "py"))
    summary = store.index([corpus["folder"]])
    return {"cli": str(d / "cli"), "py": str(d / "py"), "store": store, "summary": summary}


def test_index_summary(stores, corpus):
    s = stores["summary"]
    n = len(corpus["records"])
    assert (s["read"], s["added"], s["replaced"], s["unchanged"], s["skipped"]) == (n, n, 0, 0, 0)
    assert s["errors"] == [] and s["stored"] == n and s["relabeled"] == 0
    again = stores["store"].index([corpus["folder"]])
    assert (again["added"], again["unchanged"]) == (0, n)


def test_list_as_cli(stores, cli):
    rows = [(d["id"], d["language"], str(d["paragraphs"]), ",".join(d["other_languages"]))
            for d in stores["store"].list()]
    assert rows == tsv(cli("list", "--store", stores["cli"]))
    assert len(stores["store"]) == len(rows)


@pytest.mark.parametrize("threshold", [0.5, 0.8])
def test_dedup_as_cli(stores, cli, threshold):
    expected = tsv(cli("dedup", "--store", stores["cli"], "--threshold", str(threshold)))
    got = stores["store"].dedup(threshold=threshold)
    assert expected, "the reprints must be found"
    assert [(a, b, "%.6f" % s) for a, b, s in got] == expected
    assert [(a, b, float(s)) for a, b, s in expected] == got
    assert all(a < b for a, b, _ in got)
    # The tool's own store read from Python gives the same.
    assert doppel.Store(stores["cli"], read_only=True).dedup(threshold=threshold) == got


def test_dedup_clusters(stores):
    r = stores["store"].dedup(0.5, clusters=True)
    assert r["pairs"] == stores["store"].dedup(0.5)
    # Each seed and its reprint form a cluster (the earlier read is the representative).
    clusters = {frozenset([rep] + [m for m, _ in ms]) for rep, ms in r["clusters"]}
    assert {frozenset([a, b]) for a, b, _ in r["pairs"] if a.replace("-reprint", "") == b.replace("-reprint", "")} <= clusters
    assert r["clusters"] and r["candidates"] >= len(r["pairs"]) and r["spec"]


def test_dedup_new(tmp_path, corpus):
    """new=True: every pair at first (a full run), then only those of documents added since."""
    store = doppel.Store(str(tmp_path / "s"))
    store.index([corpus["folder"]])
    first = store.dedup(clusters=True, new=True)
    assert first["pairs"] == store.dedup() and first["pairs"]
    assert first["new"] == len(store) and first["full_run"]
    again = store.dedup(clusters=True, new=True)
    assert (again["pairs"], again["clusters"], again["new"], again["full_run"]) == ([], [], 0, "")
    # Another threshold's banding is not in the band runs: a full run each time, cut to new ones.
    assert store.dedup(0.5, clusters=True, new=True)["full_run"]
    assert store.dedup(0.5, new=True) == []
    # Until the store is asked to keep band runs for it (dedup_thresholds, no paths): then the
    # runs serve it, and a --new run finds nothing new without a full run.
    full = store.dedup(0.5)
    store.index([], dedup_thresholds=[0.5])
    assert store.dedup(0.5) == full
    store.dedup(0.5, new=True)
    assert store.dedup(0.5, clusters=True, new=True)["full_run"] == ""
    # Dropped again (drop_dedup_thresholds): the same pairs, from a full run each time.
    assert store.index([], drop_dedup_thresholds=[0.5])["warnings"] == []
    assert store.dedup(0.5) == full
    assert store.dedup(0.5, clusters=True, new=True)["full_run"]


def test_translations_as_cli(stores, cli):
    expected = tsv(cli("translations", "--store", stores["cli"]))
    got = stores["store"].translations()
    assert [(a, b, "%.4f" % s, label) for a, b, s, label in got] == expected
    one_pass = stores["store"].translations(learn=False, same_story=False)
    assert [(a, b, "%.4f" % s, label) for a, b, s, label in one_pass] == tsv(
        cli("translations", "--store", stores["cli"], "--no-learn", "--no-same-story"))


def test_incremental_translations_as_cli(tmp_path, cli, corpus):
    """incremental=True saves the state `doppel translations --incremental` saves, and extends it."""
    cli("index", "--store", str(tmp_path / "s"), corpus["jsonl"])
    store = doppel.Store(str(tmp_path / "s"))
    got = store.translations(incremental=True, same_story=False)
    assert os.path.exists(str(tmp_path / "s" / "translations.state"))
    assert [(a, b, "%.4f" % s, label) for a, b, s, label in got] == tsv(
        cli("translations", "--store", str(tmp_path / "s"), "--no-same-story"))
    assert store.translations(incremental=True, same_story=False) == got  # nothing added: the same links


def test_check_as_cli(stores, cli, corpus, seed_files):
    expected = tsv(cli("check", "--store", stores["cli"], "--threshold", "0.5", *seed_files))
    docs = [{"id": os.path.splitext(os.path.basename(f))[0], "text": open(f, encoding="utf-8").read()}
            for f in seed_files]
    got = stores["store"].check(docs, threshold=0.5)
    assert [(i, st, m or "", "" if s is None else "%.6f" % s) for i, st, m, s in got] == expected
    assert stores["store"].check(["nothing like any stored text at all"])[0] == ("0", "new", None, None)


def test_add_as_index(tmp_path, cli, corpus):
    """Documents added from Python give the pairs of the same records indexed from JSONL."""
    cli("index", "--store", str(tmp_path / "cli"), corpus["jsonl"])
    store = doppel.Store(str(tmp_path / "py"))
    s = store.add(iter(corpus["records"]))
    assert (s["read"], s["added"], s["skipped"]) == (len(corpus["records"]), len(corpus["records"]), 0)
    assert [(a, b, "%.6f" % x) for a, b, x in store.dedup(0.5)] == tsv(
        cli("dedup", "--store", str(tmp_path / "cli"), "--threshold", "0.5"))
    assert store.add(corpus["records"][:2])["unchanged"] == 2


def test_add_strings_and_bad_records(tmp_path):
    store = doppel.Store(str(tmp_path / "s"))
    s = store.add(["first text here", "   ", {"text": "no id"}, {"id": "x", "text": "a\r\ntext", "lang": "en"},
                   {"id": "bin", "text": "a\0b"}, {"id": "h", "html": "<p>Hello</p><script>x()</script>"}])
    assert (s["added"], s["skipped"]) == (3, 3)
    assert s["errors"] == ['<python>:2: empty document', '<python>:3: missing "id" string',
                           '<python>:5: binary data, not text']
    assert sorted(d["id"] for d in store.list()) == ["0", "h", "x"]
    assert store.get("x")["text"] == "a\ntext" and store.get("nope") is None
    assert store.get("h")["text"].strip() == "Hello"


def test_delete_and_expire(tmp_path):
    store = doppel.Store(str(tmp_path / "s"))
    store.add([{"id": "old", "text": "an old text"}], now=1000)
    store.add([{"id": "a", "text": "text a"}, {"id": "b", "text": "text b"}], now=5000)
    assert store.delete(["a", "missing"]) == 1
    assert store.expire(older_than_seconds=100, now=2000) == ["old"]
    assert [d["id"] for d in store.list()] == ["b"]


def test_report(stores, tmp_path):
    out = tmp_path / "r.html"
    r = stores["store"].report(str(out))
    assert out.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    assert r["documents"] == len(stores["store"]) and r["duplicates"] > 0


def test_errors(tmp_path):
    with pytest.raises(doppel.Error) as e:
        doppel.Store(str(tmp_path / "missing"), create=False)
    assert isinstance(e.value, RuntimeError) and e.value.code == "not-found"
    assert str(tmp_path / "missing") in str(e.value)
    store = doppel.Store(str(tmp_path / "s"))
    with pytest.raises(doppel.Error) as e:
        store.translations(matcher="matcher:nonsense=1")
    assert e.value.code == "bad-spec"
    with pytest.raises(doppel.Error) as e:
        store.translations(mode="sideways")
    assert e.value.code == "invalid-argument"
    assert set(doppel.error_code_names()) >= {"not-found", "bad-spec", "io", "internal"}


def test_close(tmp_path):
    with doppel.Store(str(tmp_path / "s")) as store:
        store.add(["some text to keep"])
    with pytest.raises(doppel.Error) as e:
        store.list()
    assert e.value.code == "invalid-argument"
    assert len(doppel.Store(str(tmp_path / "s"), create=False)) == 1


def test_read_only(stores):
    ro = doppel.Store(stores["cli"], read_only=True)
    with pytest.raises(doppel.Error):
        ro.add([{"id": "z", "text": "some text"}])


def test_frames(stores):
    pd = pytest.importorskip("pandas")
    df = doppel.dedup_frame(stores["store"], 0.5)
    assert isinstance(df, pd.DataFrame) and list(df.columns) == ["id_a", "id_b", "similarity"]
    assert len(df) == len(stores["store"].dedup(0.5))
    assert len(doppel.list_frame(stores["store"])) == len(stores["store"])


def test_add_skips_a_document_over_max_bytes_as_the_reader_does(tmp_path, cli):
    big = "word " * 400  # 2,000 bytes
    s = doppel.Store(str(tmp_path / "s"))
    r = s.add([{"id": "small", "text": "a short text of a few words"}, {"id": "big", "text": big}], max_bytes=1000)
    assert r["added"] == 1 and r["skipped"] == 1
    assert "over the limit" in r["errors"][0]
    assert [d["id"] for d in s.list()] == ["small"]
    # The reader's message for the same record in a JSONL file.
    path = tmp_path / "big.jsonl"
    path.write_text('{"id": "big", "text": "%s"}\n' % big)
    out = tmp_path / "t"
    r2 = subprocess.run([os.environ.get("DOPPEL_CLI", "build/doppel"), "index", "--store", str(out),
                         "--max-bytes", "1000", str(path)], capture_output=True, text=True)
    reason = r["errors"][0].split(": ", 1)[1]
    assert reason in r2.stderr


def test_duplicates_store_as_cli(tmp_path, cli, corpus):
    """purpose="duplicates" is `doppel index --for duplicates`: no language ID, the same pairs, and
    a store the tool made for duplicates can be added to and pruned from Python."""
    cli("index", "--for", "duplicates", "--store", str(tmp_path / "cli"), corpus["folder"])
    py = doppel.Store(str(tmp_path / "py"), purpose="duplicates")
    assert py.purpose == "duplicates"
    py.index([corpus["folder"]])
    assert {d["language"] for d in py.list()} == {""}
    expected = tsv(cli("dedup", "--store", str(tmp_path / "cli")))
    assert expected and [(a, b, "%.6f" % s) for a, b, s in py.dedup()] == expected
    # The tool's duplicates store keeps its purpose when opened from Python without one.
    theirs = doppel.Store(str(tmp_path / "cli"))
    assert theirs.purpose == "duplicates"
    assert theirs.add([{"id": "new", "text": "a new item for the feed, with a few words"}])["added"] == 1
    assert theirs.delete(["new"]) == 1
    with pytest.raises(doppel.Error) as e:
        doppel.Store(str(tmp_path / "cli"), purpose="all")
    assert e.value.code == "invalid-argument"


def test_langid_spec(tmp_path):
    """langid is `doppel index --langid`: a bad spec is refused, a good one is used."""
    with pytest.raises(doppel.Error) as e:
        doppel.Store(str(tmp_path / "bad"), langid="fasttext:lid.176,no_such_key=1")
    assert e.value.code == "bad-spec"
    s = doppel.Store(str(tmp_path / "s"), langid="fasttext:lid.176,likely=en")
    s.add([{"id": "a", "text": "The meeting in Hanoi was held in July and the ministers spoke."}])
    assert s.get("a")["language"] == "en"
