// FeatureAssociations: learning a missing word from linked pairs, the thresholds that keep chance
// co-occurrences out, English never rewritten, and apply().
#include <gtest/gtest.h>

#include "doppel/error.h"

#include "doppel/embed/bridge_embedder.h"
#include "doppel/match/feature_associations.h"

namespace doppel {
namespace {

using Kind = BridgeEmbedder::FeatureKind;
uint64_t concept_of(const char* s) { return BridgeEmbedder::feature_id(Kind::kConcept, s); }
uint64_t number_of(const char* s) { return BridgeEmbedder::feature_id(Kind::kNumber, s); }

SparseVector bag(std::initializer_list<uint64_t> ids) {
    SparseVector v;
    for (uint64_t id : ids) v.ids.push_back(id), v.weights.push_back(1.0f);
    v.canonicalize();
    return v;
}

// n Vietnamese/English pairs. Pair i shares a topic concept with its English side (what the
// lexicon knows); "tap" (an unknown word, a feature of vi alone) stands for "file" and occurs
// in the first `with_file` pairs, where the English side says "file".
struct Pool {
    std::vector<SparseVector> counts;
    std::vector<std::string> langs;
    std::vector<std::pair<std::size_t, std::size_t>> pairs;
    Pool(std::size_t n, std::size_t with_file) {
        for (std::size_t i = 0; i < n; ++i) {
            std::string topic = "topic" + std::to_string(i);
            uint64_t t = concept_of(topic.c_str()), num = number_of(std::to_string(i).c_str());
            counts.push_back(i < with_file ? bag({t, num, concept_of("tap")}) : bag({t, num}));
            langs.push_back("vi");
            counts.push_back(i < with_file ? bag({t, num, concept_of("file")}) : bag({t, num}));
            langs.push_back("en");
            pairs.push_back({2 * i, 2 * i + 1});
        }
    }
};

TEST(FeatureAssociations, LearnsAWordTheLexiconMisses) {
    Pool p(30, 6);
    auto learned = FeatureAssociations::learn(p.counts, p.langs, p.pairs);
    auto vi = learned.of("vi");
    ASSERT_EQ(vi.size(), 1u);
    EXPECT_EQ(vi[0].source, concept_of("tap"));
    EXPECT_EQ(vi[0].target, concept_of("file"));
    EXPECT_EQ(vi[0].count, 6u);
    EXPECT_FLOAT_EQ(vi[0].dice, 1.0f);
    EXPECT_TRUE(learned.of("en").empty());  // English is the space mapped into: never a source
    EXPECT_TRUE(learned.rewrites("vi"));
    EXPECT_FALSE(learned.rewrites("en"));
    EXPECT_FALSE(learned.rewrites("de"));

    // apply() moves the count; other languages' documents are left alone.
    SparseVector doc = bag({concept_of("tap"), concept_of("topic3")});
    doc.weights[0] = doc.weights[1] = 2.0f;
    SparseVector v = learned.apply(doc, "vi");
    EXPECT_EQ(v.ids, bag({concept_of("file"), concept_of("topic3")}).ids);
    EXPECT_EQ(v.weights, (std::vector<float>{2.0f, 2.0f}));
    EXPECT_EQ(learned.apply(doc, "de").ids, doc.ids);
}

TEST(FeatureAssociations, NeedsEnoughPairsAndEvidence) {
    // Seen in two pairs only: below min_count.
    Pool rare(30, 2);
    EXPECT_EQ(FeatureAssociations::learn(rare.counts, rare.langs, rare.pairs).size(), 0u);
    // Too few confident pairs in all.
    Pool few(10, 6);
    EXPECT_EQ(FeatureAssociations::learn(few.counts, few.langs, few.pairs).size(), 0u);
    FeatureAssociationOptions o;
    o.min_pairs = 5;
    EXPECT_EQ(FeatureAssociations::learn(few.counts, few.langs, few.pairs, o).size(), 1u);
}

TEST(FeatureAssociations, ChanceCoOccurrenceIsNotLearned) {
    // "tap" in 6 pairs, "file" on the English side of 6 others, together in only 3: Dice 0.5
    // passes the default, a stricter floor drops it.
    Pool p(30, 0);
    for (std::size_t i = 0; i < 6; ++i) {
        p.counts[2 * i] = bag({p.counts[2 * i].ids[0], p.counts[2 * i].ids[1], concept_of("tap")});
        std::size_t j = i + 3;
        p.counts[2 * j + 1] = bag({p.counts[2 * j + 1].ids[0], p.counts[2 * j + 1].ids[1], concept_of("file")});
    }
    ASSERT_EQ(FeatureAssociations::learn(p.counts, p.langs, p.pairs).size(), 1u);
    EXPECT_FLOAT_EQ(FeatureAssociations::learn(p.counts, p.langs, p.pairs).of("vi")[0].dice, 0.5f);
    FeatureAssociationOptions strict;
    strict.min_dice = 0.6f;
    EXPECT_EQ(FeatureAssociations::learn(p.counts, p.langs, p.pairs, strict).size(), 0u);
}

TEST(FeatureAssociations, SharedWordsAreNotSources) {
    // "tap" also occurs in English documents (not a word of vi alone): nothing to learn.
    Pool p(30, 6);
    for (std::size_t i = 10; i < 20; ++i) p.counts[2 * i + 1] = bag({p.counts[2 * i + 1].ids[0], concept_of("tap")});
    EXPECT_EQ(FeatureAssociations::learn(p.counts, p.langs, p.pairs).size(), 0u);
}

TEST(FeatureAssociations, PrunesSensesTranslationsNeverShow) {
    // Every Vietnamese document also reads as "card" (a false sense of a function word), which
    // the English side holds in 4 pairs of 30 only (so it is no word of vi alone, and no source);
    // "shared" is on both sides of half the pairs, "rare" on the Vietnamese side of 5 others.
    Pool p(30, 6);
    auto add = [](SparseVector& v, const char* c) {
        v.ids.push_back(concept_of(c)), v.weights.push_back(1.0f);
        v.canonicalize();
    };
    for (std::size_t i = 0; i < 30; ++i) {
        add(p.counts[2 * i], "card");
        if (i < 4) add(p.counts[2 * i + 1], "card");
        if (i % 2 == 0) add(p.counts[2 * i], "shared"), add(p.counts[2 * i + 1], "shared");
        if (i >= 11 && i < 20 && i % 2 == 1) add(p.counts[2 * i], "rare");
    }
    // Off by default: nothing pruned.
    EXPECT_TRUE(FeatureAssociations::learn(p.counts, p.langs, p.pairs).dropped("vi").empty());
    FeatureAssociationOptions o;
    o.prune_share = 0.2f;
    const FeatureAssociations learned = FeatureAssociations::learn(p.counts, p.langs, p.pairs, o);
    EXPECT_EQ(learned.dropped("vi"), std::vector<uint64_t>{concept_of("card")});  // "rare": under prune_count
    EXPECT_TRUE(learned.dropped("en").empty());
    ASSERT_EQ(learned.of("vi").size(), 1u);  // "tap" -> "file" still learned; a source is never pruned
    SparseVector doc = bag({concept_of("card"), concept_of("tap"), concept_of("shared")});
    EXPECT_EQ(learned.apply(doc, "vi").ids, bag({concept_of("file"), concept_of("shared")}).ids);
    EXPECT_EQ(learned.apply(doc, "en").ids, doc.ids);
    o.prune_share = 0.1f;  // card's other side holds it in 4/30 of its pairs: kept
    EXPECT_TRUE(FeatureAssociations::learn(p.counts, p.langs, p.pairs, o).dropped("vi").empty());
}

}  // namespace
}  // namespace doppel

namespace doppel {
namespace {

TEST(FeatureAssociationOptions, SpecRoundTrip) {
    const FeatureAssociationOptions d;
    EXPECT_EQ(FeatureAssociationOptions::parse_spec("learn").describe(), d.describe());
    FeatureAssociationOptions o;
    o.min_margin = 1.3f, o.min_pairs = 10, o.min_count = 4, o.min_dice = 0.25f;
    o.exclusive_ratio = 0.2f, o.max_targets = 32, o.new_link_margin = 1.6f, o.prune_count = 12, o.prune_share = 0.1f;
    o.keep_first_margin = 1.5f;
    o.rematch_similarity = 0.9f;
    o.rematch_margin = 2.5f;
    o.rematch_rewritten = 2;
    const std::string spec = o.describe();
    EXPECT_EQ(spec, "learn:min_margin=1.3,min_pairs=10,min_count=4,min_dice=0.25,exclusive_ratio=0.2,max_targets=32,"
                    "new_link_margin=1.6,prune_count=12,prune_share=0.1,keep_first_margin=1.5,rematch_similarity=0.9,"
                    "rematch_margin=2.5,rematch_rewritten=2");
    const FeatureAssociationOptions r = FeatureAssociationOptions::parse_spec(spec);
    EXPECT_EQ(r.describe(), spec);
    EXPECT_EQ(r.min_margin, 1.3f);
    EXPECT_EQ(r.min_pairs, 10u);
    EXPECT_EQ(r.min_count, 4u);
    EXPECT_EQ(r.min_dice, 0.25f);
    EXPECT_EQ(r.exclusive_ratio, 0.2f);
    EXPECT_EQ(r.max_targets, 32u);
    EXPECT_EQ(r.new_link_margin, 1.6f);
    EXPECT_EQ(r.prune_count, 12u);
    EXPECT_EQ(r.prune_share, 0.1f);
    EXPECT_EQ(r.keep_first_margin, 1.5f);
    EXPECT_EQ(r.rematch_similarity, 0.9f);
    EXPECT_EQ(r.rematch_margin, 2.5f);
    EXPECT_EQ(r.rematch_rewritten, 2u);
    EXPECT_EQ(FeatureAssociationOptions::parse_spec("learn:rematch_rewritten=3").rematch_rewritten, 3u);
    EXPECT_EQ(d.rematch_rewritten, 3u);  // the default: the fallback per language
    EXPECT_THROW(FeatureAssociationOptions::parse_spec("learn:rematch_rewritten=4"), Error);
    EXPECT_THROW(FeatureAssociationOptions::parse_spec("learn:margin=1"), Error);
    EXPECT_THROW(FeatureAssociationOptions::parse_spec("matcher:min_margin=1"), Error);
}

}  // namespace
}  // namespace doppel
