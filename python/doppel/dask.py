"""doppel on Dask (dask.distributed): near-duplicates and translations of a corpus spread over
workers. near_duplicates() below; translations() (the records of `doppel translations --format
jsonl` on a store indexed from the same documents) further down, with its stages.

    from dask.distributed import Client
    import doppel.dask
    client = Client("tcp://scheduler:8786")          # or LocalCluster(n_workers=2)
    s = doppel.dask.near_duplicates(["a.jsonl", "b.jsonl"], "work/", client=client)
    print(s["summary"])                                # the summary line
    # work/result.jsonl holds the records of `doppel dedup --format jsonl` on the same input

near_duplicates() runs `doppel dedup` as stages (the library's ops/dedup_stages.h), each a set
of Dask tasks writing its results under the work directory (numpy .npy and JSONL files):

  0. input     a Dask bag or dataframe is written out, one JSONL file per partition (a list of
               paths is read where it lies)
  1. count     (boilerplate on) per part: (source, line) counts; a source found in one part
               only is decided there, the lines of sources found in several parts are
               shuffled by line into shards and summed per shard; the library's boilerplate
               rule keeps the table
  2. sketch    per part: shingle sets, set hashes, LSH band keys (MinHash as `--spec` says)
  3. group     identical shingle sets, by set hash (on the client: 12 bytes per document)
  4. buckets   the shuffle: (band, key, document) of every representative, sent by key to a
               shard; each shard's buckets give candidate pairs, sent on by document to a shard
  5. verify    per shard: every candidate verified on its exact shingle sets (library rule)
  6. finish    the library expands pairs to every copy and makes the non-chaining clusters;
               records written as `doppel dedup --format jsonl` writes them

A stage that finished left DONE-<stage>.json behind; running again with the same work directory
and input resumes after the last finished stage. Every file is written under a temporary name and
renamed, so a task killed half-way (a lost worker: Dask runs it again) leaves nothing half-written.
The work directory must be reachable under the same path by the client and every worker (one
machine, or a shared file system across several).
"""

import hashlib
import json
import os
import shutil
import time
from typing import Any, Dict, List, Optional

import numpy as np

from ._doppel import dedup_stages as _st

__all__ = ["near_duplicates", "translations", "read_result"]

_MAX = np.uint32(0xFFFFFFFF)


# ---- files -----------------------------------------------------------------------------------

def _save(path, array):
    tmp = "%s.tmp-%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        np.save(f, array)
    os.replace(tmp, path)


def _write_text(path, text):
    tmp = "%s.tmp-%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def _done(work, stage):
    p = os.path.join(work, "DONE-%s.json" % stage)
    if not os.path.exists(p):
        return None
    with open(p, encoding="utf-8") as f:
        return json.load(f)


def _mark(work, stage, info):
    _write_text(os.path.join(work, "DONE-%s.json" % stage), json.dumps(info))


def _scatter(rows, shard, shards, path_of):
    """Writes the rows of each shard s (shard == s) to path_of(s); returns the bytes written."""
    written = 0
    for s in range(shards):
        part = rows[shard == s]
        _save(path_of(s), part)
        written += part.nbytes
    return written


_TUNED = []


def _on_worker():
    """Called first by every task: once per process, glibc's allocator back to a plain process's
    behaviour. Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, which also turns off
    glibc's adaptive mmap threshold: every allocation over 128 KiB (each large array and vector)
    is then a fresh mmap, faulted in page by page, and the heap is trimmed on every free. The
    stages ran 3-4 times slower in such a worker than in a plain process."""
    if _TUNED:
        return
    _TUNED.append(True)
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD: keep up to 256 MiB of freed heap
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD: glibc's ceiling for the adaptive one
    except (OSError, AttributeError):  # not glibc
        pass


def _shard_of(keys, shards):
    """The shard of each key: a multiplicative hash, so keys with patterned low bits spread too."""
    with np.errstate(over="ignore"):
        mixed = np.asarray(keys, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    return ((mixed >> np.uint64(32)) % np.uint64(shards)).astype(np.int64)


# ---- input -----------------------------------------------------------------------------------

def _input_parts(documents, work, client, part_mb):
    """[(kind, payload)]: ("paths", [path, ...]) read by the library, or ("records", jsonl file)."""
    if isinstance(documents, (list, tuple)):
        parts, cur, size = [], [], 0
        for p in documents:
            cur.append(os.fspath(p))
            try:
                size += os.path.getsize(p) if os.path.isfile(p) else (part_mb << 20)
            except OSError:
                pass
            if size >= (part_mb << 20):
                parts.append(("paths", cur))
                cur, size = [], 0
        if cur:
            parts.append(("paths", cur))
        return parts
    info = _done(work, "input")
    if info is None:
        delayed = _partitions_of(documents)
        names = [os.path.join(work, "input-%05d.jsonl" % k) for k in range(len(delayed))]
        futures = client.compute([_write_partition(d, n) for d, n in zip(delayed, names)])
        client.gather(futures)
        info = {"files": names}
        _mark(work, "input", info)
    return [("records", n) for n in info["files"]]


def _partitions_of(documents):
    import dask
    if hasattr(documents, "to_delayed") and hasattr(documents, "columns"):  # a dataframe
        return [dask.delayed(lambda df: df.to_dict("records"))(d) for d in documents.to_delayed()]
    if hasattr(documents, "to_delayed"):  # a bag
        return list(documents.to_delayed())
    raise TypeError("documents: a list of paths, a dask bag or a dask dataframe")


def _write_partition(delayed_records, name):
    import dask

    def write(records):
        lines = []
        for r in records:
            if isinstance(r, str):
                r = {"id": str(len(lines)), "text": r}
            lines.append(json.dumps({k: r.get(k) for k in ("id", "text", "url", "source", "lang", "title", "date")},
                                    ensure_ascii=False))
        _write_text(name, "\n".join(lines) + ("\n" if lines else ""))
        return name

    return dask.delayed(write)(delayed_records)


def _read(part, cfg):
    kind, payload = part
    if kind == "paths":
        return _st.read_paths(payload, cfg["id_from_path"], cfg["max_bytes"])
    with open(payload, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    return _st.from_records(records, payload, cfg["max_bytes"])


# ---- stage 1: boilerplate ----------------------------------------------------------------------

# The documents of the parts this worker process read in the count stage, kept in C++ memory
# for its sketch stage (read once, as `doppel dedup` caches them between its two passes):
# (work dir, part) -> Documents. A sketch task that runs elsewhere (a lost worker) reads again.
_HELD: Dict[Any, Any] = {}


def _drop_held(work):
    """Forgets the documents of this work dir's parts still held here (their sketch ran elsewhere)."""
    for key in [key for key in _HELD if key[0] == work]:
        del _HELD[key]


def _worker_address():
    try:
        from distributed import get_worker
        return get_worker().address
    except (ImportError, ValueError):
        return None


def _count_task(k, part, cfg, work):
    _on_worker()
    docs = _read(part, cfg)
    c = _st.count_lines(docs, cfg["spec"], _threads(cfg))
    _HELD[(work, k)] = docs
    _save(os.path.join(work, "lines-%05d.npy" % k),
          np.stack([c["source"], c["line"], c["docs"].astype(np.uint64)], axis=1))
    _save(os.path.join(work, "sources-%05d.npy" % k),
          np.stack([c["sources"], c["source_docs"].astype(np.uint64)], axis=1))
    return _worker_address()


def _counts(rows, sources=None):
    rows = rows.reshape(-1, 3)
    d = {"source": rows[:, 0].copy(), "line": rows[:, 1].copy(), "docs": rows[:, 2].astype(np.uint32),
         "sources": np.zeros(0, np.uint64), "source_docs": np.zeros(0, np.uint32)}
    if sources is not None:
        d["sources"] = sources[:, 0].copy()
        d["source_docs"] = sources[:, 1].astype(np.uint32)
    return d


def _load_sources(work):
    return _counts(np.zeros((0, 3), np.uint64), np.load(os.path.join(work, "sources.npy")))


def _local_task(k, cfg, work, shards):
    """The boilerplate of the sources held by part k alone; the lines of sources shared with other
    parts go to the shards of the shuffle, by line."""
    _on_worker()
    rows = np.load(os.path.join(work, "lines-%05d.npy" % k)).reshape(-1, 3)
    shared = np.isin(rows[:, 0], np.load(os.path.join(work, "shared_sources.npy")))
    src, line = _st.boilerplate_of([rows[~shared]], _load_sources(work), cfg["spec"])
    _save(os.path.join(work, "boilerplate-local-%05d.npy" % k), np.stack([src, line], axis=1))
    rows = rows[shared]
    return _scatter(rows, _shard_of(rows[:, 1], shards), shards,
                    lambda s: os.path.join(work, "lines-%05d-%03d.npy" % (k, s)))


def _boilerplate_task(s, parts, cfg, work):
    _on_worker()
    lines = [np.load(os.path.join(work, "lines-%05d-%03d.npy" % (k, s))).reshape(-1, 3) for k in range(parts)]
    src, line = _st.boilerplate_of(lines, _load_sources(work), cfg["spec"])
    _save(os.path.join(work, "boilerplate-%03d.npy" % s), np.stack([src, line], axis=1))
    return s


def _merge_sources(parts, work):
    """Every part's source counts summed (sources.npy) and the sources found in several parts."""
    per_part = [np.load(os.path.join(work, "sources-%05d.npy" % k)).reshape(-1, 2) for k in range(parts)]
    merged = _st.merge_counts([_counts(np.zeros((0, 3), np.uint64), p) for p in per_part])
    _save(os.path.join(work, "sources.npy"),
          np.stack([merged["sources"], merged["source_docs"].astype(np.uint64)], axis=1))
    keys, seen = np.unique(np.concatenate([p[:, 0] for p in per_part]), return_counts=True)
    _save(os.path.join(work, "shared_sources.npy"), keys[seen > 1])


def _stage_boilerplate(client, parts, cfg, work, shards):
    """The boilerplate table (boilerplate.npy); returns (the stage's info, the worker holding each
    part's documents, or None)."""
    info, holders = _done(work, "count"), None
    if info is None:
        table, shuffled = [np.zeros((0, 2), np.uint64)], 0
        if cfg["boilerplate"]:
            n = len(parts)
            holders = client.gather(client.map(_count_task, range(n), parts, cfg=cfg, work=work, pure=False))
            _merge_sources(n, work)
            shuffled = sum(client.gather(client.map(_local_task, range(n), cfg=cfg, work=work, shards=shards,
                                                    pure=False)))
            client.gather(client.map(_boilerplate_task, range(shards), parts=n, cfg=cfg, work=work, pure=False))
            table += [np.load(os.path.join(work, "boilerplate-local-%05d.npy" % k)).reshape(-1, 2)
                      for k in range(n)]
            table += [np.load(os.path.join(work, "boilerplate-%03d.npy" % s)).reshape(-1, 2)
                      for s in range(shards)]
        table = np.concatenate(table)
        _save(os.path.join(work, "boilerplate.npy"), table)
        info = {"boilerplate_lines": int(len(table)), "line_bytes": int(shuffled)}
        _mark(work, "count", info)
    return info, holders


# ---- stage 2: sketches -----------------------------------------------------------------------

def _threads(cfg):
    """Library threads for a task: as given, else the worker's own thread count."""
    if cfg["threads"]:
        return cfg["threads"]
    try:
        from distributed import get_worker
        return int(get_worker().nthreads)
    except (ImportError, ValueError, AttributeError):
        return 0


def _sketch_task(k, part, cfg, work):
    _on_worker()
    docs = _HELD.pop((work, k), None)
    if docs is None:
        docs = _read(part, cfg)
    table = np.load(os.path.join(work, "boilerplate.npy")).reshape(-1, 2)
    s = _st.sketch(docs, cfg["spec"], _threads(cfg), table[:, 0].copy(), table[:, 1].copy())
    for name in ("flat", "offsets", "set_hash", "band_keys", "bytes", "shingles"):
        _save(os.path.join(work, "%s-%05d.npy" % (name, k)), s[name])
    _write_text(os.path.join(work, "docs-%05d.json" % k),
                json.dumps({"ids": s["ids"], "repeated_lines": s["repeated_lines"]}, ensure_ascii=False))
    return {"documents": len(s["ids"]), "errors": docs.errors}


def _stage_sketch(client, parts, cfg, work, holders=None):
    """Sketches of every part, each on the worker that holds its documents (holders) if any."""
    info = _done(work, "sketch")
    if info is None:
        futures = [client.submit(_sketch_task, k, part, cfg=cfg, work=work, pure=False,
                                 workers=[holders[k]] if holders and holders[k] else None,
                                 allow_other_workers=True)
                   for k, part in enumerate(parts)]
        out = client.gather(futures)
        try:  # best effort: memory only
            client.run(_drop_held, work)
        except Exception:  # noqa: BLE001 (a worker gone meanwhile holds nothing)
            pass
        counts = [o["documents"] for o in out]
        info = {"counts": counts, "bases": [int(x) for x in np.cumsum([0] + counts)],
                "errors": [e for o in out for e in o["errors"]]}
        _mark(work, "sketch", info)
    return info


def _load_all(work, name, parts):
    return np.concatenate([np.load(os.path.join(work, "%s-%05d.npy" % (name, k))) for k in range(parts)])


# ---- stage 3: identical sets -------------------------------------------------------------------

def _stage_group(parts, work):
    info = _done(work, "group")
    if info is None:
        group_of, joins = _st.group(_load_all(work, "set_hash", parts), _load_all(work, "shingles", parts))
        valid = np.flatnonzero(group_of != _MAX)
        rep = np.zeros(len(group_of), bool)
        _, first = np.unique(group_of[valid], return_index=True)
        rep[valid[first]] = True
        _save(os.path.join(work, "group_of.npy"), group_of)
        _save(os.path.join(work, "rep.npy"), rep)
        _save(os.path.join(work, "joins.npy"), joins)
        info = {"groups": int(len(first)), "joins": int(len(joins))}
        _mark(work, "group", info)
    return info


# ---- stage 4: the shuffle of band buckets ------------------------------------------------------

def _bucket_task(k, base, work, shards):
    _on_worker()
    keys = np.load(os.path.join(work, "band_keys-%05d.npy" % k))
    rep = np.load(os.path.join(work, "rep.npy"), mmap_mode="r")[base:base + len(keys)]
    docs = np.flatnonzero(rep)
    bands = keys.shape[1] if keys.ndim == 2 else 0
    rows = np.empty((len(docs) * bands, 3), np.uint64)
    rows[:, 0] = np.tile(np.arange(bands, dtype=np.uint64), len(docs))
    rows[:, 1] = keys[docs].reshape(-1)
    rows[:, 2] = np.repeat(docs.astype(np.uint64) + np.uint64(base), bands)
    return _scatter(rows, _shard_of(rows[:, 1], shards), shards,
                    lambda s: os.path.join(work, "bucket-%05d-%03d.npy" % (k, s)))


def _bucket_pairs(rows):
    """Candidate pairs (a << 32 | b, a < b) of documents sharing a (band, key) bucket."""
    if len(rows) < 2:
        return np.zeros(0, np.uint64)
    rows = rows[np.lexsort((rows[:, 2], rows[:, 1], rows[:, 0]))]
    new_run = np.ones(len(rows), bool)
    new_run[1:] = (rows[1:, 0] != rows[:-1, 0]) | (rows[1:, 1] != rows[:-1, 1])
    starts = np.flatnonzero(new_run)
    lengths = np.diff(np.append(starts, len(rows)))
    run_len = np.repeat(lengths, lengths)
    pos = np.arange(len(rows)) - np.repeat(starts, lengths)
    docs = rows[:, 2]
    out = []
    idx = np.flatnonzero(run_len - pos > 1)
    d = 1
    while len(idx):
        out.append(docs[idx] << np.uint64(32) | docs[idx + d])
        d += 1
        idx = idx[run_len[idx] - pos[idx] > d]
    return np.unique(np.concatenate(out)) if out else np.zeros(0, np.uint64)


def _pairs_task(s, parts, work, shards):
    _on_worker()
    rows = np.concatenate([np.load(os.path.join(work, "bucket-%05d-%03d.npy" % (k, s))).reshape(-1, 3)
                           for k in range(parts)])
    pairs = _bucket_pairs(rows)
    return _scatter(pairs, _shard_of(pairs >> np.uint64(32), shards), shards,
                    lambda t: os.path.join(work, "cand-%03d-%03d.npy" % (s, t)))


def _stage_buckets(client, bases, work, shards):
    info = _done(work, "buckets")
    if info is None:
        parts = len(bases) - 1
        a = client.gather(client.map(_bucket_task, range(parts), bases[:-1], work=work, shards=shards,
                                     pure=False))
        b = client.gather(client.map(_pairs_task, range(shards), parts=parts, work=work, shards=shards,
                                     pure=False))
        info = {"bucket_bytes": int(sum(a)), "candidate_bytes": int(sum(b))}
        _mark(work, "buckets", info)
    return info


# ---- stage 5: verification -------------------------------------------------------------------

def _gather_sets(numbers, bases, work):
    """(offsets, flat) of the shingle sets of documents `numbers` (sorted), from the parts' files."""
    part_of = np.searchsorted(bases, numbers, side="right") - 1
    offsets = np.zeros(len(numbers) + 1, np.uint64)
    chunks = []
    for k in np.unique(part_of):
        local = numbers[part_of == k] - bases[k]
        off = np.load(os.path.join(work, "offsets-%05d.npy" % k))
        flat = np.load(os.path.join(work, "flat-%05d.npy" % k), mmap_mode="r")
        starts, ends = off[local], off[local + 1]
        lengths = (ends - starts).astype(np.int64)
        idx = np.repeat(starts.astype(np.int64) - np.cumsum(lengths) + lengths, lengths) + \
            np.arange(int(lengths.sum()))
        chunks.append(np.asarray(flat[idx]))
        offsets[np.flatnonzero(part_of == k) + 1] = lengths.astype(np.uint64)
    np.cumsum(offsets, out=offsets)
    flat = np.concatenate(chunks) if chunks else np.zeros(0, np.uint64)
    return offsets, flat


def _verify_task(t, shards, bases, cfg, work):
    _on_worker()
    pairs = np.unique(np.concatenate([np.load(os.path.join(work, "cand-%03d-%03d.npy" % (s, t)))
                                      for s in range(shards)]))
    joins = np.load(os.path.join(work, "joins.npy"))
    joins = joins[_shard_of(joins >> np.uint64(32), shards) == t]
    bases = np.asarray(bases, np.int64)
    ends = np.concatenate([pairs >> np.uint64(32), pairs & np.uint64(0xFFFFFFFF),
                           joins >> np.uint64(32), joins & np.uint64(0xFFFFFFFF)])
    numbers = np.unique(ends).astype(np.int64)
    offsets, flat = _gather_sets(numbers, bases, work)
    for j in joins:  # identical set hashes: the sets themselves must be equal
        x, y = np.searchsorted(numbers, [int(j >> np.uint64(32)), int(j & np.uint64(0xFFFFFFFF))])
        if not np.array_equal(flat[offsets[x]:offsets[x + 1]], flat[offsets[y]:offsets[y + 1]]):
            raise RuntimeError("doppel.dask: a 64-bit set-hash collision between documents %d and %d; "
                               "run doppel dedup on this input" % (numbers[x], numbers[y]))
    found = _st.verify(pairs, numbers.astype(np.uint32), offsets, flat, cfg["spec"], _threads(cfg))
    _save(os.path.join(work, "pairs-%03d.npy" % t), _pairs_array(found))
    return int(len(pairs))


_PAIR_DTYPE = np.dtype([("a", "<u4"), ("b", "<u4"), ("kind", "u1"), ("jaccard", "<f8"),
                        ("containment", "<f8"), ("common", "<u4")])


def _pairs_array(d):
    out = np.zeros(len(d["a"]), _PAIR_DTYPE)
    for name in _PAIR_DTYPE.names:
        out[name] = d[name]
    return out


def _stage_verify(client, bases, cfg, work, shards):
    info = _done(work, "verify")
    if info is None:
        n = client.gather(client.map(_verify_task, range(shards), shards=shards, bases=bases, cfg=cfg,
                                     work=work, pure=False))
        info = {"candidates": int(sum(n))}
        _mark(work, "verify", info)
    return info


# ---- stage 6: pairs of every copy, clusters, records -------------------------------------------

def _record(obj):
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _stage_finish(parts, bases, shards, info, work, out):
    """Every pair and the clusters (library), written to `out` by the library's record code, as
    `doppel dedup --format jsonl` writes them."""
    pairs = np.concatenate([np.load(os.path.join(work, "pairs-%03d.npy" % t)) for t in range(shards)])
    pairs = pairs[np.lexsort((pairs["b"], pairs["a"]))]
    rep_pairs = {name: np.ascontiguousarray(pairs[name]) for name in _PAIR_DTYPE.names}
    ids, repeated = [], []
    for k in range(parts):
        with open(os.path.join(work, "docs-%05d.json" % k), encoding="utf-8") as f:
            d = json.load(f)
        repeated += [(bases[k] + i, [tuple(x) for x in rl]) for i, rl in d["repeated_lines"]]
        ids += d["ids"]
    tmp = "%s.tmp-%d" % (out, os.getpid())
    r = _st.finish(rep_pairs, np.load(os.path.join(work, "group_of.npy")), _load_all(work, "shingles", parts),
                   _load_all(work, "bytes", parts), ids, repeated, info["candidates"], info["boilerplate_lines"],
                   info["spec"], tmp)
    os.replace(tmp, out)
    summary = {"type": "summary", "documents": r["documents"], "pairs": r["pairs"], "partial": r["partial"],
               "clusters": r["clusters"], "candidates": info["candidates"],
               "boilerplate_lines": info["boilerplate_lines"], "spec": info["spec"]}
    return summary, r["bytes"]


# ---- the job ---------------------------------------------------------------------------------

def _client(client):
    if client is not None:
        return client
    from distributed import get_client
    return get_client()


# The version of what a work directory's stage files hold; part of every run's fingerprint, so a
# run is never resumed from stage files of a doppel that wrote them differently. Raise it when a
# stage file's content changes meaning. 2: a translation shard's candidate lists follow the search
# plan (low_affinity_k candidates where a query's plan says few), where 1 kept k for every query.
_STAGE_FILES = 2


def _fingerprint(documents, cfg, part_mb):
    key = {"cfg": cfg, "part_mb": part_mb, "stage_files": _STAGE_FILES,
           "input": list(map(os.fspath, documents)) if isinstance(documents, (list, tuple))
           else getattr(documents, "name", repr(documents))}
    return hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()


def _start(work_dir, manifest):
    """Checks that work_dir holds no run of other input or options, marks the run started, and
    returns (the earlier start marker or None, the stage timings dict, lap(stage) that records
    the seconds since the previous lap)."""
    old = _done(work_dir, "start")
    if old is not None and old.get("fingerprint") != manifest["fingerprint"]:
        raise ValueError("doppel.dask: %s holds a run with other input or options, or stage files "
                         "of another doppel; give an empty work directory" % work_dir)
    seconds, tick = {}, [time.time()]

    def lap(stage):
        seconds[stage] = round(time.time() - tick[0], 3)
        tick[0] = time.time()

    return old, seconds, lap


def near_duplicates(documents: Any, work_dir: str, *, client: Any = None, threshold: float = 0.8,
                    recall: float = 0.99, boilerplate: bool = True, spec: str = "", id_from_path: bool = False,
                    max_bytes: int = 0, shards: int = 0, part_mb: int = 64, threads: int = 0,
                    out: Optional[str] = None) -> Dict[str, Any]:
    """Near-duplicate pairs and clusters of `documents`, as `doppel dedup --format jsonl`.

    documents: a list of files and folders (read as `doppel dedup PATH...` reads them, grouped
    into parts of about part_mb), a dask bag of dicts (id, text; url and source optional: the
    source names the document's source for boilerplate, as the reader's "PATH:LINE") or of
    strings, or a dask dataframe with those columns. threshold, recall, boilerplate, spec,
    id_from_path (`--id path`) and max_bytes (`--max-bytes`) as the command's options; shards:
    buckets of the shuffles (0: twice the workers); threads: library threads per task (0: the
    worker's). Writes the records to `out` (default WORK_DIR/result.jsonl) and returns a dict:
    summary (the summary line), record (the summary record), errors (records skipped), seconds
    (per stage), shuffle_bytes, out. Resumes from the last finished stage of an earlier run in
    work_dir with the same input and options.
    """
    t0 = time.time()
    client = _client(client)
    os.makedirs(work_dir, exist_ok=True)
    plan = _st.plan(spec, threshold, recall, boilerplate, 0)
    cfg = {"spec": plan["spec"], "boilerplate": plan["boilerplate"], "id_from_path": bool(id_from_path),
           "max_bytes": int(max_bytes), "threads": int(threads)}
    if not shards:
        shards = max(2, 2 * len(client.scheduler_info().get("workers", {})))
    manifest = {"fingerprint": _fingerprint(documents, cfg, part_mb), "shards": shards}
    old, seconds, lap = _start(work_dir, manifest)
    shards = old["shards"] if old else shards
    manifest["shards"] = shards
    _mark(work_dir, "start", manifest)

    parts = _input_parts(documents, work_dir, client, part_mb)
    lap("input")
    bp, holders = _stage_boilerplate(client, parts, cfg, work_dir, shards)
    lap("count")
    sk = _stage_sketch(client, parts, cfg, work_dir, holders)
    lap("sketch")
    _stage_group(len(parts), work_dir)
    lap("group")
    bk = _stage_buckets(client, sk["bases"], work_dir, shards)
    lap("buckets")
    vf = _stage_verify(client, sk["bases"], cfg, work_dir, shards)
    lap("verify")
    out = out or os.path.join(work_dir, "result.jsonl")
    info = {"candidates": vf["candidates"], "boilerplate_lines": bp["boilerplate_lines"], "spec": plan["spec"]}
    record, nbytes = _stage_finish(len(parts), sk["bases"], shards, info, work_dir, out)
    lap("finish")
    secs = time.time() - t0
    shuffle = bk["bucket_bytes"] + bk["candidate_bytes"] + bp.get("line_bytes", 0)
    summary = ("%d documents, %d bytes, %d candidates, %d pairs, %d partial, %d clusters, bands=%d rows=%d; "
               "%.1f MB/s, %.0f docs/s; %d parts, %d shards, shuffle %.1f MB in %.1f s"
               % (record["documents"], nbytes, record["candidates"], record["pairs"], record["partial"],
                  record["clusters"], plan["bands"], plan["rows"], nbytes / 1e6 / secs,
                  record["documents"] / secs, len(parts), shards, shuffle / 1e6, seconds["buckets"]))
    if sk["errors"]:
        summary += ", %d skipped" % len(sk["errors"])
    return {"summary": summary, "record": record, "errors": sk["errors"], "seconds": seconds,
            "shuffle_bytes": shuffle, "out": out}


def read_result(path: str) -> List[Dict[str, Any]]:
    """The records of a result file (or of `doppel dedup --format jsonl` output), as dicts."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


# ==== translations ============================================================================
#
# translations() runs `doppel translations` on the documents as `doppel index` would store them,
# as stages (the library's ops/translation_stages.h), each a set of Dask tasks writing under the
# work directory:
#
#   0. input        as near_duplicates()
#   1. features     per part: language ID and analysis, raw bridge feature counts (as the index
#                   stores them) and each part's document frequencies
#   1b. relatives   minor relatives matched as their family's main language (the library's
#                   regroup_relatives over every document's matching language, on the client)
#   2. frequencies  the parts' frequencies summed (on the client)
#   3. weigh        per part: weighted sparse vectors, dense vectors, lengths; rows of each
#                   matching language written apart, for the shards
#   4. candidates   per matching language, a shard: a FAISS index of its documents, searched by
#                   the documents of the languages the search plan pairs with it (k candidates,
#                   rescored exactly; low_affinity_k of them where the plan searches the pair for
#                   few: each query carries its pair's plan value). In the first pass, where the
#                   matcher plans (the library's Matcher::search_sample): 4a the sample searched
#                   in every shard, 4b the plan from its candidates (Matcher::search_plan, on the
#                   client), 4c the other documents searched in their planned shards; the second
#                   pass keeps the plan
#   5. link         margins, one-to-one, pivots: the library's Matcher::link over every shard's
#                   candidates and the plan (on the client: it reads every candidate table row)
#   6. learn        word associations from the confident links, counts rewritten; stages 2-5
#                   again on them (suffix 2), the second pass's rule (library)
#   7. finish       the final pairs (library); their records, aligned by chunks on the workers, as
#                   `doppel translations --format jsonl` writes them

from ._doppel import translation_stages as _tr  # noqa: E402

_LABELS = ("translation", "partial", "same-story")
_LINK_DTYPE = np.dtype([("a", "<u8"), ("b", "<u8"), ("score", "<f4"), ("similarity", "<f4"), ("margin", "<f4"),
                        ("anchors", "<f4"), ("label", "u1"), ("url_evidence", "?")])


def _csr_save(prefix, d):
    for name in ("indptr", "ids", "weights"):
        _save("%s-%s.npy" % (prefix, name), d[name])


def _csr_load(prefix, mmap_mode=None):
    return {name: np.load("%s-%s.npy" % (prefix, name), mmap_mode=mmap_mode) for name in ("indptr", "ids", "weights")}


def _csr_rows(d, rows):
    """The vectors `rows` (sorted positions) of a CSR dict."""
    indptr = d["indptr"].astype(np.int64)
    starts, ends = indptr[rows], indptr[rows + 1]
    lengths = ends - starts
    idx = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()))
    out_ptr = np.zeros(len(rows) + 1, np.uint64)
    np.cumsum(lengths, out=out_ptr[1:])
    return {"indptr": out_ptr, "ids": d["ids"][idx], "weights": d["weights"][idx]}


def _csr_concat(parts):
    ptrs, off = [np.zeros(1, np.uint64)], np.uint64(0)
    for p in parts:
        ptrs.append(p["indptr"][1:] + off)
        off += p["indptr"][-1]
    return {"indptr": np.concatenate(ptrs), "ids": np.concatenate([p["ids"] for p in parts]),
            "weights": np.concatenate([p["weights"] for p in parts])}


def _csr_split(d, bases):
    indptr = d["indptr"]
    out = []
    for b, e in zip(bases[:-1], bases[1:]):
        lo, hi = int(indptr[b]), int(indptr[e])
        out.append({"indptr": indptr[b:e + 1] - indptr[b], "ids": d["ids"][lo:hi], "weights": d["weights"][lo:hi]})
    return out


def _tr_features_task(k, part, cfg, work):
    _on_worker()
    docs = _read(part, cfg)
    errors = docs.errors
    f = _tr.featurize(docs, cfg["embedder"], cfg["models"], _threads(cfg), cfg["align"])
    if cfg["align"]:  # the texts, for the alignment of the final pairs
        _write_text(os.path.join(work, "texts-%05d.json" % k), json.dumps(f["texts"], ensure_ascii=False))
    _csr_save(os.path.join(work, "counts1-%05d" % k), f)
    ids, n, docs = _tr.frequencies(f)
    _save(os.path.join(work, "df1-%05d.npy" % k), np.stack([ids, n.astype(np.uint64)], axis=1))
    meta = {key: f[key] for key in ("doc_ids", "langs", "match_langs", "urls", "titles", "dates")}
    _write_text(os.path.join(work, "docs-%05d.json" % k), json.dumps(meta, ensure_ascii=False))
    return {"documents": len(meta["doc_ids"]), "errors": errors, "langs": sorted(set(meta["match_langs"]))}


def _tr_load_docs(work, parts):
    meta = {key: [] for key in ("doc_ids", "langs", "match_langs", "urls", "titles", "dates")}
    for k in range(parts):
        with open(os.path.join(work, "docs-%05d.json" % k), encoding="utf-8") as f:
            d = json.load(f)
        for key in meta:
            meta[key] += d[key]
    return meta


def _tr_stage_features(client, parts, cfg, work):
    info = _done(work, "features")
    if info is None:
        out = client.gather(client.map(_tr_features_task, range(len(parts)), parts, cfg=cfg, work=work, pure=False))
        counts = [o["documents"] for o in out]
        info = {"counts": counts, "bases": [int(x) for x in np.cumsum([0] + counts)],
                "errors": [e for o in out for e in o["errors"]],
                "langs": sorted(set(lang for o in out for lang in o["langs"]))}
        _mark(work, "features", info)
    return info


def _tr_stage_relatives(work, match_langs, minor_share):
    """Stage 1b: the matching language of every document with minor relatives matched as their
    family's main language (the library's regroup_relatives, on the whole input's counts, as
    `doppel translations` regroups its store): match_langs.json."""
    path = os.path.join(work, "match_langs.json")
    if _done(work, "relatives") is None:
        regrouped, changed = _tr.regroup(match_langs, minor_share)
        _write_text(path, json.dumps(regrouped, ensure_ascii=False))
        _mark(work, "relatives", {"regrouped": bool(changed)})
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _tr_stage_frequencies(parts, work, p):
    """The document frequencies of every part summed: df<p>.npy (feature id, documents)."""
    info = _done(work, "frequencies%d" % p)
    if info is None:
        rows = np.concatenate([np.load(os.path.join(work, "df%d-%05d.npy" % (p, k))).reshape(-1, 2)
                               for k in range(parts)])
        ids, inverse = np.unique(rows[:, 0], return_inverse=True)
        n = np.bincount(inverse, weights=rows[:, 1].astype(np.float64), minlength=len(ids)).astype(np.uint64)
        _save(os.path.join(work, "df%d.npy" % p), np.stack([ids, n], axis=1))
        info = {"features": int(len(ids))}
        _mark(work, "frequencies%d" % p, info)
    return info


def _tr_weigh_task(k, match, cfg, work, p, documents, langs):
    """Part k's weighted vectors; `match`: its documents' matching languages (after stage 1b)."""
    _on_worker()
    df = np.load(os.path.join(work, "df%d.npy" % p)).reshape(-1, 2)
    counts = _csr_load(os.path.join(work, "counts%d-%05d" % (p, k)))
    w = _tr.weigh(counts, df[:, 0].copy(), df[:, 1].astype(np.uint32), documents, cfg["embedder"], cfg["models"])
    match = np.asarray(match, dtype=object)
    base = cfg["bases"][k]
    _save(os.path.join(work, "lengths%d-%05d.npy" % (p, k)), w["lengths"])
    _csr_save(os.path.join(work, "sparse%d-%05d" % (p, k)), w)
    for t, lang in enumerate(langs):  # each matching language's rows apart: the shards' input
        rows = np.flatnonzero(match == lang)
        prefix = os.path.join(work, "w%d-%05d-%03d" % (p, k, t))
        _save(prefix + "-pos.npy", rows.astype(np.int64) + base)
        _save(prefix + "-dense.npy", w["dense"][rows])
        _csr_save(prefix, _csr_rows(w, rows))
    return w["embedder"]


def _tr_stage_weigh(client, cfg, work, p, documents, langs, match_langs):
    info = _done(work, "weigh%d" % p)
    if info is None:
        bases = cfg["bases"]
        match = [match_langs[b:e] for b, e in zip(bases[:-1], bases[1:])]
        out = client.gather(client.map(_tr_weigh_task, range(len(bases) - 1), match, cfg=cfg, work=work, p=p,
                                       documents=documents, langs=langs, pure=False))
        info = {"embedder": out[0] if out else ""}
        _mark(work, "weigh%d" % p, info)
    return info


def _tr_rows(work, p, parts, t, keep=None):
    """(positions, dense, sparse) of matching language t over every part; with `keep` (positions ->
    bool mask), only the rows it keeps: the others' vectors are never read (memory-mapped)."""
    pos, dense, sparse = [], [], []
    for k in range(parts):
        prefix = os.path.join(work, "w%d-%05d-%03d" % (p, k, t))
        at = np.load(prefix + "-pos.npy")
        rows = None if keep is None else np.flatnonzero(keep(at))
        if rows is None or len(rows) == len(at):
            pos.append(at)
            dense.append(np.load(prefix + "-dense.npy"))
            sparse.append(_csr_load(prefix))
        else:
            pos.append(at[rows])
            dense.append(np.load(prefix + "-dense.npy", mmap_mode="r")[rows])
            sparse.append(_csr_rows(_csr_load(prefix, mmap_mode="r"), rows))
    return np.concatenate(pos), np.concatenate(dense), _csr_concat(sparse)


def _tr_load_plan(work):
    """(sample flags per document, plan (L, L)); empty arrays where the matcher does not plan."""
    return np.load(os.path.join(work, "sample.npy")), np.load(os.path.join(work, "plan.npy"))


def _tr_save_candidates(prefix, found):
    for j, name in enumerate(("query", "other", "sim")):
        arrays = [f[j] for f in found]
        _save("%s-%s.npy" % (prefix, name), np.concatenate(arrays) if arrays else
              np.zeros(0, np.float32 if name == "sim" else np.int64))


def _tr_load_candidates(prefix):
    return tuple(np.load("%s-%s.npy" % (prefix, name)) for name in ("query", "other", "sim"))


def _tr_shard_task(t, cfg, work, p, langs, step):
    """Shard t searched by the documents of the other languages that `step` gives it: "sample" (4a)
    the sample; "planned" (4c) the documents of the languages planned with it, but the sample in
    the first pass (its candidates, found in 4a, joined in). One search of every query."""
    _on_worker()
    parts = len(cfg["bases"]) - 1
    shard = _tr_rows(work, p, parts, t)
    sampled, plan = _tr_load_plan(work)
    if step == "sample":
        keep = lambda at: sampled[at] != 0  # noqa: E731
    elif p == 1 and len(sampled):
        keep = lambda at: sampled[at] == 0  # noqa: E731
    else:
        keep = None
    queries, values = [], []
    for u in range(len(langs)):  # the queries: the other languages' documents the step selects
        if u == t or (step == "planned" and len(plan) and not plan[u, t]):
            continue
        queries.append(_tr_rows(work, p, parts, u, keep))
        # Each query carries its pair's plan value (2: searched for few, low_affinity_k); the
        # sample searches every shard for k.
        values.append(np.full(len(queries[-1][0]), plan[u, t] if step == "planned" and len(plan) else 1, np.uint8))
    n = sum(len(q[0]) for q in queries)
    found, index = [], ""
    if n and len(shard[0]):
        q = (np.concatenate([q[0] for q in queries]), np.concatenate([q[1] for q in queries]),
             _csr_concat([q[2] for q in queries]))
        r = _tr.shard_search(langs[t], shard[0], shard[1], shard[2], q[0], q[1], q[2], cfg["matcher"], cfg["index"],
                             np.concatenate(values))
        found.append((r["query"], r["other"], r["sim"]))
        index = r["index"]
    if step == "planned" and p == 1 and len(sampled):
        found.insert(0, _tr_load_candidates(os.path.join(work, "sample-%03d" % t)))
    _tr_save_candidates(os.path.join(work, ("sample-%03d" if step == "sample" else "cand%d-%%03d" % p) % t), found)
    return {"index": index, "searches": n}


def _tr_stage_plan(client, cfg, work, langs, match_langs):
    """Stages 4a and 4b (first pass): the sample (sample.npy, library) searched in every shard, the
    plan from its candidates (plan.npy, library); both empty where the matcher does not plan."""
    info = _done(work, "plan")
    if info is None:
        sampled = _tr.search_sample(match_langs, cfg["matcher"])
        _save(os.path.join(work, "sample.npy"), sampled)
        _save(os.path.join(work, "plan.npy"), np.zeros(0, np.uint8))
        searches = 0
        if len(sampled):
            out = client.gather(client.map(_tr_shard_task, range(len(langs)), cfg=cfg, work=work, p=1, langs=langs,
                                           step="sample", pure=False))
            searches = sum(o["searches"] for o in out)
            parts = len(cfg["bases"]) - 1
            lengths = np.concatenate([np.load(os.path.join(work, "lengths1-%05d.npy" % k)) for k in range(parts)])
            shards = [dict(zip(("query", "other", "sim"), _tr_load_candidates(os.path.join(work, "sample-%03d" % t))),
                           lang=lang) for t, lang in enumerate(langs)]
            _save(os.path.join(work, "plan.npy"), _tr.search_plan(match_langs, lengths, shards, cfg["matcher"]))
        plan = np.load(os.path.join(work, "plan.npy"))
        info = {"sampled": int(np.count_nonzero(sampled)), "searches": searches,
                "pairs": int(np.count_nonzero(plan)) // 2 if len(plan) else len(langs) * (len(langs) - 1) // 2}
        _mark(work, "plan", info)
    return info


def _tr_stage_candidates(client, cfg, work, p, langs):
    info = _done(work, "candidates%d" % p)
    if info is None:
        out = client.gather(client.map(_tr_shard_task, range(len(langs)), cfg=cfg, work=work, p=p, langs=langs,
                                       step="planned", pure=False))
        info = {"vector_index": next((x["index"] for x in out if x["index"]), ""),
                "searches": sum(o["searches"] for o in out)}
        _mark(work, "candidates%d" % p, info)
    return info


def _links_array(d):
    out = np.zeros(len(d["a"]), _LINK_DTYPE)
    for name in _LINK_DTYPE.names:
        out[name] = d[name]
    return out


def _links_dict(a):
    return {name: np.ascontiguousarray(a[name]) for name in _LINK_DTYPE.names}


def _tr_stage_link(cfg, work, p, langs, meta):
    info = _done(work, "link%d" % p)
    if info is None:
        parts = len(cfg["bases"]) - 1
        lengths = np.concatenate([np.load(os.path.join(work, "lengths%d-%05d.npy" % (p, k))) for k in range(parts)])
        sparse = _csr_concat([_csr_load(os.path.join(work, "sparse%d-%05d" % (p, k))) for k in range(parts)])
        shards = []
        for t, lang in enumerate(langs):
            prefix = os.path.join(work, "cand%d-%03d" % (p, t))
            shards.append({"lang": lang, "query": np.load(prefix + "-query.npy"),
                           "other": np.load(prefix + "-other.npy"), "sim": np.load(prefix + "-sim.npy")})
        _, plan = _tr_load_plan(work)  # both passes: the first pass's plan, as the tool's table keeps it
        links = _tr.link(meta["match_langs"], lengths, meta["urls"], sparse, shards, cfg["matcher"], plan)
        _save(os.path.join(work, "links%d.npy" % p), _links_array(links))
        info = {"links": int(len(links["a"]))}
        _mark(work, "link%d" % p, info)
    return info


def _tr_stage_learn(cfg, work, meta):
    info = _done(work, "learn")
    if info is None:
        parts = len(cfg["bases"]) - 1
        counts = _csr_concat([_csr_load(os.path.join(work, "counts1-%05d" % k)) for k in range(parts)])
        first = _links_dict(np.load(os.path.join(work, "links1.npy")))
        size, rewritten = _tr.learn(counts, meta["match_langs"], first, cfg["associations"])
        if size:
            for k, part in enumerate(_csr_split(rewritten, cfg["bases"])):
                _csr_save(os.path.join(work, "counts2-%05d" % k), part)
                ids, n, _ = _tr.frequencies(part)
                _save(os.path.join(work, "df2-%05d.npy" % k), np.stack([ids, n.astype(np.uint64)], axis=1))
        info = {"associations": int(size)}
        _mark(work, "learn", info)
    return info


def _tr_records_task(c, chunk, cfg, work):
    """Records of the final pairs of chunk c (pairs-<c>.npy beside its ids) as JSONL lines."""
    _on_worker()
    pairs = chunk["pairs"]
    texts = None
    if cfg["align"]:
        by_part = {}
        for pos in set(chunk["pos_a"]) | set(chunk["pos_b"]):
            k = int(np.searchsorted(cfg["bases"], pos, side="right") - 1)
            by_part.setdefault(k, []).append(pos)
        text_of = {}
        for k, positions in by_part.items():
            with open(os.path.join(work, "texts-%05d.json" % k), encoding="utf-8") as f:
                part = json.load(f)
            for pos in positions:
                text_of[pos] = part[pos - cfg["bases"][k]]
        texts = [(text_of[a], text_of[b]) for a, b in zip(chunk["pos_a"], chunk["pos_b"])]
    lines, aligner = _tr.records(pairs, chunk["meta"], texts, cfg["units"], cfg["models"])
    _write_text(os.path.join(work, "records-%05d.jsonl" % c), "".join(line + "\n" for line in lines))
    return aligner


def _tr_stage_finish(client, cfg, work, meta, learned, specs, out, chunk_size=2000):
    """The final pairs (library), their records written by chunks on the workers (aligned there),
    joined with the summary record into `out`."""
    first = _links_dict(np.load(os.path.join(work, "links1.npy")))
    second = _links_dict(np.load(os.path.join(work, "links2.npy"))) if learned else None
    pairs = _tr.finish(first, second, meta["doc_ids"], meta["langs"], cfg["matcher"], cfg["associations"])
    index = {doc_id: i for i, doc_id in enumerate(meta["doc_ids"])}
    n = len(pairs["id_a"])
    chunks = []
    for c0 in range(0, n, chunk_size):
        sl = slice(c0, min(n, c0 + chunk_size))
        pos_a = [index[i] for i in pairs["id_a"][sl]]
        pos_b = [index[i] for i in pairs["id_b"][sl]]
        m = [(meta["urls"][a], meta["titles"][a], meta["dates"][a], meta["urls"][b], meta["titles"][b],
              meta["dates"][b]) for a, b in zip(pos_a, pos_b)]
        part = {k: (v[sl] if isinstance(v, list) else np.ascontiguousarray(v[sl])) for k, v in pairs.items()}
        chunks.append({"pairs": part, "pos_a": pos_a, "pos_b": pos_b, "meta": m})
    aligners = client.gather(client.map(_tr_records_task, range(len(chunks)), chunks, cfg=cfg, work=work, pure=False))
    counts = np.bincount(pairs["label"], minlength=3).tolist()
    if cfg["align"]:
        specs = dict(specs, aligner=next((a for a in aligners if a), "") or _tr.records(
            {k: v[:0] for k, v in pairs.items()}, [], [], cfg["units"], cfg["models"])[1], units=cfg["units"])
    record = {"type": "summary", "documents": len(meta["doc_ids"]), "translation": counts[0], "partial": counts[1],
              "same_story": counts[2], "associations": learned, "specs": specs}
    tmp = "%s.tmp-%d" % (out, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        for c in range(len(chunks)):
            with open(os.path.join(work, "records-%05d.jsonl" % c), encoding="utf-8") as r:
                shutil.copyfileobj(r, f)
        f.write(_record(record) + "\n")
    os.replace(tmp, out)
    return record


def translations(documents: Any, work_dir: str, *, client: Any = None, matcher: str = "",
                 associations: str = "", same_story: Optional[bool] = None, embedder: str = "",
                 index: str = "auto", align: bool = True, units: str = "lines", models: str = "",
                 max_bytes: int = 0, part_mb: int = 64, threads: int = 0,
                 out: Optional[str] = None) -> Dict[str, Any]:
    """Cross-language versions among `documents`, as `doppel translations --format jsonl` gives
    them on a store that `doppel index` made of the same documents.

    documents: as near_duplicates() (a list of files and folders, read as `doppel index` reads
    them, or a dask bag or dataframe of dicts with id, text and optionally lang, url, title, date).
    matcher, associations ("none": one pass), same_story (False: `--no-same-story`) as the
    command's specs; embedder: the bridge spec (`doppel index`'s default when ""); index: the
    FAISS factory of each language's shard ("auto": exact up to its limit); align False as
    `--no-align`, units as `--units`; models: the models
    folder (bridge.lex, lid.176.ftz; found as the tool finds it when ""); threads: library
    threads per task (0: the worker's). Writes the records to `out` (default
    WORK_DIR/result.jsonl) and returns a dict: summary (a line), record (the summary record),
    errors (records skipped), seconds (per stage), out, searches ({pass: searches of a document in
    a shard}: the search plan's work, Matcher::search_sample). Resumes after the last finished stage of
    an earlier run in work_dir with the same input and options. Ids are taken as unique (a store
    keeps the last record of an id).
    """
    t0 = time.time()
    client = _client(client)
    os.makedirs(work_dir, exist_ok=True)
    plan = _tr.plan(matcher, associations, same_story)
    cfg = {"matcher": plan["matcher"], "associations": plan["associations"], "embedder": embedder,
           "index": index, "align": bool(align), "units": units, "models": models, "id_from_path": False, "max_bytes": int(max_bytes),
           "threads": int(threads)}
    manifest = {"fingerprint": _fingerprint(documents, dict(cfg, job="translations"), part_mb)}
    _, seconds, lap = _start(work_dir, manifest)
    _mark(work_dir, "start", manifest)

    parts = _input_parts(documents, work_dir, client, part_mb)
    lap("input")
    ft = _tr_stage_features(client, parts, cfg, work_dir)
    cfg["bases"] = ft["bases"]
    documents_n = ft["bases"][-1]
    meta = _tr_load_docs(work_dir, len(parts))
    lap("features")
    meta["match_langs"] = _tr_stage_relatives(work_dir, meta["match_langs"], plan["minor_share"])
    langs = sorted(set(meta["match_langs"]))
    passes, learned, specs, searches = [1], 0, {}, {}
    if plan["learn"]:
        passes.append(2)
    for p in passes:
        if p == 2:
            learned = _tr_stage_learn(cfg, work_dir, meta)["associations"]
            lap("learn")
            if not learned:
                break
        _tr_stage_frequencies(len(parts), work_dir, p)
        wg = _tr_stage_weigh(client, cfg, work_dir, p, documents_n, langs, meta["match_langs"])
        lap("weigh%d" % p)
        if p == 1:
            pl = _tr_stage_plan(client, cfg, work_dir, langs, meta["match_langs"])
            lap("plan")
        cd = _tr_stage_candidates(client, cfg, work_dir, p, langs)
        searches[p] = cd.get("searches", 0) + (pl["searches"] if p == 1 else 0)
        lap("candidates%d" % p)
        _tr_stage_link(cfg, work_dir, p, langs, meta)
        lap("link%d" % p)
        specs = {"matcher": plan["matcher"], "associations": plan["associations"], "embedder": wg["embedder"],
                 "vector_index": cd["vector_index"]}
    out = out or os.path.join(work_dir, "result.jsonl")
    record = _tr_stage_finish(client, cfg, work_dir, meta, learned, specs, out)
    lap("finish")
    secs = time.time() - t0
    summary = ("%d documents, %d translation, %d partial, %d same-story pairs, %d languages, %d associations; "
               "%d of %d language pairs searched, %s searches; %.0f docs/s; %d parts (%s)"
               % (record["documents"], record["translation"], record["partial"], record["same_story"], len(langs),
                  learned, pl["pairs"], len(langs) * (len(langs) - 1) // 2, "+".join(map(str, searches.values())),
                  record["documents"] / secs if secs > 0 else 0, len(parts),
                  ", ".join("%s %.1f s" % kv for kv in seconds.items())))
    if ft["errors"]:
        summary += ", %d skipped" % len(ft["errors"])
    return {"summary": summary, "record": record, "errors": ft["errors"], "seconds": seconds, "out": out,
            "searches": searches}
