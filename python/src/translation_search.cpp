// doppel._doppel.translation_stages, continued: the candidate search in one language shard, the
// linking, the learned second pass and the pairs (ops/translation_stages.h, match/matcher.h).
// Links travel as a dict of arrays: a, b (uint64 positions), score, similarity, margin, anchors
// (float32), label (uint8: 0 translation, 1 partial, 2 same-story), url_evidence (bool).
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>

#include "bindings.h"
#include "doppel/error.h"
#include "doppel/index/vector_index.h"
#include "doppel/ops/translation_stages.h"

namespace doppel::python {

template <class T>
using Array = py::array_t<T, py::array::c_style | py::array::forcecast>;

std::vector<SparseVector> csr_vectors(const py::dict& d);
py::dict csr_arrays(const std::vector<SparseVector>& vecs);

namespace {

// The options of `doppel translations` from its specs ("" = defaults; associations "none" = one pass).
TranslationSearchOptions search_options(const std::string& matcher, const std::string& associations) {
    TranslationSearchOptions o;
    if (!matcher.empty()) o.matcher = MatcherOptions::parse_spec(matcher);
    o.learn = associations != "none";
    if (o.learn && !associations.empty()) o.associations = FeatureAssociationOptions::parse_spec(associations);
    return o;
}

py::dict plan(const std::string& matcher, const std::string& associations, std::optional<bool> same_story) {
    TranslationSearchOptions o = search_options(matcher, associations);
    if (same_story) o.matcher.same_story = *same_story;
    py::dict d;
    d["matcher"] = o.matcher.describe();
    d["associations"] = o.learn ? o.associations.describe() : std::string("none");
    d["learn"] = o.learn;
    d["minor_share"] = o.minor_relative_share;
    return d;
}

py::dict links_dict(const std::vector<TranslationLink>& links) {
    const auto n = static_cast<py::ssize_t>(links.size());
    Array<uint64_t> a(n), b(n);
    Array<float> score(n), sim(n), margin(n), anchors(n);
    Array<uint8_t> label(n);
    Array<bool> url(n);
    for (py::ssize_t k = 0; k < n; ++k) {
        const TranslationLink& l = links[static_cast<std::size_t>(k)];
        a.mutable_data()[k] = l.a, b.mutable_data()[k] = l.b, score.mutable_data()[k] = l.score;
        sim.mutable_data()[k] = l.similarity, margin.mutable_data()[k] = l.margin, anchors.mutable_data()[k] = l.anchors;
        label.mutable_data()[k] = static_cast<uint8_t>(l.label), url.mutable_data()[k] = l.url_evidence;
    }
    py::dict d;
    d["a"] = a, d["b"] = b, d["score"] = score, d["similarity"] = sim, d["margin"] = margin;
    d["anchors"] = anchors, d["label"] = label, d["url_evidence"] = url;
    return d;
}

std::vector<TranslationLink> links_of(const py::dict& d) {
    const auto a = py::cast<Array<uint64_t>>(d["a"]), b = py::cast<Array<uint64_t>>(d["b"]);
    const auto score = py::cast<Array<float>>(d["score"]), sim = py::cast<Array<float>>(d["similarity"]);
    const auto margin = py::cast<Array<float>>(d["margin"]), anchors = py::cast<Array<float>>(d["anchors"]);
    const auto label = py::cast<Array<uint8_t>>(d["label"]);
    const auto url = py::cast<Array<bool>>(d["url_evidence"]);
    std::vector<TranslationLink> out(static_cast<std::size_t>(a.size()));
    for (std::size_t k = 0; k < out.size(); ++k) {
        DOPPEL_CHECK(kInvalidArgument, label.data()[k] <= 2, "links: a label past same-story");
        out[k] = {a.data()[k], b.data()[k], score.data()[k], sim.data()[k], margin.data()[k], anchors.data()[k],
                  static_cast<LinkLabel>(label.data()[k]), url.data()[k]};
    }
    return out;
}

// The values of a uint8 array (None: none).
std::vector<char> plan_values(const std::optional<Array<uint8_t>>& a) {
    if (!a) return {};
    return std::vector<char>(a->data(), a->data() + a->size());
}

// Stage 4: the candidates of the queries in the shard of language `lang`; query_plan: per query,
// the search plan's value for its language searching `lang` (None: 1 each).
py::dict shard_search(const std::string& lang, const Array<int64_t>& shard_pos, const Array<float>& shard_dense,
                      const py::dict& shard_sparse, const Array<int64_t>& query_pos, const Array<float>& query_dense,
                      const py::dict& query_sparse, const std::string& matcher, const std::string& factory,
                      const std::optional<Array<uint8_t>>& query_plan) {
    const std::size_t m = static_cast<std::size_t>(shard_pos.size()), q = static_cast<std::size_t>(query_pos.size());
    DOPPEL_CHECK(kInvalidArgument, shard_dense.ndim() == 2 && query_dense.ndim() == 2 &&
                                       shard_dense.shape(0) == static_cast<py::ssize_t>(m) &&
                                       query_dense.shape(0) == static_cast<py::ssize_t>(q) &&
                                       shard_dense.shape(1) == query_dense.shape(1),
                 "shard search: (n, dim) dense vectors, one per position, needed");
    const std::size_t dim = static_cast<std::size_t>(shard_dense.shape(1));
    std::vector<SparseVector> sparse = csr_vectors(shard_sparse), qs = csr_vectors(query_sparse);
    DOPPEL_CHECK(kInvalidArgument, sparse.size() == m && qs.size() == q, "shard search: one sparse vector per position");
    sparse.insert(sparse.end(), std::make_move_iterator(qs.begin()), std::make_move_iterator(qs.end()));
    std::vector<MatchDocument> docs(m + q);
    for (std::size_t i = 0; i < m; ++i) docs[i] = {shard_pos.data()[i], lang, 0, ""};
    for (std::size_t j = 0; j < q; ++j) docs[m + j] = {query_pos.data()[j], "", 0, ""};
    std::vector<float> dense(shard_dense.data(), shard_dense.data() + m * dim);
    dense.insert(dense.end(), query_dense.data(), query_dense.data() + q * dim);
    std::vector<std::size_t> queries(q);
    for (std::size_t j = 0; j < q; ++j) queries[j] = m + j;
    const std::vector<char> plan = plan_values(query_plan);
    std::vector<std::vector<MatchCandidate>> found;
    std::string described;
    {
        py::gil_scoped_release release;
        VectorIndex shard(dim, factory);
        constexpr std::size_t kChunk = 4096;  // added in batches, as the single-machine index is
        for (std::size_t c = 0; c < m; c += kChunk)
            shard.add(lang, std::min(kChunk, m - c), shard_pos.data() + c, dense.data() + c * dim);
        found = Matcher(search_options(matcher, "none").matcher)
                    .shard_candidates(shard, lang, docs, queries, dense.data(), sparse, plan);
        described = shard.describe();
    }
    std::vector<int64_t> qv, ov;
    std::vector<float> sv;
    for (std::size_t j = 0; j < q; ++j)
        for (const MatchCandidate& c : found[j]) {
            qv.push_back(query_pos.data()[j]);
            ov.push_back(docs[c.other].seq);
            sv.push_back(c.sim);
        }
    py::dict d;
    d["query"] = Array<int64_t>(static_cast<py::ssize_t>(qv.size()), qv.data());
    d["other"] = Array<int64_t>(static_cast<py::ssize_t>(ov.size()), ov.data());
    d["sim"] = Array<float>(static_cast<py::ssize_t>(sv.size()), sv.data());
    d["index"] = described;
    return d;
}

std::vector<MatchDocument> match_documents(const std::vector<std::string>& match_langs, const Array<float>& lengths,
                                           const std::vector<std::string>& urls) {
    DOPPEL_CHECK(kInvalidArgument, lengths.size() == static_cast<py::ssize_t>(match_langs.size()) &&
                                       urls.size() == match_langs.size(),
                 "link: one length and url per document needed");
    std::vector<MatchDocument> docs(match_langs.size());
    for (std::size_t i = 0; i < docs.size(); ++i)
        docs[i] = {static_cast<int64_t>(i), match_langs[i], lengths.data()[i], urls[i]};
    return docs;
}

// The candidate table of docs from the shards' candidates ({lang, query, other, sim}), sized for
// its longest list.
CandidateTable candidate_table(const std::vector<MatchDocument>& docs, const py::list& shards) {
    const std::vector<std::string> languages = Matcher::languages_of(docs);
    const std::size_t L = languages.size();
    // Each shard as (language, queries, others, similarities).
    std::vector<std::tuple<std::size_t, Array<int64_t>, Array<int64_t>, Array<float>>> parts;
    std::vector<uint32_t> listed(docs.size() * L, 0);
    for (const py::handle h : shards) {
        const auto s = py::cast<py::dict>(h);
        const auto lang = py::cast<std::string>(s["lang"]);
        const auto it = std::find(languages.begin(), languages.end(), lang);
        DOPPEL_CHECK(kInvalidArgument, it != languages.end(), "link: a shard of no document's language: " + lang);
        const auto t = static_cast<std::size_t>(it - languages.begin());
        const auto q = py::cast<Array<int64_t>>(s["query"]), o = py::cast<Array<int64_t>>(s["other"]);
        for (py::ssize_t r = 0; r < q.size(); ++r) {
            const auto x = static_cast<std::size_t>(q.data()[r]), y = static_cast<std::size_t>(o.data()[r]);
            DOPPEL_CHECK(kInvalidArgument, x < docs.size() && y < docs.size(), "link: a candidate past the documents");
            ++listed[x * L + t];
        }
        parts.emplace_back(t, q, o, py::cast<Array<float>>(s["sim"]));
    }
    const uint32_t longest = listed.empty() ? 0 : *std::max_element(listed.begin(), listed.end());
    CandidateTable table = CandidateTable::empty(docs.size(), languages, longest);
    for (const auto& [t, q, o, sim] : parts)
        for (py::ssize_t r = 0; r < q.size(); ++r)
            table.edit(static_cast<std::size_t>(q.data()[r]), t)
                .push_back({static_cast<uint32_t>(o.data()[r]), sim.data()[r]});
    return table;
}

// Stage 4a: per document, whether it is in the search plan's sample (uint8); empty: no plan.
Array<uint8_t> search_sample(const std::vector<std::string>& match_langs, const std::string& matcher) {
    std::vector<MatchDocument> docs(match_langs.size());
    for (std::size_t i = 0; i < docs.size(); ++i) docs[i] = {static_cast<int64_t>(i), match_langs[i], 0, ""};
    const std::vector<char> sampled = Matcher(search_options(matcher, "none").matcher).search_sample(docs);
    Array<uint8_t> out(static_cast<py::ssize_t>(sampled.size()));
    std::copy(sampled.begin(), sampled.end(), out.mutable_data());
    return out;
}

// Stage 4b: the search plan (L x L uint8, [source, target] over the sorted matching languages)
// from the sample's candidates in every shard; empty: no plan.
Array<uint8_t> search_plan(const std::vector<std::string>& match_langs, const Array<float>& lengths,
                           const py::list& shards, const std::string& matcher) {
    const std::vector<MatchDocument> docs =
        match_documents(match_langs, lengths, std::vector<std::string>(match_langs.size()));
    const CandidateTable table = candidate_table(docs, shards);
    std::vector<char> plan;
    {
        py::gil_scoped_release release;
        plan = Matcher(search_options(matcher, "none").matcher).search_plan(docs, table);
    }
    const auto L = static_cast<py::ssize_t>(plan.empty() ? 0 : table.languages.size());
    Array<uint8_t> out(plan.empty() ? std::vector<py::ssize_t>{0} : std::vector<py::ssize_t>{L, L});
    std::copy(plan.begin(), plan.end(), out.mutable_data());
    return out;
}

// Stage 5: the links of every document from the shards' candidates ({lang, query, other, sim}),
// searched as `plan` (stage 4b's, L x L; None or empty: every language searched every other)
// gave them: the table's CandidateTable::searched, whose pairs searched for few scale margins.
py::dict link(const std::vector<std::string>& match_langs, const Array<float>& lengths,
              const std::vector<std::string>& urls, const py::dict& sparse, const py::list& shards,
              const std::string& matcher, const std::optional<Array<uint8_t>>& plan) {
    const std::vector<MatchDocument> docs = match_documents(match_langs, lengths, urls);
    const std::vector<SparseVector> vecs = csr_vectors(sparse);
    CandidateTable table = candidate_table(docs, shards);
    table.searched = plan_values(plan);
    const std::size_t L = table.languages.size();
    DOPPEL_CHECK(kInvalidArgument, table.searched.empty() || table.searched.size() == L * L,
                 "link: a search plan of (languages, languages) values needed");
    std::vector<TranslationLink> links;
    {
        py::gil_scoped_release release;
        links = Matcher(search_options(matcher, "none").matcher).link(docs, vecs, table);
    }
    return links_dict(links);
}

// Stage 6: (associations learned, every document's counts rewritten with them).
py::tuple learn(const py::dict& counts, const std::vector<std::string>& match_langs, const py::dict& first,
                const std::string& associations) {
    std::vector<SparseVector> vecs = csr_vectors(counts);
    DOPPEL_CHECK(kInvalidArgument, vecs.size() == match_langs.size(), "learn: one language per document needed");
    const std::vector<TranslationLink> links = links_of(first);
    const FeatureAssociationOptions o = search_options("", associations).associations;
    std::size_t size = 0;
    {
        py::gil_scoped_release release;
        const FeatureAssociations learned = FeatureAssociations::learn(vecs, match_langs, confident_pairs(links, o), o);
        size = learned.size();
        for (std::size_t i = 0; i < vecs.size() && size > 0; ++i) vecs[i] = learned.apply(vecs[i], match_langs[i]);
    }
    return py::make_tuple(size, csr_arrays(vecs));
}

// Stage 7: the final links (second pass's rule applied when `second` is given, same-story links
// limited) as pairs of ids, sorted; a dict of lists and arrays.
py::dict finish(const py::dict& first, const py::object& second, const std::vector<std::string>& ids,
                const std::vector<std::string>& langs, const std::string& matcher, const std::string& associations) {
    const TranslationSearchOptions o = search_options(matcher, associations);
    std::vector<TranslationLink> links = links_of(first);
    if (!second.is_none()) {
        std::vector<TranslationLink> again = links_of(py::cast<py::dict>(second));
        second_pass_labels(again, links, o);
        links = std::move(again);
    }
    Matcher(o.matcher).limit_same_story(links);
    const std::vector<TranslationPair> pairs = translation_pairs(links, ids, langs);
    std::vector<TranslationLink> ordered;
    py::list id_a, id_b, lang_a, lang_b;
    for (const auto& p : pairs) {
        id_a.append(p.id_a), id_b.append(p.id_b), lang_a.append(p.lang_a), lang_b.append(p.lang_b);
        ordered.push_back(p.link);
    }
    py::dict d = links_dict(ordered);
    d["id_a"] = id_a, d["id_b"] = id_b, d["lang_a"] = lang_a, d["lang_b"] = lang_b;
    return d;
}

}  // namespace

void bind_translation_stages_search(py::module_& m) {
    m.def("plan", &plan, py::arg("matcher") = "", py::arg("associations") = "", py::arg("same_story") = py::none(),
          "{matcher, associations, learn, minor_share}: the full specs `doppel translations --matcher/--associations` "
          "runs, and its share for minor relatives (TranslationSearchOptions::minor_relative_share).");
    m.def("shard_search", &shard_search, py::arg("lang"), py::arg("shard_pos"), py::arg("shard_dense"),
          py::arg("shard_sparse"), py::arg("query_pos"), py::arg("query_dense"), py::arg("query_sparse"),
          py::arg("matcher"), py::arg("factory") = "auto", py::arg("query_plan") = py::none(),
          "Stage 4: the k candidates of each query in the shard of one language (Matcher::shard_candidates): "
          "{query, other, sim, index}, best first per query. query_plan (uint8 per query, None: 1 each): the "
          "search plan's value for the query's language searching this one; where it is 2 (searched for few) "
          "the query keeps low_affinity_k of its k candidates.");
    m.def("search_sample", &search_sample, py::arg("match_langs"), py::arg("matcher"),
          "Stage 4a: per document (its matching language), 1 when it is in the search plan's sample, searched "
          "in every other language (Matcher::search_sample); empty when the documents get no plan.");
    m.def("search_plan", &search_plan, py::arg("match_langs"), py::arg("lengths"), py::arg("shards"),
          py::arg("matcher"),
          "Stage 4b: the search plan (Matcher::search_plan) from the sample's candidates in every shard "
          "({lang, query, other, sim} as link takes them): (L, L) uint8, [source, target] over the sorted "
          "matching languages, 1 where the documents of source search target, 2 where they search it for few "
          "candidates (low_affinity_k); empty when no plan.");
    m.def("link", &link, py::arg("match_langs"), py::arg("lengths"), py::arg("urls"), py::arg("sparse"),
          py::arg("shards"), py::arg("matcher"), py::arg("plan") = py::none(),
          "Stage 5: Matcher::link over the candidates of every shard, searched as `plan` (search_plan's; None or "
          "empty: no plan) gave them: the links (a dict of arrays).");
    m.def("learn", &learn, py::arg("counts"), py::arg("match_langs"), py::arg("first"), py::arg("associations"),
          "Stage 6: (associations learned from the first links, the raw counts rewritten with them).");
    m.def("finish", &finish, py::arg("first"), py::arg("second"), py::arg("ids"), py::arg("langs"),
          py::arg("matcher"), py::arg("associations"),
          "Stage 7: the final links as pairs (id_a < id_b), sorted, with their fields.");
}

}  // namespace doppel::python
