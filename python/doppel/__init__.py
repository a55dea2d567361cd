"""doppel from Python: near-duplicates and cross-language versions of documents.

The compiled module ``doppel._doppel`` binds doppel's operations layer (the calls the ``doppel``
command-line tool makes), so a Store gives the same answers as the tool on the same store:

    import doppel
    store = doppel.Store("store")              # created when missing
    store.index(["news/"])                     # as `doppel index`; a summary dict
    store.add([{"id": "a", "text": "..."}])    # documents from Python
    store.dedup(threshold=0.8)                 # [(id_a, id_b, similarity)] as `doppel dedup` TSV
    store.translations()                       # [(id_a, id_b, score, label)]
    doppel.align(text_a, text_b, units="lines")  # [((i, ...), (j, ...), score)]

Batch primitives over numpy arrays (normalize, shingle_hashes, minhash, lsh_band_keys, jaccard,
containment, language) build custom pipelines from the same components. Errors raise
doppel.Error (a RuntimeError) with .code, the library's ErrorCode name.

With pandas installed, the *_frame() helpers give the results as DataFrames.

doppel.dask (import it: it needs dask.distributed) runs `doppel dedup` and `doppel translations`
on a Dask cluster: doppel.dask.near_duplicates(paths_or_bag, work_dir, client=...) writes the
records of `doppel dedup --format jsonl`, doppel.dask.translations(...) those of `doppel
translations --format jsonl --no-align` (on a store indexed from the same documents), stage by
stage, resumable.
"""

from ._doppel import (  # noqa: F401
    Bridge,
    Error,
    Store,
    __version__,
    align,
    containment,
    error_code_names,
    jaccard,
    language,
    lsh_band_keys,
    lsh_params,
    minhash,
    models_dir,
    normalize,
    shingle_hashes,
)

__all__ = [
    "Bridge", "Error", "Store", "align", "containment", "error_code_names", "jaccard", "language",
    "lsh_band_keys", "lsh_params", "minhash", "models_dir", "normalize", "shingle_hashes",
]

try:
    import pandas as _pd
except ImportError:  # pandas is optional: the helpers below need it
    _pd = None

if _pd is not None:

    def dedup_frame(store, threshold=0.8, **options):
        """store.dedup() as a DataFrame with columns id_a, id_b, similarity."""
        return _pd.DataFrame(store.dedup(threshold, **options), columns=["id_a", "id_b", "similarity"])

    def translations_frame(store, **options):
        """store.translations() as a DataFrame with columns id_a, id_b, score, label."""
        return _pd.DataFrame(store.translations(**options), columns=["id_a", "id_b", "score", "label"])

    def check_frame(store, documents, threshold=0.8, **options):
        """store.check() as a DataFrame with columns id, status, match_id, similarity."""
        return _pd.DataFrame(store.check(documents, threshold, **options),
                             columns=["id", "status", "match_id", "similarity"])

    def list_frame(store, with_text=False):
        """store.list() as a DataFrame, one row per stored document."""
        return _pd.DataFrame(store.list(with_text))

    def align_frame(text_a, text_b, units="lines", **options):
        """align() as a DataFrame with columns a (tuple of units), b, score."""
        return _pd.DataFrame(align(text_a, text_b, units, **options), columns=["a", "b", "score"])

    __all__ += ["dedup_frame", "translations_frame", "check_frame", "list_frame", "align_frame"]
