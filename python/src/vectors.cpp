// doppel.Bridge: the bridge embedder (embed/bridge_embedder.h), doppel's language-neutral
// representation, as scipy CSR sparse vectors (exact features) and dense numpy vectors (what
// FAISS searches). Without document frequencies the weights use idf 1, as for sentences.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "bindings.h"
#include "doppel/embed/bridge_embedder.h"
#include "doppel/error.h"
#include "doppel/langid/language_identifier.h"
#include "doppel/ops/alignment.h"
#include "doppel/ops/models.h"

namespace doppel::python {
namespace {

class PyBridge {
public:
    PyBridge(const std::string& spec, const std::string& models) : models_dir_(find_models_dir(models)) {
        EmbedderContext ctx;
        ctx.models_dir = models_dir_;
        embedder_ = std::make_unique<BridgeEmbedder>(BridgeEmbedder::parse_spec(spec), ctx);
    }

    std::size_t dim() const { return embedder_->dim(); }
    std::string describe() const { return embedder_->describe(); }

    // The languages of texts: those given, else identified as documents are.
    std::vector<std::string> languages(const std::vector<std::string>& texts,
                                       std::optional<std::vector<std::string>> langs) {
        if (langs) {
            DOPPEL_CHECK(kInvalidArgument, langs->size() == texts.size(), "give one language per text");
            return *langs;
        }
        if (!langid_) langid_ = load_language_identifier(models_dir_);
        std::vector<std::string> out(texts.size());
        for (std::size_t i = 0; i < texts.size() && langid_; ++i)
            out[i] = langid_->identify_document(texts[i]).lang;
        return out;
    }

    // Raw or weighted feature vectors, one per text.
    std::vector<SparseVector> features(const std::vector<std::string>& texts,
                                       const std::vector<std::string>& langs, bool weighted) {
        std::vector<SparseVector> out(texts.size());
        for (std::size_t i = 0; i < texts.size(); ++i) {
            out[i] = embedder_->features(texts[i], langs[i]);
            if (weighted) out[i] = embedder_->weigh(out[i]);
        }
        return out;
    }

    void dense(const std::vector<std::string>& texts, const std::vector<std::string>& langs, float* out) {
        std::vector<std::string_view> views(texts.begin(), texts.end());
        embedder_->embed_sentences(texts.size(), views.data(), langs.data(), out);
    }

    std::mutex mutex;  // the embedder is not safe for concurrent use

private:
    std::string models_dir_;
    std::unique_ptr<BridgeEmbedder> embedder_;
    std::unique_ptr<LanguageIdentifier> langid_;
};

// (csr_matrix (n, m) float32, feature ids (m,) uint64): column j is feature ids[j].
py::tuple to_csr(const std::vector<SparseVector>& vecs) {
    std::unordered_map<uint64_t, int32_t> column;
    std::vector<uint64_t> ids;
    std::vector<int32_t> indices, indptr{0};
    std::vector<float> data;
    for (const auto& v : vecs) {
        for (std::size_t k = 0; k < v.size(); ++k) {
            auto [it, added] = column.emplace(v.ids[k], static_cast<int32_t>(ids.size()));
            if (added) ids.push_back(v.ids[k]);
            indices.push_back(it->second);
            data.push_back(v.weights[k]);
        }
        indptr.push_back(static_cast<int32_t>(indices.size()));
    }
    py::object csr = py::module_::import("scipy.sparse").attr("csr_matrix");
    py::array_t<float> d(static_cast<py::ssize_t>(data.size()), data.data());
    py::array_t<int32_t> ind(static_cast<py::ssize_t>(indices.size()), indices.data());
    py::array_t<int32_t> ptr(static_cast<py::ssize_t>(indptr.size()), indptr.data());
    py::array_t<uint64_t> cols(static_cast<py::ssize_t>(ids.size()), ids.data());
    return py::make_tuple(
        csr(py::make_tuple(d, ind, ptr), py::arg("shape") = py::make_tuple(vecs.size(), ids.size())), cols);
}

py::tuple sparse(PyBridge& b, const std::vector<std::string>& texts,
                 std::optional<std::vector<std::string>> langs, bool weighted) {
    std::vector<SparseVector> vecs;
    {
        py::gil_scoped_release release;
        std::lock_guard<std::mutex> lock(b.mutex);
        vecs = b.features(texts, b.languages(texts, std::move(langs)), weighted);
    }
    return to_csr(vecs);
}

py::array_t<float> dense(PyBridge& b, const std::vector<std::string>& texts,
                         std::optional<std::vector<std::string>> langs) {
    py::array_t<float> out({texts.size(), b.dim()});
    float* p = out.mutable_data();
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(b.mutex);
    b.dense(texts, b.languages(texts, std::move(langs)), p);
    return out;
}

}  // namespace

void bind_vectors(py::module_& m) {
    py::class_<PyBridge> c(m, "Bridge", "The bridge embedder: language-neutral feature vectors of texts.");
    c.def(py::init<const std::string&, const std::string&>(), py::arg("spec") = "bridge",
          py::arg("models") = "", py::call_guard<py::gil_scoped_release>(),
          "Loads the bridge lexicon of the models folder.");
    c.def_property_readonly("dim", &PyBridge::dim);
    c.def_property_readonly("spec", &PyBridge::describe);
    c.def("sparse", &sparse, py::arg("texts"), py::arg("langs") = py::none(), py::arg("weighted") = true,
          "(scipy CSR (n, m) float32, feature ids (m,) uint64): the features of each text, raw counts or "
          "weighted and L2-normalized.");
    c.def("dense", &dense, py::arg("texts"), py::arg("langs") = py::none(),
          "(n, dim) float32 L2-normalized dense vectors, as doppel embeds sentences.");
}

}  // namespace doppel::python
