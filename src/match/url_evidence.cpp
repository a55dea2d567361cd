#include "match/url_evidence.h"

#include <algorithm>
#include <array>
#include <vector>

namespace doppel::url_evidence {
namespace {

// ISO 639-1.
constexpr std::string_view kCodes =
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz "
    "ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik "
    "io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml "
    "mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd "
    "se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi "
    "vo wa wo xh yi yo za zh zu";

// The primary code of a language tag ("en", "en-us", "pt_br"), or "" when `s` is none.
std::string language_code(std::string_view s) {
    if (s.size() != 2 && !(s.size() == 5 && (s[2] == '-' || s[2] == '_'))) return "";
    const std::string_view primary = s.substr(0, 2);
    for (std::size_t i = 0; i + 2 <= kCodes.size(); i += 3)
        if (kCodes.substr(i, 2) == primary) return std::string(primary);
    return "";
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    for (std::size_t start = 0;;) {
        const std::size_t end = s.find(sep, start);
        out.push_back(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) return out;
        start = end + 1;
    }
}

void take(std::string& codes, const std::string& code) { codes += (codes.empty() ? "" : "+") + code; }

}  // namespace

UrlLanguageKey url_language_key(std::string_view url) {
    UrlLanguageKey out;
    std::string u(url.substr(0, url.find('#')));
    std::transform(u.begin(), u.end(), u.begin(), [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
    std::string_view rest = u;
    if (const auto scheme = rest.find("://"); scheme != std::string_view::npos) rest.remove_prefix(scheme + 3);
    const std::size_t q = rest.find('?'), slash = std::min(rest.find('/'), q);
    std::string_view host = rest.substr(0, slash), path = slash < q ? rest.substr(slash, q - slash) : "",
                     query = q == std::string_view::npos ? "" : rest.substr(q + 1);
    if (host.starts_with("www.")) host.remove_prefix(4);
    if (const auto dot = host.find('.'); dot != std::string_view::npos && !language_code(host.substr(0, dot)).empty())
        take(out.code, language_code(host.substr(0, dot))), host.remove_prefix(dot + 1);
    out.key = std::string(host);
    for (std::string_view seg : split(path, '/')) {
        if (const std::string c = language_code(seg); !c.empty()) take(out.code, c);
        else if (!seg.empty()) out.key.append("/").append(seg);
    }
    std::vector<std::string> params;
    for (std::string_view p : split(query, '&')) {
        const auto eq = p.find('=');
        const std::string_view name = p.substr(0, eq);
        const std::string c = eq == std::string_view::npos ? "" : language_code(p.substr(eq + 1));
        const bool lang_param = name == "lang" || name == "language" || name == "hl" || name == "locale" || name == "lng";
        if (lang_param && !c.empty()) take(out.code, c);
        else if (!p.empty()) params.emplace_back(p);
    }
    std::sort(params.begin(), params.end());
    for (std::size_t i = 0; i < params.size(); ++i) out.key += (i ? "&" : "?") + params[i];
    return out;
}

bool same_url_but_language(std::string_view url_a, std::string_view url_b) {
    if (url_a.empty() || url_b.empty()) return false;
    const UrlLanguageKey a = url_language_key(url_a), b = url_language_key(url_b);
    return !a.key.empty() && a.key == b.key && a.code != b.code;
}

void add_url_evidence(std::span<const MatchDocument> docs, float weight, TranslationLink& link) {
    if (!same_url_but_language(docs[link.a].url, docs[link.b].url)) return;
    link.url_evidence = true;
    link.score = std::min(1.0f, link.score + weight);
}

}  // namespace doppel::url_evidence
