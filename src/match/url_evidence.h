// doppel (private): URL evidence for translations, as CCAligned (El-Kishky et al., 2020) uses
// it: two pages whose URLs are the same once a language code is taken out
// (https://example.com/en/news/1 and https://example.com/ar/news/1; ?lang=en and ?lang=ar;
// en.example.com and ar.example.com; a page without a code and one with) are likely versions of
// one page. The matcher adds this as one small term to the score of a pair it found on content,
// never as a reason to look at a pair (matcher.h: url_weight).
//
// Language codes recognized: ISO 639-1 two-letter codes, alone or with a region (en-us, pt_BR),
// as the first host label, as a whole path segment, or as the value of a query parameter named
// lang, language, hl, locale or lng. Thread safety: pure functions.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "doppel/match/matcher.h"

namespace doppel::url_evidence {

struct UrlLanguageKey {
    std::string key;   // the URL lower-cased, without scheme, "www." and language codes
    std::string code;  // the codes taken out (primary subtags, '+'-joined), "" when none
};

// The key of a URL; key is empty for an empty URL.
UrlLanguageKey url_language_key(std::string_view url);

// True when the two URLs are the same but for their language codes (which differ).
bool same_url_but_language(std::string_view url_a, std::string_view url_b);

// The matcher's hook: marks link.url_evidence and adds `weight` to its score (capped at 1) when
// docs[link.a] and docs[link.b] have such URLs.
void add_url_evidence(std::span<const MatchDocument> docs, float weight, TranslationLink& link);

}  // namespace doppel::url_evidence
