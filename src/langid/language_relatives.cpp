#include "doppel/langid/language_relatives.h"

#include <array>

namespace doppel {
namespace {

// Each family: its home first. lid.176 labels Norwegian Bokmal "no"; "nb" is the code
// catalogs and CMSs use for it, so a hint or a stored label "nb" finds the same family.
constexpr std::array<std::array<std::string_view, 6>, 12> kFamilies{{
    {"no", "nb", "nn"},
    {"sh", "sr", "hr", "bs"},
    {"ms", "id"},
    {"ca", "oc"},
    {"pt", "gl"},
    {"es", "ast", "an"},
    {"zh", "wuu", "yue", "gan"},
    {"de", "als", "bar"},
    {"it", "vec", "lmo", "nap", "scn", "pms"},
    {"fr", "wa"},
    {"nl", "li", "vls"},
    {"en", "sco"},
}};

const std::array<std::string_view, 6>* family_row(std::string_view lang) {
    if (lang.empty()) return nullptr;
    for (const auto& f : kFamilies)
        for (std::string_view m : f)
            if (m == lang) return &f;
    return nullptr;
}

}  // namespace

std::string_view lid_language(std::string_view code) {
    if (code == "nb") return "no";  // Norwegian Bokmal
    if (code == "iw") return "he";  // Hebrew's withdrawn code
    if (code == "in") return "id";  // Indonesian's withdrawn code
    return code;
}

std::string_view language_family(std::string_view lang) {
    const auto* f = family_row(lang);
    return f ? (*f)[0] : lang;
}

bool are_relatives(std::string_view a, std::string_view b) {
    return a != b && family_row(a) != nullptr && family_row(a) == family_row(b);
}

std::vector<std::string_view> relatives_of(std::string_view lang) {
    std::vector<std::string_view> out;
    if (const auto* f = family_row(lang))
        for (std::string_view m : *f)
            if (!m.empty() && m != lang) out.push_back(m);
    return out;
}

std::map<std::string, std::string> merge_minor_relatives(const std::map<std::string, std::size_t>& counts,
                                                         double minor_share) {
    std::map<std::string, std::string> out;
    for (const auto& [lang, n] : counts) {
        std::string as = lang;
        std::size_t best = n;
        for (std::string_view r : relatives_of(lang)) {
            auto it = counts.find(std::string(r));
            if (it != counts.end() && it->second > best) {
                best = it->second;
                as = it->first;
            }
        }
        out[lang] = static_cast<double>(n) < minor_share * static_cast<double>(best) ? as : lang;
    }
    return out;
}

}  // namespace doppel
