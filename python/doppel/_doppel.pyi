"""Type hints and documentation of doppel's compiled module (re-exported by ``doppel``)."""

from typing import Any, Iterable, Mapping, Optional, Sequence, TypedDict, Union

import numpy as np
import numpy.typing as npt

__version__: str

Document = Union[str, Mapping[str, str]]
"""A document from Python: a str (its id is its position in the call: "0", "1", ...), or a dict
with "id" and "text" (or "html"), and optionally "url", "lang", "title", "date", "source"."""

Bead = tuple[tuple[int, ...], tuple[int, ...], float]
"""0-based units of text A, units of text B (either may be empty), score in [0, 1]."""

class Error(RuntimeError):
    """An error of the doppel library, with its message.

    code: the kind of failure, one of error_code_names() ("invalid-argument", "bad-spec",
    "not-found", "io", "bad-format", "version", "store", "model-mismatch", "icu", "internal").
    file, line: where in doppel's sources it was raised.
    """

    code: str
    file: str
    line: int

class IndexSummary(TypedDict):
    read: int  # documents read
    added: int
    replaced: int  # stored before with another text
    unchanged: int  # stored before with the same text
    relabeled: int  # stored documents whose language the settling at the end changed
    skipped: int  # records not used (len(errors))
    errors: list[str]  # "PATH:LINE: reason" ("<python>:N: reason" for add())
    warnings: list[str]  # e.g. no bridge.lex: no embeddings
    stored: int  # documents in the store afterwards
    seconds: dict[str, float]  # time per step

def error_code_names() -> list[str]:
    """The names an Error's .code can take."""

def models_dir(given: str = "") -> str:
    """The model folder (lid.176.ftz, bridge.lex), found as the command-line tool finds it:
    `given`, else $DOPPEL_MODELS, else models/ above the program or the doppel library, else the
    source tree's models/, else "models"."""

class Store:
    """A doppel store: a folder holding documents, their sketches and embeddings.

    Thread safety: one Store may be shared by threads (a ThreadPoolExecutor, a web server's
    workers): its calls are serialized (each waits for the running one, without holding the GIL,
    which every call releases while it works), so they give the answers of the same calls made
    one after the other. close() waits for a running call. For parallelism open one Store per
    thread (on the same folder or not): readers (list, get, check, dedup, translations, report)
    then run at once; writers (index, add, delete, expire) take the folder's write lock in turn,
    across threads and processes. One exception on one folder: two dedup(new=True) calls at once
    may both report (and record) the same new documents: run those from one Store or one thread
    at a time (two translations(incremental=True) calls at once are safe: the last state saved is
    kept whole). The
    documents given to add() may be a generator that reads the same store; a write there (index,
    add, delete, expire, close) raises Error "invalid-argument" (it would wait for add()'s own
    write lock).
    """

    dir: str
    models_dir: str
    purpose: str

    def __init__(self, dir: str, *, create: bool = True, read_only: bool = False, models: str = "",
                 purpose: str = "", langid: str = "") -> None:
        """Opens the store in `dir`, created when missing (unless create=False: Error "not-found").
        `models` is the model folder (default: models_dir()). `purpose` as `doppel index --for`:
        "all" (translations too), "duplicates" (no language ID, no embeddings, no model loaded) or
        "" for the one the store recorded (else "all"); another than the recorded one raises Error
        "invalid-argument". `langid` as `doppel index --langid`: the language-ID spec ("" for the
        defaults; a bad one raises Error "bad-spec")."""
    def __len__(self) -> int:
        """The number of stored documents."""
    def close(self) -> None:
        """Closes the store (its database); later calls raise Error "invalid-argument"."""
    def __enter__(self) -> "Store": ...
    def __exit__(self, *exc: object) -> None:
        """Closes the store: `with doppel.Store(dir) as store: ...`."""
    def index(self, paths: Sequence[str], batch: int = 256, now: int = 0,
              dedup_thresholds: Sequence[float] = ()) -> IndexSummary:
        """Adds the documents of files and folders, as `doppel index` (same ids: a file's path
        relative to its folder argument without the extension, a JSONL record's "id"). `now`:
        the time recorded as added (seconds since the epoch; 0 for now). `dedup_thresholds`: as
        `doppel index --dedup-thresholds`, near-duplicate thresholds under 0.8 whose LSH bands the
        store keeps on disk too (kept by later runs; an empty `paths` only adds them)."""
    def add(self, documents: Iterable[Document], batch: int = 256, now: int = 0,
            max_bytes: int = 16777216) -> IndexSummary:
        """Adds documents given from Python through the same indexer as index(), checked and
        with line ends made "\n" as JSONL records are; a bad record (no id, blank or binary
        text) is skipped and reported in "errors" as "<python>:N: reason" (N from 1). All the
        documents of one call are one source for boilerplate detection, as one JSONL file. str
        documents get the ids "0", "1", ... by position in this call: give dicts with ids to add
        in several calls."""
    def list(self, with_text: bool = False) -> list[dict[str, Any]]:
        """The stored documents in arrival order: id, language, language_confidence, paragraphs,
        other_languages, source, content_hash, added_at, url, title, date (and text)."""
    def get(self, id: str, with_text: bool = True) -> dict[str, Any] | None:
        """One stored document as list() gives it, or None."""
    def delete(self, ids: Sequence[str]) -> int:
        """Deletes documents (and their sketches); returns how many were stored."""
    def expire(self, older_than_seconds: int, now: int = 0) -> list[str]:
        """Deletes the documents added more than older_than_seconds before `now` (0: the current
        time); returns their ids."""
    def dedup(self, threshold: float = 0.8, *, recall: float = 0.99, boilerplate: bool = True,
              exact: bool = False, threads: int = 0, clusters: bool = False) -> Any:
        """Near-duplicate pairs [(id_a, id_b, similarity)], id_a < id_b, similarity the exact
        Jaccard of the shingle sets as `doppel dedup --store` prints it (6 decimals), in its
        order. clusters=True: {"pairs": [...], "clusters": [(representative, [(id, similarity)])],
        "candidates": int, "spec": str}."""
    def check(self, documents: Iterable[Document], threshold: float = 0.8, *,
              recall: float = 0.99) -> list[tuple[str, str, str | None, float | None]]:
        """For each document, without storing it, as `doppel check`: (id, status, match_id,
        similarity), status "new", "exact" or "near"; match_id and similarity None for "new".
        Documents are checked as add() checks them; a bad one raises Error "invalid-argument"."""
    def translations(self, *, mode: str = "", same_story: bool = True, learn: bool = True, matcher: str = "",
                     associations: str = "", embedder: str = "") -> list[tuple[str, str, float, str]]:
        """Cross-language pairs [(id_a, id_b, score, label)] as `doppel translations` TSV (score
        with 4 decimals; label "translation", "partial" or "same-story"). The options are the
        tool's: mode "one-to-one" or "one-to-many", same_story=False as --no-same-story,
        learn=False as --no-learn, matcher/associations/embedder specs."""
    def report(self, html_path: str, *, threshold: float = 0.8, units: str = "lines", max_pairs: int = 200,
               title: str = "doppel report", align_same_story: bool = False,
               max_rows: int = 10000) -> dict[str, Any]:
        """Writes the self-contained HTML report of `doppel report`; returns its counts
        (documents, duplicates, translations) and warnings. max_rows as --max-rows: rows each
        list shows at most (0: all); the summary counts everything."""

def normalize(texts: str | Sequence[str]) -> Any:
    """A text (or each of a list) as doppel normalizes it: NFKC case folding, ASCII digits,
    Arabic letter forms, collapsed spaces."""

def shingle_hashes(texts: str | Sequence[str], spec: str = "word:n=3") -> Any:
    """The sorted unique 64-bit shingle hashes (uint64 array) of a text, or a list of arrays for
    a list of texts. spec: "word:n=3,char_n=5,min_words=10" or "char:n=5"."""

def minhash(items: Sequence[str] | Sequence[npt.ArrayLike], shingles: str = "word:n=3",
            spec: str = "minhash:perms=128,seed=1") -> npt.NDArray[np.uint32]:
    """MinHash signatures, shape (n, perms) uint32, of texts (shingled with `shingles`) or of
    uint64 shingle hash arrays. An empty set's signature is all 0xFFFFFFFF."""

def lsh_params(threshold: float = 0.8, perms: int = 128, recall: float = 0.99) -> tuple[int, int]:
    """(bands, rows) doppel chooses for a Jaccard threshold and a recall target at it."""

def lsh_band_keys(signatures: npt.ArrayLike, bands: int, rows: int) -> npt.NDArray[np.uint64]:
    """Bucket keys, shape (n, bands) uint64: two documents with an equal key in a column are a
    candidate pair (doppel's own band hash)."""

def jaccard(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """Exact Jaccard similarity |A ∩ B| / |A ∪ B| of two shingle hash sets (0 when both empty)."""

def containment(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """|A ∩ B| / min(|A|, |B|) of two shingle hash sets (0 when one is empty)."""

def language(texts: str | Sequence[str], models: str = "") -> Any:
    """(language, confidence) of a text, or a list of them: the ISO 639-1 code where one exists
    ("" when nothing to identify) and fastText's probability."""

def align(text_a: str, text_b: str, units: str = "lines", *, lang_a: str = "", lang_b: str = "",
          spec: str = "", models: str = "") -> list[Bead]:
    """Aligns two texts unit by unit, as `doppel align --format beads`: units "lines" (each
    non-blank line), "sentences" or "paragraphs"; languages identified unless given; scores with
    4 decimals; beads in document order."""

class Bridge:
    """The bridge embedder (doppel's language-neutral representation of texts): features such
    as English concepts reached through the bridge lexicon, name keys, numbers and URLs, each a
    64-bit hash. Without document frequencies the weights use idf 1. Calls from several threads
    take turns (the embedder is not safe for concurrent use); the GIL is released meanwhile."""

    dim: int
    spec: str

    def __init__(self, spec: str = "bridge", models: str = "") -> None:
        """Loads models/bridge.lex (Error "not-found" when it is missing); spec as
        "bridge:dim=2048,name=0.2"."""
    def sparse(self, texts: Sequence[str], langs: Sequence[str] | None = None,
               weighted: bool = True) -> tuple[Any, npt.NDArray[np.uint64]]:
        """(scipy.sparse.csr_matrix (n, m) float32, feature ids (m,) uint64): row i holds text
        i's features, column j is the feature ids[j]; raw counts, or (weighted) TF weights
        L2-normalized. Languages identified unless given."""
    def dense(self, texts: Sequence[str], langs: Sequence[str] | None = None) -> npt.NDArray[np.float32]:
        """(n, dim) float32 unit vectors, the dense form FAISS searches (signed feature hashing
        of the weighted features): the inner product of two rows is their cosine."""

class Documents:
    """Documents read or converted for the dedup stages, held in C++ (not picklable)."""

    errors: list[str]
    def __len__(self) -> int: ...

class _DedupStages:
    """`doppel dedup` in stages over parts of the input (include/doppel/ops/dedup_stages.h), as
    numpy arrays: what doppel.dask runs in its tasks. Every rule is the library's."""

    Documents: type[Documents]

    def plan(self, spec: str = "", threshold: float = 0.8, recall: float = 0.99, boilerplate: bool = True,
             threads: int = 0) -> dict[str, Any]:
        """{spec, bands, rows, boilerplate}: the finder's full spec as `doppel dedup --format jsonl`
        (or `--spec SPEC`) runs; Error for exact mode or a bad spec."""
    def read_paths(self, paths: Sequence[str], id_from_path: bool = False, max_bytes: int = 0) -> Documents:
        """The documents of files and folders, as `doppel dedup PATH...` reads them."""
    def from_records(self, records: list[dict[str, Any]], name: str = "<dask>", max_bytes: int = 0) -> Documents:
        """Documents from dicts (id, text; url, source, lang, title, date optional), checked as the
        reader checks them."""
    def count_lines(self, documents: Documents, spec: str, threads: int = 0) -> dict[str, npt.NDArray[Any]]:
        """Stage 1: {source, line, docs, sources, source_docs}: (source, line) keys with their
        document counts, and the documents of each source."""
    def merge_counts(self, parts: list[dict[str, npt.NDArray[Any]]]) -> dict[str, npt.NDArray[Any]]:
        """count_lines() results summed per key and per source."""
    def boilerplate(self, lines: dict[str, npt.NDArray[Any]], sources: dict[str, npt.NDArray[Any]],
                    spec: str) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
        """(source, line) boilerplate entries among `lines`, sources counted by `sources`."""
    def boilerplate_of(self, parts: list[npt.NDArray[np.uint64]], sources: dict[str, npt.NDArray[Any]],
                       spec: str) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
        """The same from (m, 3) rows (source, line, docs) of several parts."""
    def sketch(self, documents: Documents, spec: str, threads: int, bp_source: npt.ArrayLike,
               bp_line: npt.ArrayLike) -> dict[str, Any]:
        """Stage 2: {ids, repeated_lines, bytes, shingles, boilerplate_lines, set_hash, band_keys
        (n, bands), flat, offsets (n + 1)}: set i is flat[offsets[i]:offsets[i + 1]]."""
    def group(self, set_hash: npt.ArrayLike, set_size: npt.ArrayLike) -> tuple[npt.NDArray[np.uint32],
                                                                                npt.NDArray[np.uint64]]:
        """Stage 3: (group_of, joins): identical-set group of each document (0xFFFFFFFF for an
        empty set) and the joins (first << 32 | doc) to confirm on the sets."""
    def verify(self, pairs: npt.ArrayLike, numbers: npt.ArrayLike, offsets: npt.ArrayLike, flat: npt.ArrayLike,
               spec: str, threads: int = 0) -> dict[str, npt.NDArray[Any]]:
        """Stage 5: candidates (a << 32 | b) verified on the sets of documents `numbers` (sorted):
        {a, b, kind (0 exact, 1 near, 2 partial), jaccard, containment, common}."""
    def finish(self, rep_pairs: dict[str, npt.ArrayLike], group_of: npt.ArrayLike, set_size: npt.ArrayLike,
               bytes: npt.ArrayLike, ids: Sequence[str], repeated_lines: list[tuple[int, list[tuple[str, int]]]],
               candidates: int, boilerplate_lines: int, spec: str, out: str) -> dict[str, int]:
        """Stage 6: every pair and the non-chaining clusters as NearDuplicateFinder::finish() makes
        them, written to `out` as `doppel dedup --format jsonl` writes them (the same code):
        {documents, pairs, partial, clusters, bytes}."""

dedup_stages: _DedupStages

class _TranslationStages:
    """`doppel translations` in stages over parts of the input
    (include/doppel/ops/translation_stages.h), as numpy arrays: what doppel.dask.translations runs
    in its tasks. Every rule is the library's. Sparse vectors are dicts of CSR arrays {indptr
    (n + 1, uint64), ids (uint64), weights (float32)}; links are dicts of arrays {a, b (uint64
    positions), score, similarity, margin, anchors (float32), label (uint8: 0 translation,
    1 partial, 2 same-story), url_evidence (bool)}."""

    def plan(self, matcher: str = "", associations: str = "", same_story: Optional[bool] = None) -> dict[str, Any]:
        """{matcher, associations, learn, minor_share}: the full specs `doppel translations --matcher M
        --associations A` runs ("" = defaults, associations "none" = one pass); same_story False as
        `--no-same-story`; minor_share: its share for minor relatives (regroup). Error for a bad spec."""
    def regroup(self, match_langs: Sequence[str], minor_share: float) -> tuple[list[str], bool]:
        """Stage 1b: (the matching language of every document, minor relatives matched as their
        family's main language; whether any changed), as `doppel translations` regroups its store."""
    def featurize(self, documents: Documents, embedder: str = "", models: str = "",
                  threads: int = 0) -> dict[str, Any]:
        """Stage 1: language ID, analysis and raw bridge feature counts of the documents (consumed),
        as `doppel index` stores them: the CSR arrays and doc_ids, langs, match_langs, urls,
        titles, dates (lists)."""
    def frequencies(self, counts: dict[str, npt.ArrayLike]) -> tuple[npt.NDArray[np.uint64],
                                                                     npt.NDArray[np.uint32], int]:
        """Stage 2: (feature ids, document counts, documents) of raw counts."""
    def weigh(self, counts: dict[str, npt.ArrayLike], df_ids: npt.ArrayLike, df_counts: npt.ArrayLike,
              documents: int, embedder: str = "", models: str = "") -> dict[str, Any]:
        """Stage 3: weighted sparse vectors (CSR arrays), dense (n, dim) float32, lengths and the
        embedder's spec, with the document frequencies of the whole input."""
    def shard_search(self, lang: str, shard_pos: npt.ArrayLike, shard_dense: npt.ArrayLike,
                     shard_sparse: dict[str, npt.ArrayLike], query_pos: npt.ArrayLike, query_dense: npt.ArrayLike,
                     query_sparse: dict[str, npt.ArrayLike], matcher: str, factory: str = "auto",
                     query_plan: Optional[npt.ArrayLike] = None) -> dict[str, Any]:
        """Stage 4: an index of one language's documents (positions shard_pos) searched by the
        queries: {query, other, sim} (the k candidates of each query, best first, exact
        similarities) and index (the index's description). query_plan (uint8 per query, None: 1
        each): the search plan's value for the query's language searching this one; where it is
        2 (searched for few) the query keeps the low_affinity_k most similar of its k."""
    def search_sample(self, match_langs: Sequence[str], matcher: str) -> npt.NDArray[np.uint8]:
        """Stage 4a: per document (its matching language), 1 when it is in the search plan's
        sample, searched in every other language (Matcher::search_sample); empty when the
        documents get no plan (every document searches every other language)."""
    def search_plan(self, match_langs: Sequence[str], lengths: npt.ArrayLike, shards: list[dict[str, Any]],
                    matcher: str) -> npt.NDArray[np.uint8]:
        """Stage 4b: the search plan (Matcher::search_plan) from the sample's candidates in every
        shard ({lang, query, other, sim}): (L, L), [source, target] over the sorted matching
        languages, 1 where the documents of source search target, 2 where they search it for few
        candidates (low_affinity_k); empty when no plan."""
    def link(self, match_langs: Sequence[str], lengths: npt.ArrayLike, urls: Sequence[str],
             sparse: dict[str, npt.ArrayLike], shards: list[dict[str, Any]], matcher: str,
             plan: Optional[npt.ArrayLike] = None) -> dict[str, Any]:
        """Stage 5: the library's Matcher::link (margins, one-to-one, pivots) over every shard's
        candidates ({lang, query, other, sim}), searched as `plan` (search_plan's; None or empty:
        no plan) gave them (margins of the pairs searched for few are scaled): the links."""
    def learn(self, counts: dict[str, npt.ArrayLike], match_langs: Sequence[str], first: dict[str, Any],
              associations: str) -> tuple[int, dict[str, npt.NDArray[Any]]]:
        """Stage 6: (associations learned from the first pass's confident links, every document's
        raw counts rewritten with them)."""
    def finish(self, first: dict[str, Any], second: Optional[dict[str, Any]], ids: Sequence[str],
               langs: Sequence[str], matcher: str, associations: str) -> dict[str, Any]:
        """Stage 7: the final links (the second pass's rule applied when `second` is given,
        same-story links limited) as pairs with id_a < id_b, sorted: the link arrays and id_a,
        id_b, lang_a, lang_b."""

translation_stages: _TranslationStages
