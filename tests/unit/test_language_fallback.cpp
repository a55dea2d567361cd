// Language ID of short texts: the fallback to the likely languages and the close-relatives
// table, with the real lid.176 model.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "doppel/error.h"
#include "doppel/index/index_stage.h"
#include "doppel/langid/language_identifier.h"
#include "doppel/langid/language_relatives.h"
#include "doppel/ops/indexer.h"
#include "doppel/store/store.h"
#include "support/test_support.h"

using doppel::LanguageIdentifier;
using doppel::LanguageIdOptions;

namespace {
const LanguageIdentifier& lid() {
    static LanguageIdentifier model(doppel::test::lid_model());
    return model;
}
// Croatian and Indonesian UI strings whose top label is a relative (Serbo-Croatian, Malay).
const char* kCroatian = "Naziv ikone teme";
const char* kIndonesian = "Ofset horisontal kotak jangkar";
// An English text long and plain enough for its top label to be trusted.
const std::string kLongEnglish =
    "The window manager decides where each new window appears on the screen, how large it is, and "
    "which of the open windows receives the keyboard input when the user clicks on it.";
}  // namespace

TEST(LanguageFallback, ShortTextWhoseTopLabelIsARelativeTakesTheLikelyOne) {
    const auto hr = lid().score(kCroatian);
    ASSERT_FALSE(hr.labels.empty());
    EXPECT_EQ(hr.labels[0].lang, "sh");  // the premise: lid.176 calls it Serbo-Croatian
    EXPECT_FALSE(lid().trusted(hr));
    const auto g = lid().choose(hr, {"en", "de", "hr"});
    EXPECT_EQ(g.lang, "hr");
    EXPECT_GT(g.confidence, 0.5f);
    EXPECT_EQ(lid().choose(hr, {}).lang, "sh");  // nothing likely: the top label stays
    const auto id = lid().score(kIndonesian);
    EXPECT_EQ(id.labels[0].lang, "ms");
    EXPECT_EQ(lid().choose(id, {"en", "id"}).lang, "id");
    EXPECT_EQ(lid().choose(id, {"en", "ms", "id"}).lang, "ms");  // both likely: the model decides
}

TEST(LanguageFallback, TextsOfOtherLanguagesAndLongTextsKeepTheirLabel) {
    // Japanese is plainly none of the likely languages: no mass there, the top label stays.
    EXPECT_EQ(lid().choose(lid().score("ファイルを開くことができません"), {"en", "de"}).lang, "ja");
    // A long, confident English text is trusted whatever the store holds.
    const auto s = lid().score(kLongEnglish);
    EXPECT_TRUE(lid().trusted(s));
    EXPECT_EQ(lid().choose(s, {"de", "fr"}).lang, "en");
}

TEST(LanguageFallback, TheRecordsOwnLanguageIsLikely) {
    const auto hr = lid().score(kCroatian);
    EXPECT_EQ(lid().choose(hr, {"en"}, "hr_HR").lang, "hr");
    LanguageIdOptions o;
    o.use_hint = false;
    LanguageIdentifier no_hint(doppel::test::lid_model(), o);
    EXPECT_EQ(no_hint.choose(no_hint.score(kCroatian), {"en"}, "hr_HR").lang, "sh");  // en: far below
}

TEST(LanguageFallback, AStoresLanguagesSteerTheChoice) {
    namespace fs = std::filesystem;
    const std::string dir = doppel::test::test_tmp_dir() + "/lid-fallback-store";
    fs::remove_all(dir);
    doppel::Store store(dir);
    auto indexer = std::make_unique<doppel::Indexer>(store, lid());
    doppel::Document d;
    d.id = "x";
    d.text = kCroatian;
    EXPECT_EQ(indexer->analyze(d).lang, "sh");  // an empty store: the top label
    // Twenty Croatian documents stored: "hr" is a likely language of the store.
    std::vector<doppel::AnalyzedDocument> hr(20);
    for (std::size_t i = 0; i < hr.size(); ++i) {
        hr[i].doc.id = "hr/" + std::to_string(i);
        hr[i].doc.text = "tekst " + std::to_string(i);
        hr[i].lang = "hr";
        hr[i].lang_top = "hr";  // the likely languages are counted from the model's top labels
    }
    store.put(hr.size(), hr.data(), 1);
    EXPECT_EQ(store.top_label_counts().at("hr"), 20u);
    EXPECT_EQ(indexer->analyze(d).lang, "sh");  // an Indexer counts once (and after its own writes)
    indexer.reset();  // (it holds the store's write lock)
    EXPECT_EQ(doppel::Indexer(store, lid()).analyze(d).lang, "hr");
}

TEST(LanguageFallback, LikelyLanguagesNeedDocumentsAndAShare) {
    const auto likely = lid().likely_languages({{"en", 500}, {"hr", 40}, {"sl", 4}, {"mk", 6}});
    EXPECT_EQ(likely, (std::vector<std::string>{"en", "hr", "mk"}));  // sl: under likely_docs
    LanguageIdOptions share;
    share.likely_share = 0.05f;
    EXPECT_EQ(LanguageIdentifier(doppel::test::lid_model(), share).likely_languages({{"en", 500}, {"hr", 40}, {"mk", 6}}),
              (std::vector<std::string>{"en", "hr"}));  // mk: 6 of 546 is under 5 %
    LanguageIdOptions o = LanguageIdOptions::parse_spec("fasttext:lid.176,likely_docs=10,likely=en+de");
    EXPECT_EQ(o.likely_docs, 10u);
    EXPECT_EQ(o.likely, (std::vector<std::string>{"en", "de"}));
}

TEST(LanguageFallback, SpecRoundTrips) {
    const LanguageIdOptions d;
    EXPECT_EQ(LanguageIdOptions::parse_spec(d.describe()).describe(), d.describe());
    EXPECT_EQ(LanguageIdOptions::parse_spec("fasttext:lid.176").describe(), d.describe());
    const std::string custom =
        "fasttext:lid.176,min_letters=10,min_confidence=0.4,short_letters=50,min_doc_confidence=0.8,"
        "likely_docs=3,likely_share=0.02,min_likely_ratio=0.2,likely=en+vi,hint=0,max_labels=10";
    EXPECT_EQ(LanguageIdOptions::parse_spec(custom).describe(), custom);
    EXPECT_EQ(LanguageIdentifier(doppel::test::lid_model(), LanguageIdOptions::parse_spec(custom)).describe(), custom);
    EXPECT_THROW(LanguageIdOptions::parse_spec("fasttext:lid.176,bogus=1"), doppel::Error);
    EXPECT_THROW(LanguageIdOptions::parse_spec("cld3"), doppel::Error);
}

TEST(LanguageRelatives, FamiliesAndMinorMembers) {
    EXPECT_EQ(doppel::language_family("nn"), "no");
    EXPECT_EQ(doppel::lid_language("nb"), "no");
    EXPECT_EQ(doppel::lid_language("de"), "de");
    EXPECT_EQ(doppel::language_family("hr"), "sh");
    EXPECT_EQ(doppel::language_family("ru"), "ru");
    EXPECT_TRUE(doppel::are_relatives("ca", "oc"));
    EXPECT_TRUE(doppel::are_relatives("id", "ms"));
    EXPECT_FALSE(doppel::are_relatives("ru", "uk"));  // separate languages
    EXPECT_FALSE(doppel::are_relatives("ca", "ca"));
    const auto as = doppel::merge_minor_relatives({{"ca", 100}, {"oc", 5}, {"no", 100}, {"nn", 40},
                                                   {"ru", 100}, {"uk", 3}}, 0.1);
    EXPECT_EQ(as.at("oc"), "ca");  // a few stray labels: matched with the Catalan ones
    EXPECT_EQ(as.at("nn"), "nn");  // a real second variety keeps its own
    EXPECT_EQ(as.at("uk"), "uk");  // not a relative of Russian in the table
    EXPECT_EQ(as.at("ca"), "ca");
    EXPECT_EQ(doppel::merge_minor_relatives({{"ca", 100}, {"oc", 5}}, 0).at("oc"), "oc");
}

namespace {
// A stage that keeps the analyzed documents it is given.
class KeepingStage : public doppel::IndexStage {
public:
    explicit KeepingStage(std::vector<doppel::AnalyzedDocument>* kept) : kept_(kept) {}
    void add(doppel::Store&, std::size_t n, const int64_t*, const doppel::AnalyzedDocument* docs) override {
        kept_->insert(kept_->end(), docs, docs + n);
    }
    std::string describe() const override { return "keeping"; }

private:
    std::vector<doppel::AnalyzedDocument>* kept_;
};

// A fresh store (test_tmp_dir()/name) and an Indexer whose one stage keeps what it is given.
struct KeptIndex {
    static std::string fresh(const std::string& name) {
        const std::string dir = doppel::test::test_tmp_dir() + "/" + name;
        std::filesystem::remove_all(dir);
        return dir;
    }
    KeptIndex(const std::string& name, const LanguageIdentifier& langid) : store(fresh(name)), indexer(store, langid) {
        indexer.add_stage(std::make_unique<KeepingStage>(&kept));
    }
    doppel::Store store;
    std::vector<doppel::AnalyzedDocument> kept;
    doppel::Indexer indexer;
};

// Every analysis field of kept[i] is expected[i]'s.
void expect_same_analyses(const std::vector<doppel::AnalyzedDocument>& kept,
                          const std::vector<doppel::AnalyzedDocument>& expected) {
    ASSERT_EQ(kept.size(), expected.size());
    for (std::size_t i = 0; i < kept.size(); ++i) {
        const doppel::AnalyzedDocument &a = kept[i], &e = expected[i];
        EXPECT_EQ(a.doc.id, e.doc.id);
        EXPECT_EQ(a.lang, e.lang) << i;
        EXPECT_EQ(a.lang_confidence, e.lang_confidence) << i;
        EXPECT_EQ(a.lang_top, e.lang_top) << i;
        EXPECT_EQ(a.lang_scores, e.lang_scores) << i;
        EXPECT_EQ(a.other_languages, e.other_languages) << i;
        ASSERT_EQ(a.paragraphs.size(), e.paragraphs.size()) << i;
        for (std::size_t p = 0; p < a.paragraphs.size(); ++p) {
            EXPECT_EQ(a.paragraphs[p].span, e.paragraphs[p].span) << i;
            EXPECT_EQ(a.paragraphs[p].lang, e.paragraphs[p].lang) << i;
            EXPECT_EQ(a.paragraphs[p].lang_confidence, e.paragraphs[p].lang_confidence) << i;
            EXPECT_EQ(a.paragraphs[p].lang_inherited, e.paragraphs[p].lang_inherited) << i;
        }
    }
}
}  // namespace

// A text repeated in a batch is read once; a copy with its first's lang hint takes the first's
// analysis, one with another hint is decided on its own: each document is analyzed exactly as
// analyze() of its own evidence among the batch's likely languages gives.
TEST(LanguageFallback, CopiesInABatchGetTheAnalysisOfTheirTextAndHint) {
    KeptIndex run("lid-copies-store", lid());
    auto& kept = run.kept;
    auto& indexer = run.indexer;
    const std::string mixed =
        "The window manager decides where each new window appears on the screen and how large it is.\n\n"
        "Le gestionnaire de fenêtres décide où chaque nouvelle fenêtre apparaît à l'écran.\n\nOK";
    const std::vector<std::pair<std::string, std::string>> texts_hints = {
        {kCroatian, ""},      {kCroatian, "hr_HR"}, {kCroatian, ""}, {mixed, ""},
        {kCroatian, "hr_HR"}, {mixed, "fr"},        {mixed, ""},     {kIndonesian, "id"}};
    std::vector<doppel::Document> docs(texts_hints.size());
    std::map<std::string, std::size_t> counts;
    for (std::size_t i = 0; i < docs.size(); ++i) {
        docs[i].id = "d" + std::to_string(i);
        docs[i].text = texts_hints[i].first;
        docs[i].lang_hint = texts_hints[i].second;
        ++counts[lid().read_document(docs[i].text).scores.labels.at(0).lang];
    }
    const std::vector<std::string> likely = lid().likely_languages(counts);
    std::vector<doppel::AnalyzedDocument> expected(docs.size());
    for (std::size_t i = 0; i < docs.size(); ++i) {
        expected[i].doc = docs[i];
        lid().analyze(&expected[i], lid().read_document(docs[i].text), likely);
    }
    indexer.add(docs.size(), docs.data(), 1);
    expect_same_analyses(kept, expected);
    // The premise: the hint changes the decision of a short text.
    EXPECT_NE(kept[0].lang_scores, kept[1].lang_scores);
    EXPECT_GT(kept[3].paragraphs.size(), 1u);
}

// A copy of a document stored by an earlier batch of the run takes its stored analysis where that
// is the one analyzing the copy would give (Indexer::find_stored_copies): a decision of the text
// alone, or one made among the same likely languages with the same lang hint. Otherwise it is read
// and decided again: the short Croatian text first decided with nothing likely, then copied once
// Serbo-Croatian is (five documents), with its own hint, and again; the short Indonesian one
// first stored in the second batch with its hint and copied in the third, among the same likely
// languages, with and without that hint.
TEST(LanguageFallback, CopiesOfEarlierBatchesGetTheAnalysisOfTheirTextHintAndBatch) {
    KeptIndex run("lid-earlier-copies-store", lid());
    auto& kept = run.kept;
    auto& indexer = run.indexer;
    const std::vector<std::vector<std::pair<std::string, std::string>>> batches = {
        {{kCroatian, ""}, {kCroatian, "hr_HR"}, {kLongEnglish, ""}},
        {{kCroatian, ""},
         {kCroatian, ""},
         {kCroatian, ""},
         {kCroatian, "hr_HR"},
         {kLongEnglish, "de"},
         {kIndonesian, "id"}},
        {{kCroatian, ""}, {kIndonesian, ""}, {kIndonesian, "id"}, {kLongEnglish, ""}},
    };
    std::map<std::string, std::size_t> counts;  // the top labels stored and of the batch
    std::vector<doppel::AnalyzedDocument> expected;
    std::vector<bool> decided_again;
    for (std::size_t b = 0; b < batches.size(); ++b) {
        std::vector<doppel::Document> docs;
        for (const auto& [text, hint] : batches[b]) {
            doppel::Document d;
            d.id = "b" + std::to_string(b) + "-" + std::to_string(docs.size());
            d.text = text;
            d.lang_hint = hint;
            ++counts[lid().read_document(text).scores.labels.at(0).lang];
            docs.push_back(std::move(d));
        }
        const std::vector<std::string> likely = lid().likely_languages(counts);
        for (const doppel::Document& d : docs) {
            doppel::AnalyzedDocument e;
            e.doc = d;
            lid().analyze(&e, lid().read_document(d.text), likely);
            expected.push_back(std::move(e));
        }
        indexer.add(docs.size(), docs.data(), 1);
    }
    expect_same_analyses(kept, expected);
    // The premises: the Croatian text's decision changed once Serbo-Croatian was likely, and a
    // copy with another hint is decided otherwise (the Croatian text in the second batch, the
    // Indonesian one without its hint, first of its text in the third).
    EXPECT_NE(kept[0].lang_confidence, kept[3].lang_confidence);
    EXPECT_NE(kept[3].lang_scores, kept[6].lang_scores);
    EXPECT_NE(kept[10].lang, kept[11].lang);
    EXPECT_EQ(kept[8].lang, kept[11].lang);
}

// Settling decides a stored fallback decision again among the store's likely languages, in
// place: the run's holders decided by the fallback are then not taken, even by a later batch whose
// likely languages are again those of the holder's batch (with likely_share, a language can drop
// out of the likely ones and come back). Half the documents' share makes a language likely:
// Serbo-Croatian and English both in the first batch, English alone once three more English
// documents are stored and settled, both again in the third batch with three more Croatian ones.
TEST(LanguageFallback, CopiesAfterASettlingGetTheAnalysisOfTheirBatch) {
    LanguageIdOptions options;
    options.likely_docs = 1;
    options.likely_share = 0.5f;
    const LanguageIdentifier langid(doppel::test::lid_model(), options);
    KeptIndex run("lid-settled-copies-store", langid);
    auto& kept = run.kept;
    auto& indexer = run.indexer;
    std::map<std::string, std::size_t> counts;
    int next_id = 0;
    auto add = [&](const std::vector<std::string>& texts) {
        std::vector<doppel::Document> docs;
        for (const auto& t : texts) {
            doppel::Document d;
            d.id = "d" + std::to_string(next_id++);
            d.text = t;
            ++counts[langid.read_document(t).scores.labels.at(0).lang];
            docs.push_back(std::move(d));
        }
        indexer.add(docs.size(), docs.data(), 1);
        return langid.likely_languages(counts);
    };
    const auto first = add({kCroatian, kLongEnglish});
    add({kLongEnglish + " One.", kLongEnglish + " Two.", kLongEnglish + " Three."});
    indexer.finish();
    const std::size_t before = kept.size();
    const auto third = add({kCroatian, kCroatian, kCroatian});
    ASSERT_EQ(first, third);  // the premise: the likely languages of the holder's batch again
    ASSERT_GT(before, 5u);    // the premise: settling relabeled the Croatian text
    doppel::AnalyzedDocument expected;
    expected.doc.id = kept[before].doc.id;
    expected.doc.text = kCroatian;
    langid.analyze(&expected, langid.read_document(kCroatian), third);
    expect_same_analyses({kept[before]}, {expected});
}
