#include "doppel/sketch/line_summary.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>

#include "doppel/sketch/shingler.h"
#include "impl/hash_buckets.h"

namespace doppel {
namespace {

std::string_view trim(std::string_view s) {
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
}

}  // namespace

void distinct_line_hashes(std::string_view text, std::vector<uint64_t>* out) {
    out->clear();
    for_each_line(text, [&](std::string_view line) {
        if (const uint64_t h = Shingler::line_hash(line)) out->push_back(h);
    });
    std::sort(out->begin(), out->end());
    out->erase(std::unique(out->begin(), out->end()), out->end());
}

void find_repeated_lines(std::string_view text, int min_bytes, std::vector<RepeatedLine>* out) {
    std::vector<std::pair<uint64_t, std::string_view>> lines;
    for_each_line(text, [&](std::string_view line) {
        const uint64_t h = Shingler::line_hash(line);
        if (h && trim(line).size() >= static_cast<std::size_t>(min_bytes)) lines.emplace_back(h, trim(line));
    });
    if (lines.size() < 2) return;
    std::stable_sort(lines.begin(), lines.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    for (std::size_t s = 0; s < lines.size();) {
        std::size_t t = s + 1;
        while (t < lines.size() && lines[t].first == lines[s].first) ++t;
        if (t - s > 1) out->push_back({std::string(lines[s].second), static_cast<uint32_t>(t - s)});
        s = t;
    }
}

namespace {

struct Line {
    uint64_t hash;
    uint32_t begin, size;
};

// Sorts lines by (hash, begin), given them in order of begin. Line hashes are uniformly random,
// so a stable counting pass on the top bits (about 4 lines a bucket) and an insertion sort by
// hash inside each bucket (stable too: equal hashes keep their order of begin) give std::sort's
// order at a third of its cost on a document of a few hundred lines. The lines are scattered
// into *spare, which then holds them (both vectors keep their memory for the next document).
void sort_lines(std::vector<Line>& lines, std::vector<Line>& spare, std::vector<uint32_t>& start) {
    const std::size_t n = lines.size();
    if (n < 32) {
        std::sort(lines.begin(), lines.end(),
                  [](const Line& x, const Line& y) { return x.hash != y.hash ? x.hash < y.hash : x.begin < y.begin; });
        return;
    }
    const int shift = 64 - impl::bucket_bits(n, 4, 20);
    impl::scatter_to_buckets(lines, 64 - shift, [shift](const Line& l) { return l.hash >> shift; }, &spare, &start);
    impl::sort_ordered_buckets(spare, start, [](const Line& x, const Line& y) { return x.hash < y.hash; });
    lines.swap(spare);
}

// The buffers of one thread, kept from one document to the next. Not inlined: each use of a
// thread_local in a shared library is a call to __tls_get_addr, which the compiler would repeat.
struct LineBuffers {
    std::vector<Line> lines, spare;
    std::vector<uint32_t> start;
};
[[gnu::noinline]] LineBuffers& line_buffers() {
    thread_local LineBuffers b;
    return b;
}

}  // namespace

// One hash per line and one sort give both parts: the distinct hashes, and the groups of equal
// hashes that find_repeated_lines(text, 0) reports (sorted by hash, then position: its order).
LineSummary summarize_lines(std::string_view text) {
    LineBuffers& buffers = line_buffers();
    std::vector<Line>& lines = buffers.lines;
    lines.clear();
    for_each_line(text, [&](std::string_view line) {
        if (const uint64_t h = Shingler::line_hash(line))
            lines.push_back({h, static_cast<uint32_t>(line.data() - text.data()), static_cast<uint32_t>(line.size())});
    });
    sort_lines(lines, buffers.spare, buffers.start);
    LineSummary s;
    s.bytes = text.size();
    s.lines.reserve(lines.size());
    for (std::size_t b = 0; b < lines.size();) {
        std::size_t e = b + 1;
        while (e < lines.size() && lines[e].hash == lines[b].hash) ++e;
        s.lines.push_back(lines[b].hash);
        if (e - b > 1)
            s.repeated.push_back({std::string(trim(text.substr(lines[b].begin, lines[b].size))), static_cast<uint32_t>(e - b)});
        b = e;
    }
    if (lines.capacity() > (std::size_t{1} << 20)) {  // a huge document's buffers are let go
        std::vector<Line>().swap(lines);
        std::vector<Line>().swap(buffers.spare);
    }
    return s;
}

namespace {

// document_source_key() as its prefix and body, the body a view of the document's own strings
// (a URL's host before it is lower-cased, `lower`): its hash needs no string made.
struct SourceKeyParts {
    std::string_view prefix, body;
    bool lower = false;
};
SourceKeyParts source_key_parts(const Document& doc) {
    if (!doc.url.empty()) {
        std::string_view u = doc.url;
        const auto scheme = u.find("://");
        if (scheme != std::string_view::npos) u.remove_prefix(scheme + 3);
        u = u.substr(
            0, static_cast<std::size_t>(
                   std::find_if(u.begin(), u.end(), [](char c) { return c == '/' || c == '?' || c == '#'; }) -
                   u.begin()));
        const auto at = u.rfind('@');
        if (at != std::string_view::npos) u.remove_prefix(at + 1);
        return {"url:", u, true};
    }
    const std::string_view path = doc.source;
    // A JSONL record's source is "PATH:LINE": the JSONL file is the source.
    const auto colon = path.rfind(':');
    if (colon != std::string_view::npos && colon + 1 < path.size() &&
        path.find_first_not_of("0123456789", colon + 1) == std::string_view::npos)
        return {"file:", path.substr(0, colon)};
    const auto slash = path.rfind('/');
    return {"dir:", slash == std::string_view::npos ? std::string_view(".") : path.substr(0, slash)};
}

// Writes the key of `k` to out[0, size) (size: prefix and body), the host lower-cased.
void write_source_key(const SourceKeyParts& k, char* out) {
    std::memcpy(out, k.prefix.data(), k.prefix.size());
    char* body = out + k.prefix.size();
    std::memcpy(body, k.body.data(), k.body.size());
    if (k.lower)
        for (char* c = body; c != body + k.body.size(); ++c)
            if (*c >= 'A' && *c <= 'Z') *c = static_cast<char>(*c + 32);
}

}  // namespace

std::string document_source_key(const Document& doc) {
    const SourceKeyParts k = source_key_parts(doc);
    std::string key(k.prefix.size() + k.body.size(), '\0');
    write_source_key(k, key.data());
    return key;
}

// XXH3_64bits of document_source_key(doc), the key put together on the stack when it is short.
uint64_t document_source_hash(const Document& doc) {
    const SourceKeyParts k = source_key_parts(doc);
    const std::size_t size = k.prefix.size() + k.body.size();
    char stack[256];
    std::string heap(size > sizeof stack ? size : 0, '\0');
    char* key = size > sizeof stack ? heap.data() : stack;
    write_source_key(k, key);
    return XXH3_64bits(key, size);
}

}  // namespace doppel
