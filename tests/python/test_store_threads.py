"""One doppel.Store shared by threads: its calls are serialized (python/src/store.cpp, PyStore::Call),
so threads calling add, check, list, get and len on it at once give the answers of the same calls
made one after the other, and never crash it."""

import random
import threading
import time

import pytest

import doppel

THREADS = 6
ROUNDS = 4


def unrelated_texts(records, seed, n):
    """n texts of the corpus's words in a random order: far from every record and from each other."""
    words = " ".join(r["text"] for r in records).split()
    rng = random.Random(seed)
    return [" ".join(rng.sample(words, 300)) + "\n" for _ in range(n)]


def thread_documents(records, t):
    return [{"id": "t%d-r%d-%d" % (t, r, k), "text": text}
            for r in range(ROUNDS) for k, text in enumerate(unrelated_texts(records, t * 100 + r, 3))]


def run_threads(work):
    """Runs work(t) on THREADS threads started together; returns their results, raising the first error."""
    start = threading.Barrier(THREADS)
    results, errors = [None] * THREADS, []

    def body(t):
        try:
            start.wait()
            results[t] = work(t)
        except BaseException as e:  # noqa: BLE001 - given back to the test's thread
            errors.append(e)

    threads = [threading.Thread(target=body, args=(t,)) for t in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if errors:
        raise errors[0]
    return results


def test_threads_sharing_one_store_get_the_sequential_answers(tmp_path, corpus):
    records = corpus["records"]
    originals = [r for r in records if not r["id"].endswith("-reprint")]
    reprints = [r for r in records if r["id"].endswith("-reprint")]
    shared = doppel.Store(str(tmp_path / "shared"))  # purpose "all": the language model is loaded on first use
    expected_check = None

    def work(t):
        docs = thread_documents(records, t)
        answers = []
        for r in range(ROUNDS):
            shared.add(docs[3 * r:3 * r + 3] + (originals if r == 0 else []))
            answers.append(shared.check(reprints, 0.5))
            stored = {d["id"] for d in shared.list()}
            assert {d["id"] for d in docs[:3 * r + 3]} <= stored and len(shared) >= len(stored)
            assert shared.get(docs[3 * r]["id"])["text"] == docs[3 * r]["text"]
        return answers

    answers = run_threads(work)

    sequential = doppel.Store(str(tmp_path / "sequential"))
    sequential.add(originals)
    for t in range(THREADS):
        sequential.add(thread_documents(records, t))
    expected_check = sequential.check(reprints, 0.5)
    assert {r[1] for r in expected_check} == {"near"}
    for per_thread in answers:
        # Every check ran after its own thread added the originals, and the added texts match none.
        assert per_thread == [expected_check] * ROUNDS
    assert sorted(d["id"] for d in shared.list()) == sorted(d["id"] for d in sequential.list())
    assert len(shared) == len(sequential) == len(originals) + THREADS * ROUNDS * 3
    assert sorted(shared.dedup(0.5)) == sorted(sequential.dedup(0.5))
    langs = {d["id"]: d["language"] for d in sequential.list()}
    assert {d["id"]: d["language"] for d in shared.list()} == langs


def test_close_waits_for_a_running_add(tmp_path, corpus):
    """close() from another thread while add() reads its documents waits for add() to finish."""
    store = doppel.Store(str(tmp_path / "s"))
    docs = thread_documents(corpus["records"], 0)
    reading, results = threading.Event(), {}

    def documents():
        yield docs[0]
        reading.set()  # add() holds its indexer on the store now
        time.sleep(0.3)  # long enough for close() to be called (and, without the lock, to run)
        yield from docs[1:]

    def closer():
        reading.wait()
        store.close()
        results["closed"] = True

    th = threading.Thread(target=closer)
    th.start()
    results["added"] = store.add(documents(), batch=2)["added"]
    th.join()
    assert results == {"added": len(docs), "closed": True}
    with pytest.raises(doppel.Error):
        len(store)
    assert len(doppel.Store(str(tmp_path / "s"))) == len(docs)


def test_documents_given_to_add_may_read_the_same_store(tmp_path, corpus):
    """The lock is the calling thread's already: a generator passed to add() may call the store."""
    store = doppel.Store(str(tmp_path / "s"), purpose="duplicates")
    docs = thread_documents(corpus["records"], 0)
    store.add(docs[:3])
    s = store.add((d for d in docs if store.get(d["id"]) is None and len(store) >= 3), batch=2)
    assert (s["added"], s["stored"]) == (len(docs) - 3, len(docs))


def test_a_write_inside_a_running_add_of_the_same_store_raises(tmp_path, corpus):
    """A write from the documents' generator would wait for add()'s own write lock forever."""
    store = doppel.Store(str(tmp_path / "s"), purpose="duplicates")
    docs = thread_documents(corpus["records"], 0)
    store.add(docs[:3])

    def deleting():
        yield docs[3]
        store.delete([docs[0]["id"]])
        yield docs[4]

    with pytest.raises(doppel.Error, match="inside a running add") as e:
        store.add(deleting())
    assert e.value.code == "invalid-argument"
    assert len(store) == 3  # the batch of the failed call was not stored; the store works on
    store.close()
