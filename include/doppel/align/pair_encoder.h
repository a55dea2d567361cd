// doppel: direct dictionary evidence for the aligner, word pairs of two languages other than
// English ("Berg" / "montagne", "Zeit" / "temps").
//
// A word of a unit and a translation of it that a pair dictionary gives share one feature: the
// pair itself. German and French units that translate each other then share the pairs of their
// words, with no English concept between them: the bridge lexicon (align/bridge_encoder.h)
// reaches both languages through English, where a word's other senses come along, and its French
// side is thin. Words are normalized and stemmed as the text is (NFKC case folding, Snowball),
// when the dictionary loads; a word with k pairs gives each of their features the weight
// 1 / sqrt(k). A pair of languages the dictionary lacks gives no feature.
//
// The dictionary is the file pairs.lex of the models folder, written by scripts/build-pairs from
// Debian's FreeDict packages (dict-freedict-deu-fra, dict-freedict-fra-deu: German-French, each
// headword's first translation of one word). Format: the line "#doppel-pairs 1" (magic and
// format version), a JSON header line (inputs with package version, sha256, licence), then one
// pair a line: lang a, lang b, word a, word b, tab-separated.
//
// Compounds (off by default). With split=1, in a language that writes compounds as one word
// (German, Dutch, the Scandinavian languages), a word the dictionary lacks is split into words it
// has (align/compound_splitter.h; a German verb prefix is no part), the last part as long as
// possible, linking elements (-s-, -es-, -n-, -en-, -er-, -e-) dropped: "Gipfelmannschaft" gives
// the pairs of "Gipfel" and "Mannschaft", so it shares "sommet" and "équipe" with its French
// translation. Each part counts as a word of the unit. On Text+Berg's dev file it raises the share
// of German content words sharing a pair with their gold bead from 0.331 to 0.382, and
// `1.5*pairs:split=1` gives dev F1 0.902 against 0.897, but test0-6 0.885 against 0.886: not a
// default (docs/measurements.md, "Alignment").
//
// Spec string: "pairs" or "pairs:split=0,part=3" (those are the defaults; split=1 splits
// compounds into parts of at least `part` letters); the file is models_dir/pairs.lex of
// Aligner::from_spec.
//
// Thread safety: immutable after loading; encode() may run on many threads at once (each call
// makes its own stemmer).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "doppel/align/unit_encoder.h"

namespace doppel {

struct PairEncoderOptions {  // spec key
    bool split = false;         // split: split unknown compounds into known words (above)
    int min_part = 3;           // part: fewest letters of a compound's part
};

class PairEncoder : public UnitEncoder {
public:
    static constexpr const char* kMagic = "#doppel-pairs 1";

    // Loads a pair dictionary. Throws doppel::Error when the file is missing, or does not start
    // with kMagic (another format, or another version).
    explicit PairEncoder(const std::string& path, PairEncoderOptions options = {});
    // Parses "pairs[:split=0|1,part=N]" and loads models_dir/pairs.lex (throws as the
    // constructor does, and on a bad spec).
    static std::unique_ptr<PairEncoder> from_spec(const std::string& spec, const std::string& models_dir);

    void encode(std::size_t n, const UnitTokens* units, const EncodeContext& context,
                FeatureVector* out) const override;
    std::string describe() const override;

    // The JSON header line of the file (its inputs).
    const std::string& header_json() const { return header_; }

private:
    // One language pair: each stemmed word of either language -> the ids of its pairs.
    struct Table {
        std::string lang_a, lang_b;
        std::unordered_map<std::string, std::vector<uint64_t>> a, b;
    };
    const std::unordered_map<std::string, std::vector<uint64_t>>* words_of(const EncodeContext& context) const;

    PairEncoderOptions options_;
    std::string header_;
    std::vector<Table> tables_;
};

}  // namespace doppel
