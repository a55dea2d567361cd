"""The batch primitives over numpy arrays, and align() against `doppel align`."""

import pathlib
import threading
import time

import numpy as np
import pytest

import doppel
from conftest import SEEDS, edited, tsv


@pytest.fixture(scope="module")
def texts(seed_files):
    return [pathlib.Path(f).read_text(encoding="utf-8") for f in seed_files]


def test_normalize():
    assert doppel.normalize("Ｈｅｌｌｏ   WORLD ٣") == doppel.normalize(["Ｈｅｌｌｏ   WORLD ٣"])[0]
    assert doppel.normalize("Ｈｅｌｌｏ   WORLD").startswith("hello world")


def test_shingle_hashes(texts):
    h = doppel.shingle_hashes(texts[0])
    assert h.dtype == np.uint64 and h.ndim == 1 and len(h) > 100
    assert np.all(h[1:] > h[:-1]), "sorted, without repeats"
    assert np.array_equal(doppel.shingle_hashes(texts)[0], h)
    assert len(doppel.shingle_hashes(texts[0], "char:n=5")) > len(h)
    with pytest.raises(doppel.Error) as e:
        doppel.shingle_hashes("x", "word:bogus=1")
    assert e.value.code == "bad-spec"


def test_jaccard_and_containment(texts):
    a, b = doppel.shingle_hashes(texts[0]), doppel.shingle_hashes(edited(texts[0], 3))
    assert doppel.jaccard(a, a) == 1.0
    assert 0.5 < doppel.jaccard(a, b) < 1.0
    half = a[: len(a) // 2]
    assert doppel.containment(half, a) == 1.0
    assert doppel.jaccard(half, a) == pytest.approx(len(half) / len(a))
    assert doppel.jaccard(a, doppel.shingle_hashes(texts[1])) < 0.1


def test_minhash_and_lsh(texts):
    sigs = doppel.minhash(texts)
    assert sigs.dtype == np.uint32 and sigs.shape == (len(texts), 128)
    hashes = doppel.shingle_hashes(texts)
    assert np.array_equal(doppel.minhash(hashes), sigs)
    pair = doppel.minhash([texts[0], edited(texts[0], 3)])
    estimate = float(np.mean(pair[0] == pair[1]))
    exact = doppel.jaccard(hashes[0], doppel.shingle_hashes(edited(texts[0], 3)))
    assert abs(estimate - exact) < 0.15
    assert doppel.minhash(texts, spec="minhash:perms=64,seed=7").shape == (len(texts), 64)
    bands, rows = doppel.lsh_params(0.8, 128)
    keys = doppel.lsh_band_keys(pair, bands, rows)
    assert keys.dtype == np.uint64 and keys.shape == (2, bands)
    assert np.any(keys[0] == keys[1]), "a reprint shares a band bucket"
    with pytest.raises(doppel.Error):
        doppel.lsh_band_keys(sigs, 100, 100)


def test_language(texts, seed_files):
    langs = [lang for lang, _ in doppel.language(texts)]
    assert langs == [pathlib.Path(f).name[:2] for f in seed_files]
    lang, conf = doppel.language("This is plainly an English sentence about the weather.")
    assert lang == "en" and 0.5 < conf <= 1.0


def test_align_as_cli(cli):
    a, b = SEEDS / "en-2024-hanoi-working-group.txt", SEEDS / "ar-2024-hanoi-working-group.txt"
    expected = tsv(cli("align", str(a), str(b), "--units", "lines", "--format", "beads"))
    beads = doppel.align(a.read_text(encoding="utf-8"), b.read_text(encoding="utf-8"), units="lines")
    assert beads and all(isinstance(i, tuple) and isinstance(j, tuple) for i, j, _ in beads)
    shown = [("[%s]:[%s]" % (", ".join(map(str, i)), ", ".join(map(str, j))), "%.4f" % s) for i, j, s in beads]
    assert shown == expected


def test_align_units():
    beads = doppel.align("One.\n\nTwo.\n", "Un.\nDeux.\n", units="lines")
    assert [i for i, _, _ in beads if i] == [(0,), (1,)] or sum(len(i) for i, _, _ in beads) == 2
    with pytest.raises(doppel.Error) as e:
        doppel.align("a", "b", units="words")
    assert e.value.code in ("invalid-argument", "bad-spec")


def test_gil_released(texts):
    """Two threads make progress at once: heavy calls do not hold the GIL."""
    big = texts * 40
    ticks = []
    done = threading.Event()

    def tick():
        while not done.is_set():
            ticks.append(1)
            done.wait(0.001)

    t = threading.Thread(target=tick)
    t.start()
    start = time.perf_counter()
    for _ in range(3):
        doppel.minhash(big, shingles="char:n=5")
    seconds = time.perf_counter() - start
    done.set()
    t.join()
    # Holding the GIL would leave the other thread a tick per call; free, one every millisecond.
    assert len(ticks) >= max(10, seconds * 100)


def test_models_dir():
    assert (pathlib.Path(doppel.models_dir()) / "lid.176.ftz").exists()
    assert doppel.models_dir("elsewhere") == "elsewhere"


def test_bridge_vectors(texts, seed_files):
    bridge = doppel.Bridge()
    assert bridge.dim == 2048 and bridge.spec.startswith("bridge")
    m, ids = bridge.sparse(texts)
    assert m.shape == (len(texts), len(ids)) and ids.dtype == np.uint64 and m.nnz > 0
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1))).ravel()
    assert np.allclose(norms, 1.0, atol=1e-4)
    raw, raw_ids = bridge.sparse(texts[:1], weighted=False)
    assert raw.data.min() > 0 and len(raw_ids) == raw.shape[1]
    d = bridge.dense(texts)
    assert d.dtype == np.float32 and d.shape == (len(texts), bridge.dim)
    assert np.allclose(np.linalg.norm(d, axis=1), 1.0, atol=1e-4)
    sims = d @ d.T
    names = [pathlib.Path(f).name for f in seed_files]
    en, ar = names.index("en-2024-hanoi-working-group.txt"), names.index("ar-2024-hanoi-working-group.txt")
    # The Arabic text is closest to its English version.
    assert int(np.argmax(np.where(np.arange(len(texts)) == ar, -1, sims[ar]))) == en
    langs = [lang for lang, _ in doppel.language(texts)]
    assert np.allclose(bridge.dense(texts, langs), d)
    with pytest.raises(doppel.Error):
        bridge.dense(texts, ["en"])


def test_batches_on_all_cores_keep_the_order_of_one_by_one_calls(seed_files):
    texts = [pathlib.Path(f).read_text(encoding="utf-8") for f in seed_files] * 40
    texts = [t[: 200 + 37 * k] for k, t in enumerate(texts)]  # all different
    sigs = doppel.minhash(texts)
    for k in (0, 7, 101, len(texts) - 1):
        assert np.array_equal(sigs[k], doppel.minhash([texts[k]])[0])
        assert np.array_equal(doppel.shingle_hashes(texts)[k], doppel.shingle_hashes(texts[k]))
    assert doppel.normalize(texts)[55] == doppel.normalize(texts[55])
