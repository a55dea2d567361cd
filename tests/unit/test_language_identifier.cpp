#include <fasttext/fasttext.h>
#include <gtest/gtest.h>
#include <unicode/uchar.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "doppel/error.h"
#include "doppel/langid/language_identifier.h"
#include "doppel/langid/script_evidence.h"
#include "doppel/normalize/segmenter.h"
#include "doppel/ops/indexer.h"
#include "langid/fasttext_input.h"
#include "support/test_support.h"

using doppel::AnalyzedDocument;
using doppel::LanguageIdentifier;

namespace {
const LanguageIdentifier& lid() {
    static LanguageIdentifier model(doppel::test::lid_model());
    return model;
}

AnalyzedDocument analyze_seed(const std::string& name) {
    AnalyzedDocument d;
    d.doc.text = doppel::test::read_file(doppel::test::seed_path(name));
    lid().analyze(&d);
    return d;
}
}  // namespace

TEST(LanguageIdentifier, EachSeedHasItsLanguage) {
    EXPECT_EQ(analyze_seed("vi-2019-bali-process-som14.txt").lang, "vi");
    EXPECT_EQ(analyze_seed("vi-2019-gcm-central-region.txt").lang, "vi");
    EXPECT_EQ(analyze_seed("vi-2024-nz-interview-ben-quinn.txt").lang, "vi");
    const auto ar = analyze_seed("ar-2024-hanoi-working-group.txt");
    EXPECT_EQ(ar.lang, "ar");
    EXPECT_GT(ar.lang_confidence, 0.9f);
    EXPECT_EQ(analyze_seed("en-2024-hanoi-working-group.txt").lang, "en");
}

TEST(LanguageIdentifier, VietnameseCaptionsInsideTheEnglishSeed) {
    const auto en = analyze_seed("en-2024-hanoi-working-group.txt");
    EXPECT_NE(std::find(en.other_languages.begin(), en.other_languages.end(), "vi"), en.other_languages.end());
    // The caption paragraph itself is Vietnamese, the English caption next to it English.
    const std::string& t = en.doc.text;
    bool saw_vi_caption = false, saw_en_caption = false;
    for (const auto& p : en.paragraphs) {
        const std::string s = t.substr(p.span.begin, p.span.size());
        if (s.rfind("Ông Doãn Hoàng Minh, Cục trưởng", 0) == 0) {
            EXPECT_EQ(p.lang, "vi");
            EXPECT_FALSE(p.lang_inherited);
            saw_vi_caption = true;
        }
        if (s.rfind("Mr. Doan Hoang Minh, Director of the Consular Department, Ministry of Foreign Affairs, delivered", 0) == 0) {
            EXPECT_EQ(p.lang, "en");
            saw_en_caption = true;
        }
    }
    EXPECT_TRUE(saw_vi_caption);
    EXPECT_TRUE(saw_en_caption);
}

TEST(LanguageIdentifier, ShortLinesInheritTheDocumentLanguage) {
    AnalyzedDocument d;
    d.doc.text = "This is a longer English paragraph about the meeting in Hanoi last July.\nComment (0)\n";
    lid().analyze(&d);
    ASSERT_EQ(d.paragraphs.size(), 2u);
    EXPECT_EQ(d.paragraphs[1].lang, "en");
    EXPECT_TRUE(d.paragraphs[1].lang_inherited);
    EXPECT_TRUE(d.other_languages.empty());
}

TEST(LanguageIdentifier, SentencesInManyScripts) {
    EXPECT_EQ(lid().identify("Das ist ein kurzer deutscher Satz über das Wetter.").lang, "de");
    EXPECT_EQ(lid().identify("Ceci est une phrase française sur la météo.").lang, "fr");
    EXPECT_EQ(lid().identify("これは天気についての日本語の文です。").lang, "ja");
    EXPECT_EQ(lid().identify("Hội nghị diễn ra tại Hà Nội trong ba ngày.").lang, "vi");
}

TEST(LanguageIdentifier, ChineseWithoutKanaIsNotJapanese) {
    // LibreOffice help paragraphs (zh-CN) that lid.176 alone labels "ja": no kana, so Chinese.
    EXPECT_EQ(lid().identify("将单元格内容水平居中。").lang, "zh");
    EXPECT_EQ(lid().identify("选择要转换的位图图像。").lang, "zh");
    const auto s = lid().score("将单元格内容水平居中。");
    ASSERT_FALSE(s.labels.empty());
    EXPECT_EQ(s.labels[0].lang, "zh");
    for (const auto& g : s.labels) EXPECT_NE(g.lang, "ja");
    EXPECT_EQ(lid().identify("これは天気についての日本語の文です。").lang, "ja");
}

TEST(ScriptEvidence, CountsHanKanaAndHangul) {
    const auto n = doppel::count_cjk_scripts("日本語のテキスト, 한국어 abc");
    EXPECT_EQ(n.han, 3u);
    EXPECT_EQ(n.kana, 5u);
    EXPECT_EQ(n.hangul, 3u);
    const auto z = doppel::count_cjk_scripts("ー・, plain ASCII");  // marks shared by scripts count for none
    EXPECT_EQ(z.han + z.kana + z.hangul, 0u);
}

TEST(ScriptEvidence, LabelsTheScriptRulesOutAreMovedAndMerged) {
    using G = doppel::LanguageGuess;
    std::vector<G> labels{{"ja", 0.6f}, {"zh", 0.3f}, {"ko", 0.05f}, {"en", 0.05f}};
    doppel::apply_script_evidence("将单元格内容水平居中。", &labels);
    ASSERT_EQ(labels.size(), 2u);
    EXPECT_EQ(labels[0].lang, "zh");
    EXPECT_NEAR(labels[0].confidence, 0.95f, 1e-6);
    EXPECT_EQ(labels[1].lang, "en");

    std::vector<G> ja{{"zh", 0.7f}, {"wuu", 0.2f}, {"ja", 0.1f}};
    doppel::apply_script_evidence("セルの内容を中央に揃えます。", &ja);
    ASSERT_EQ(ja.size(), 1u);
    EXPECT_EQ(ja[0].lang, "ja");

    std::vector<G> ko{{"ja", 0.5f}, {"ko", 0.4f}};
    doppel::apply_script_evidence("셀 내용을 가운데 맞춤합니다.", &ko);
    ASSERT_EQ(ko.size(), 1u);
    EXPECT_EQ(ko[0].lang, "ko");

    // No CJK characters, or a Japanese text labelled Japanese: nothing changes.
    std::vector<G> latin{{"ja", 0.5f}, {"en", 0.4f}};
    doppel::apply_script_evidence("plain text", &latin);
    EXPECT_EQ(latin[0].lang, "ja");
    std::vector<G> kanji_name{{"zh", 0.8f}, {"ja", 0.2f}};
    doppel::apply_script_evidence("东京的文件 ファ", &kanji_name);  // two kana of seven CJK characters: above the share
    EXPECT_EQ(kanji_name[0].lang, "ja");
    std::vector<G> quoted{{"zh", 0.8f}, {"ja", 0.2f}};
    doppel::apply_script_evidence("这是一个很长的中文句子，其中引用了日本的名字の一个字", &quoted);
    EXPECT_EQ(quoted[0].lang, "zh");
}

TEST(LanguageIdentifier, MissingModelIsAClearError) {
    try {
        LanguageIdentifier bad("/nonexistent/lid.176.ftz");
        FAIL() << "expected an error";
    } catch (const doppel::Error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/lid.176.ftz"), std::string::npos);
    }
}

TEST(Indexer, ContentHashIsStableAndSensitive) {
    EXPECT_EQ(doppel::content_hash("abc"), doppel::content_hash("abc"));
    EXPECT_NE(doppel::content_hash("abc"), doppel::content_hash("abd"));
    EXPECT_EQ(doppel::content_hash("abc").size(), 32u);
}

namespace {
bool cjk(const std::string& text) {
    const doppel::CjkScriptCounts c = doppel::count_cjk_scripts(text);
    return c.han + c.kana + c.hangul > 0;
}

// Real text: the seeds, whole and paragraph by paragraph, and the Debian copyright files of this
// machine (many languages' names, licence texts, odd spacing), and strings at fastText's edges.
std::vector<std::string> real_and_edge_texts() {
    std::vector<std::string> texts;
    for (const char* name : {"vi-2019-bali-process-som14.txt", "en-2024-hanoi-working-group.txt",
                             "ar-2024-hanoi-working-group.txt", "vi-2024-nz-interview-ben-quinn.txt"}) {
        const std::string text = doppel::test::read_file(doppel::test::seed_path(name));
        texts.push_back(text);
        for (const doppel::Span& s : doppel::Segmenter::paragraphs(text)) texts.push_back(text.substr(s.begin, s.size()));
    }
    std::size_t files = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/usr/share/doc", ec)) {
        const std::filesystem::path p = e.path() / "copyright";
        if (files == 200 || !std::filesystem::is_regular_file(p, ec)) continue;
        texts.push_back(doppel::test::read_file(p.string()));
        ++files;
    }
    for (const char* edge : {"", " ", "\n", "\r\n\t\v\f", "a\tb\vc\fd\re\nf", "__label__en __label__xx words",
                             "__label__ x", "</s> </s>", "\xff\xfe broken \xc3", "x", "Ünïcödé  text  ",
                             "日本語のテキスト", "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"})
        texts.emplace_back(edge);
    texts.push_back(std::string("nul\0inside", 10));
    return texts;
}
}  // namespace

// The cached token ids are exactly what fastText's own line reader gives (langid/fasttext_input.h),
// so identify() and score() give predictLine()'s labels and probabilities bit for bit.
TEST(LanguageIdentifier, CachedTokenIdsAreFastTextsOwn) {
    fasttext::FastText model;
    model.loadModel(doppel::test::lid_model());
    const auto dict = model.getDictionary();
    const doppel::langid_detail::SubwordIds subwords(*dict, model.getArgs());
    doppel::langid_detail::TokenIdCache cache;
    std::vector<int32_t> fast, reference;
    const std::vector<std::string> texts = real_and_edge_texts();
    ASSERT_GT(texts.size(), 40u);
    for (int pass = 0; pass < 2; ++pass)  // the second pass reads every token from the cache
        for (const std::string& t : texts) {
            doppel::langid_detail::line_input_ids(subwords, model.getArgs().label, t, cache, &fast);
            doppel::langid_detail::line_input_ids_reference(*dict, t, &reference);
            ASSERT_EQ(fast, reference) << t.substr(0, 200);
        }
    for (std::size_t i = 0; i < texts.size(); i += 7) {
        std::string line = texts[i];
        std::replace(line.begin(), line.end(), '\n', ' ');
        std::replace(line.begin(), line.end(), '\r', ' ');
        std::istringstream in(line + "\n");
        std::vector<std::pair<fasttext::real, std::string>> predictions;
        model.predictLine(in, predictions, 1, 0.0f);
        const doppel::LanguageGuess g = lid().identify(texts[i]);
        if (predictions.empty() || cjk(texts[i])) continue;  // script evidence may relabel
        EXPECT_EQ("__label__" + g.lang, predictions[0].second);
        EXPECT_EQ(g.confidence, std::clamp(static_cast<float>(predictions[0].first), 0.0f, 1.0f));
    }
}

namespace {
// fastText's map from a kept n-gram bucket to its row, read from the model's Dictionary (a
// protected member, reached through a derived class).
struct PruneIndex : fasttext::Dictionary {
    static const std::unordered_map<int32_t, int32_t>& of(const fasttext::Dictionary& d) {
        return d.*(&PruneIndex::pruneidx_);
    }
};
}  // namespace

// The rank table of the pruned model's buckets gives, for every bucket, the row fastText's own
// prune index gives, and -1 for each bucket it does not hold.
TEST(LanguageIdentifier, KeptBucketRowsAreFastTextsPruneIndex) {
    fasttext::FastText model;
    model.loadModel(doppel::test::lid_model());
    const auto dict = model.getDictionary();
    const doppel::langid_detail::SubwordIds subwords(*dict, model.getArgs());
    const std::unordered_map<int32_t, int32_t>& pruned = PruneIndex::of(*dict);
    ASSERT_GT(pruned.size(), 1000u);  // lid.176.ftz is pruned
    std::size_t kept = 0;
    for (int32_t b = 0; b < model.getArgs().bucket; ++b) {
        const auto it = pruned.find(b);
        const int32_t expected = it == pruned.end() ? -1 : it->second;
        ASSERT_EQ(subwords.kept_row(static_cast<uint32_t>(b)), expected) << "bucket " << b;
        kept += it != pruned.end();
    }
    EXPECT_EQ(kept, pruned.size());
}

// The hidden layer from the decoded input rows gives FastText::predict()'s labels and log
// probabilities bit for bit (langid/fasttext_input.h), for every k the identifier asks for and
// for parts of texts (fewer ids: another scale of the hidden vector).
TEST(LanguageIdentifier, DecodedHiddenLayerPredictsAsFastText) {
    fasttext::FastText model;
    model.loadModel(doppel::test::lid_model());
    const auto dict = model.getDictionary();
    const doppel::langid_detail::SubwordIds subwords(*dict, model.getArgs());
    const doppel::langid_detail::HiddenLayer hidden(model);
    ASSERT_TRUE(hidden.decoded());  // lid.176.ftz is small enough to decode
    doppel::langid_detail::TokenIdCache cache;
    std::vector<int32_t> ids;
    std::size_t checked = 0;
    for (const std::string& t : real_and_edge_texts())
        for (const std::size_t cut : {t.size(), t.size() / 3, std::size_t{40}}) {
            doppel::langid_detail::line_input_ids(subwords, model.getArgs().label,
                                                  std::string_view(t).substr(0, cut), cache, &ids);
            for (const int k : {1, 3, 176}) {
                fasttext::Predictions fast, reference;
                hidden.predict(ids, k, 0.0f, &fast);
                model.predict(k, ids, reference, 0.0f);
                ASSERT_EQ(fast.size(), reference.size());
                for (std::size_t i = 0; i < fast.size(); ++i) {
                    ASSERT_EQ(fast[i].second, reference[i].second) << t.substr(0, 100);
                    ASSERT_EQ(std::memcmp(&fast[i].first, &reference[i].first, sizeof(float)), 0)
                        << t.substr(0, 100);
                }
                checked += fast.size();
            }
        }
    EXPECT_GT(checked, 5000u);
}

// Each thread memoizes the evidence of documents and the guesses of paragraphs it read: a
// repeated document, and paragraphs met again in other documents, give what a fresh
// identifier gives.
TEST(LanguageIdentifier, RepeatedTextsGiveAFreshIdentifiersEvidence) {
    const LanguageIdentifier warm(doppel::test::lid_model()), fresh(doppel::test::lid_model());
    const std::vector<std::string> texts = real_and_edge_texts();
    std::vector<std::string> docs;
    for (std::size_t i = 0; i + 1 < texts.size(); i += 5) docs.push_back(texts[i] + "\n" + texts[i + 1]);
    const std::size_t originals = docs.size();
    for (std::size_t i = 0; i < originals; ++i) docs.push_back(docs[i]);  // whole copies
    // What an identifier without memos gives for each document: `fresh` lets go of its caches
    // before each (a new identifier per document loaded the model 4 x 64 times: 128 s under the
    // sanitizers).
    std::vector<doppel::DocumentLanguageEvidence> expected;
    for (std::size_t i = 0; i < originals; ++i) {
        fresh.release_caches();
        expected.push_back(fresh.read_document(docs[i]));
    }
    for (int pass = 0; pass < 2; ++pass)
        for (std::size_t i = 0; i < docs.size(); ++i) {
            const doppel::DocumentLanguageEvidence a = warm.read_document(docs[i]), &b = expected[i % originals];
            ASSERT_EQ(a.scores.labels.size(), b.scores.labels.size());
            for (std::size_t k = 0; k < a.scores.labels.size(); ++k) {
                EXPECT_EQ(a.scores.labels[k].lang, b.scores.labels[k].lang);
                EXPECT_EQ(a.scores.labels[k].confidence, b.scores.labels[k].confidence);
            }
            EXPECT_EQ(a.scores.letters, b.scores.letters);
            ASSERT_EQ(a.paragraphs, b.paragraphs);
            ASSERT_EQ(a.guesses.size(), b.guesses.size());
            for (std::size_t k = 0; k < a.guesses.size(); ++k) {
                EXPECT_EQ(a.guesses[k].lang, b.guesses[k].lang);
                EXPECT_EQ(a.guesses[k].confidence, b.guesses[k].confidence);
            }
        }
}

// score()'s letter count takes ASCII without ICU: the same count as u_isalpha on every byte.
TEST(LanguageIdentifier, AsciiLettersCountAsIcuCountsThem) {
    std::string ascii;
    for (int c = 1; c < 0x80; ++c) ascii.push_back(static_cast<char>(c));
    std::size_t icu = 0;
    for (char c : ascii) icu += u_isalpha(static_cast<unsigned char>(c)) ? 1 : 0;
    EXPECT_EQ(icu, 52u);
    EXPECT_EQ(lid().score(ascii).letters, icu);
    EXPECT_EQ(lid().score(ascii + "Ünïcödé ÄÖ 日本").letters, icu + 11);
}

// A text's tokens read once give every part's ids: what line_input_ids() gives for that part,
// tokens cut by the part's ends and "</s>" in the text included.
TEST(LanguageIdentifier, TokenizedTextGivesEachPartsIds) {
    fasttext::FastText model;
    model.loadModel(doppel::test::lid_model());
    const auto dict = model.getDictionary();
    const std::string prefix = model.getArgs().label;
    const doppel::langid_detail::SubwordIds subwords(*dict, model.getArgs());
    doppel::langid_detail::TokenIdCache cache;
    doppel::langid_detail::TokenizedText tokens;
    std::vector<int32_t> part, reference;
    std::vector<std::string> texts = real_and_edge_texts();
    texts.push_back("one two </s> three four");
    std::size_t checked = 0;
    for (const std::string& t : texts) {
        tokens.read(subwords, prefix, t, cache);
        std::vector<std::pair<std::size_t, std::size_t>> parts = {{0, t.size()}, {0, 0}};
        for (std::size_t b = 0; b < t.size(); b += 1 + t.size() / 7)
            parts.emplace_back(b, std::min(t.size(), b + 3 + t.size() / 5));  // cuts inside tokens too
        for (const doppel::Span& s : doppel::Segmenter::paragraphs(t)) parts.emplace_back(s.begin, s.end);
        for (const auto& [b, e] : parts) {
            tokens.line_ids(b, e, cache, &part);
            doppel::langid_detail::line_input_ids(subwords, prefix, std::string_view(t).substr(b, e - b), cache, &reference);
            ASSERT_EQ(part, reference) << b << ".." << e << " of " << t.substr(0, 100);
            ++checked;
        }
    }
    EXPECT_GT(checked, 500u);
}

// read_document() gives the sample's scores and each paragraph's top label exactly as
// score_document() and identify() of each paragraph do (a sample cut inside a token included),
// and analyze() from it what analyze() of each paragraph gave before.
TEST(LanguageIdentifier, DocumentEvidenceIsScoreAndIdentifyOfEachPart) {
    std::vector<std::string> texts = real_and_edge_texts();
    std::string long_line;  // over kLanguageSampleBytes without a line end: the sample cuts a token
    while (long_line.size() < doppel::kLanguageSampleBytes + 5000) long_line += "Lorem ipsum dolor sit amet, consectetur ";
    texts.push_back(long_line + "\n\nUn paragraphe en français pour finir le document.");
    for (const std::string& t : texts) {
        const doppel::DocumentLanguageEvidence e = lid().read_document(t);
        const doppel::LanguageScores s = lid().score_document(t);
        ASSERT_EQ(e.scores.letters, s.letters);
        ASSERT_EQ(e.scores.labels.size(), s.labels.size());
        for (std::size_t i = 0; i < s.labels.size(); ++i) {
            EXPECT_EQ(e.scores.labels[i].lang, s.labels[i].lang);
            EXPECT_EQ(e.scores.labels[i].confidence, s.labels[i].confidence);
        }
        ASSERT_EQ(e.paragraphs, doppel::Segmenter::paragraphs(t));
        ASSERT_EQ(e.guesses.size(), e.paragraphs.size());
        for (std::size_t i = 0; i < e.paragraphs.size(); ++i) {
            const std::string_view p = std::string_view(t).substr(e.paragraphs[i].begin, e.paragraphs[i].size());
            if (lid().score(p).letters < static_cast<std::size_t>(lid().options().min_paragraph_letters)) {
                EXPECT_TRUE(e.guesses[i].lang.empty());
                continue;
            }
            const doppel::LanguageGuess g = lid().identify(p);
            EXPECT_EQ(e.guesses[i].lang, g.lang);
            EXPECT_EQ(e.guesses[i].confidence, g.confidence);
        }
    }
}

namespace {
void expect_same_evidence(const doppel::DocumentLanguageEvidence& a, const doppel::DocumentLanguageEvidence& b) {
    EXPECT_EQ(a.scores.letters, b.scores.letters);
    ASSERT_EQ(a.scores.labels.size(), b.scores.labels.size());
    for (std::size_t k = 0; k < a.scores.labels.size(); ++k) {
        EXPECT_EQ(a.scores.labels[k].lang, b.scores.labels[k].lang);
        EXPECT_EQ(a.scores.labels[k].confidence, b.scores.labels[k].confidence);
    }
    ASSERT_EQ(a.paragraphs, b.paragraphs);
    ASSERT_EQ(a.guesses.size(), b.guesses.size());
    for (std::size_t k = 0; k < a.guesses.size(); ++k) {
        EXPECT_EQ(a.guesses[k].lang, b.guesses[k].lang) << k;
        EXPECT_EQ(a.guesses[k].confidence, b.guesses[k].confidence) << k;
    }
}
}  // namespace

// read_documents() reads a long text in parts on several threads (its sample, runs of its
// paragraphs) and gives read_document()'s evidence of each text bit for bit: long documents of
// paragraphs in several languages (a part's first paragraph preceded by spaces, one ending on a
// line cut by the sample), short ones, copies, and again from the memo.
TEST(LanguageIdentifier, DocumentsReadInPartsGiveEachDocumentsEvidence) {
    const std::vector<std::string> texts = real_and_edge_texts();
    std::vector<std::string> docs;
    for (std::size_t start : {0u, 7u}) {
        std::string d;
        for (std::size_t i = start; d.size() < 3 * doppel::kLanguagePartBytes; i = (i + 3) % texts.size())
            d += texts[i] + (i % 2 ? "\n   " : "\n\n");
        docs.push_back(d);
    }
    docs.push_back(texts[1]);
    docs.push_back(docs[0]);  // a copy
    std::string one_line;     // one paragraph longer than a part
    while (one_line.size() < doppel::kLanguagePartBytes + 1000) one_line += "Ein langer Absatz ohne Zeilenende. ";
    docs.push_back(one_line + "\nA last line in English to end the document with.");
    std::vector<std::string_view> views(docs.begin(), docs.end());
    const LanguageIdentifier split(doppel::test::lid_model());
    for (int pass = 0; pass < 2; ++pass) {  // the second from the memo of long documents
        std::vector<doppel::DocumentLanguageEvidence> read(docs.size());
        split.read_documents(views.size(), views.data(), read.data());
        for (std::size_t i = 0; i < docs.size(); ++i) {
            const LanguageIdentifier fresh(doppel::test::lid_model());
            SCOPED_TRACE(i);
            expect_same_evidence(read[i], fresh.read_document(docs[i]));
        }
    }
    EXPECT_GT(docs[0].size(), 2 * doppel::kLanguagePartBytes);
}

// A model that was not quantized keeps a row for every n-gram bucket (no pruning index): its
// token ids are the n-grams' buckets themselves, as fastText's own line reader gives them. A
// small model is trained here, on the seeds' paragraphs, to reach that branch.
TEST(LanguageIdentifier, UnprunedModelsTokenIdsAreFastTextsOwn) {
    const std::filesystem::path dir = std::filesystem::temp_directory_path() / "doppel-unpruned-ft";
    std::filesystem::create_directories(dir);
    std::vector<std::string> lines;
    for (const char* name : {"en-2024-hanoi-working-group.txt", "ar-2024-hanoi-working-group.txt",
                             "vi-2024-nz-interview-ben-quinn.txt"}) {
        const std::string text = doppel::test::read_file(doppel::test::seed_path(name));
        for (const doppel::Span& s : doppel::Segmenter::paragraphs(text)) {
            std::string p = text.substr(s.begin, s.size());
            std::replace(p.begin(), p.end(), '\n', ' ');
            lines.push_back("__label__" + std::string(name, 2) + " " + p);
        }
    }
    {
        std::ofstream out(dir / "train.txt");
        for (const std::string& l : lines) out << l << '\n';
    }
    fasttext::Args args;
    args.input = (dir / "train.txt").string();
    args.model = fasttext::model_name::sup;
    args.loss = fasttext::loss_name::softmax;
    args.dim = 8;
    args.epoch = 1;
    args.minCount = 2;  // so that rare words are out of the vocabulary and go by their n-grams
    args.minn = 2;
    args.maxn = 4;
    args.bucket = 5003;
    args.thread = 1;
    args.verbose = 0;
    fasttext::FastText model;
    model.train(args);
    const auto dict = model.getDictionary();
    const doppel::langid_detail::SubwordIds subwords(*dict, model.getArgs());
    doppel::langid_detail::TokenIdCache cache;
    std::vector<int32_t> fast, reference;
    std::size_t ids = 0;
    for (const std::string& t : real_and_edge_texts()) {
        doppel::langid_detail::line_input_ids(subwords, model.getArgs().label, t, cache, &fast);
        doppel::langid_detail::line_input_ids_reference(*dict, t, &reference);
        ASSERT_EQ(fast, reference) << t.substr(0, 200);
        ids += fast.size();
    }
    EXPECT_GT(ids, 100000u);
    std::filesystem::remove_all(dir);
}

// TokenIdCachePool::clear() frees the caches it holds, not one lent at the moment (it comes back
// when its lease ends); LanguageIdentifier::release_caches() so (the Indexer's, before the
// stages' flush) leaves what it reads the same.
TEST(LanguageIdentifier, ReleasedCachesAreFreedAndMadeAgain) {
    using Lease = doppel::langid_detail::TokenIdCachePool::Lease;
    doppel::langid_detail::TokenIdCachePool pool;
    {
        Lease a(pool), b(pool);
    }
    EXPECT_EQ(pool.size(), 2u);
    {
        Lease lent(pool);
        pool.clear();
        EXPECT_EQ(pool.size(), 0u);
    }
    EXPECT_EQ(pool.size(), 1u);
    const LanguageIdentifier warm(doppel::test::lid_model());
    const std::string text = doppel::test::read_file(doppel::test::seed_path("en-2024-hanoi-working-group.txt"));
    const doppel::DocumentLanguageEvidence before = warm.read_document(text);
    warm.release_caches();
    const doppel::DocumentLanguageEvidence after = warm.read_document(text);
    ASSERT_FALSE(before.scores.labels.empty());
    EXPECT_EQ(before.scores.labels[0].lang, after.scores.labels[0].lang);
    EXPECT_EQ(before.scores.labels[0].confidence, after.scores.labels[0].confidence);
    EXPECT_EQ(before.paragraphs, after.paragraphs);
}
