// Unit tests of the direct word-pair encoder (align/pair_encoder.h) and its use in the aligner.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "doppel/align/aligner.h"
#include "doppel/align/pair_encoder.h"
#include "doppel/error.h"
#include "support/test_support.h"
#include "support/tiny_lexicon.h"

namespace doppel {
namespace {

// A dictionary in scripts/build-pairs' format: German-French pairs, with "Größe" written as
// the dictionary writes it (the Swiss text has "Grösse": both fold to "grösse").
const std::string kDictionary = test::tiny_pairs(
    {"de\tfr\tberg\tmontagne", "de\tfr\tgröße\ttaille", "de\tfr\tgröße\tgrandeur", "de\tfr\tzeit\ttemps"});

std::vector<uint64_t> ids(const FeatureVector& f) {
    std::vector<uint64_t> out;
    for (const Feature& x : f) out.push_back(x.id);
    std::sort(out.begin(), out.end());
    return out;
}

std::size_t shared(const FeatureVector& x, const FeatureVector& y) {
    const auto a = ids(x), b = ids(y);
    std::vector<uint64_t> both;
    std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
    return both.size();
}

TEST(PairEncoder, TranslationsShareTheirPair) {
    test::TempDir dir("pair_encoder");
    test::write_file(dir / "pairs.lex", kDictionary);
    const auto enc = PairEncoder::from_spec("pairs", dir.path());
    EXPECT_EQ(enc->describe(), "pairs:split=0,part=3");
    EXPECT_EQ(enc->header_json(), "{\"inputs\": []}");
    // Inflected forms reach the dictionary's words through the stemmers.
    const UnitTokens de[] = {test::unit_tokens({"die", "berge", "und", "die", "zeit"}), test::unit_tokens({"die", "grösse"}),
                             test::unit_tokens({"nichts", "davon"})};
    const UnitTokens fr[] = {test::unit_tokens({"les", "montagnes", "et", "le", "temps"}), test::unit_tokens({"la", "taille"})};
    FeatureVector fd[3], ff[2];
    enc->encode(3, de, {"de", "fr"}, fd);
    enc->encode(2, fr, {"fr", "de"}, ff);
    EXPECT_EQ(shared(fd[0], ff[0]), 2u);  // berg-montagne, zeit-temps
    EXPECT_EQ(shared(fd[1], ff[1]), 1u);  // größe-taille
    EXPECT_EQ(shared(fd[0], ff[1]), 0u);
    EXPECT_TRUE(fd[2].empty());
    // "Grösse" has two pairs: each weighs 1 / sqrt(2).
    ASSERT_EQ(fd[1].size(), 2u);
    EXPECT_NEAR(fd[1][0].weight, 1 / std::sqrt(2.0), 1e-6);
    // A pair of languages the dictionary lacks gives nothing.
    FeatureVector none[1];
    enc->encode(1, de, {"de", "en"}, none);
    EXPECT_TRUE(none[0].empty());
}

TEST(PairEncoder, RejectsMissingOrForeignFiles) {
    test::TempDir dir("pair_encoder_bad");
    EXPECT_THROW(PairEncoder::from_spec("pairs", dir.path()), Error);
    test::write_file(dir / "pairs.lex", "#doppel-pairs 2\n{}\n");
    try {
        PairEncoder enc(dir / "pairs.lex");
        FAIL() << "a file of another format version loaded";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kBadFormat);
    }
    test::write_file(dir / "pairs.lex", std::string("#doppel-pairs 1\n{}\nde\tfr\tberg\n"));
    EXPECT_THROW(PairEncoder(dir / "pairs.lex"), Error);
    // An unknown key is refused with a good file in place (the bad one would throw anyway).
    test::write_file(dir / "pairs.lex", kDictionary);
    EXPECT_THROW(PairEncoder::from_spec("pairs:x=1", dir.path()), Error);
}

// In the aligner: the pairs alone link sentences that share no anchor or cognate, and the spec
// round-trips.
TEST(PairEncoder, AlignerUsesThePairs) {
    test::TempDir dir("pair_encoder_aligner");
    test::write_file(dir / "pairs.lex", kDictionary);
    const auto aligner = Aligner::from_spec("dp;1*anchors;2.5*pairs", dir.path());
    EXPECT_EQ(Aligner::from_spec(aligner->describe(), dir.path())->describe(), aligner->describe());
    EXPECT_NE(aligner->describe().find(";2.5*pairs"), std::string::npos);
    const std::vector<std::string> de = {"Die Zeit vergeht .", "Die Berge !"}, fr = {"Le temps passe .", "Les montagnes !"};
    AlignSide a{{de[0], de[1]}, "de"}, b{{fr[0], fr[1]}, "fr"};
    const Alignment with = aligner->align(a, b);
    const Alignment without = Aligner::from_spec("dp;1*anchors")->align(a, b);
    // With the pairs: two 1-1 beads; anchors alone (the punctuation) cannot tell them apart.
    ASSERT_EQ(with.beads.size(), 2u);
    for (uint32_t k = 0; k < 2; ++k) {
        EXPECT_EQ(with.beads[k], (Bead{k, k + 1, k, k + 1, with.beads[k].score, with.beads[k].similarity}));
        EXPECT_GT(with.beads[k].similarity, 0.3f);
    }
    EXPECT_NE(without.beads.size(), 2u);
}

}  // namespace
}  // namespace doppel
