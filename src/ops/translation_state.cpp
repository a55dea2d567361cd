#include "doppel/ops/translation_state.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>
#include <unordered_map>

#include "doppel/error.h"

namespace doppel {

namespace {

constexpr char kMagic[4] = {'D', 'P', 'T', 'S'};
constexpr uint32_t kWeighingSince = 4;  // the version that added the weighing (version 3 is read without)
constexpr std::size_t kChunkBytes = 1 << 20;  // a table's lists are read and written this much at a time

template <class T>
void append_bytes(std::vector<char>& out, T v) {
    const char* p = reinterpret_cast<const char*>(&v);
    out.insert(out.end(), p, p + sizeof v);
}

class Writer {
public:
    explicit Writer(const std::string& path) : path_(path), out_(path, std::ios::binary | std::ios::trunc) {
        DOPPEL_CHECK(kIo, out_.good(), "translations state: cannot write " + path);
    }
    void bytes(const void* p, std::size_t n) { out_.write(static_cast<const char*>(p), static_cast<std::streamsize>(n)); }
    template <class T>
    void value(T v) { bytes(&v, sizeof v); }
    template <class T>
    void array(const std::vector<T>& v) { bytes(v.data(), v.size() * sizeof(T)); }
    void string(const std::string& s) {
        value(static_cast<uint32_t>(s.size()));
        bytes(s.data(), s.size());
    }
    void close() {
        out_.close();
        DOPPEL_CHECK(kIo, !out_.fail(), "translations state: cannot write " + path_);
    }

private:
    std::string path_;
    std::ofstream out_;
};

class Reader {
public:
    explicit Reader(const std::string& path) : path_(path), in_(path, std::ios::binary) {
        DOPPEL_CHECK(kIo, in_.good(), "translations state: cannot read " + path);
        in_.seekg(0, std::ios::end);
        left_ = static_cast<uint64_t>(in_.tellg());
        in_.seekg(0);
    }
    void bytes(void* p, std::size_t n) {
        DOPPEL_CHECK(kBadFormat, n <= left_, "translations state: " + path_ + " is truncated");
        in_.read(static_cast<char*>(p), static_cast<std::streamsize>(n));
        DOPPEL_CHECK(kIo, in_.good(), "translations state: cannot read " + path_);
        left_ -= n;
    }
    template <class T>
    T value() {
        T v{};
        bytes(&v, sizeof v);
        return v;
    }
    // A count of records of `record_bytes` each, checked against the bytes left before anything
    // is allocated for them.
    uint64_t count(uint64_t record_bytes) {
        const auto n = value<uint64_t>();
        DOPPEL_CHECK(kBadFormat, n <= left_ / record_bytes, "translations state: " + path_ + " is truncated");
        return n;
    }
    // n values of T into v (its capacity reused); n is checked against the bytes left before
    // anything is allocated.
    template <class T>
    void array(uint64_t n, std::vector<T>& v) {
        DOPPEL_CHECK(kBadFormat, n <= left_ / sizeof(T), "translations state: " + path_ + " is truncated");
        v.resize(n);
        bytes(v.data(), n * sizeof(T));
    }
    template <class T>
    std::vector<T> array(uint64_t n) {
        std::vector<T> v;
        array(n, v);
        return v;
    }
    std::string string() {
        const std::vector<char> c = array<char>(value<uint32_t>());
        return {c.begin(), c.end()};
    }
    bool at_end() const { return left_ == 0; }
    const std::string& path() const { return path_; }

private:
    std::string path_;
    std::ifstream in_;
    uint64_t left_ = 0;
};

void write_table(Writer& w, const CandidateTable& t) {
    const std::size_t n = t.documents(), L = t.languages.size();
    w.value(static_cast<uint64_t>(n));
    w.value(static_cast<uint32_t>(t.capacity()));
    w.value(static_cast<uint32_t>(L));
    for (const std::string& lang : t.languages) w.string(lang);
    w.value(static_cast<uint64_t>(t.searched.size()));
    w.array(t.searched);
    std::vector<uint32_t> sizes(t.lists());
    for (std::size_t i = 0; i < t.lists(); ++i) sizes[i] = static_cast<uint32_t>(t.list(i).size());
    w.array(sizes);
    std::vector<char> chunk;  // many lists' bytes at a time: a write per list cost seconds at a million documents
    for (std::size_t i = 0; i < t.lists(); ++i) {
        const std::span<const MatchCandidate> list = t.list(i);
        for (const MatchCandidate& c : list) append_bytes(chunk, c.other);
        for (const MatchCandidate& c : list) append_bytes(chunk, c.sim);
        if (chunk.size() >= kChunkBytes || i + 1 == t.lists()) {
            w.bytes(chunk.data(), chunk.size());
            chunk.clear();
        }
    }
}

CandidateTable read_table(Reader& r, uint64_t documents_expected) {
    const auto n = r.value<uint64_t>();
    const auto capacity = r.value<uint32_t>();
    const auto L = r.value<uint32_t>();
    DOPPEL_CHECK(kBadFormat, n == 0 || n == documents_expected,
                 "translations state: " + r.path() + " holds a table of other documents");
    std::vector<std::string> languages(L);
    for (std::string& lang : languages) lang = r.string();
    std::vector<char> searched = r.array<char>(r.value<uint64_t>());
    DOPPEL_CHECK(kBadFormat, searched.empty() || searched.size() == uint64_t{L} * L,
                 "translations state: " + r.path() + " holds a search plan of other languages");
    const std::vector<uint32_t> sizes = r.array<uint32_t>(n * L);
    CandidateTable t = CandidateTable::empty(n, std::move(languages), capacity);
    t.searched = std::move(searched);
    std::vector<char> chunk;  // many lists' bytes at a time (one read per list cost seconds at a million documents)
    for (std::size_t first = 0; first < sizes.size();) {
        std::size_t end = first, bytes = 0;
        for (; end < sizes.size() && (end == first || bytes < kChunkBytes); ++end) {
            DOPPEL_CHECK(kBadFormat, sizes[end] <= capacity, "translations state: " + r.path() + " has an overlong list");
            bytes += std::size_t{sizes[end]} * 8;
        }
        r.array(bytes, chunk);
        const char* at = chunk.data();
        for (std::size_t i = first; i < end; ++i) {
            const CandidateList list = t.edit(i / L, i % L);
            for (uint32_t j = 0; j < sizes[i]; ++j) {
                MatchCandidate c;
                std::memcpy(&c.other, at + 4 * j, 4);
                std::memcpy(&c.sim, at + 4 * (sizes[i] + j), 4);
                DOPPEL_CHECK(kBadFormat, c.other < n, "translations state: " + r.path() + " names a document it does not hold");
                list.push_back(c);
            }
            at += std::size_t{sizes[i]} * 8;
        }
        first = end;
    }
    return t;
}

void write_associations(Writer& w, const FeatureAssociations& a) {
    const std::vector<std::string> langs = a.languages();
    w.value(static_cast<uint32_t>(langs.size()));
    for (const std::string& lang : langs) {
        w.string(lang);
        const std::vector<FeatureAssociation> of = a.of(lang);
        w.value(static_cast<uint64_t>(of.size()));
        for (const FeatureAssociation& x : of) {
            w.value(x.source);
            w.value(x.target);
            w.value(x.count);
            w.value(x.dice);
        }
        const std::vector<uint64_t> dropped = a.dropped(lang);
        w.value(static_cast<uint64_t>(dropped.size()));
        w.array(dropped);
    }
}

FeatureAssociations read_associations(Reader& r) {
    FeatureAssociations a;
    const auto langs = r.value<uint32_t>();
    for (uint32_t l = 0; l < langs; ++l) {
        const std::string lang = r.string();
        const uint64_t m = r.count(8 + 8 + 4 + 4);
        for (uint64_t j = 0; j < m; ++j) {
            FeatureAssociation x;
            x.source = r.value<uint64_t>();
            x.target = r.value<uint64_t>();
            x.count = r.value<uint32_t>();
            x.dice = r.value<float>();
            a.add(lang, x);
        }
        for (uint64_t f : r.array<uint64_t>(r.value<uint64_t>())) a.drop(lang, f);
    }
    return a;
}

void write_links(Writer& w, const LinkState& s) {
    w.value(static_cast<uint32_t>(s.floors.size()));
    w.array(s.floors);
    w.value(static_cast<uint64_t>(s.strong.size()));
    for (const TranslationLink& l : s.strong) {
        w.value(static_cast<uint32_t>(l.a));
        w.value(static_cast<uint32_t>(l.b));
        for (float f : {l.score, l.similarity, l.margin, l.anchors}) w.value(f);
        w.value(static_cast<uint8_t>(l.label));
        w.value(static_cast<uint8_t>(l.url_evidence));
    }
}

LinkState read_links(Reader& r, uint64_t documents) {
    LinkState s;
    s.floors = r.array<float>(r.value<uint32_t>());
    const uint64_t m = r.count(4 * 2 + 4 * 4 + 2);
    s.strong.reserve(m);
    for (uint64_t j = 0; j < m; ++j) {
        TranslationLink l;
        l.a = r.value<uint32_t>();
        l.b = r.value<uint32_t>();
        l.score = r.value<float>();
        l.similarity = r.value<float>();
        l.margin = r.value<float>();
        l.anchors = r.value<float>();
        const auto label = r.value<uint8_t>();
        l.url_evidence = r.value<uint8_t>() != 0;
        DOPPEL_CHECK(kBadFormat, l.a < documents && l.b < documents && label <= static_cast<uint8_t>(LinkLabel::kSameStory),
                     "translations state: " + r.path() + " holds a link it cannot place");
        l.label = static_cast<LinkLabel>(label);
        s.strong.push_back(l);
    }
    return s;
}

void write_weighing(Writer& w, const TranslationState::Weighing& x) {
    const std::vector<std::pair<uint64_t, uint32_t>> df = x.frequencies.sorted();
    w.value(static_cast<uint64_t>(x.frequencies.documents));
    w.value(static_cast<uint64_t>(df.size()));
    for (const auto& [feature, count] : df) {
        w.value(feature);
        w.value(count);
    }
    w.value(static_cast<uint64_t>(x.lengths.size()));
    w.array(x.lengths);
}

TranslationState::Weighing read_weighing(Reader& r, uint64_t documents) {
    TranslationState::Weighing x;
    x.frequencies.documents = r.value<uint64_t>();
    DOPPEL_CHECK(kBadFormat, x.frequencies.documents <= documents,
                 "translations state: " + r.path() + " weighs more documents than it holds");
    const uint64_t f = r.count(8 + 4);
    x.frequencies.reserve(f);
    uint64_t previous = 0;
    for (uint64_t j = 0; j < f; ++j) {
        const auto feature = r.value<uint64_t>();
        const auto count = r.value<uint32_t>();
        // Written in ascending order of feature (write_weighing), each counted in 1..documents.
        DOPPEL_CHECK(kBadFormat, (j == 0 || feature > previous) && count >= 1 && count <= x.frequencies.documents,
                     "translations state: " + r.path() + " holds a feature's document frequency it cannot place");
        x.frequencies.set_count(feature, count);
        previous = feature;
    }
    x.lengths = r.array<float>(r.value<uint64_t>());
    DOPPEL_CHECK(kBadFormat, x.lengths.empty() || x.lengths.size() == documents,
                 "translations state: " + r.path() + " holds lengths of other documents");
    return x;
}

// A temporary name beside `path` that no other writer uses at the same time: two runs on one
// store (two processes, or two Stores in one process) each write their own, and the last rename
// wins whole.
std::string private_temp_path(const std::string& path) {
    static std::atomic<unsigned> counter{0};
    return path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
}

void write_state(const std::string& tmp, const TranslationState& state) {
    Writer w(tmp);
    w.bytes(kMagic, sizeof kMagic);
    w.value(kTranslationStateVersion);
    w.string(state.specs);
    w.value(static_cast<uint64_t>(state.seqs.size()));
    w.array(state.seqs);
    w.array(state.langs);
    write_table(w, state.first);
    write_table(w, state.second);
    write_associations(w, state.associations);
    write_links(w, state.first_links);
    write_links(w, state.second_links);
    write_weighing(w, state.first_weighing);
    write_weighing(w, state.second_weighing);
    w.close();
}

}  // namespace

void save_translation_state(const std::string& path, const TranslationState& state) {
    const std::string tmp = private_temp_path(path);
    std::error_code ec;
    try {
        write_state(tmp, state);
    } catch (...) {
        std::filesystem::remove(tmp, ec);  // a failed write leaves no partial file behind
        throw;
    }
    std::filesystem::rename(tmp, path, ec);
    if (!ec) return;
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    DOPPEL_THROW(kIo, "translations state: cannot rename " + tmp + " to " + path + ": " + ec.message());
}

std::optional<TranslationState> load_translation_state(const std::string& path) {
    if (!std::filesystem::exists(path)) return std::nullopt;
    Reader r(path);
    char magic[4];
    r.bytes(magic, sizeof magic);
    DOPPEL_CHECK(kBadFormat, std::equal(magic, magic + 4, kMagic), "translations state: " + path + " is not one");
    const auto version = r.value<uint32_t>();
    DOPPEL_CHECK(kVersion, version >= kWeighingSince - 1 && version <= kTranslationStateVersion,
                 "translations state: " + path + " is of version " + std::to_string(version) +
                     ", this build reads " + std::to_string(kWeighingSince - 1) + " to " +
                     std::to_string(kTranslationStateVersion));
    TranslationState s;
    s.specs = r.string();
    const auto n = r.value<uint64_t>();
    s.seqs = r.array<int64_t>(n);
    s.langs = r.array<uint32_t>(n);
    s.first = read_table(r, n);
    s.second = read_table(r, n);
    s.associations = read_associations(r);
    s.first_links = read_links(r, n);
    s.second_links = read_links(r, n);
    if (version >= kWeighingSince) {
        s.first_weighing = read_weighing(r, n);
        s.second_weighing = read_weighing(r, n);
    }
    for (uint32_t l : s.langs)
        DOPPEL_CHECK(kBadFormat, l < s.first.languages.size(), "translations state: " + path + " names an unknown language");
    DOPPEL_CHECK(kBadFormat, r.at_end(), "translations state: " + path + " has bytes after its end");
    return s;
}

CandidateTable place_table(const CandidateTable& table, std::span<const int64_t> from, std::span<const int64_t> to) {
    DOPPEL_CHECK(kInvalidArgument, table.documents() == from.size(), "translations state: a table of other documents");
    std::unordered_map<int64_t, uint32_t> at;
    at.reserve(to.size());
    for (std::size_t i = 0; i < to.size(); ++i) at.emplace(to[i], static_cast<uint32_t>(i));
    std::vector<uint32_t> moved(from.size());
    for (std::size_t i = 0; i < from.size(); ++i) {
        auto it = at.find(from[i]);
        DOPPEL_CHECK(kInvalidArgument, it != at.end(),
                     "translations state: document " + std::to_string(from[i]) + " is no longer stored");
        moved[i] = it->second;
    }
    return place_table(table, moved, to.size());
}

CandidateTable place_table(const CandidateTable& table, std::span<const uint32_t> moved, std::size_t to_size) {
    DOPPEL_CHECK(kInvalidArgument, table.documents() == moved.size(), "translations state: a table of other documents");
    const std::size_t L = table.languages.size();
    CandidateTable out = CandidateTable::empty(to_size, table.languages, table.capacity());
    out.searched = table.searched;
    for (std::size_t d = 0; d < moved.size(); ++d)
        for (std::size_t t = 0; t < L; ++t) {
            const CandidateList list = out.edit(moved[d], t);
            for (const MatchCandidate& c : table.of(d, t)) list.push_back({moved[c.other], c.sim});
        }
    return out;
}

LinkState place_links(LinkState links, std::span<const uint32_t> moved) {
    for (TranslationLink& l : links.strong) {
        DOPPEL_CHECK(kInvalidArgument, l.a < moved.size() && l.b < moved.size(), "translations state: a link of other documents");
        l.a = moved[l.a];
        l.b = moved[l.b];
    }
    return links;
}

}  // namespace doppel
