// doppel._doppel.translation_stages.records: the lines of `doppel translations --format jsonl` of
// final pairs (translation_stages.finish), built by the library's record code
// (src/ops/record_json.h), with the alignment of the translation and partial pairs when their
// texts are given (aligned as the tool aligns them: make_aligner's default spec, one batch).
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "bindings.h"
#include "doppel/error.h"
#include "doppel/ops/alignment.h"
#include "doppel/ops/models.h"
#include "ops/record_json.h"

namespace doppel::python {

template <class T>
using Array = py::array_t<T, py::array::c_style | py::array::forcecast>;

namespace {

const Aligner& aligner_for(const std::string& models) {
    static std::mutex mutex;
    static std::map<std::string, std::unique_ptr<Aligner>> cache;
    std::lock_guard<std::mutex> lock(mutex);
    auto& slot = cache[models];
    if (!slot) slot = make_aligner(models);
    return *slot;
}

using Strings = std::vector<std::string>;

// meta: per pair, the two documents' (url, title, date); texts: per pair the two texts, or none.
py::tuple records(const py::dict& pairs, const std::vector<std::array<std::string, 6>>& meta,
                  const std::optional<std::vector<std::pair<std::string, std::string>>>& texts,
                  const std::string& units, const std::string& models) {
    const auto id_a = py::cast<Strings>(pairs["id_a"]), id_b = py::cast<Strings>(pairs["id_b"]);
    const auto lang_a = py::cast<Strings>(pairs["lang_a"]), lang_b = py::cast<Strings>(pairs["lang_b"]);
    const auto score = py::cast<Array<float>>(pairs["score"]), sim = py::cast<Array<float>>(pairs["similarity"]);
    const auto margin = py::cast<Array<float>>(pairs["margin"]), anchors = py::cast<Array<float>>(pairs["anchors"]);
    const auto label = py::cast<Array<uint8_t>>(pairs["label"]);
    const auto url = py::cast<Array<bool>>(pairs["url_evidence"]);
    const std::size_t n = id_a.size();
    DOPPEL_CHECK(kInvalidArgument, meta.size() == n && (!texts || texts->size() == n) && label.size() == static_cast<py::ssize_t>(n),
                 "records: metadata (and texts) for every pair needed");
    std::vector<std::string> lines(n);
    std::string aligner_spec;
    {
        py::gil_scoped_release release;
        std::vector<AlignedPair> aligned(n);
        std::vector<std::size_t> todo;
        if (texts) {
            const std::string dir = find_models_dir(models);
            const Aligner& aligner = aligner_for(dir);
            aligner_spec = aligner.describe();
            UnitReader reader(parse_unit_kind(units));
            std::vector<AlignSide> a, b;
            for (std::size_t k = 0; k < n; ++k)
                if (label.data()[k] != static_cast<uint8_t>(LinkLabel::kSameStory)) {
                    aligned[k].a = reader.from_text(id_a[k], (*texts)[k].first, lang_a[k]);
                    aligned[k].b = reader.from_text(id_b[k], (*texts)[k].second, lang_b[k]);
                    todo.push_back(k);
                }
            for (std::size_t k : todo) a.push_back(aligned[k].a.side()), b.push_back(aligned[k].b.side());
            std::vector<Alignment> al(todo.size());
            aligner.align_batch(todo.size(), a.data(), b.data(), al.data());
            for (std::size_t j = 0; j < todo.size(); ++j) aligned[todo[j]].alignment = std::move(al[j]);
        }
        for (std::size_t k = 0; k < n; ++k) {
            const TranslationPair p{id_a[k], id_b[k], lang_a[k], lang_b[k],
                                    TranslationLink{0, 0, score.data()[k], sim.data()[k], margin.data()[k],
                                                    anchors.data()[k], static_cast<LinkLabel>(label.data()[k]),
                                                    url.data()[k]}};
            const bool with = texts && label.data()[k] != static_cast<uint8_t>(LinkLabel::kSameStory);
            nlohmann::json j = json_records::translation_json(p, with ? &aligned[k] : nullptr);
            json_records::add_metadata(j, "_a", meta[k][0], meta[k][1], meta[k][2]);
            json_records::add_metadata(j, "_b", meta[k][3], meta[k][4], meta[k][5]);
            lines[k] = j.dump();
        }
    }
    return py::make_tuple(lines, aligner_spec);
}

}  // namespace

void bind_translation_records(py::module_& m) {
    m.def("records", &records, py::arg("pairs"), py::arg("meta"), py::arg("texts") = py::none(),
          py::arg("units") = "lines", py::arg("models") = "",
          "The JSONL lines of final pairs (finish()), as `doppel translations --format jsonl` writes them: "
          "meta per pair (url_a, title_a, date_a, url_b, title_b, date_b); with texts (text_a, text_b) per "
          "pair, translation and partial pairs aligned over `units`. Returns (lines, the aligner's spec or '').");
}

}  // namespace doppel::python
