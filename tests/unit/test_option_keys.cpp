// impl/option_keys.h: one table of an options struct's keys, read by parse_spec() and written by
// describe(), for every kind of field it holds; and the option classes built on it keep their
// describe() strings (stores record them) and read them back.
#include <gtest/gtest.h>

#include <cstddef>
#include <string>

#include "doppel/error.h"
#include "doppel/langid/language_identifier.h"
#include "doppel/match/feature_associations.h"
#include "doppel/match/matcher.h"
#include "impl/option_keys.h"
#include "impl/spec.h"

namespace {

struct Sample {
    int count = 3;
    std::size_t size = 7;
    bool flag = true;
    float ratio = 0.25f;
    double weight = 1.5;
};

constexpr doppel::impl::OptionKey<Sample> kSampleKeys[] = {
    {"count", &Sample::count}, {"size", &Sample::size},     {"flag", &Sample::flag},
    {"ratio", &Sample::ratio}, {"weight", &Sample::weight},
};

Sample parse(const std::string& spec) {
    doppel::impl::ParsedSpec p = doppel::impl::parse_spec(spec);
    Sample s;
    doppel::impl::take_options(p, kSampleKeys, s);
    p.check_empty();
    return s;
}

std::string describe(const Sample& s) {
    std::string out = "sample:";
    doppel::impl::append_options(out, kSampleKeys, s, [](double v) { return doppel::impl::spec_number(v); });
    return out;
}

}  // namespace

TEST(OptionKeys, EveryKindOfFieldIsReadAndWrittenInTheTablesOrder) {
    EXPECT_EQ(describe(Sample{}), "sample:count=3,size=7,flag=1,ratio=0.25,weight=1.5");
    const Sample s = parse("sample:weight=0.125,flag=0,size=12,count=-2,ratio=0.5");
    EXPECT_EQ(s.count, -2);
    EXPECT_EQ(s.size, 12u);
    EXPECT_FALSE(s.flag);
    EXPECT_EQ(s.ratio, 0.5f);
    EXPECT_EQ(s.weight, 0.125);
    EXPECT_EQ(describe(s), "sample:count=-2,size=12,flag=0,ratio=0.5,weight=0.125");
    EXPECT_EQ(describe(parse(describe(s))), describe(s));
}

TEST(OptionKeys, AKeyMissingFromTheSpecKeepsItsDefaultAndAnUnknownOneIsRefused) {
    const Sample s = parse("sample:count=9");
    EXPECT_EQ(s.count, 9);
    EXPECT_EQ(s.size, 7u);
    EXPECT_TRUE(s.flag);
    EXPECT_THROW(parse("sample:counts=9"), doppel::Error);
    EXPECT_THROW(parse("sample:count=many"), doppel::Error);
}

// The describe() strings of the option classes on the table, as they were written field by
// field before it (a store compares them with what it recorded).
TEST(OptionKeys, TheOptionClassesDescribeThemselvesAsBefore) {
    EXPECT_EQ(
        doppel::MatcherOptions::parse_spec("matcher:short_length=40.5,pivot=0,affinity_sample=100")
            .describe(),
        "matcher:k=10,margin_k=8,related_similarity=0.08,translation_similarity=0.08,"
        "long_translation_score=0.15,short_length=40.5,long_length=300,translation_margin=1.2,"
        "partial_length_ratio=0.25,anchor_weight=0.15,url_weight=0.05,one_to_one=1,same_story=1,pivot=0,"
        "pivot_similarity=0.05,pivot_margin=1.4,same_story_per_doc=5,counterpart_ratio=0.4,"
        "counterpart_margin=2,counterpart_links=10,counterpart_length_ratio=0.16,affinity_sample=100,"
        "target_languages=2,target_affinity=0.2,found_only_ratio=0,low_affinity_k=5,low_affinity=0.5");
    EXPECT_EQ(doppel::FeatureAssociationOptions::parse_spec("learn:min_pairs=5,prune_share=0.5").describe(),
              "learn:min_margin=1.2,min_pairs=5,min_count=3,min_dice=0.3,exclusive_ratio=0.1,max_targets=64,"
              "new_link_margin=1.4,prune_count=10,prune_share=0.5,keep_first_margin=1.2,rematch_similarity=1,"
              "rematch_margin=0,rematch_rewritten=3");
    EXPECT_EQ(
        doppel::LanguageIdOptions::parse_spec("fasttext:lid.176,hint=0,likely=en+vi,max_labels=5").describe(),
        "fasttext:lid.176,min_letters=20,min_confidence=0.5,short_letters=100,min_doc_confidence=0.9,"
        "likely_docs=5,likely_share=0,min_likely_ratio=0.1,likely=en+vi,hint=0,max_labels=5");
    const doppel::MatcherOptions m = doppel::MatcherOptions::parse_spec(doppel::MatcherOptions{}.describe());
    EXPECT_EQ(m.describe(), doppel::MatcherOptions{}.describe());
}
