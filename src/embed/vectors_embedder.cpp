#include "doppel/embed/vectors_embedder.h"

#include <fasttext/fasttext.h>
#include <sys/stat.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "doppel/error.h"
#include "impl/spec.h"
#include "doppel/normalize/normalizer.h"
#include "doppel/normalize/segmenter.h"

namespace doppel {

namespace {
// The words of a .vec file, most frequent first.
struct WordTable {
    std::size_t dim = 0;
    std::unordered_map<std::string, uint32_t> index;  // word -> rank
    std::vector<float> vectors;                       // rank * dim
};
}  // namespace

struct VectorsEmbedder::Table : WordTable {
    std::unique_ptr<fasttext::FastText> bin;  // for .bin files
};

struct VectorsEmbedder::Impl {
    std::map<std::string, std::unique_ptr<Table>> tables;
    Normalizer normalizer;
    Segmenter segmenter;
    std::size_t dim = 0;
};

namespace {
constexpr char kCacheMagic[4] = {'D', 'P', 'W', 'V'};
constexpr uint32_t kCacheVersion = 1;

bool ends_with(const std::string& s, const char* suf) {
    std::size_t n = std::strlen(suf);
    return s.size() >= n && s.compare(s.size() - n, n, suf) == 0;
}

struct SourceStamp {
    uint64_t size = 0, mtime = 0;
};
SourceStamp stamp(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) DOPPEL_THROW(kIo, "cannot open word vectors " + path);
    return {static_cast<uint64_t>(st.st_size), static_cast<uint64_t>(st.st_mtime)};
}
}  // namespace

VectorsEmbedder::VectorsEmbedder(VectorsEmbedderOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()) {
    DOPPEL_CHECK(kBadSpec, !options_.path.empty(), "vectors: path= is required");
    if (options_.path.find("{lang}") == std::string::npos) impl_->dim = table("").dim;
}

VectorsEmbedder::~VectorsEmbedder() = default;

VectorsEmbedderOptions VectorsEmbedder::parse_spec(const std::string& spec) {
    auto p = impl::parse_spec(spec);
    if (p.name != "vectors") DOPPEL_THROW(kBadSpec, "not a vectors spec: '" + spec + "'");
    VectorsEmbedderOptions o;
    p.take("path", o.path);
    p.take_number("max_words", o.max_words);
    p.take_number("a", o.a);
    std::string cache;
    if (p.take("cache", cache)) o.cache = cache != "0" && cache != "false";
    p.check_empty();
    if (o.path.empty()) DOPPEL_THROW(kBadSpec, "vectors spec needs path=FILE: '" + spec + "'");
    return o;
}

std::string VectorsEmbedder::describe() const {
    std::ostringstream s;
    s << "vectors:path=" << options_.path << ",max_words=" << options_.max_words;
    if (options_.a != VectorsEmbedderOptions{}.a) s << ",a=" << options_.a;
    return s.str();
}

std::size_t VectorsEmbedder::dim() const { return impl_->dim; }

std::size_t VectorsEmbedder::load(const std::string& lang) {
    table(lang);
    return impl_->dim;
}

namespace {

std::unique_ptr<fasttext::FastText> load_bin(const std::string& path, std::size_t* dim) {
    auto bin = std::make_unique<fasttext::FastText>();
    try {
        bin->loadModel(path);
    } catch (const std::exception& e) {
        DOPPEL_THROW(kIo, "cannot load fastText model " + path + ": " + e.what());
    }
    *dim = static_cast<std::size_t>(bin->getDimension());
    return bin;
}

// The binary cache beside a .vec file (magic, version, the source's size and mtime, max_words):
// false when it is missing or made from another file or setting.
bool read_cache(const std::string& cache, const SourceStamp& src, uint64_t max_words_wanted, WordTable& t) {
    std::ifstream c(cache, std::ios::binary);
    char magic[4];
    uint32_t version = 0;
    uint64_t max_words = 0, size = 0, mtime = 0, n = 0, dim = 0;
    if (!(c.read(magic, 4) && std::memcmp(magic, kCacheMagic, 4) == 0 &&
          c.read(reinterpret_cast<char*>(&version), 4) && version == kCacheVersion &&
          c.read(reinterpret_cast<char*>(&max_words), 8) && max_words == max_words_wanted &&
          c.read(reinterpret_cast<char*>(&size), 8) && size == src.size &&
          c.read(reinterpret_cast<char*>(&mtime), 8) && mtime == src.mtime &&
          c.read(reinterpret_cast<char*>(&n), 8) && c.read(reinterpret_cast<char*>(&dim), 8)))
        return false;
    t.dim = dim;
    t.vectors.resize(n * dim);
    for (uint64_t i = 0; i < n; ++i) {
        uint32_t len = 0;
        c.read(reinterpret_cast<char*>(&len), 4);
        std::string w(len, '\0');
        c.read(w.data(), len);
        t.index.emplace(std::move(w), static_cast<uint32_t>(i));
    }
    c.read(reinterpret_cast<char*>(t.vectors.data()), static_cast<std::streamsize>(4 * n * dim));
    return static_cast<bool>(c);
}

void write_cache(const std::string& cache, const SourceStamp& src, uint64_t max_words, const WordTable& t) {
    std::vector<const std::string*> words(t.index.size());
    for (auto& [w, i] : t.index) words[i] = &w;
    std::ofstream c(cache + ".tmp", std::ios::binary);
    uint64_t n = words.size(), d = t.dim;
    c.write(kCacheMagic, 4);
    c.write(reinterpret_cast<const char*>(&kCacheVersion), 4);
    c.write(reinterpret_cast<const char*>(&max_words), 8);
    c.write(reinterpret_cast<const char*>(&src.size), 8);
    c.write(reinterpret_cast<const char*>(&src.mtime), 8);
    c.write(reinterpret_cast<const char*>(&n), 8);
    c.write(reinterpret_cast<const char*>(&d), 8);
    for (auto* w : words) {
        uint32_t len = static_cast<uint32_t>(w->size());
        c.write(reinterpret_cast<const char*>(&len), 4);
        c.write(w->data(), len);
    }
    c.write(reinterpret_cast<const char*>(t.vectors.data()), static_cast<std::streamsize>(4 * t.vectors.size()));
    c.close();
    if (c) std::rename((cache + ".tmp").c_str(), cache.c_str());
}

// Reads the first max_words distinct words (normalized) of a .vec text file.
void read_vec(const std::string& path, std::size_t max_words, const Normalizer& normalizer, WordTable& t) {
    std::ifstream in(path);
    if (!in) DOPPEL_THROW(kIo, "cannot open word vectors " + path);
    std::string line;
    std::size_t count = 0, dim = 0;
    if (!std::getline(in, line) || std::sscanf(line.c_str(), "%zu %zu", &count, &dim) != 2 || dim == 0)
        DOPPEL_THROW(kBadFormat, path + ":1: not a .vec file (want a \"COUNT DIM\" header)");
    t.dim = dim;
    t.index.clear();
    t.vectors.clear();
    std::vector<float> v(dim);
    for (std::size_t lineno = 2; t.index.size() < max_words && std::getline(in, line); ++lineno) {
        auto sp = line.find(' ');
        if (sp == std::string::npos) continue;
        std::string word = normalizer.normalize_text(line.substr(0, sp));
        const char* p = line.c_str() + sp;
        for (std::size_t j = 0; j < dim; ++j) {
            char* end = nullptr;
            v[j] = std::strtof(p, &end);
            if (end == p)
                DOPPEL_THROW(kBadFormat, path + ":" + std::to_string(lineno) + ": expected " + std::to_string(dim) + " numbers");
            p = end;
        }
        if (t.index.count(word)) continue;  // keep the most frequent spelling
        t.index.emplace(word, static_cast<uint32_t>(t.index.size()));
        t.vectors.insert(t.vectors.end(), v.begin(), v.end());
    }
}

}  // namespace

VectorsEmbedder::Table& VectorsEmbedder::table(const std::string& lang) {
    auto& slot = impl_->tables[lang];
    if (slot) return *slot;
    std::string path = options_.path;
    if (auto p = path.find("{lang}"); p != std::string::npos) path.replace(p, 6, lang);
    auto t = std::make_unique<Table>();
    if (ends_with(path, ".bin")) {
        t->bin = load_bin(path, &t->dim);
    } else {
        const SourceStamp src = stamp(path);
        const std::string cache = path + ".dcache";
        if (!options_.cache || !read_cache(cache, src, options_.max_words, *t)) {
            read_vec(path, options_.max_words, impl_->normalizer, *t);
            if (options_.cache) write_cache(cache, src, options_.max_words, *t);
        }
    }
    if (impl_->dim == 0) impl_->dim = t->dim;
    if (t->dim != impl_->dim)
        DOPPEL_THROW(kModelMismatch, "word vectors " + path + " have dimension " + std::to_string(t->dim) + ", not " +
                                         std::to_string(impl_->dim));
    slot = std::move(t);
    return *slot;
}

std::size_t VectorsEmbedder::vocabulary_size(const std::string& lang) {
    auto& t = table(options_.path.find("{lang}") == std::string::npos ? "" : lang);
    return t.bin ? static_cast<std::size_t>(t.bin->getDictionary()->nwords()) : t.index.size();
}

void VectorsEmbedder::embed_text(std::string_view text, const std::string& lang, float* acc, float weight) {
    Table& t = table(options_.path.find("{lang}") == std::string::npos ? "" : lang);
    std::string norm = impl_->normalizer.normalize_text(text);
    const double n_words = std::max<double>(2.0, t.bin ? t.bin->getDictionary()->nwords() : t.index.size());
    fasttext::Vector fv(static_cast<int64_t>(t.dim));
    for (auto sp : impl_->segmenter.words(norm)) {
        std::string w = norm.substr(sp.begin, sp.size());
        const float* v = nullptr;
        double rank = 0;
        if (t.bin) {
            int32_t id = t.bin->getDictionary()->getId(w);
            t.bin->getWordVector(fv, w);
            v = fv.data();
            rank = id >= 0 ? id : n_words;
        } else {
            auto it = t.index.find(w);
            if (it == t.index.end()) continue;
            v = t.vectors.data() + std::size_t(it->second) * t.dim;
            rank = it->second;
        }
        double p = 1.0 / ((rank + 1.0) * std::log(n_words));
        float wgt = weight * static_cast<float>(options_.a / (options_.a + p));
        for (std::size_t j = 0; j < t.dim; ++j) acc[j] += wgt * v[j];
    }
}

static void l2(float* v, std::size_t d) {
    double s = 0;
    for (std::size_t j = 0; j < d; ++j) s += double(v[j]) * v[j];
    if (s > 0)
        for (std::size_t j = 0; j < d; ++j) v[j] = static_cast<float>(v[j] / std::sqrt(s));
}

void VectorsEmbedder::embed_documents(std::size_t n, const AnalyzedDocument* docs, float* out) {
    if (impl_->dim == 0 && n > 0) table(docs[0].lang);
    const std::size_t d = impl_->dim;
    for (std::size_t i = 0; i < n; ++i) {
        float* o = out + i * d;
        std::fill(o, o + d, 0.0f);
        for (const auto& p : docs[i].paragraphs)
            embed_text(std::string_view(docs[i].doc.text).substr(p.span.begin, p.span.size()),
                       p.lang.empty() ? docs[i].lang : p.lang, o, 1.0f);
        l2(o, d);
    }
}

void VectorsEmbedder::embed_sentences(std::size_t n, const std::string_view* texts, const std::string* langs, float* out) {
    if (impl_->dim == 0 && n > 0) table(langs[0]);
    const std::size_t d = impl_->dim;
    for (std::size_t i = 0; i < n; ++i) {
        float* o = out + i * d;
        std::fill(o, o + d, 0.0f);
        embed_text(texts[i], langs[i], o, 1.0f);
        l2(o, d);
    }
}

}  // namespace doppel
