#include "doppel/align/units.h"

#include "doppel/error.h"

namespace doppel {

UnitKind parse_unit_kind(const std::string& name) {
    if (name == "lines") return UnitKind::kLines;
    if (name == "sentences") return UnitKind::kSentences;
    if (name == "paragraphs") return UnitKind::kParagraphs;
    DOPPEL_THROW(kInvalidArgument, "unknown unit kind '" + name + "' (lines, sentences or paragraphs)");
}

const char* unit_kind_name(UnitKind kind) {
    switch (kind) {
        case UnitKind::kLines: return "lines";
        case UnitKind::kSentences: return "sentences";
        case UnitKind::kParagraphs: return "paragraphs";
    }
    return "?";
}

std::vector<Span> split_units(std::string_view text, UnitKind kind, const std::string& lang, Segmenter& segmenter) {
    switch (kind) {
        case UnitKind::kLines: return Segmenter::paragraphs(text);
        case UnitKind::kSentences: return segmenter.sentences(text, lang);
        case UnitKind::kParagraphs: {
            const std::vector<Span> lines = Segmenter::paragraphs(text);
            std::vector<Span> out;
            for (const Span& l : lines) {
                // Merge with the previous line when only one line break lies between them.
                if (!out.empty()) {
                    int breaks = 0;
                    for (uint32_t k = out.back().end; k < l.begin; ++k) breaks += text[k] == '\n';
                    if (breaks == 1) {
                        out.back().end = l.end;
                        continue;
                    }
                }
                out.push_back(l);
            }
            // No blank line anywhere: every line is a paragraph.
            if (out.size() == 1 && lines.size() > 1) return lines;
            bool any_blank = false;
            for (std::size_t k = 1; k < lines.size() && !any_blank; ++k) {
                int breaks = 0;
                for (uint32_t p = lines[k - 1].end; p < lines[k].begin; ++p) breaks += text[p] == '\n';
                any_blank = breaks > 1;
            }
            return any_blank ? out : lines;
        }
    }
    return {};
}

}  // namespace doppel
