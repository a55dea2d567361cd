// doppel._doppel.dedup_stages: `doppel dedup` in stages over parts of the input
// (ops/dedup_stages.h), as numpy arrays, for doppel.dask. Every rule (boilerplate, verification,
// identical sets, clusters) is the library's; this file only converts.
#include "doppel/ops/dedup_stages.h"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <fstream>

#include "bindings.h"
#include "doppel/error.h"
#include "ops/record_json.h"

namespace doppel::python {
namespace {

template <class T>
using Array = py::array_t<T, py::array::c_style | py::array::forcecast>;

template <class T>
Array<T> to_array(const std::vector<T>& v) {
    Array<T> a(static_cast<py::ssize_t>(v.size()));
    std::copy(v.begin(), v.end(), a.mutable_data());
    return a;
}

template <class T>
std::vector<T> to_vector(const Array<T>& a) {
    return std::vector<T>(a.data(), a.data() + a.size());
}

// The options of a stage: the finder's full spec (as the JSONL summary records it) and threads.
NearDuplicateOptions options_of(const std::string& spec, int threads) {
    NearDuplicateOptions o = NearDuplicateOptions::parse_spec(spec);
    o.threads = threads;
    return o;
}

// Options as `doppel dedup --format jsonl` sets them, or a spec given whole (as `--spec`).
py::dict plan(const std::string& spec, double threshold, double recall, bool boilerplate, int threads) {
    NearDuplicateOptions o;
    o.threshold = threshold;
    o.target_recall = recall;
    o.boilerplate = boilerplate;
    o.repeated_lines = o.partial = true;
    if (!spec.empty()) o = NearDuplicateOptions::parse_spec(spec);
    DOPPEL_CHECK(kInvalidArgument, !o.exact, "exact mode is not staged: run doppel dedup --exact");
    o.threads = threads;
    const NearDuplicateFinder finder(o);
    py::dict d;
    d["spec"] = finder.describe();
    d["bands"] = finder.lsh_params().bands;
    d["rows"] = finder.lsh_params().rows;
    d["boilerplate"] = o.boilerplate;
    return d;
}

DocumentBatch read_paths(const std::vector<std::string>& paths, bool id_from_path, std::size_t max_bytes) {
    FileDedupOptions read;
    read.id_from_path = id_from_path;
    ReaderOptions reader;
    if (max_bytes > 0) reader.max_document_bytes = max_bytes;
    py::gil_scoped_release release;
    return read_documents(paths, read, reader);
}

std::string field(const py::dict& d, const char* key) {
    return d.contains(key) && !d[key].is_none() ? py::cast<std::string>(d[key]) : std::string();
}

// Records (dicts with id, text, url and source optional) as documents, checked as the reader
// checks a JSONL record; `name` names the part in errors.
DocumentBatch from_records(const py::list& records, const std::string& name, std::size_t max_bytes) {
    ReaderOptions limits;
    if (max_bytes > 0) limits.max_document_bytes = max_bytes;
    DocumentBatch out;
    std::size_t line = 0;
    for (const py::handle item : records) {
        ++line;
        const auto d = py::cast<py::dict>(item);
        Document doc;
        doc.id = field(d, "id");
        doc.text = field(d, "text");
        doc.url = field(d, "url");
        doc.source = field(d, "source");
        doc.lang_hint = field(d, "lang");
        doc.title = field(d, "title");
        doc.date = field(d, "date");
        if (doc.id.empty()) {
            out.errors.push_back({name, line, "missing \"id\" string"});
            continue;
        }
        if (std::string reason = check_document_text(doc.text, limits); !reason.empty()) {
            out.errors.push_back({name, line, std::move(reason)});
            continue;
        }
        out.docs.push_back(std::move(doc));
    }
    return out;
}

py::dict counts_dict(const SourceLineCounts& c) {
    py::dict d;
    d["source"] = to_array(c.source);
    d["line"] = to_array(c.line);
    d["docs"] = to_array(c.docs);
    d["sources"] = to_array(c.sources);
    d["source_docs"] = to_array(c.source_docs);
    return d;
}

SourceLineCounts counts_of(const py::dict& d) {
    SourceLineCounts c;
    c.source = to_vector(py::cast<Array<uint64_t>>(d["source"]));
    c.line = to_vector(py::cast<Array<uint64_t>>(d["line"]));
    c.docs = to_vector(py::cast<Array<uint32_t>>(d["docs"]));
    c.sources = to_vector(py::cast<Array<uint64_t>>(d["sources"]));
    c.source_docs = to_vector(py::cast<Array<uint32_t>>(d["source_docs"]));
    return c;
}

py::dict count_lines(const DocumentBatch& docs, const std::string& spec, int threads) {
    SourceLineCounts c;
    {
        py::gil_scoped_release release;
        c = count_source_lines(docs.docs.size(), docs.docs.data(), options_of(spec, threads));
    }
    return counts_dict(c);
}

py::dict merge_counts(const py::list& parts) {
    std::vector<SourceLineCounts> in;
    for (const py::handle p : parts) in.push_back(counts_of(py::cast<py::dict>(p)));
    SourceLineCounts c;
    {
        py::gil_scoped_release release;
        c = merge_line_counts(in);
    }
    return counts_dict(c);
}

py::tuple boilerplate(const py::dict& lines, const py::dict& sources, const std::string& spec) {
    const SourceLineCounts l = counts_of(lines), s = counts_of(sources);
    BoilerplateTable t;
    {
        py::gil_scoped_release release;
        t = select_boilerplate(l, s, options_of(spec, 1));
    }
    return py::make_tuple(to_array(t.source), to_array(t.line));
}

// (m, 3) uint64 rows (source, line, documents) as counts.
SourceLineCounts rows_of(const Array<uint64_t>& rows) {
    DOPPEL_CHECK(kInvalidArgument, rows.ndim() == 2 && rows.shape(1) == 3, "line counts must be (m, 3) rows");
    SourceLineCounts c;
    const uint64_t* r = rows.data();
    for (py::ssize_t k = 0; k < rows.shape(0); ++k, r += 3) {
        c.source.push_back(r[0]);
        c.line.push_back(r[1]);
        c.docs.push_back(static_cast<uint32_t>(r[2]));
    }
    return c;
}

py::tuple boilerplate_of(const py::list& parts, const py::dict& sources, const std::string& spec) {
    std::vector<SourceLineCounts> in;
    for (const py::handle p : parts) in.push_back(rows_of(py::cast<Array<uint64_t>>(p)));
    const SourceLineCounts s = counts_of(sources);
    BoilerplateTable t;
    {
        py::gil_scoped_release release;
        t = boilerplate_of_parts(in, s, options_of(spec, 1));
    }
    return py::make_tuple(to_array(t.source), to_array(t.line));
}

py::dict sketch(const DocumentBatch& docs, const std::string& spec, int threads,
                const Array<uint64_t>& bp_source, const Array<uint64_t>& bp_line) {
    const NearDuplicateOptions o = options_of(spec, threads);
    BoilerplateTable table{to_vector(bp_source), to_vector(bp_line)};
    FinderSketches s;
    LshParams lsh;
    {
        py::gil_scoped_release release;
        s = sketch_documents(docs.docs.size(), docs.docs.data(), o, table);
        lsh = NearDuplicateFinder(o).lsh_params();
    }
    const std::size_t n = s.docs.size(), bands = static_cast<std::size_t>(lsh.bands);
    Array<uint64_t> keys({n, bands}), offsets(static_cast<py::ssize_t>(n + 1));
    Array<uint64_t> bytes(static_cast<py::ssize_t>(n));
    Array<uint32_t> sizes(static_cast<py::ssize_t>(n)), bp_lines(static_cast<py::ssize_t>(n));
    std::size_t total = 0;
    for (const auto& sh : s.shingles) total += sh.size();
    Array<uint64_t> flat(static_cast<py::ssize_t>(total));
    py::list ids, repeated;
    {
        py::gil_scoped_release release;
        uint64_t* off = offsets.mutable_data();
        uint64_t* f = flat.mutable_data();
        off[0] = 0;
        for (std::size_t i = 0; i < n; ++i) {
            std::copy(s.shingles[i].begin(), s.shingles[i].end(), f + off[i]);
            off[i + 1] = off[i] + s.shingles[i].size();
            bytes.mutable_data()[i] = s.docs[i].bytes;
            sizes.mutable_data()[i] = s.docs[i].shingles;
            bp_lines.mutable_data()[i] = s.docs[i].boilerplate_lines;
            for (std::size_t b = 0; b < bands; ++b)
                keys.mutable_data()[i * bands + b] = lsh_band_key(
                    s.sigs.data() + i * static_cast<std::size_t>(s.perms), lsh, static_cast<int>(b));
        }
    }
    for (std::size_t i = 0; i < n; ++i) {
        ids.append(py::str(s.docs[i].id));
        if (s.docs[i].repeated_lines.empty()) continue;
        py::list lines;
        for (const auto& l : s.docs[i].repeated_lines) lines.append(py::make_tuple(l.text, l.count));
        repeated.append(py::make_tuple(i, lines));
    }
    py::dict d;
    d["ids"] = ids;
    d["repeated_lines"] = repeated;
    d["bytes"] = bytes;
    d["shingles"] = sizes;
    d["boilerplate_lines"] = bp_lines;
    d["set_hash"] = to_array(s.set_hash);
    d["band_keys"] = keys;
    d["flat"] = flat;
    d["offsets"] = offsets;
    return d;
}

// Pairs as a dict of arrays a, b, kind (0 exact, 1 near, 2 partial), jaccard, containment, common.
py::dict pairs_dict(const std::vector<NearDuplicatePair>& pairs) {
    const auto n = static_cast<py::ssize_t>(pairs.size());
    Array<uint32_t> a(n), b(n), common(n);
    Array<uint8_t> kind(n);
    Array<double> jaccard(n), containment(n);
    for (py::ssize_t k = 0; k < n; ++k) {
        const auto& p = pairs[static_cast<std::size_t>(k)];
        a.mutable_data()[k] = p.a;
        b.mutable_data()[k] = p.b;
        kind.mutable_data()[k] = static_cast<uint8_t>(p.kind);
        jaccard.mutable_data()[k] = p.jaccard;
        containment.mutable_data()[k] = p.containment;
        common.mutable_data()[k] = p.common;
    }
    py::dict d;
    d["a"] = a;
    d["b"] = b;
    d["kind"] = kind;
    d["jaccard"] = jaccard;
    d["containment"] = containment;
    d["common"] = common;
    return d;
}

std::vector<NearDuplicatePair> pairs_of(const py::dict& d) {
    const auto a = py::cast<Array<uint32_t>>(d["a"]), b = py::cast<Array<uint32_t>>(d["b"]);
    const auto common = py::cast<Array<uint32_t>>(d["common"]);
    const auto kind = py::cast<Array<uint8_t>>(d["kind"]);
    const auto jaccard = py::cast<Array<double>>(d["jaccard"]),
               containment = py::cast<Array<double>>(d["containment"]);
    std::vector<NearDuplicatePair> out(static_cast<std::size_t>(a.size()));
    for (std::size_t k = 0; k < out.size(); ++k) {
        const auto i = static_cast<py::ssize_t>(k);
        DOPPEL_CHECK(kInvalidArgument, kind.at(i) <= 2, "pair kind must be 0, 1 or 2");
        out[k] = {a.at(i),       b.at(i),           static_cast<DuplicateKind>(kind.at(i)),
                  jaccard.at(i), containment.at(i), common.at(i)};
    }
    return out;
}

py::dict verify(const Array<uint64_t>& pairs, const Array<uint32_t>& numbers, const Array<uint64_t>& offsets,
                const Array<uint64_t>& flat, const std::string& spec, int threads) {
    ShingleSets sets{to_vector(numbers), to_vector(offsets), to_vector(flat)};
    const std::vector<uint64_t> candidates = to_vector(pairs);
    std::vector<NearDuplicatePair> found;
    {
        py::gil_scoped_release release;
        found = verify_candidates(candidates, sets, options_of(spec, threads));
    }
    return pairs_dict(found);
}

// The identical-set groups by set hash; the (first member, document) joins it made, to be
// confirmed on the shingle sets (a << 32 | b).
py::tuple group(const Array<uint64_t>& set_hash, const Array<uint32_t>& set_size) {
    const std::vector<uint64_t> h = to_vector(set_hash);
    const std::vector<uint32_t> sz = to_vector(set_size);
    DOPPEL_CHECK(kInvalidArgument, h.size() == sz.size(), "set_hash and set_size differ in length");
    std::vector<uint64_t> joins;
    IdenticalSetGroups g;
    {
        py::gil_scoped_release release;
        g = group_identical_sets(h, sz, [&](uint32_t first, uint32_t doc) {
            joins.push_back(static_cast<uint64_t>(first) << 32 | doc);
            return true;
        });
    }
    return py::make_tuple(to_array(g.group_of), to_array(joins));
}

// The documents as finish_duplicates() needs them: ids, set sizes, text sizes and the repeated
// lines [(document, [(text, count)])].
std::vector<FinderDocument> finder_documents(const std::vector<std::string>& ids, const Array<uint32_t>& set_size,
                                             const Array<uint64_t>& bytes, const py::list& repeated) {
    DOPPEL_CHECK(kInvalidArgument,
                 set_size.size() == static_cast<py::ssize_t>(ids.size()) && bytes.size() == set_size.size(),
                 "ids, set_size and bytes differ in length");
    std::vector<FinderDocument> docs(ids.size());
    for (std::size_t i = 0; i < docs.size(); ++i) {
        docs[i].id = ids[i];
        docs[i].shingles = set_size.data()[i];
        docs[i].bytes = bytes.data()[i];
    }
    for (const py::handle item : repeated) {
        const auto t = py::cast<py::tuple>(item);
        const auto i = py::cast<std::size_t>(t[0]);
        DOPPEL_CHECK(kInvalidArgument, i < docs.size(), "repeated lines of an unknown document");
        for (const py::handle l : py::cast<py::list>(t[1])) {
            const auto line = py::cast<py::tuple>(l);
            docs[i].repeated_lines.push_back({py::cast<std::string>(line[0]), py::cast<uint32_t>(line[1])});
        }
    }
    return docs;
}

// Stage 6 whole: every pair and the clusters, written to `out` as `doppel dedup --format jsonl`
// writes them (src/ops/record_json.h). Returns the summary's counts and the bytes.
py::dict finish(const py::dict& rep_pairs, const Array<uint32_t>& group_of, const Array<uint32_t>& set_size,
                const Array<uint64_t>& bytes, const std::vector<std::string>& ids, const py::list& repeated,
                uint64_t candidates, std::size_t boilerplate_lines, const std::string& spec, const std::string& out) {
    const std::vector<NearDuplicatePair> pairs = pairs_of(rep_pairs);
    const std::vector<uint32_t> groups_in = to_vector(group_of);
    DOPPEL_CHECK(kInvalidArgument, groups_in.size() == ids.size(), "group_of and ids differ in length");
    std::vector<FinderDocument> docs = finder_documents(ids, set_size, bytes, repeated);
    std::pair<std::size_t, std::size_t> counts;
    NearDuplicateResult r;
    {
        py::gil_scoped_release release;
        r = finish_duplicates(pairs, groups_from_numbers(groups_in), std::move(docs));
        r.candidates = candidates;
        r.boilerplate_lines = boilerplate_lines;
        r.spec = spec;
        std::ofstream f(out, std::ios::binary);
        DOPPEL_CHECK(kIo, static_cast<bool>(f), "cannot write " + out);
        counts = json_records::write_dedup_records(f, r);
        f.close();
        DOPPEL_CHECK(kIo, static_cast<bool>(f), "cannot write " + out);
    }
    py::dict d;
    d["documents"] = r.docs.size();
    d["pairs"] = counts.first;
    d["partial"] = counts.second;
    d["clusters"] = r.clusters.size();
    d["bytes"] = r.bytes;
    return d;
}

}  // namespace

void bind_dedup_stages(py::module_& parent) {
    py::module_ m = parent.def_submodule(
        "dedup_stages",
        "`doppel dedup` in stages over parts of the input (ops/dedup_stages.h), for doppel.dask.");
    py::class_<DocumentBatch>(m, "Documents", "Documents read or converted for the stages (held in C++).")
        .def("__len__", [](const DocumentBatch& b) { return b.docs.size(); })
        .def_property_readonly("errors", [](const DocumentBatch& b) {
            std::vector<std::string> out;
            for (const auto& e : b.errors) out.push_back(e.to_string());
            return out;
        });
    m.def(
        "plan", &plan, py::arg("spec") = "", py::arg("threshold") = 0.8, py::arg("recall") = 0.99,
        py::arg("boilerplate") = true, py::arg("threads") = 0,
        "{spec, bands, rows, boilerplate}: the full spec as `doppel dedup --format jsonl` (or --spec) runs.");
    m.def("read_paths", &read_paths, py::arg("paths"), py::arg("id_from_path") = false,
          py::arg("max_bytes") = 0,
          "The documents of files and folders, as `doppel dedup PATH...` reads them.");
    m.def("from_records", &from_records, py::arg("records"), py::arg("name") = "<dask>",
          py::arg("max_bytes") = 0,
          "Documents from dicts with id and text (url, source, lang, title, date optional), checked as the reader checks "
          "them.");
    m.def("count_lines", &count_lines, py::arg("documents"), py::arg("spec"), py::arg("threads") = 0,
          "Stage 1: (source, line) keys with document counts, and documents per source.");
    m.def("merge_counts", &merge_counts, py::arg("parts"), "Sums count_lines() results per key and source.");
    m.def("boilerplate", &boilerplate, py::arg("lines"), py::arg("sources"), py::arg("spec"),
          "The boilerplate (source, line) entries among `lines`, sources counted by `sources`.");
    m.def("boilerplate_of", &boilerplate_of, py::arg("parts"), py::arg("sources"), py::arg("spec"),
          "The boilerplate (source, line) entries of (m, 3) line-count rows of several parts, sources "
          "counted by `sources` (merged): ops/dedup_stages.h boilerplate_of_parts().");
    m.def("sketch", &sketch, py::arg("documents"), py::arg("spec"), py::arg("threads"), py::arg("bp_source"),
          py::arg("bp_line"),
          "Stage 2: ids, sizes, set hashes, LSH band keys and shingle sets (flat, offsets).");
    m.def("verify", &verify, py::arg("pairs"), py::arg("numbers"), py::arg("offsets"), py::arg("flat"),
          py::arg("spec"), py::arg("threads") = 0,
          "Stage 5: candidates (a << 32 | b) verified on the shingle sets of `numbers`: verified pairs.");
    m.def("group", &group, py::arg("set_hash"), py::arg("set_size"),
          "Stage 3: (group_of, joins) of identical shingle sets; joins are to be confirmed on the sets.");
    m.def("finish", &finish, py::arg("rep_pairs"), py::arg("group_of"), py::arg("set_size"), py::arg("bytes"),
          py::arg("ids"), py::arg("repeated_lines"), py::arg("candidates"), py::arg("boilerplate_lines"),
          py::arg("spec"), py::arg("out"),
          "Stage 6: every pair and the non-chaining clusters, written to `out` as `doppel dedup --format jsonl` "
          "writes them: {documents, pairs, partial, clusters, bytes}.");
}

}  // namespace doppel::python
