#include "align/compound_splitter.h"
#include "doppel/error.h"

#include <algorithm>
#include <array>

namespace doppel::impl {
namespace {

// Linking elements between the parts of a compound, longest first.
constexpr std::array<std::string_view, 6> kLinks = {"es", "en", "er", "s", "n", "e"};

// German prepositions and verb prefixes: a word that starts with one is most often a verb form
// ("vorgenommen", "aufgegeben", "verliefen") whose stem the dictionary lacks, not a compound of
// two nouns; as a modifier they would split it into a particle and a stray fragment.
constexpr std::array<std::string_view, 40> kGermanParticles = {
    "ab",    "an",     "auf",  "aus",   "be",    "bei",   "dar",   "durch", "ein",   "ent",
    "emp",   "er",     "ge",   "her",   "herab", "heran", "herauf", "heraus", "herum", "hin",
    "hinab", "hinauf", "hinaus", "hinein", "hinzu", "miss", "mit",  "nach",  "über",  "um",
    "un",    "unter",  "ver",  "vor",   "vorbei", "weg",  "wider", "zer",   "zu",    "zurück"};

bool is_particle(std::string_view part) {
    return std::find(kGermanParticles.begin(), kGermanParticles.end(), part) != kGermanParticles.end();
}

// Byte offsets of the code points of `w` (and w.size() at the end).
std::vector<std::size_t> boundaries(std::string_view w) {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < w.size(); ++i)
        if ((static_cast<unsigned char>(w[i]) & 0xC0) != 0x80) out.push_back(i);
    out.push_back(w.size());
    return out;
}

// The known form of a modifier part (a part before the head): the part itself, or the part
// without its linking element; empty when neither is known, or when it is a particle.
std::string_view modifier_form(std::string_view part, std::size_t min_bytes,
                               const std::function<bool(std::string_view)>& known) {
    if (is_particle(part)) return {};
    if (known(part)) return part;
    for (std::string_view link : kLinks) {
        if (part.size() < link.size() + min_bytes || !part.ends_with(link)) continue;
        const std::string_view stem = part.substr(0, part.size() - link.size());
        if (!is_particle(stem) && known(stem)) return stem;
    }
    return {};
}

// Splits `w` into known parts, its last part the longest possible; the last part is the head
// (known as it is) when `head`, else a modifier (modifier_form). Appends the parts to `out`.
bool split_into(std::string_view w, std::size_t parts_left, bool head, std::size_t min_part,
                const std::function<bool(std::string_view)>& known, std::vector<std::string>& out) {
    const std::vector<std::size_t> cp = boundaries(w);
    const std::size_t n = cp.size() - 1;  // code points
    if (parts_left < 2 || n < 2 * min_part) return false;
    for (std::size_t cut = min_part; cut + min_part <= n; ++cut) {
        const std::string_view tail = w.substr(cp[cut]), front = w.substr(0, cp[cut]);
        const std::string_view last = head ? (known(tail) ? tail : std::string_view()) : modifier_form(tail, min_part, known);
        if (last.empty()) continue;
        const std::size_t mark = out.size();
        // The front is one modifier, or itself a compound of modifiers.
        const std::string_view first = modifier_form(front, min_part, known);
        if (!first.empty()) out.emplace_back(first);
        if (!first.empty() || split_into(front, parts_left - 1, false, min_part, known, out)) {
            out.emplace_back(last);
            return true;
        }
        out.resize(mark);
    }
    return false;
}

}  // namespace

bool writes_compounds(std::string_view lang) {
    return lang == "de" || lang == "nl" || lang == "sv" || lang == "da" || lang == "no" || lang == "nb" ||
           lang == "nn" || lang == "is";
}

std::vector<std::string> split_compound(std::string_view word, const std::function<bool(std::string_view)>& known,
                                        std::size_t min_part) {
    std::vector<std::string> out;
    if (!split_into(word, kMaxCompoundParts, true, min_part, known, out)) out.clear();
    return out;
}

void take_compound_keys(ParsedSpec& p, bool& split, int& min_part) {
    int on = split ? 1 : 0;
    p.take_number("split", on);
    p.take_number("part", min_part);
    split = on != 0;
}

void check_compound_part(const char* encoder, int min_part) {
    if (min_part < 1) DOPPEL_THROW(kBadSpec, std::string(encoder) + ": part must be at least 1");
}

std::string describe_compound_keys(bool split, int min_part) {
    return std::string("split=") + (split ? "1" : "0") + ",part=" + std::to_string(min_part);
}

}  // namespace doppel::impl
