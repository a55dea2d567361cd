"""doppel.dask against the tool: near_duplicates() on a real dask.distributed cluster (worker
processes) gives the records of `doppel dedup --format jsonl` on the same input."""

import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from conftest import assert_same_lines, edited

distributed = pytest.importorskip("distributed")
import dask.bag as db  # noqa: E402

import doppel.dask  # noqa: E402

FOOTER = "Subscribe to our newsletter for the week's top stories, every Friday morning."


def records_of(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory, seed_files):
    """Reprints of the seeds in three JSONL files (three sources), each page with a shared footer
    (boilerplate), some pages twice (identical copies), some only half a page (partial copies)."""
    d = tmp_path_factory.mktemp("small")
    texts = [pathlib.Path(f).read_text(encoding="utf-8") for f in seed_files]
    files = []
    for s in range(3):
        lines = []
        for k, t in enumerate(texts):
            for v in range(4):
                body = t if v == 0 else edited(t, 7 * v + s)
                if v == 3:
                    body = "\n".join(body.splitlines()[: max(2, len(body.splitlines()) // 2)]) + "\n"
                lines.append({"id": "s%d/%d-%d" % (s, k, v), "text": body + FOOTER + "\n"})
            lines.append({"id": "s%d/%d-copy" % (s, k), "text": t + FOOTER + "\n"})
        path = d / ("part%d.jsonl" % s)
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines), encoding="utf-8")
        files.append(str(path))
    return files


def run_dask(tmp_path, documents, client, **kw):
    s = doppel.dask.near_duplicates(documents, str(tmp_path / "work"), client=client, **kw)
    return s, doppel.dask.read_result(s["out"])


def test_near_duplicates_of_files_equal_the_tool(cli, client, corpus, tmp_path):
    files = sorted(str(p) for p in pathlib.Path(corpus["folder"]).iterdir())
    text = cli("dedup", "--format", "jsonl", *files)
    want = records_of(text)
    s, got = run_dask(tmp_path, files, client, part_mb=0)  # one file a part
    assert_same_lines(got, want)
    assert_same_lines(pathlib.Path(s["out"]).read_text(encoding="utf-8"), text)  # the same bytes
    assert any(r["type"] == "pair" for r in got) and any(r["type"] == "cluster" for r in got)
    assert s["summary"].startswith("%d documents" % len(files))


def test_small_corpus_with_boilerplate_and_copies_equals_the_tool(cli, client, small_corpus, tmp_path):
    text = cli("dedup", "--format", "jsonl", *small_corpus)
    want = records_of(text)
    s, got = run_dask(tmp_path, small_corpus, client, part_mb=0)
    assert_same_lines(got, want)
    assert_same_lines(pathlib.Path(s["out"]).read_text(encoding="utf-8"), text)
    summary = got[-1]
    assert summary["boilerplate_lines"] > 0 and summary["partial"] > 0
    assert any(r.get("status") == "exact" for r in got)
    assert s["shuffle_bytes"] > 0


def test_bag_and_dataframe_equal_the_tool(cli, client, small_corpus, tmp_path):
    want = records_of(cli("dedup", "--format", "jsonl", "--threshold", "0.7", *small_corpus))
    recs = []
    for f in small_corpus:
        for n, line in enumerate(open(f, encoding="utf-8"), 1):
            r = json.loads(line)
            r["source"] = "%s:%d" % (f, n)  # as the reader names a record's source
            recs.append(r)
    bag = db.from_sequence(recs, npartitions=4)
    _, got = run_dask(tmp_path / "bag", bag, client, threshold=0.7)
    assert_same_lines(got, want)
    pd = pytest.importorskip("pandas")
    import dask.dataframe as dd
    frame = dd.from_pandas(pd.DataFrame(recs), npartitions=3)
    _, got = run_dask(tmp_path / "frame", frame, client, threshold=0.7)
    assert_same_lines(got, want)


def test_a_run_resumes_after_the_last_finished_stage(client, small_corpus, tmp_path, monkeypatch):
    s, first = run_dask(tmp_path, small_corpus, client)
    work = tmp_path / "work"
    sketch_time = os.path.getmtime(work / "flat-00000.npy")
    (work / "DONE-verify.json").unlink()
    for p in work.glob("pairs-*.npy"):
        p.unlink()
    s2, again = run_dask(tmp_path, small_corpus, client)
    assert again == first
    assert os.path.getmtime(work / "flat-00000.npy") == sketch_time  # sketches not made again
    with pytest.raises(ValueError, match="other input"):
        run_dask(tmp_path, small_corpus, client, threshold=0.5)
    # Stage files written by a doppel whose files meant something else are not resumed from.
    monkeypatch.setattr(doppel.dask, "_STAGE_FILES", doppel.dask._STAGE_FILES + 1)
    with pytest.raises(ValueError, match="stage files of another doppel"):
        run_dask(tmp_path, small_corpus, client)


def test_a_languages_rows_read_with_a_filter_are_those_it_keeps(tmp_path):
    """_tr_rows with `keep` (the shard tasks' queries) gives the kept rows of every part, as the
    whole rows filtered afterwards: the part read in full, the part read in part, the empty part."""
    import numpy as np

    sizes = (3, 4, 0)
    for k, n in enumerate(sizes):
        prefix = str(tmp_path / ("w1-%05d-000" % k))
        lengths = np.arange(n) % 3  # row i has i % 3 features
        doppel.dask._save(prefix + "-pos.npy", np.arange(n, dtype=np.int64) + 10 * k)
        doppel.dask._save(prefix + "-dense.npy", np.arange(2 * n, dtype=np.float32).reshape(n, 2) + 100 * k)
        indptr = np.zeros(n + 1, np.uint64)
        np.cumsum(lengths, out=indptr[1:])
        doppel.dask._csr_save(prefix, {"indptr": indptr, "ids": np.arange(int(indptr[-1]), dtype=np.uint32) + 7 * k,
                                       "weights": np.arange(int(indptr[-1]), dtype=np.float32) / 8})
    keep = lambda at: (at < 10) | (at % 2 == 1)  # noqa: E731 - part 0 whole, part 1 half
    whole = doppel.dask._tr_rows(str(tmp_path), 1, len(sizes), 0)
    part = doppel.dask._tr_rows(str(tmp_path), 1, len(sizes), 0, keep)
    rows = np.flatnonzero(keep(whole[0]))
    assert list(part[0]) == [0, 1, 2, 11, 13]
    assert np.array_equal(part[0], whole[0][rows]) and np.array_equal(part[1], whole[1][rows])
    want = doppel.dask._csr_rows(whole[2], rows)
    assert all(np.array_equal(part[2][name], want[name]) for name in ("indptr", "ids", "weights"))


def test_stage_functions_raise_library_errors():
    with pytest.raises(doppel.Error, match="exact"):
        doppel.dask._st.plan("near-duplicate:exact=1")
    with pytest.raises(doppel.Error):
        doppel.dask._st.plan("near-duplicate:threshold=2")


def test_killing_a_worker_mid_run_gives_the_same_result(cli, small_corpus, tmp_path):
    many = small_corpus * 4  # a longer run: the same files again (ids repeat, as the tool sees them)
    want = records_of(cli("dedup", "--format", "jsonl", *many))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as c:
        pids = list(c.run(os.getpid).values())
        work = tmp_path / "work"
        done = {}

        def job():
            done["s"] = doppel.dask.near_duplicates(many, str(work), client=c, part_mb=0)

        t = threading.Thread(target=job)
        t.start()
        deadline = time.time() + 60
        while not list(work.glob("flat-*.npy")) and time.time() < deadline:
            time.sleep(0.01)
        assert t.is_alive(), "the job ended before the kill: the test would prove nothing"
        os.kill(pids[0], signal.SIGKILL)  # the nanny starts a new worker; Dask runs its tasks again
        t.join(240)
        assert not t.is_alive()
        assert pids[0] not in c.run(os.getpid).values()
    assert_same_lines(doppel.dask.read_result(done["s"]["out"]), want)


@pytest.mark.slow
def test_scheduler_and_two_worker_processes_on_localhost(cli, small_corpus, translation_pool, tmp_path):
    """dask-scheduler and two dask-worker processes, as on several machines (README)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    sched_file = tmp_path / "scheduler.json"
    bindir = os.path.dirname(sys.executable)
    exe = lambda name: os.path.join(bindir, name) if os.path.exists(os.path.join(bindir, name)) else name  # noqa
    procs = [subprocess.Popen([exe("dask-scheduler"), "--host", "127.0.0.1", "--port", "0",
                               "--dashboard-address", ":0", "--scheduler-file", str(sched_file)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.time() + 60
        while not sched_file.exists() and time.time() < deadline:
            time.sleep(0.1)
        for _ in range(2):
            procs.append(subprocess.Popen([exe("dask-worker"), "--scheduler-file", str(sched_file),
                                           "--nthreads", "1", "--nworkers", "1", "--host", "127.0.0.1"],
                                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with distributed.Client(scheduler_file=str(sched_file), timeout=60) as c:
            c.wait_for_workers(2, timeout=60)
            want = records_of(cli("dedup", "--format", "jsonl", *small_corpus))
            s = doppel.dask.near_duplicates(small_corpus, str(tmp_path / "work"), client=c, part_mb=0)
            assert_same_lines(doppel.dask.read_result(s["out"]), want)
            full = DASK_SECOND_PASS
            want = tool_translations(cli, tmp_path, translation_pool,
                                     extra=("--associations", full, "--matcher", PLANNED))
            s = doppel.dask.translations([translation_pool], str(tmp_path / "work-tr"), client=c, associations=full,
                                         matcher=PLANNED)
            assert_same_lines(pathlib.Path(s["out"]).read_text(encoding="utf-8"), want)
            c.shutdown()  # scheduler and workers stop
        for p in procs:
            assert p.wait(timeout=60) is not None
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


@pytest.mark.slow
def test_copyright_corpus_equals_the_tool(cli, client, tmp_path):
    """Every /usr/share/doc/*/copyright (ids from paths), as scripts/measure-dask measures it."""
    import glob
    files = sorted(glob.glob("/usr/share/doc/*/copyright"))
    if len(files) < 100:
        pytest.skip("too few /usr/share/doc/*/copyright files")
    want = records_of(cli("dedup", "--format", "jsonl", "--id", "path", *files))
    s, got = run_dask(tmp_path, files, client, id_from_path=True, part_mb=4)
    assert_same_lines(got, want)
    assert got[-1]["pairs"] > 0



# ---- translations ------------------------------------------------------------------------------

XLING = pathlib.Path(os.environ.get("DOPPEL_SHARED_DIR", pathlib.Path(__file__).resolve().parents[3] / "shared")) \
    / "data" / "xling-dev" / "docs.tar.zst"


@pytest.fixture(scope="module")
def translation_pool(tmp_path_factory, seed_files):
    """A slice of xling-dev (where ../shared has it): 20 man pages in English, German, French and
    Spanish, and 5 English pages without a version; else the seeds. A folder docs/<lang>/<id>.txt."""
    d = tmp_path_factory.mktemp("xling")
    docs = d / "docs"
    if XLING.exists():
        subprocess.run(["tar", "--zstd", "-xf", str(XLING), "-C", str(d)], check=True)
        langs = ("en", "de", "fr", "es")
        common = sorted(set.intersection(*({p.name for p in (docs / lang).iterdir()} for lang in langs)))[:20]
        lonely = sorted({p.name for p in (docs / "en").iterdir()} - set(common))[:5]
        for sub in list(docs.iterdir()):
            if sub.is_dir():
                for p in sub.iterdir():
                    if not (sub.name in langs and (p.name in common or (sub.name == "en" and p.name in lonely))):
                        p.unlink()
            else:
                sub.unlink()
    else:
        docs.mkdir()
        for f in seed_files:
            (docs / pathlib.Path(f).name).write_text(pathlib.Path(f).read_text(encoding="utf-8"), encoding="utf-8")
    return str(docs)


def tool_translations(cli, tmp_path, *paths, extra=()):
    store = str(tmp_path / "store")
    cli("index", "--store", store, *paths)
    return cli("translations", "--store", store, "--format", "jsonl", *extra)


# A sample of 4 documents per language, each language searching only its language of highest
# affinity (the first on ties): on the pool of 4 languages of 20 or more documents each, the
# search plan leaves language pairs unsearched.
PLANNED = "matcher:affinity_sample=4,target_languages=1,target_affinity=1.5"
# The tool's second pass searches only the rewritten documents again, and those only in the
# unrewritten languages (English); rematch_similarity above 1 and rematch_rewritten=1 have it
# search every document again in every language its language searches, as doppel.dask's second
# pass does.
DASK_SECOND_PASS = "learn:rematch_similarity=2,rematch_rewritten=1"


def test_translations_equal_the_tool_and_resume(cli, client, translation_pool, tmp_path):
    # The matcher plans its search (PLANNED): doppel.dask searches as the tool does.
    full = DASK_SECOND_PASS
    text = tool_translations(cli, tmp_path, translation_pool, extra=("--associations", full, "--matcher", PLANNED))
    work = tmp_path / "work"
    s = doppel.dask.translations([translation_pool], str(work), client=client, associations=full, matcher=PLANNED)
    assert_same_lines(pathlib.Path(s["out"]).read_text(encoding="utf-8"), text)  # the same records, byte for byte
    got = records_of(text)
    assert s["record"] == got[-1] and s["summary"].startswith("%d documents" % got[-1]["documents"])
    if XLING.exists():
        assert got[-1]["translation"] + got[-1]["partial"] > 50 and got[-1]["associations"] > 0
        assert any("aligned_units" in r for r in got)
        # A run that ignored the plan would give other links: those of the tool without one.
        unplanned = cli("translations", "--store", str(tmp_path / "store"), "--format", "jsonl", "--associations",
                        full, "--matcher", PLANNED.replace("affinity_sample=4", "affinity_sample=0"))
        assert [r for r in records_of(unplanned) if "id_a" in r] != [r for r in got if "id_a" in r]
        # 85 documents of 4 languages: 16 sampled search 3 shards, the others fewer.
        assert s["searches"][1] < 85 * 3 and s["searches"][2] < 85 * 3
        assert "of 6 language pairs searched" in s["summary"] and "6 of 6" not in s["summary"]
    # A run that failed after the search: resumed from there, earlier stages not run again.
    features_time = os.path.getmtime(work / "counts1-00000-ids.npy")
    candidates_time = os.path.getmtime(work / "cand1-000-query.npy")
    last = "link2" if s["record"]["associations"] else "link1"
    (work / ("DONE-%s.json" % last)).unlink()
    (work / ("links%s.npy" % last[-1])).unlink()
    os.unlink(s["out"])
    again = doppel.dask.translations([translation_pool], str(work), client=client, associations=full, matcher=PLANNED)
    assert_same_lines(pathlib.Path(again["out"]).read_text(encoding="utf-8"), text)
    assert os.path.getmtime(work / "counts1-00000-ids.npy") == features_time  # not featurized again
    assert os.path.getmtime(work / "cand1-000-query.npy") == candidates_time  # nor searched again
    with pytest.raises(ValueError, match="other input"):
        doppel.dask.translations([translation_pool], str(work), client=client, associations="none")


def test_translations_of_a_bag_one_pass_unaligned_equal_the_tool(cli, client, translation_pool, tmp_path):
    recs = [{"id": str(p.relative_to(translation_pool).with_suffix("")), "text": p.read_text(encoding="utf-8")}
            for p in sorted(pathlib.Path(translation_pool).rglob("*.txt"))]
    jsonl = tmp_path / "pool.jsonl"
    jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    text = tool_translations(cli, tmp_path, str(jsonl),
                             extra=("--no-learn", "--no-same-story", "--k", "5", "--no-align"))
    bag = db.from_sequence(recs, npartitions=3)
    s = doppel.dask.translations(bag, str(tmp_path / "work"), client=client, associations="none",
                                 same_story=False, matcher="matcher:k=5", align=False)
    assert_same_lines(pathlib.Path(s["out"]).read_text(encoding="utf-8"), text)
    assert s["record"]["associations"] == 0 and s["record"]["same_story"] == 0


@pytest.fixture(scope="module")
def many_language_pool(tmp_path_factory):
    """xling-dev's 18 languages of 29 documents or more but English, 12 man pages each, and the
    English versions of them all with 20 English pages more: a folder docs/<lang>/<id>.txt."""
    if not XLING.exists():
        pytest.skip("no xling-dev in ../shared")
    d = tmp_path_factory.mktemp("many")
    subprocess.run(["tar", "--zstd", "-xf", str(XLING), "-C", str(d)], check=True)
    docs = d / "docs"
    english = sorted(p.name for p in (docs / "en").iterdir())
    keep = {"en": set(english[:20])}
    for sub in sorted(docs.iterdir()):
        names = sorted(p.name for p in sub.iterdir()) if sub.is_dir() else []
        if sub.name != "en" and len(names) >= 29:
            keep[sub.name] = set(names[:12])
            keep["en"] |= set(names[:12]) & set(english)
    for sub in list(docs.iterdir()):
        for p in (sub.iterdir() if sub.is_dir() else []):
            if p.name not in keep.get(sub.name, ()):
                p.unlink()
        if not sub.is_dir() or sub.name not in keep:
            subprocess.run(["rm", "-rf", str(sub)], check=True)
    return str(docs)


@pytest.mark.slow
def test_translations_of_many_languages_follow_the_tools_search_plan(cli, client, many_language_pool, tmp_path):
    """19 languages, a sample of 8 documents each (the other plan settings the defaults): the
    search plan leaves a third of the language pairs unsearched (other links than a full
    search), and doppel.dask gives the tool's records."""
    full, planned = DASK_SECOND_PASS, "matcher:affinity_sample=8"
    text = tool_translations(cli, tmp_path, many_language_pool, extra=("--matcher", planned, "--associations", full))
    unplanned = cli("translations", "--store", str(tmp_path / "store"), "--format", "jsonl", "--associations", full,
                    "--matcher", "matcher:affinity_sample=0")
    assert [r for r in records_of(unplanned) if "id_a" in r] != [r for r in records_of(text) if "id_a" in r]
    s = doppel.dask.translations([many_language_pool], str(tmp_path / "work"), client=client, matcher=planned,
                                 associations=full)
    assert_same_lines(pathlib.Path(s["out"]).read_text(encoding="utf-8"), text)
    got = records_of(text)
    assert got[-1]["translation"] + got[-1]["partial"] > 100
    pairs, every = re.search(r"(\d+) of (\d+) language pairs searched", s["summary"]).groups()
    assert int(every) == 19 * 18 // 2 and int(pairs) < int(every) * 2 // 3, s["summary"]


def test_translation_stages_raise_library_errors():
    with pytest.raises(doppel.Error, match="matcher"):
        doppel.dask._tr.plan("matcher:k=x")
    with pytest.raises(doppel.Error, match="candidate"):
        doppel.dask._tr.link(["en"], np_array([1.0]), [""], {"indptr": np_array([0, 0], "u8"),
                             "ids": np_array([], "u8"), "weights": np_array([], "f4")},
                             [{"lang": "en", "query": np_array([0], "i8"), "other": np_array([5], "i8"),
                               "sim": np_array([0.5], "f4")}], "matcher")


def test_search_sample_and_plan_are_the_libraries():
    tr = doppel.dask._tr
    langs = ["en"] * 12 + ["de"] * 3 + ["fr"] * 3
    sample = tr.search_sample(langs, "matcher:affinity_sample=3")
    assert sample.tolist() == [1, 0, 0, 0] * 3 + [1] * 6  # every fourth English document, all of the others
    assert len(tr.search_sample(langs, "matcher:affinity_sample=12")) == 0  # no language above the sample
    assert len(tr.search_sample(langs[:15], "matcher:affinity_sample=3")) == 0  # two languages
    # de's and fr's sampled documents find their English versions (en 0 and 4) and nothing else.
    shards = [{"lang": "en", "query": np_array([12, 15], "i8"), "other": np_array([0, 4], "i8"),
               "sim": np_array([0.9, 0.8])}]
    plan = tr.search_plan(langs, np_array([10.0] * 18), shards, "matcher:affinity_sample=3,target_languages=1")
    assert plan.shape == (3, 3) and plan.tolist() == [[0, 1, 0], [2, 0, 2], [0, 1, 0]]  # de, en, fr
    # English searches de and fr for their sake only (2: few candidates kept, low_affinity_k);
    # with low_affinity_k=0 every searched pair is 1.
    plan = tr.search_plan(langs, np_array([10.0] * 18), shards,
                          "matcher:affinity_sample=3,target_languages=1,low_affinity_k=0")
    assert plan.tolist() == [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    with pytest.raises(doppel.Error, match="shard of no document"):
        tr.search_plan(langs, np_array([10.0] * 18), [dict(shards[0], lang="xx")], "matcher:affinity_sample=3")


def np_array(values, dtype="f4"):
    import numpy as np
    return np.array(values, dtype=dtype)


def test_translations_match_minor_relatives_as_the_tool_does():
    tr = doppel.dask._tr
    langs = ["ca"] * 20 + ["oc"] + ["no"] * 10 + ["nn"] * 10
    minor_share = tr.plan()["minor_share"]
    assert minor_share > 0
    regrouped, changed = tr.regroup(langs, minor_share)  # a stray Occitan label among Catalan texts
    assert changed and regrouped == ["ca"] * 21 + ["no"] * 10 + ["nn"] * 10  # two real varieties stay
    assert tr.regroup(langs, 0) == (langs, False)
