// doppel.Store: a store folder and the operations on it (ops/indexer.h, ops/duplicates.h,
// ops/translations.h, ops/report_data.h), as the command-line tool runs them.
#include <pybind11/stl.h>

#include <ctime>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>

#include "bindings.h"
#include "doppel/ingest/document_reader.h"
#include "doppel/langid/language_identifier.h"
#include "doppel/ops/duplicates.h"
#include "doppel/ops/indexer.h"
#include "doppel/ops/models.h"
#include "doppel/ops/report_data.h"
#include "doppel/ops/translations.h"
#include "doppel/store/store.h"

namespace doppel::python {
namespace {

// The source of documents given from Python: "<python>:N" for the N-th of one add() call, so the
// call is one source for boilerplate detection, as a JSONL file is.
constexpr const char* kPythonSource = "<python>";

// A Store shared by Python threads. Every binding that touches the store (or its lazily built
// members) runs inside one PyStore::Call, so the calls on one PyStore are serialized; the
// library's Store is not safe for concurrent use (store/store.h). Lock order: the GIL is
// released first, then the PyStore's mutex taken; a thread never waits for that mutex while it
// holds the GIL (which would deadlock against the holder waiting for the GIL). A thread holding
// the mutex may take the GIL back (add() reads its Python documents between batches). The mutex
// is recursive: Python code that add() runs (a generator of documents) may call the same store.
class PyStore {
public:
    // purpose: "all", "duplicates" or "" (the store's recorded one, else "all"), as `index --for`;
    // langid: the language-ID spec, as `index --langid` ("" for the defaults).
    PyStore(const std::string& dir, bool create, bool read_only, const std::string& models,
            const std::string& purpose, const std::string& langid)
        : store_(std::make_unique<Store>(dir, StoreOptions{create, read_only})),
          models_dir_(find_models_dir(models)),
          purpose_(store_purpose(*store_, purpose)),
          langid_options_(langid.empty() ? LanguageIdOptions{} : LanguageIdOptions::parse_spec(langid)) {}

    // One call on the store: made with the GIL held, releases it, then takes the store's lock;
    // gives the lock back, then takes the GIL again. The members below are used inside one only.
    // A call that writes (or closes) refuses to run inside another call of its thread (Python
    // code run by add()): it would wait for the running indexer's write lock forever, or close
    // the store under it.
    class Call {
    public:
        enum Kind { kRead, kWrite };
        explicit Call(PyStore& s, Kind kind = kRead) : lock_(s.mutex_), depth_(s.depth_) {
            DOPPEL_CHECK(kInvalidArgument, kind == kRead || depth_ == 0,
                         "a write or close() on a Store inside a running add() of the same store");
            ++depth_;
        }
        ~Call() { --depth_; }
        Call(const Call&) = delete;
        Call& operator=(const Call&) = delete;

    private:
        py::gil_scoped_release release_;  // first: released before the lock is taken
        std::lock_guard<std::recursive_mutex> lock_;
        int& depth_;
    };

    Store& store() {
        DOPPEL_CHECK(kInvalidArgument, store_ != nullptr, "the store is closed");
        return *store_;
    }
    // Closes the database (and drops the language model); later calls raise Error.
    void close() {
        store_.reset();
        langid_.reset();
    }
    const std::string& models_dir() const { return models_dir_; }

    const std::string& purpose() const { return purpose_; }

    // The language identifier of models_dir(), loaded on first use; null for a store kept for
    // duplicates only, which needs none.
    const LanguageIdentifier* langid() {
        if (purpose_ == "duplicates") return nullptr;
        if (!langid_) langid_ = std::make_unique<LanguageIdentifier>(models_dir_ + "/lid.176.ftz", langid_options_);
        return langid_.get();
    }
    IndexStages stages(const std::vector<double>& dedup_thresholds = {},
                       const std::vector<double>& dropped_dedup_thresholds = {}) {
        IndexConfig config;
        config.models_dir = models_dir_;
        config.dedup_thresholds = dedup_thresholds;
        config.dropped_dedup_thresholds = dropped_dedup_thresholds;
        return open_index_stages(config_for_purpose(config, purpose_));
    }

private:
    std::recursive_mutex mutex_;  // held by a Call
    int depth_ = 0;               // the Calls open (in the thread holding mutex_)
    std::unique_ptr<Store> store_;
    std::string models_dir_;
    std::string purpose_;
    LanguageIdOptions langid_options_;
    std::unique_ptr<LanguageIdentifier> langid_;
};

py::list error_strings(const std::vector<RecordError>& errors) {
    py::list out;
    for (const auto& e : errors) out.append(e.to_string());
    return out;
}

// The summary dict of index() and add().
py::dict run_summary(const IndexRun& run, const std::vector<std::string>& stage_warnings) {
    py::dict d;
    d["read"] = run.read;
    d["added"] = run.summary.added;
    d["replaced"] = run.summary.replaced;
    d["unchanged"] = run.summary.unchanged;
    d["relabeled"] = run.summary.relabeled;
    d["skipped"] = run.errors.size();
    d["errors"] = error_strings(run.errors);
    std::vector<std::string> warnings = stage_warnings;
    warnings.insert(warnings.end(), run.summary.warnings.begin(), run.summary.warnings.end());
    d["warnings"] = warnings;
    d["stored"] = run.stored;
    py::dict seconds;
    for (const auto& [step, s] : run.summary.seconds) seconds[py::str(step)] = s;
    d["seconds"] = seconds;
    return d;
}

py::dict index(PyStore& s, const std::vector<std::string>& paths, std::size_t batch, int64_t now,
               const std::vector<double>& dedup_thresholds, const std::vector<double>& drop_dedup_thresholds) {
    IndexRunOptions options;
    options.batch = batch;
    options.now = now;
    IndexRun run;
    std::vector<std::string> warnings;
    {
        PyStore::Call call(s, PyStore::Call::kWrite);
        IndexStages stages = s.stages(dedup_thresholds, drop_dedup_thresholds);
        warnings = std::move(stages.warnings);
        run = index_paths(s.store(), s.langid(), std::move(stages.stages), paths, options);
    }
    return run_summary(run, warnings);
}

std::string optional_str(const py::dict& d, const char* key) {
    if (!d.contains(key) || d[key].is_none()) return "";
    return py::cast<std::string>(d[key]);
}

// One document from a str (id: its position `k` in the call) or a dict (id, text or html, and
// url, lang, title, date, source optional), checked as the reader checks a JSONL record. Returns
// false (with an error) for a bad record.
bool to_document(const py::handle& item, std::size_t k, Document& doc, std::vector<RecordError>& errors,
                 const ReaderOptions& limits) {
    const std::size_t line = k + 1;
    if (py::isinstance<py::str>(item)) {
        doc.id = std::to_string(k);
        doc.text = py::cast<std::string>(item);
    } else if (py::isinstance<py::dict>(item)) {
        const auto d = py::reinterpret_borrow<py::dict>(item);
        doc.id = optional_str(d, "id");
        if (doc.id.empty()) return errors.push_back({kPythonSource, line, "missing \"id\" string"}), false;
        std::string reason;
        if (d.contains("text"))
            doc.text = optional_str(d, "text");
        else if (d.contains("html") &&
                 !extract_html_text(optional_str(d, "html"), &doc.text, &doc.title, &reason, limits.extract))
            return errors.push_back({kPythonSource, line, reason}), false;
        doc.url = optional_str(d, "url");
        doc.lang_hint = optional_str(d, "lang");
        if (auto t = optional_str(d, "title"); !t.empty()) doc.title = t;
        doc.date = optional_str(d, "date");
        doc.source = optional_str(d, "source");
    } else {
        return errors.push_back({kPythonSource, line, "not a str or a dict"}), false;
    }
    if (doc.source.empty()) doc.source = std::string(kPythonSource) + ":" + std::to_string(line);
    // The reader's checks (binary, blank) and line ends, as for a JSONL record.
    if (std::string reason = check_document_text(doc.text, limits); !reason.empty())
        return errors.push_back({kPythonSource, line, std::move(reason)}), false;
    return true;
}

// The store's lock is held for the whole call (two add() calls do not interleave their batches,
// and close() waits for the indexer); the GIL is taken back to read each batch's documents.
py::dict add(PyStore& s, const py::iterable& items, std::size_t batch, int64_t now, std::size_t max_bytes) {
    DOPPEL_CHECK(kInvalidArgument, batch > 0, "batch must be positive");
    ReaderOptions limits;
    if (max_bytes > 0) limits.max_document_bytes = max_bytes;
    if (now == 0) now = static_cast<int64_t>(std::time(nullptr));
    IndexRun run;
    std::vector<std::string> warnings;
    {
        PyStore::Call call(s, PyStore::Call::kWrite);
        std::unique_ptr<Indexer> indexer = open_indexer(s.store(), s.langid());
        IndexStages stages = s.stages();
        warnings = std::move(stages.warnings);
        for (auto& stage : stages.stages) indexer->add_stage(std::move(stage));
        std::vector<Document> docs;
        auto flush = [&] {  // without the GIL
            indexer->add(docs.size(), docs.data(), now, &run.summary);
            docs.clear();
        };
        {
            py::gil_scoped_acquire gil;
            std::size_t k = 0;
            for (const py::handle item : items) {
                Document doc;
                if (to_document(item, k++, doc, run.errors, limits)) {
                    docs.push_back(std::move(doc));
                    ++run.read;
                }
                if (docs.size() >= batch) {
                    py::gil_scoped_release release;
                    flush();
                }
            }
        }
        flush();
        indexer->finish(&run.summary);
        run.stored = s.store().size();
    }
    return run_summary(run, warnings);
}

py::dict stored_dict(const StoredDocument& d, bool with_text) {
    py::dict j;
    j["id"] = d.id;
    j["language"] = d.lang;
    j["language_confidence"] = d.lang_confidence;
    j["paragraphs"] = d.paragraphs.size();
    j["other_languages"] = d.other_languages;
    j["source"] = d.source;
    j["content_hash"] = d.content_hash;
    j["added_at"] = d.added_at;
    j["url"] = d.url;
    j["title"] = d.title;
    j["date"] = d.date;
    if (with_text) j["text"] = d.text;
    return j;
}

py::list list_documents(PyStore& s, bool with_text) {
    std::vector<StoredDocument> docs;
    {
        PyStore::Call call(s);
        s.store().scan([&](const StoredDocument& d) { return docs.push_back(d), true; }, with_text);
    }
    py::list out;
    for (const auto& d : docs) out.append(stored_dict(d, with_text));
    return out;
}

py::object get_document(PyStore& s, const std::string& id, bool with_text) {
    std::optional<StoredDocument> d;
    {
        PyStore::Call call(s);
        d = s.store().get(id, with_text);
    }
    return d ? py::object(stored_dict(*d, with_text)) : py::object(py::none());
}

// Closes the store once no other thread's call is running on it.
void close_store(PyStore& s) {
    PyStore::Call call(s, PyStore::Call::kWrite);
    s.close();
}

// An Indexer with the store's stages, for delete and expire (the stages drop their data too).
std::unique_ptr<Indexer> maintenance_indexer(PyStore& s) {
    auto indexer = std::make_unique<Indexer>(s.store());  // stored documents only: no language model
    for (auto& stage : s.stages().stages) indexer->add_stage(std::move(stage));
    return indexer;
}

std::size_t delete_documents(PyStore& s, const std::vector<std::string>& ids) {
    PyStore::Call call(s, PyStore::Call::kWrite);
    return maintenance_indexer(s)->remove(ids);
}

std::vector<std::string> expire(PyStore& s, int64_t older_than, int64_t now) {
    DOPPEL_CHECK(kInvalidArgument, older_than >= 0, "older_than_seconds must not be negative");
    PyStore::Call call(s, PyStore::Call::kWrite);
    if (now == 0) now = static_cast<int64_t>(std::time(nullptr));
    return maintenance_indexer(s)->expire(now - older_than);
}

}  // namespace

void bind_store_matching(py::class_<PyStore>& c);

void bind_store(py::module_& m) {
    py::class_<PyStore> c(m, "Store",
                          "A doppel store: a folder holding documents, their sketches and embeddings. "
                          "May be shared by threads: its calls are serialized (open one Store per thread "
                          "for parallelism).");
    c.def(py::init<const std::string&, bool, bool, const std::string&, const std::string&, const std::string&>(),
          py::arg("dir"), py::kw_only(), py::arg("create") = true, py::arg("read_only") = false,
          py::arg("models") = "", py::arg("purpose") = "", py::arg("langid") = "",
          py::call_guard<py::gil_scoped_release>(),
          "Opens the store in `dir` (created when missing and create); purpose and langid as `doppel "
          "index --for` and `--langid`.");
    c.def_property_readonly("dir", [](PyStore& s) {
        PyStore::Call call(s);
        return s.store().dir();
    });
    c.def_property_readonly("models_dir", &PyStore::models_dir);
    c.def_property_readonly("purpose", &PyStore::purpose);
    c.def("__len__", [](PyStore& s) {
        PyStore::Call call(s);
        return s.store().size();
    });
    c.def("close", &close_store, "Closes the store; later calls raise Error (invalid-argument).");
    c.def("__enter__", [](py::object self) { return self; });
    c.def("__exit__", [](PyStore& s, const py::args&) { close_store(s); });
    c.def("index", &index, py::arg("paths"), py::arg("batch") = 0, py::arg("now") = 0,
          py::arg("dedup_thresholds") = std::vector<double>{}, py::arg("drop_dedup_thresholds") = std::vector<double>{},
          "Adds the documents of files and folders, as `doppel index` (batch 0: by the store's purpose, "
          "as the tool; dedup_thresholds as --dedup-thresholds: near-duplicate thresholds under 0.8 to "
          "serve from disk, kept by later runs; drop_dedup_thresholds as --drop-dedup-thresholds: those "
          "whose kept bands to drop); returns a summary dict.");
    c.def("add", &add, py::arg("documents"), py::arg("batch") = 256, py::arg("now") = 0,
          py::arg("max_bytes") = ReaderOptions{}.max_document_bytes,
          "Adds documents given as str or dict; returns a summary dict as index(). A document over "
          "max_bytes (as `doppel index --max-bytes`), binary or blank is skipped and reported in "
          "'errors', as the reader skips such a record.");
    c.def("list", &list_documents, py::arg("with_text") = false, "The stored documents, as dicts.");
    c.def("get", &get_document, py::arg("id"), py::arg("with_text") = true, "A stored document, or None.");
    c.def("delete", &delete_documents, py::arg("ids"), "Deletes documents; returns how many were stored.");
    c.def("expire", &expire, py::arg("older_than_seconds"), py::arg("now") = 0,
          "Deletes the documents added more than older_than_seconds ago; returns their ids.");
    bind_store_matching(c);
}

// ---- dedup, check, translations, report -----------------------------------------------------
namespace {

NearDuplicateOptions dedup_options(double threshold, double recall, bool boilerplate, bool exact,
                                   int threads) {
    NearDuplicateOptions opt;  // as `doppel dedup --format tsv`
    opt.threshold = threshold;
    opt.target_recall = recall;
    opt.boilerplate = boilerplate;
    opt.repeated_lines = opt.partial = false;
    opt.exact = exact;
    opt.threads = threads;
    return opt;
}

// (id_a, id_b, similarity) of the near pairs, id_a < id_b, in the order of the CLI's TSV.
py::list near_pairs(const NearDuplicateResult& r) {
    py::list out;
    for (const auto& p : r.pairs) {
        if (p.kind == DuplicateKind::kPartial) continue;
        const ReportedPair order = reported_order(p, r.docs);
        out.append(py::make_tuple(order.a->id, order.b->id, as_printed(p.jaccard, 6)));
    }
    return out;
}

py::list clusters(const NearDuplicateResult& r) {
    py::list out;
    for (const auto& c : r.clusters) {
        py::list members;
        for (std::size_t k = 0; k < c.members.size(); ++k)
            members.append(py::make_tuple(r.docs[c.members[k]].id, c.similarity[k]));
        out.append(py::make_tuple(r.docs[c.representative].id, members));
    }
    return out;
}

py::object dedup(PyStore& s, double threshold, double recall, bool boilerplate, bool exact, int threads,
                 bool with_clusters, bool only_new) {
    NewStoredDuplicates n;
    NearDuplicateResult& r = n.result;
    {
        PyStore::Call call(s);
        // The result is returned whole, so the run's place is recorded with it.
        n = run_stored_dedup(s.store(), only_new, dedup_options(threshold, recall, boilerplate, exact, threads));
    }
    if (!with_clusters) return near_pairs(r);
    py::dict d;
    if (only_new) {
        d["new"] = n.new_docs;
        d["full_run"] = n.full_run;
    }
    d["pairs"] = near_pairs(r);
    d["clusters"] = clusters(r);
    d["candidates"] = r.candidates;
    d["spec"] = r.spec;
    return d;
}

py::list check(PyStore& s, const py::iterable& items, double threshold, double recall) {
    std::vector<Document> docs;
    std::vector<RecordError> errors;
    std::size_t k = 0;
    for (const py::handle item : items) {
        Document doc;
        if (to_document(item, k++, doc, errors, ReaderOptions{})) docs.push_back(std::move(doc));
    }
    if (!errors.empty()) DOPPEL_THROW(kInvalidArgument, errors.front().to_string());
    std::vector<CheckResult> results;
    {
        PyStore::Call call(s);
        CheckOptions opt;
        opt.threshold = threshold;
        opt.recall = recall;
        DuplicateChecker checker(s.store(), opt);
        results = checker.check(docs.size(), docs.data());
    }
    py::list out;
    for (const auto& r : results) {
        const bool match = !r.match_id.empty();
        out.append(py::make_tuple(r.id, check_status_name(r.status),
                                  match ? py::object(py::str(r.match_id)) : py::none(),
                                  match ? py::object(py::float_(as_printed(r.similarity, 6))) : py::none()));
    }
    return out;
}

TranslationSearchOptions translation_options(const std::string& mode, bool same_story, bool learn,
                                             const std::string& matcher, const std::string& associations,
                                             const std::string& embedder, bool incremental) {
    DOPPEL_CHECK(kInvalidArgument, mode == "one-to-one" || mode == "one-to-many" || mode.empty(),
                 "mode must be one-to-one or one-to-many, not " + mode);
    TranslationSearchOptions o;  // as `doppel translations` with the same flags
    if (!matcher.empty()) o.matcher = MatcherOptions::parse_spec(matcher);
    o.learn = learn && associations != "none";
    if (o.learn && !associations.empty())
        o.associations = FeatureAssociationOptions::parse_spec(associations);
    if (!mode.empty()) o.matcher.one_to_one = mode == "one-to-one";
    if (!same_story) o.matcher.same_story = false;
    o.embedder_spec = embedder;
    o.incremental = incremental;
    return o;
}

py::list translations(PyStore& s, const std::string& mode, bool same_story, bool learn,
                      const std::string& matcher, const std::string& associations,
                      const std::string& embedder, bool incremental) {
    const TranslationSearchOptions opt =
        translation_options(mode, same_story, learn, matcher, associations, embedder, incremental);
    TranslationSearch found;
    {
        PyStore::Call call(s);
        found = find_stored_translations(s.store(), s.models_dir(), opt);
    }
    py::list out;
    for (const auto& p : found.pairs)
        out.append(py::make_tuple(p.id_a, p.id_b, as_printed(p.link.score, 4), to_string(p.link.label)));
    return out;
}

py::dict report(PyStore& s, const std::string& html_path, double threshold, const std::string& units,
                std::size_t max_pairs, const std::string& title, bool align_same_story,
                std::size_t max_rows) {
    ReportDataOptions ropt;
    ropt.units = parse_unit_kind(units);
    ropt.max_aligned_pairs = max_pairs;
    ropt.same_story_alignments = align_same_story;
    std::vector<std::string> warnings;
    ReportData data;
    {
        PyStore::Call call(s);
        data = build_store_report(s.store(), s.models_dir(), threshold, ropt, &warnings);
        data.title = title;
        std::ofstream out(html_path, std::ios::binary);
        if (!out) DOPPEL_THROW(kIo, "cannot write " + html_path);
        out << render_html_report(data, HtmlReportOptions{max_rows});
        out.close();
        if (!out) DOPPEL_THROW(kIo, "cannot write " + html_path);
    }
    py::dict d;
    d["documents"] = data.documents.size();
    d["duplicates"] = data.duplicates.size();
    d["translations"] = data.translations.size();
    d["warnings"] = warnings;
    d["html"] = html_path;
    return d;
}

}  // namespace

void bind_store_matching(py::class_<PyStore>& c) {
    c.def("dedup", &dedup, py::arg("threshold") = 0.8, py::kw_only(), py::arg("recall") = 0.99,
          py::arg("boilerplate") = true, py::arg("exact") = false, py::arg("threads") = 0,
          py::arg("clusters") = false, py::arg("new") = false,
          "Near-duplicate pairs [(id_a, id_b, similarity)] as `doppel dedup --store` TSV; with "
          "clusters=True a dict with pairs, clusters, candidates and spec. new=True: only the "
          "documents added since the last new=True call (`dedup --store --new`; it records its "
          "place in the store; the dict adds new and full_run).");
    c.def("check", &check, py::arg("documents"), py::arg("threshold") = 0.8, py::kw_only(),
          py::arg("recall") = 0.99,
          "For each document (str or dict), without storing it: (id, status, match_id, similarity).");
    c.def("translations", &translations, py::kw_only(), py::arg("mode") = "", py::arg("same_story") = true,
          py::arg("learn") = true, py::arg("matcher") = "", py::arg("associations") = "",
          py::arg("embedder") = "", py::arg("incremental") = false,
          "Cross-language pairs [(id_a, id_b, score, label)] as `doppel translations` TSV; incremental=True as "
          "--incremental (extends the state the previous incremental run saved in the store).");
    c.def("report", &report, py::arg("html_path"), py::kw_only(), py::arg("threshold") = 0.8,
          py::arg("units") = "lines", py::arg("max_pairs") = 200, py::arg("title") = "doppel report",
          py::arg("align_same_story") = false, py::arg("max_rows") = HtmlReportOptions{}.max_rows,
          "Writes the HTML report of `doppel report` (max_rows as --max-rows); returns counts.");
}

}  // namespace doppel::python
