// Unit tests of the compound splitter (align/compound_splitter.h) and its use by the pair encoder
// (align/pair_encoder.h, "Compounds").
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "align/compound_splitter.h"
#include "doppel/align/aligner.h"
#include "doppel/align/bridge_encoder.h"
#include "doppel/align/pair_encoder.h"
#include "doppel/error.h"
#include "doppel/normalize/stemmer.h"
#include "support/test_support.h"
#include "support/tiny_lexicon.h"

namespace doppel {
namespace {

using Parts = std::vector<std::string>;

// A German vocabulary: the words a dictionary would have.
bool known(std::string_view w) {
    static const std::set<std::string, std::less<>> words = {
        "gipfel", "mannschaft", "gletscher", "zunge", "expedition", "leiter", "höhe", "zahl",
        "nord", "ost", "grat", "eis", "wand", "vor", "genommen", "schnee", "grenze"};
    return words.contains(w);
}

TEST(CompoundSplitter, SplitsIntoKnownParts) {
    EXPECT_EQ(impl::split_compound("gipfelmannschaft", known), (Parts{"gipfel", "mannschaft"}));
    EXPECT_EQ(impl::split_compound("gletscherzunge", known), (Parts{"gletscher", "zunge"}));
    // Linking elements dropped from the modifier: -s-, -n-.
    EXPECT_EQ(impl::split_compound("expeditionsleiter", known), (Parts{"expedition", "leiter"}));
    EXPECT_EQ(impl::split_compound("höhenzahl", known), (Parts{"höhe", "zahl"}));  // "ö": one letter
    EXPECT_TRUE(impl::split_compound("höhegrenze", known, 5).empty());  // "höhe": 4 letters, 5 bytes
    EXPECT_EQ(impl::split_compound("höhegrenze", known, 4), (Parts{"höhe", "grenze"}));
    // Three parts.
    EXPECT_EQ(impl::split_compound("nordostgrat", known), (Parts{"nord", "ost", "grat"}));
    EXPECT_EQ(impl::split_compound("schneegrenze", known), (Parts{"schnee", "grenze"}));
}

TEST(CompoundSplitter, LeavesWhatItCannotSplit) {
    EXPECT_TRUE(impl::split_compound("gipfel", known).empty());          // the word itself is not tried
    EXPECT_TRUE(impl::split_compound("gipfelxyzabc", known).empty());    // an unknown head
    EXPECT_TRUE(impl::split_compound("eiswand", known, 4).empty());      // "eis" is under 4 letters
    EXPECT_EQ(impl::split_compound("eiswand", known, 3), (Parts{"eis", "wand"}));
    // A verb prefix is no modifier: "vorgenommen" is a participle, not "vor" + "genommen"
    // (both known).
    EXPECT_TRUE(impl::split_compound("vorgenommen", known).empty());
    EXPECT_TRUE(impl::writes_compounds("de"));
    EXPECT_FALSE(impl::writes_compounds("fr"));
}

const std::string kDictionary = test::tiny_pairs({"de\tfr\tgipfel\tsommet", "de\tfr\tmannschaft\téquipe"});

// With split=1 a German compound the dictionary lacks shares its parts' pairs; French words are
// never split; the spec round-trips.
TEST(CompoundSplitter, PairEncoderSplitsGermanCompounds) {
    test::TempDir dir("compound_splitter");
    test::write_file(dir / "pairs.lex", kDictionary);
    const auto whole = PairEncoder::from_spec("pairs", dir.path());
    const auto split = PairEncoder::from_spec("pairs:split=1,part=3", dir.path());
    EXPECT_EQ(whole->describe(), "pairs:split=0,part=3");
    EXPECT_EQ(split->describe(), "pairs:split=1,part=3");
    EXPECT_EQ(PairEncoder::from_spec(split->describe(), dir.path())->describe(), split->describe());
    const UnitTokens de[] = {test::unit_tokens({"die", "gipfelmannschaft"})}, fr[] = {test::unit_tokens({"équipesommet"})};
    FeatureVector f[1];
    whole->encode(1, de, {"de", "fr"}, f);
    EXPECT_TRUE(f[0].empty());
    split->encode(1, de, {"de", "fr"}, f);
    EXPECT_EQ(f[0].size(), 2u);  // gipfel-sommet, mannschaft-équipe
    split->encode(1, fr, {"fr", "de"}, f);
    EXPECT_TRUE(f[0].empty());
    EXPECT_THROW(PairEncoder::from_spec("pairs:part=0", dir.path()), Error);
    // In the aligner's spec.
    const auto aligner = Aligner::from_spec("dp;1*anchors;1.5*pairs:split=1", dir.path());
    EXPECT_NE(aligner->describe().find(";1.5*pairs:split=1,part=3"), std::string::npos);
    EXPECT_EQ(Aligner::from_spec(aligner->describe(), dir.path())->describe(), aligner->describe());
}

// With split=1 the bridge encoder reads "Gletscherzunge" as "Gletscher Zunge": the concepts of
// "glacier tongue"; whole, the unknown word is read as English and reaches none of them.
TEST(CompoundSplitter, BridgeEncoderSplitsGermanCompounds) {
    test::TempDir dir("compound_splitter_bridge");
    Stemmer st;
    auto k = [&](const char* lang, const char* w) { return std::string(lang) + "\t" + st.stem(lang, w); };
    test::write_file(dir / "bridge.lex", test::tiny_lexicon({"glacier", "tongu"}, {{k("de", "gletscher"), {0}},
                                                                                   {k("de", "zunge"), {1}},
                                                                                   {k("fr", "glacier"), {0}},
                                                                                   {k("fr", "langue"), {1}}}));
    const auto whole = BridgeEncoder::from_spec("bridge", dir.path());
    const auto split = BridgeEncoder::from_spec("bridge:split=1", dir.path());
    EXPECT_EQ(whole->describe(), "bridge:anchors=0,split=0,part=3");
    EXPECT_EQ(split->describe(), "bridge:anchors=0,split=1,part=3");
    EXPECT_EQ(BridgeEncoder::from_spec(split->describe(), dir.path())->describe(), split->describe());
    EXPECT_THROW(BridgeEncoder::from_spec("bridge:part=0", dir.path()), Error);
    UnitTokens de = test::unit_tokens({"die", "gletscherzunge"}), fr = test::unit_tokens({"la", "langue", "du", "glacier"});
    de.text = "Die Gletscherzunge";
    fr.text = "la langue du glacier";
    FeatureVector fd[1], ff[1], fw[1];
    split->encode(1, &de, {"de", "fr"}, fd);
    split->encode(1, &fr, {"fr", "de"}, ff);
    whole->encode(1, &de, {"de", "fr"}, fw);
    std::set<uint64_t> french;
    for (const Feature& f : ff[0]) french.insert(f.id);
    auto shared = [&](const FeatureVector& v) {
        std::size_t n = 0;
        for (const Feature& f : v) n += french.contains(f.id);
        return n;
    };
    EXPECT_EQ(shared(fd[0]), 2u);
    EXPECT_EQ(shared(fw[0]), 0u);
}

}  // namespace
}  // namespace doppel
