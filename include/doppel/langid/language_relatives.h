// doppel: close relatives among the languages of fastText's lid.176.
//
// Terms:
//  - family: languages so close that lid.176 confuses them on short texts, and whose texts
//    share most of their vocabulary: the Norwegian varieties (no = Bokmal, nn, nb),
//    Serbo-Croatian (sh, sr, hr, bs), Malay (ms, id), Catalan/Occitan (ca, oc), Portuguese/
//    Galician (pt, gl), Spanish with Asturian and Aragonese (es, ast, an), Chinese with Wu,
//    Cantonese and Gan (zh, wuu, yue, gan), and a few regional languages with their standard
//    one (de: als, bar; it: vec, lmo, nap, scn, pms; fr: wa; nl: li, vls; en: sco). The table
//    lives in src/langid/language_relatives.cpp, the one place that has it.
//  - home: the family's first language above (no, sh, ms, ca, pt, es, zh, de, it, fr, nl, en).
//
// Uses: language ID gives a text that it does not trust the probability of its family
// members when one of them is a likely language (langid/language_identifier.h); the
// translations search matches a minor member of a family (a few stray labels) as its
// family's main language (merge_minor_relatives), so a Catalan text labelled Occitan is still
// searched against, and matched with, the other versions of the Catalan ones. Languages of
// different families are never merged.
//
// Thread safety: pure functions over a constant table.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace doppel {

// The label lid.176 gives a language that a record or catalog may name otherwise ("nb" -> "no",
// "iw" -> "he", "in" -> "id"); other codes unchanged.
std::string_view lid_language(std::string_view code);

// The home of lang's family, or lang itself when it has no relatives ("nn" -> "no",
// "hr" -> "sh", "de" -> "de", "ru" -> "ru").
std::string_view language_family(std::string_view lang);

// True when a and b are different languages of one family.
bool are_relatives(std::string_view a, std::string_view b);

// The other members of lang's family (empty when it has none).
std::vector<std::string_view> relatives_of(std::string_view lang);

// Per language of `counts` (documents per language), the language it is matched as: itself,
// or, for a minor member of a family, the member with the most documents. A language is minor
// when its count is below `minor_share` times that member's (0 merges nothing). Real separate
// languages with many documents each (a store of Bokmal and Nynorsk pages) keep their own.
std::map<std::string, std::string> merge_minor_relatives(const std::map<std::string, std::size_t>& counts,
                                                         double minor_share);

}  // namespace doppel
