// doppel._doppel.translation_stages: `doppel translations` in stages over parts of the input
// (ops/translation_stages.h), as numpy arrays, for doppel.dask.translations. Every rule (analysis,
// features, weighting, candidates, margins, one-to-one, pivots, the second pass) is the
// library's; this file only converts. Sparse vectors travel as CSR arrays: indptr (n + 1,
// uint64), ids (uint64), weights (float32).
#include "doppel/ops/translation_stages.h"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>

#include "bindings.h"
#include "doppel/error.h"
#include "doppel/ops/alignment.h"
#include "doppel/ops/dedup_stages.h"
#include "doppel/ops/models.h"

namespace doppel::python {
template <class T>
using Array = py::array_t<T, py::array::c_style | py::array::forcecast>;

// Sparse vectors as CSR arrays {indptr, ids, weights} and back (translation_search.cpp too).
py::dict csr_arrays(const std::vector<SparseVector>& vecs) {
    std::size_t total = 0;
    for (const auto& v : vecs) total += v.size();
    Array<uint64_t> indptr(static_cast<py::ssize_t>(vecs.size() + 1)), ids(static_cast<py::ssize_t>(total));
    Array<float> weights(static_cast<py::ssize_t>(total));
    uint64_t* p = indptr.mutable_data();
    p[0] = 0;
    for (std::size_t i = 0; i < vecs.size(); ++i) {
        std::copy(vecs[i].ids.begin(), vecs[i].ids.end(), ids.mutable_data() + p[i]);
        std::copy(vecs[i].weights.begin(), vecs[i].weights.end(), weights.mutable_data() + p[i]);
        p[i + 1] = p[i] + vecs[i].size();
    }
    py::dict d;
    d["indptr"] = indptr;
    d["ids"] = ids;
    d["weights"] = weights;
    return d;
}

std::vector<SparseVector> csr_vectors(const py::dict& d) {
    const auto indptr = py::cast<Array<uint64_t>>(d["indptr"]);
    const auto ids = py::cast<Array<uint64_t>>(d["ids"]);
    const auto weights = py::cast<Array<float>>(d["weights"]);
    DOPPEL_CHECK(kInvalidArgument, indptr.size() >= 1 && ids.size() == weights.size() &&
                                       indptr.data()[indptr.size() - 1] == static_cast<uint64_t>(ids.size()),
                 "sparse vectors: indptr, ids and weights do not agree");
    std::vector<SparseVector> out(static_cast<std::size_t>(indptr.size() - 1));
    for (std::size_t i = 0; i < out.size(); ++i) {
        const uint64_t b = indptr.data()[i], e = indptr.data()[i + 1];
        out[i].ids.assign(ids.data() + b, ids.data() + e);
        out[i].weights.assign(weights.data() + b, weights.data() + e);
    }
    return out;
}

namespace {

template <class T>
Array<T> to_array(const std::vector<T>& v) {
    Array<T> a(static_cast<py::ssize_t>(v.size()));
    std::copy(v.begin(), v.end(), a.mutable_data());
    return a;
}

// One language identifier and one lexicon per models folder and spec in a process (a Dask
// worker runs many tasks): loaded once, shared read-only.
const LanguageIdentifier* language_identifier(const std::string& models) {
    static std::mutex mutex;
    static std::map<std::string, std::unique_ptr<LanguageIdentifier>> cache;
    std::lock_guard<std::mutex> lock(mutex);
    auto& slot = cache[models];
    if (!slot) slot = load_language_identifier(models);
    DOPPEL_CHECK(kNotFound, slot != nullptr, "no lid.176.ftz in " + models + ": languages cannot be identified");
    return slot.get();
}

std::unique_ptr<BridgeEmbedder> embedder_for(const std::string& spec, const std::string& models) {
    static std::mutex mutex;
    static std::map<std::pair<std::string, std::string>, std::shared_ptr<const BridgeLexicon>> cache;
    const BridgeEmbedderOptions options = BridgeEmbedder::parse_spec(translation_embedder_spec(spec));
    std::lock_guard<std::mutex> lock(mutex);
    auto& lexicon = cache[{options.lexicon, models}];
    if (!lexicon) lexicon = BridgeEmbedder(options, EmbedderContext{models}).lexicon_ptr();
    return std::make_unique<BridgeEmbedder>(options, lexicon);
}

py::dict featurize(DocumentBatch& batch, const std::string& spec, const std::string& models, std::size_t threads,
                   bool texts) {
    TranslationFeatures f;
    std::vector<std::string> kept;
    if (texts)
        for (const auto& d : batch.docs) kept.push_back(d.text);
    {
        py::gil_scoped_release release;
        const std::string dir = find_models_dir(models);
        f = featurize_documents(std::move(batch.docs), *language_identifier(dir), spec, dir, threads);
        batch.docs.clear();
    }
    py::dict d = csr_arrays(f.counts);
    d["doc_ids"] = f.ids;
    d["langs"] = f.langs;
    d["match_langs"] = f.match_langs;
    d["urls"] = f.urls;
    d["titles"] = f.titles;
    d["dates"] = f.dates;
    if (texts) d["texts"] = kept;
    return d;
}

// (feature ids, document counts, documents): DocumentFrequencies::add of every vector.
py::tuple frequencies(const py::dict& counts) {
    const std::vector<SparseVector> vecs = csr_vectors(counts);
    DocumentFrequencies df;
    {
        py::gil_scoped_release release;
        for (const auto& v : vecs) df.add(v);
    }
    const std::vector<std::pair<uint64_t, uint32_t>> items = df.sorted();
    Array<uint64_t> ids(static_cast<py::ssize_t>(items.size()));
    Array<uint32_t> n(static_cast<py::ssize_t>(items.size()));
    for (std::size_t k = 0; k < items.size(); ++k) ids.mutable_data()[k] = items[k].first, n.mutable_data()[k] = items[k].second;
    return py::make_tuple(ids, n, df.documents);
}

py::dict weigh(const py::dict& counts, const Array<uint64_t>& df_ids, const Array<uint32_t>& df_n, uint64_t documents,
               const std::string& spec, const std::string& models) {
    const std::vector<SparseVector> vecs = csr_vectors(counts);
    DOPPEL_CHECK(kInvalidArgument, df_ids.size() == df_n.size(), "frequencies: one count per feature id needed");
    auto df = std::make_shared<DocumentFrequencies>();
    for (py::ssize_t k = 0; k < df_ids.size(); ++k) df->set_count(df_ids.data()[k], df_n.data()[k]);
    df->documents = documents;
    std::unique_ptr<BridgeEmbedder> e = embedder_for(spec, find_models_dir(models));
    e->set_frequencies(df);
    const std::size_t n = vecs.size(), dim = e->dim();
    Array<float> dense({n, dim}), lengths(static_cast<py::ssize_t>(n));
    std::vector<SparseVector> sparse(n);
    {
        py::gil_scoped_release release;
        const StoredVectors none;
        for (std::size_t i = 0; i < n; ++i)
            lengths.mutable_data()[i] = weigh_for_matching(*e, vecs[i], none, 0, sparse[i], dense.mutable_data() + i * dim);
    }
    py::dict d = csr_arrays(sparse);
    d["dense"] = dense;
    d["lengths"] = lengths;
    d["embedder"] = e->describe();
    return d;
}

}  // namespace

void bind_translation_stages_search(py::module_& m);
void bind_translation_records(py::module_& m);

void bind_translation_stages(py::module_& parent) {
    py::module_ m = parent.def_submodule(
        "translation_stages",
        "`doppel translations` in stages over parts of the input (ops/translation_stages.h), for doppel.dask.");
    m.def("featurize", &featurize, py::arg("documents"), py::arg("embedder") = "", py::arg("models") = "",
          py::arg("threads") = 0,
          py::arg("texts") = false,
          "Stage 1: language ID, analysis and raw bridge feature counts of documents (consumed), as "
          "`doppel index` stores them: {indptr, ids, weights, doc_ids, langs, match_langs, urls, titles, dates} "
          "and with texts their texts.");
    m.def("frequencies", &frequencies, py::arg("counts"),
          "Stage 2: (feature ids, document counts, documents) of raw counts {indptr, ids, weights}.");
    m.def("weigh", &weigh, py::arg("counts"), py::arg("df_ids"), py::arg("df_counts"), py::arg("documents"),
          py::arg("embedder") = "", py::arg("models") = "",
          "Stage 3: the weighted sparse vectors {indptr, ids, weights}, dense (n, dim) and lengths the "
          "matcher takes, with the frequencies summed over every part.");
    m.def(
        "regroup",
        [](std::vector<std::string> match_langs, double minor_share) {
            bool changed = false;
            {
                py::gil_scoped_release release;
                changed = regroup_relatives(match_langs, minor_share);
            }
            return py::make_tuple(match_langs, changed);
        },
        py::arg("match_langs"), py::arg("minor_share"),
        "Stage 1b: (the matching languages of every document with minor relatives matched as their family's "
        "main language, whether any changed): regroup_relatives(), as `doppel translations` does.");
    bind_translation_stages_search(m);
    bind_translation_records(m);
}

}  // namespace doppel::python
