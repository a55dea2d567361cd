// Batch primitives over numpy arrays: normalize, shingle hashes, MinHash signatures, LSH band
// keys, exact Jaccard and containment, language ID, and aligning two texts. For people building
// their own pipelines; each is the library's own component (normalize/, sketch/, index/,
// langid/, ops/alignment.h), so results match what doppel computes inside.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>

#include "bindings.h"
#include "doppel/error.h"
#include "doppel/index/lsh_index.h"
#include "doppel/langid/language_identifier.h"
#include "doppel/normalize/normalizer.h"
#include "doppel/normalize/segmenter.h"
#include "doppel/ops/alignment.h"
#include "doppel/ops/models.h"
#include "doppel/sketch/min_hash.h"
#include "doppel/sketch/shingler.h"
#include "impl/parallel.h"

namespace doppel::python {
namespace {

using HashArray = py::array_t<uint64_t, py::array::c_style | py::array::forcecast>;
using SigArray = py::array_t<uint32_t, py::array::c_style | py::array::forcecast>;

// Items handed to one worker thread at a time.
constexpr std::size_t kGrain = 16;

// Calls f(i, state) for every i in [0, n) on every core (impl::parallel_for_ranges), with one
// State per worker thread (Segmenter and Normalizer hold ICU objects, which are not thread-safe).
template <class State, class F>
void on_all_cores(std::size_t n, F&& f) {
    const std::size_t workers = impl::worker_count(n);
    std::vector<std::unique_ptr<State>> states(workers);
    for (auto& st : states) st = std::make_unique<State>();
    impl::parallel_for_ranges(n, workers, kGrain, [&](std::size_t b, std::size_t e, std::size_t w) {
        for (std::size_t i = b; i < e; ++i) f(i, *states[w]);
    });
}

std::vector<std::string> texts_of(const py::object& texts) {
    if (py::isinstance<py::str>(texts)) return {py::cast<std::string>(texts)};
    return py::cast<std::vector<std::string>>(texts);
}

py::object normalize(const py::object& texts) {
    const bool one = py::isinstance<py::str>(texts);
    std::vector<std::string> in = texts_of(texts), out(in.size());
    {
        py::gil_scoped_release release;
        on_all_cores<Normalizer>(in.size(),
                                 [&](std::size_t i, Normalizer& n) { out[i] = n.normalize_text(in[i]); });
    }
    return one ? py::object(py::str(out[0])) : py::object(py::cast(out));
}

HashArray to_array(const std::vector<uint64_t>& v) {
    HashArray a(static_cast<py::ssize_t>(v.size()));
    std::copy(v.begin(), v.end(), a.mutable_data());
    return a;
}

py::object shingle_hashes(const py::object& texts, const std::string& spec) {
    const bool one = py::isinstance<py::str>(texts);
    const std::vector<std::string> in = texts_of(texts);
    std::vector<std::vector<uint64_t>> out(in.size());
    {
        py::gil_scoped_release release;
        const auto shingler = Shingler::from_spec(spec);
        on_all_cores<Segmenter>(
            in.size(), [&](std::size_t i, Segmenter& seg) { shingler->shingle(in[i], seg, &out[i]); });
    }
    if (one) return to_array(out[0]);
    py::list l;
    for (const auto& v : out) l.append(to_array(v));
    return l;
}

// Signatures of shingle sets: texts (shingled with `shingles`) or uint64 hash arrays.
SigArray minhash(const py::list& items, const std::string& shingles, const std::string& spec) {
    const auto mh = MinHash::from_spec(spec);
    const std::size_t n = items.size(), perms = static_cast<std::size_t>(mh->perms());
    std::vector<std::string> texts;
    std::vector<HashArray> arrays;
    for (const py::handle item : items) {
        if (py::isinstance<py::str>(item))
            texts.push_back(py::cast<std::string>(item));
        else
            arrays.push_back(py::cast<HashArray>(item));
    }
    DOPPEL_CHECK(kInvalidArgument, texts.empty() || arrays.empty(), "give texts or hash arrays, not both");
    SigArray sigs({n, perms});
    uint32_t* out = sigs.mutable_data();
    py::gil_scoped_release release;
    if (!texts.empty()) {
        const auto shingler = Shingler::from_spec(shingles);
        on_all_cores<Segmenter>(n, [&](std::size_t i, Segmenter& seg) {
            std::vector<uint64_t> h;
            shingler->shingle(texts[i], seg, &h);
            mh->sign(h.data(), h.size(), out + i * perms);
        });
    } else {
        struct None {};
        on_all_cores<None>(n, [&](std::size_t i, None&) {
            mh->sign(arrays[i].data(), static_cast<std::size_t>(arrays[i].size()), out + i * perms);
        });
    }
    return sigs;
}

py::array_t<uint64_t> lsh_band_keys(const SigArray& sigs, int bands, int rows) {
    DOPPEL_CHECK(kInvalidArgument, sigs.ndim() == 2, "signatures must be a 2-d array (n, perms)");
    const std::size_t n = static_cast<std::size_t>(sigs.shape(0)),
                      perms = static_cast<std::size_t>(sigs.shape(1));
    DOPPEL_CHECK(kInvalidArgument, bands > 0 && rows > 0 && static_cast<std::size_t>(bands * rows) <= perms,
                 "bands * rows must be positive and at most the signature length " + std::to_string(perms));
    py::array_t<uint64_t> keys({n, static_cast<std::size_t>(bands)});
    uint64_t* out = keys.mutable_data();
    const uint32_t* in = sigs.data();
    py::gil_scoped_release release;
    const LshParams p{bands, rows};
    for (std::size_t i = 0; i < n; ++i)
        for (int b = 0; b < bands; ++b)
            out[i * static_cast<std::size_t>(bands) + static_cast<std::size_t>(b)] =
                lsh_band_key(in + i * perms, p, b);
    return keys;
}

// A shingle set as shingle_overlap() takes it: sorted, without repeats.
std::vector<uint64_t> as_set(const HashArray& a) {
    std::vector<uint64_t> v(a.data(), a.data() + a.size());
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
}

ShingleOverlap overlap(const HashArray& a, const HashArray& b) {
    const std::vector<uint64_t> sa = as_set(a), sb = as_set(b);
    return shingle_overlap(sa.data(), sa.size(), sb.data(), sb.size());
}

// The language identifier of a models folder, loaded once per folder.
const LanguageIdentifier& language_identifier(const std::string& models) {
    static std::mutex mutex;
    static std::map<std::string, std::unique_ptr<LanguageIdentifier>> loaded;
    const std::string dir = find_models_dir(models);
    std::lock_guard<std::mutex> lock(mutex);
    auto& id = loaded[dir];
    if (!id) id = std::make_unique<LanguageIdentifier>(dir + "/lid.176.ftz");
    return *id;
}

// The aligner of a models folder and spec, built once per pair (loading the bridge lexicon takes
// seconds); Aligner::align is const and thread-safe.
const Aligner& aligner_of(const std::string& dir, const std::string& spec) {
    static std::mutex mutex;
    static std::map<std::pair<std::string, std::string>, std::unique_ptr<Aligner>> built;
    std::lock_guard<std::mutex> lock(mutex);
    auto& a = built[{dir, spec}];
    if (!a) a = make_aligner(dir, spec);
    return *a;
}

py::object language(const py::object& texts, const std::string& models) {
    const bool one = py::isinstance<py::str>(texts);
    const std::vector<std::string> in = texts_of(texts);
    std::vector<LanguageGuess> out(in.size());
    {
        py::gil_scoped_release release;
        const LanguageIdentifier& langid = language_identifier(models);
        for (std::size_t i = 0; i < in.size(); ++i) out[i] = langid.identify_document(in[i]);
    }
    py::list l;
    for (const auto& g : out) l.append(py::make_tuple(g.lang, g.confidence));
    if (one) return l[0];
    return l;
}

py::tuple units_of(uint32_t begin, uint32_t end) {
    py::tuple t(end - begin);
    for (uint32_t i = begin; i < end; ++i) t[i - begin] = i;
    return t;
}

py::list align(const std::string& a, const std::string& b, const std::string& units,
               const std::string& lang_a, const std::string& lang_b, const std::string& spec,
               const std::string& models) {
    AlignedPair p;
    {
        py::gil_scoped_release release;
        const std::string dir = find_models_dir(models);
        UnitReader reader(parse_unit_kind(units), &language_identifier(dir));
        UnitDocument da = reader.from_text_identified("a", a, lang_a),
                     db = reader.from_text_identified("b", b, lang_b);
        p = align_documents(std::move(da), std::move(db), aligner_of(dir, spec));
    }
    py::list beads;  // as `doppel align --format beads`: scores with 4 decimals
    for (const Bead& bead : p.alignment.beads)
        beads.append(py::make_tuple(units_of(bead.a_begin, bead.a_end), units_of(bead.b_begin, bead.b_end),
                                    as_printed(bead.score, 4)));
    return beads;
}

}  // namespace

void bind_primitives(py::module_& m) {
    m.def("normalize", &normalize, py::arg("texts"),
          "Texts as doppel normalizes them (NFKC case folding, ASCII digits, Arabic forms, spaces).");
    m.def("shingle_hashes", &shingle_hashes, py::arg("texts"), py::arg("spec") = kDefaultShingleSpec,
          "The sorted unique 64-bit shingle hashes of a text (uint64 array), or of each of a list.");
    m.def("minhash", &minhash, py::arg("items"), py::arg("shingles") = kDefaultShingleSpec,
          py::arg("spec") = kDefaultMinHashSpec,
          "MinHash signatures (n, perms) uint32 of texts (shingled with `shingles`) or hash arrays.");
    m.def(
        "lsh_params",
        [](double threshold, int perms, double recall) {
            const LshParams p = choose_lsh_params(threshold, perms, recall);
            return py::make_tuple(p.bands, p.rows);
        },
        py::arg("threshold") = 0.8, py::arg("perms") = 128, py::arg("recall") = 0.99,
        "(bands, rows) doppel chooses for a Jaccard threshold and a recall target at it.");
    m.def("lsh_band_keys", &lsh_band_keys, py::arg("signatures"), py::arg("bands"), py::arg("rows"),
          "The (n, bands) uint64 bucket keys of signatures: equal keys in a column make candidates.");
    m.def(
        "jaccard", [](const HashArray& a, const HashArray& b) { return overlap(a, b).jaccard; }, py::arg("a"),
        py::arg("b"), "Exact Jaccard similarity |A ∩ B| / |A ∪ B| of two shingle hash sets.");
    m.def(
        "containment", [](const HashArray& a, const HashArray& b) { return overlap(a, b).containment; },
        py::arg("a"), py::arg("b"), "|A ∩ B| / min(|A|, |B|) of two shingle hash sets.");
    m.def("language", &language, py::arg("texts"), py::arg("models") = "",
          "(language, confidence) of a text, or of each of a list, as doppel identifies documents.");
    m.def("align", &align, py::arg("text_a"), py::arg("text_b"), py::arg("units") = "lines", py::kw_only(),
          py::arg("lang_a") = "", py::arg("lang_b") = "", py::arg("spec") = "", py::arg("models") = "",
          "Aligns two texts: beads [((i, ...), (j, ...), score)] as `doppel align --format beads`.");
}

}  // namespace doppel::python
