// Language ID's fallback settled at the end of an index run (ops/indexer.h): a store's languages,
// confidences, paragraph labels, artifacts and vector index depend on the documents it holds, not
// on the runs, batches and order that brought them there. And a version-1 store (before the
// model's top label was recorded) opens, migrates and indexes.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "doppel/index/embedding_stage.h"
#include "doppel/index/near_duplicate_index.h"
#include "doppel/index/vector_index.h"
#include "doppel/index/vector_index_check.h"
#include "doppel/langid/language_identifier.h"
#include "doppel/ops/indexer.h"
#include "doppel/store/store.h"
#include "support/test_support.h"

namespace doppel {
namespace {

const LanguageIdentifier& lid() {
    static LanguageIdentifier model(test::lid_model());
    return model;
}

std::string models_dir() { return test::source_dir() + "/models"; }
bool have_bridge() { return std::filesystem::exists(models_dir() + "/bridge.lex"); }

// Long documents of four languages (trusted top labels), and short UI strings whose top label is
// unsure or a relative (Malay for Indonesian, Danish or Norwegian): their language depends on
// which languages are likely, i.e. on whether the store holds Indonesian and Norwegian texts.
const std::vector<std::pair<std::string, std::string>>& corpus() {
    static const std::vector<std::pair<std::string, std::string>> docs = {
        {"en/1", "The council agreed on Tuesday to rebuild the old bridge over the river, so that buses and "
                 "lorries no longer have to take the long road through the hills to reach the market town."},
        {"en/2", "Farmers in the valley say the summer was unusually dry this year, and many of them fear "
                 "there will not be enough hay to feed their animals through the long winter ahead."},
        {"en/3", "The primary school has opened a new library with twenty computers, and the teachers hope "
                 "that the children will read more books at home and in the classroom every day."},
        {"en/4", "The hospital has hired more nurses after waiting times grew far too long last year, and "
                 "patients say that the situation on the wards is now much better than it was before."},
        {"en/5", "According to the latest report, the number of tourists visiting the islands has risen "
                 "sharply in recent years, especially in summer when the sun barely sets at night."},
        {"en/6", "The city asks its residents to sort their waste more carefully, because a great deal of "
                 "plastic still ends up with the household rubbish and is burnt instead of recycled."},
        {"de/1", "Der Stadtrat hat am Dienstag beschlossen, die alte Brücke über den Fluss neu zu bauen, "
                 "damit Busse und Lastwagen nicht mehr den langen Umweg über die Hügel fahren müssen."},
        {"de/2", "Die Bauern im Tal berichten, dass der Sommer in diesem Jahr ungewöhnlich trocken war, und "
                 "viele fürchten, dass das Heu für ihre Tiere nicht durch den langen Winter reichen wird."},
        {"de/3", "Die Grundschule hat eine neue Bibliothek mit zwanzig Computern eröffnet, und die Lehrer "
                 "hoffen, dass die Kinder jeden Tag mehr Bücher zu Hause und in der Klasse lesen."},
        {"de/4", "Das Krankenhaus hat weitere Pflegekräfte eingestellt, nachdem die Wartezeiten im letzten "
                 "Jahr viel zu lang geworden waren, und die Patienten sagen, es sei jetzt viel besser."},
        {"de/5", "Nach dem neuesten Bericht ist die Zahl der Touristen, die die Inseln besuchen, in den "
                 "letzten Jahren stark gestiegen, vor allem im Sommer, wenn die Sonne kaum untergeht."},
        {"id/1", "Pemerintah Indonesia mengumumkan bahwa pembangunan jalan tol baru di Pulau Jawa akan "
                 "selesai pada akhir tahun depan, sehingga waktu perjalanan menjadi jauh lebih singkat."},
        {"id/2", "Para petani di desa itu mengatakan bahwa musim hujan tahun ini datang terlambat, dan mereka "
                 "khawatir hasil panen padi tidak akan cukup untuk memenuhi kebutuhan keluarga mereka."},
        {"id/3", "Sekolah dasar di kecamatan tersebut kini memiliki perpustakaan baru yang dilengkapi dengan "
                 "komputer, dan para guru berharap anak-anak akan lebih sering membaca buku setiap hari."},
        {"id/4", "Rumah sakit daerah menambah jumlah tempat tidur untuk pasien karena banyak warga yang datang "
                 "berobat setelah banjir besar melanda wilayah pesisir minggu lalu."},
        {"id/5", "Menurut laporan terbaru, jumlah wisatawan yang berkunjung ke Bali meningkat tajam selama "
                 "liburan sekolah, terutama dari Australia dan negara-negara Asia lainnya."},
        {"id/6", "Warga kota diminta untuk tidak membuang sampah ke sungai, karena tumpukan sampah menyebabkan "
                 "saluran air tersumbat dan memperparah banjir saat hujan deras turun."},
        {"no/1", "Regjeringen la i dag fram et forslag om å bygge flere boliger i byene, slik at unge mennesker "
                 "lettere kan kjøpe sin første leilighet uten å ta opp altfor store lån."},
        {"no/2", "Bøndene på Vestlandet forteller at sommeren har vært uvanlig tørr, og mange frykter at det "
                 "ikke blir nok fôr til dyrene gjennom den lange vinteren som kommer."},
        {"no/3", "Skolene i kommunen skal få nye datamaskiner neste høst, og lærerne håper at elevene vil bruke "
                 "dem til å lese mer og skrive bedre tekster på norsk og engelsk."},
        {"no/4", "Sykehuset har ansatt flere sykepleiere etter at ventetiden for behandling ble altfor lang i "
                 "fjor, og pasientene sier at situasjonen nå er mye bedre enn før."},
        {"no/5", "Ifølge den nye rapporten har antallet turister som besøker Lofoten økt kraftig de siste "
                 "årene, særlig om sommeren når midnattssolen lyser hele natten."},
        {"no/6", "Kommunen ber innbyggerne om å sortere avfallet bedre, fordi mye plast fortsatt havner i "
                 "restavfallet og blir brent i stedet for å bli gjenvunnet."},
        {"short/ms1", "Ofset horisontal kotak jangkar"},
        {"short/ms2", "Tampilkan semua jendela"},
        {"short/ms3", "Pilih warna latar belakang"},
        {"short/no1", "Lagre filen som"},
        {"short/no2", "Vis alle vinduer"},
        {"short/da1", "Åbn linket i en ny fane"},
        {"short/hr1", "Naziv ikone teme"},
        {"short/mixed", "Velg bakgrunnsfarge\nThe background colour of the window\nPilih warna"},
    };
    return docs;
}

std::vector<Document> documents(const std::vector<std::string>& prefixes) {
    std::vector<Document> out;
    for (const auto& [id, text] : corpus())
        for (const auto& p : prefixes)
            if (id.rfind(p, 0) == 0) {
                Document d;
                d.id = id;
                d.text = text;
                d.source = id + ".txt";
                out.push_back(std::move(d));
            }
    return out;
}

// One `doppel index` run: the documents in batches of `batch`, then finish().
void index_run(Store& store, std::vector<Document> docs, std::size_t batch) {
    Indexer indexer(store, lid());
    indexer.add_stage(std::make_unique<NearDuplicateStage>());
    indexer.add_stage(std::make_unique<EmbeddingStage>(EmbeddingStageOptions{}, EmbedderContext{models_dir()}));
    for (std::size_t b = 0; b < docs.size(); b += batch)
        indexer.add(std::min(batch, docs.size() - b), docs.data() + b, 1000);
    indexer.finish();
}

void delete_run(Store& store, const std::vector<std::string>& ids) {
    Indexer indexer(store, lid());
    indexer.add_stage(std::make_unique<NearDuplicateStage>());
    indexer.add_stage(std::make_unique<EmbeddingStage>(EmbeddingStageOptions{}, EmbedderContext{models_dir()}));
    EXPECT_EQ(indexer.remove(ids), ids.size());
}

// Everything of a stored document that may depend on its language, as one comparable string.
std::string describe(const Store& store, const StoredDocument& d) {
    std::string s = d.lang + " " + std::to_string(d.lang_confidence) + " top=" + d.lang_top + " [";
    for (const Paragraph& p : d.paragraphs)
        s += p.lang + ":" + std::to_string(p.lang_confidence) + (p.lang_inherited ? "i " : " ");
    s += "] others=";
    for (const auto& o : d.other_languages) s += o + ",";
    for (const char* kind : {"shingles", "minhash", EmbeddingStage::kFeaturesKind, EmbeddingStage::kLanguageKind}) {
        const auto blob = store.artifact(d.seq, kind);
        s += std::string(" ") + kind + "=" + (blob ? std::to_string(std::hash<std::string>{}(*blob)) : "none");
    }
    return s;
}

std::map<std::string, std::string> snapshot(const Store& store) {
    std::map<std::string, std::string> out;
    store.scan([&](const StoredDocument& d) {
        out[d.id] = describe(store, d);
        return true;
    }, false);
    EXPECT_TRUE(check_vector_index(store).in_step) << check_vector_index(store).problem;
    const VectorIndex index = VectorIndex::load(store.dir());
    for (const auto& lang : index.languages())  // a part emptied by a move may stay, empty
        if (index.size(lang) > 0) out["index/" + lang] = std::to_string(index.size(lang));
    return out;
}

std::map<std::string, std::string> one_run(const std::string& name) {
    test::TempDir dir(name);
    Store store(dir.path());
    index_run(store, documents({""}), 256);
    return snapshot(store);
}

void expect_same(const std::map<std::string, std::string>& want, const std::map<std::string, std::string>& got,
                 const std::string& how) {
    EXPECT_EQ(want.size(), got.size()) << how;
    for (const auto& [id, w] : want) {
        auto it = got.find(id);
        ASSERT_NE(it, got.end()) << how << ": " << id << " missing";
        EXPECT_EQ(it->second, w) << how << ": " << id;
    }
}

TEST(LanguageSettling, AStoreDependsOnItsDocumentsNotOnItsRuns) {
    if (!have_bridge()) GTEST_SKIP() << "models/bridge.lex not built";
    const auto want = one_run("settle-one-run");
    // The premise: the short Indonesian line is Malay to the model, Indonesian in this store.
    ASSERT_NE(want.find("short/ms1"), want.end());
    EXPECT_EQ(want.at("short/ms1").substr(0, 3), "id ") << want.at("short/ms1");
    EXPECT_NE(want.at("short/ms1").find("top=ms"), std::string::npos) << want.at("short/ms1");
    {  // the short and English texts first (Indonesian and Norwegian not likely yet), the rest later
        test::TempDir dir("settle-two-runs");
        Store store(dir.path());
        index_run(store, documents({"short/", "en/"}), 3);
        index_run(store, documents({"de/", "id/", "no/"}), 4);
        expect_same(want, snapshot(store), "short texts first, then the rest");
    }
    {  // everything in reverse order, two at a time
        test::TempDir dir("settle-reverse");
        Store store(dir.path());
        std::vector<Document> docs = documents({""});
        std::reverse(docs.begin(), docs.end());
        index_run(store, docs, 2);
        expect_same(want, snapshot(store), "reverse order in batches of two");
    }
    {  // the Indonesian documents deleted (the short lines fall back to Malay) and added again
        test::TempDir dir("settle-delete");
        Store store(dir.path());
        index_run(store, documents({""}), 5);
        std::vector<std::string> ids;
        for (const Document& d : documents({"id/"})) ids.push_back(d.id);
        delete_run(store, ids);
        EXPECT_EQ(store.get("short/ms1", false)->lang, "ms");
        EXPECT_TRUE(check_vector_index(store).in_step) << check_vector_index(store).problem;
        index_run(store, documents({"id/", "no/"}), 256);
        expect_same(want, snapshot(store), "Indonesian deleted and added again");
    }
}

TEST(LanguageSettling, ARunKilledBeforeSettlingIsSettledByTheNext) {
    if (!have_bridge()) GTEST_SKIP() << "models/bridge.lex not built";
    const auto want = one_run("settle-killed-ref");
    test::TempDir dir("settle-killed");
    Store store(dir.path());
    index_run(store, documents({"short/", "en/"}), 256);
    {  // a run that stores the rest but stops before finish() (a kill after its last commit)
        Indexer indexer(store, lid());
        indexer.add_stage(std::make_unique<NearDuplicateStage>());
        indexer.add_stage(std::make_unique<EmbeddingStage>(EmbeddingStageOptions{}, EmbedderContext{models_dir()}));
        std::vector<Document> docs = documents({"de/", "id/", "no/"});
        indexer.add(docs.size(), docs.data(), 1000);
    }
    EXPECT_FALSE(store.meta(Store::kSettledMeta));
    index_run(store, documents({""}), 256);  // every document unchanged: only the settling works
    expect_same(want, snapshot(store), "settled by the re-run");
}

TEST(LanguageSettling, StoredScoresDecideAsTheTextDoes) {
    const LanguageScores s = lid().score_document("Ofset horisontal kotak jangkar");
    std::string hint;
    const LanguageScores back = decode_language_scores(encode_language_scores(s, "id_ID"), &hint);
    EXPECT_EQ(hint, "id_ID");
    ASSERT_EQ(back.labels.size(), s.labels.size());
    for (std::size_t i = 0; i < s.labels.size(); ++i) {
        EXPECT_EQ(back.labels[i].lang, s.labels[i].lang);
        EXPECT_EQ(back.labels[i].confidence, s.labels[i].confidence);  // exactly
    }
    const std::vector<std::string> likely{"en", "id"};
    const LanguageGuess g = lid().choose(s, likely), again = lid().choose_stored(encode_language_scores(s, ""), likely);
    EXPECT_EQ(g.lang, again.lang);
    EXPECT_EQ(g.confidence, again.confidence);
    EXPECT_THROW(decode_language_scores("[1,2]", nullptr), Error);
}

// decode_language_scores() reads what encode_language_scores() writes without a JSON parser, and
// any other form of the same JSON (spaces, escapes, keys in another order) through one: both give
// the same scores, probabilities exactly.
TEST(LanguageSettling, WrittenScoresReadAsTheSameJsonInAnyForm) {
    LanguageScores s;
    s.letters = 42;
    for (const float p : {0.0f, 1.0f, 1e-30f, 1.4e-45f, 0.1f, 0.3333333f, 0.8793842792510986f})
        s.labels.push_back(LanguageGuess{"en", p});
    const std::string written = encode_language_scores(s, "vi");
    std::string hint;
    const LanguageScores fast = decode_language_scores(written, &hint);
    EXPECT_EQ(hint, "vi");
    EXPECT_EQ(fast.letters, 42u);
    ASSERT_EQ(fast.labels.size(), s.labels.size());
    for (std::size_t i = 0; i < s.labels.size(); ++i)
        EXPECT_EQ(fast.labels[i].confidence, s.labels[i].confidence) << i;
    const std::string spaced =
        "{ \"letters\": 42, \"labels\": [[\"en\", 0.5], [\"\\u0065n\", 1e-3]], \"hint\": \"v\\u0069\" }";
    const LanguageScores parsed = decode_language_scores(spaced, &hint);
    EXPECT_EQ(hint, "vi");
    EXPECT_EQ(parsed.letters, 42u);
    ASSERT_EQ(parsed.labels.size(), 2u);
    EXPECT_EQ(parsed.labels[1].lang, "en");
    EXPECT_EQ(parsed.labels[1].confidence, 1e-3f);
    const LanguageScores canonical = decode_language_scores(encode_language_scores(parsed, "vi"), nullptr);
    ASSERT_EQ(canonical.labels.size(), 2u);
    EXPECT_EQ(canonical.labels[0].confidence, parsed.labels[0].confidence);
    EXPECT_EQ(canonical.labels[1].confidence, parsed.labels[1].confidence);
    for (const char* bad :
         {"{\"hint\":\"\",\"labels\":[[\"en\",null]],\"letters\":1}",
          "{\"hint\":\"\",\"labels\":[[\"en\",0.5]],\"letters\":1}x", "{\"hint\":\"\",\"labels\":["})
        EXPECT_THROW(decode_language_scores(bad, nullptr), Error) << bad;
}

// encode_language_scores() writes its JSON itself: any probability (tiny, denormal, 0, 1) and
// a hint with quotes, a backslash, control and non-ASCII characters read back exactly.
TEST(LanguageSettling, EncodedScoresReadBackExactly) {
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> unit(0.0f, 1.0f);
    LanguageScores s;
    s.letters = 123456;
    for (const float p : {0.0f, 1.0f, 1e-30f, 1.4e-45f, 0.1f, 0.3333333f})
        s.labels.push_back(LanguageGuess{"xx", p});
    for (int i = 0; i < 500; ++i)
        s.labels.push_back(
            LanguageGuess{i % 2 ? "zh_Hant" : "en", unit(rng) * std::pow(10.0f, -float(rng() % 12))});
    const std::string hint = "pt \"BR\" \\ \t é 会议";
    std::string back_hint;
    const LanguageScores back = decode_language_scores(encode_language_scores(s, hint), &back_hint);
    EXPECT_EQ(back_hint, hint);
    EXPECT_EQ(back.letters, s.letters);
    ASSERT_EQ(back.labels.size(), s.labels.size());
    for (std::size_t i = 0; i < s.labels.size(); ++i) {
        EXPECT_EQ(back.labels[i].lang, s.labels[i].lang);
        EXPECT_EQ(back.labels[i].confidence, s.labels[i].confidence) << i;
    }
    EXPECT_EQ(encode_language_scores(LanguageScores{}, "en"), "");
}

// The version-1 schema, as builds before the top label was recorded created it.
const char* kSchemaV1 = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents(
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, source TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '', title TEXT NOT NULL DEFAULT '', date TEXT NOT NULL DEFAULT '',
    lang TEXT NOT NULL DEFAULT '', lang_confidence REAL NOT NULL DEFAULT 0,
    paragraphs TEXT NOT NULL DEFAULT '[]', other_languages TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL, text TEXT NOT NULL, added_at INTEGER NOT NULL);
CREATE INDEX documents_added_at ON documents(added_at);
CREATE TABLE artifacts(seq INTEGER NOT NULL REFERENCES documents(seq) ON DELETE CASCADE, kind TEXT NOT NULL,
    data BLOB NOT NULL, PRIMARY KEY(kind, seq)) WITHOUT ROWID;
CREATE INDEX artifacts_seq ON artifacts(seq);
INSERT INTO meta VALUES('schema_version', '1');
INSERT INTO documents(id, lang, lang_confidence, paragraphs, content_hash, text, added_at)
    VALUES('old', 'hr', 0.75, '[[0,16,"hr",0.75,true]]', 'x', 'Naziv ikone teme', 5);
)sql";

TEST(LanguageSettling, AVersionOneStoreOpensAndMigrates) {
    test::TempDir dir("settle-v1");
    {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open((dir.path() + "/doppel.sqlite").c_str(), &db), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(db, kSchemaV1, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
        sqlite3_close(db);
    }
    {  // read-only: read as if migrated, nothing written
        Store ro(dir.path(), StoreOptions{false, true});
        EXPECT_EQ(ro.schema_version(), 1);
        EXPECT_EQ(ro.get("old", false)->lang_top, "hr");
        EXPECT_EQ(ro.top_label_counts().at("hr"), 1u);
        EXPECT_TRUE(ro.fallback_decisions().empty());
    }
    Store store(dir.path());
    EXPECT_EQ(store.schema_version(), Store::kSchemaVersion);
    const auto old = store.get("old");
    ASSERT_TRUE(old);
    EXPECT_EQ(old->lang_top, "hr");    // its language taken as the top label
    EXPECT_EQ(old->lang_scores, "");   // and as trusted: never decided again
    Indexer indexer(store, lid());
    indexer.add_stage(std::make_unique<NearDuplicateStage>());
    std::vector<Document> docs = documents({"short/ms1", "en/1"});
    indexer.add(docs.size(), docs.data(), 10);
    indexer.finish();
    EXPECT_EQ(store.size(), 3u);
    EXPECT_EQ(store.get("old", false)->lang, "hr");
    EXPECT_EQ(store.get("short/ms1", false)->lang_top, "ms");
    EXPECT_NE(store.get("short/ms1", false)->lang_scores, "");
    EXPECT_TRUE(store.meta(Store::kSettledMeta));
}

}  // namespace
}  // namespace doppel
