// `doppel index` on what crawls and scrapers produce: a per-record-gzip WARC in three charsets,
// RSS and Atom feeds, gzip and zstd JSONL; the stored text, language, URL, date and title; broken
// inputs reported with the records around them kept; `expire --by published`; metadata in JSONL.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "doppel/store/store.h"
#include "support/ingest_samples.h"
#include "support/test_support.h"

using namespace doppel;
using namespace doppel::test;

namespace {

const std::string kRss = R"(<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Example News</title>
<item><title>Old story</title><link>https://news.example/en/old</link><guid>old-1</guid>
<pubDate>Mon, 06 Jan 2020 08:00:00 GMT</pubDate>
<description>&lt;p&gt;An old report about the harvest in the northern provinces, where farmers said the rain came late this year and the wheat crop was smaller than expected.&lt;/p&gt;</description></item>
<item><title>New story</title><link>https://news.example/en/new</link><guid>new-1</guid>
<pubDate>Tue, 01 Dec 2026 10:00:00 +0300</pubDate>
<description>&lt;p&gt;A new report about the railway line that will connect the two largest cities of the country by the end of the decade, the transport minister said on Tuesday.&lt;/p&gt;</description></item>
</channel></rss>)";

const std::string kAtom = R"(<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Nachrichten</title><id>urn:feed:de</id>
<entry><title>Neue Bahnstrecke</title><id>urn:de:1</id><link href="https://news.example/de/new"/>
<published>2026-12-01T08:00:00+01:00</published>
<content type="html">&lt;p&gt;Die neue Bahnstrecke soll die beiden größten Städte des Landes bis zum Ende des Jahrzehnts verbinden, sagte der Verkehrsminister am Dienstag.&lt;/p&gt;</content></entry>
<entry><title>Undated</title><id>urn:de:2</id><link href="https://news.example/de/undated"/>
<content type="text">Ein Bericht ohne Datum über das Wetter in den Bergen, wo es in dieser Woche viel geschneit hat.</content></entry>
</feed>)";

std::string jsonl_doc(const std::string& id, const std::string& text, const std::string& url) {
    return nlohmann::json{{"id", id}, {"text", text}, {"url", url}, {"title", "T " + id}, {"date", "2025-05-05"}}.dump() + "\n";
}

std::map<std::string, nlohmann::json> listed(const std::string& store) {
    const CommandResult r = run_doppel("list --store '" + store + "' --format jsonl");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::map<std::string, nlohmann::json> out;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
        auto j = nlohmann::json::parse(line);
        out[j["id"].get<std::string>()] = j;
    }
    return out;
}

void expect_doc(const std::map<std::string, nlohmann::json>& docs, const std::string& id, const std::string& lang,
                const std::string& url, const std::string& date, const std::string& title) {
    ASSERT_EQ(docs.count(id), 1u) << id;
    const nlohmann::json& j = docs.at(id);
    EXPECT_EQ(j.value("language", ""), lang) << id;
    EXPECT_EQ(j.value("url", ""), url) << id;
    EXPECT_EQ(j.value("date", ""), date) << id;
    EXPECT_EQ(j.value("title", ""), title) << id;
}

}  // namespace

TEST(CliIngest, IndexReadsWarcFeedsAndCompressedJsonl) {
    TempDir dir("e2e-ingest");
    const std::string jsonl = jsonl_doc("j1", kEnglishNews, "https://j.example/1") +
                              jsonl_doc("j2", kVietnameseNews, "https://j.example/2");
    write_file(dir / "in/crawl.warc.gz", sample_warc_gz());
    write_file(dir / "in/news.rss", kRss);
    write_file(dir / "in/de.atom", kAtom);
    write_file(dir / "in/docs.jsonl.gz", gzip_bytes(jsonl));
    write_file(dir / "zst/docs.jsonl.zst", zstd_bytes(jsonl));
    const CommandResult r = run_doppel("index --store '" + dir / "s" + "' '" + dir / "in" + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("crawl.warc.gz: 5 records are not documents"), std::string::npos) << r.err;
    const auto docs = listed(dir / "s");
    EXPECT_EQ(docs.size(), 3u + 2u + 2u + 2u);
    expect_doc(docs, "https://news.example/en/flu", "en", "https://news.example/en/flu", "2024-03-01T10:00:00Z", "Flu campaign");
    expect_doc(docs, "https://news.example/ar/flu", "ar", "https://news.example/ar/flu", "2024-03-02T11:30:00Z", "حملة التطعيم");
    expect_doc(docs, "https://vi.news.example/flu", "vi", "https://vi.news.example/flu", "2024-03-03T12:00:00Z", "Tiêm chủng");
    expect_doc(docs, "new-1", "en", "https://news.example/en/new", "2026-12-01T07:00:00Z", "New story");
    expect_doc(docs, "urn:de:1", "de", "https://news.example/de/new", "2026-12-01T07:00:00Z", "Neue Bahnstrecke");
    expect_doc(docs, "j2", "vi", "https://j.example/2", "2025-05-05", "T j2");
    EXPECT_EQ(docs.at("new-1").value("source", "").rfind("Example News (", 0), 0u);

    Store store(dir / "s", StoreOptions{false, true});
    EXPECT_EQ(store.get("https://news.example/ar/flu")->text, kArabicNews);
    EXPECT_EQ(store.get("https://vi.news.example/flu")->text, kVietnameseNews);
    EXPECT_EQ(store.get("j1")->text, kEnglishNews);

    const CommandResult rep = run_doppel("report --store '" + dir / "s" + "' --html '" + dir / "r.html" + "'");
    ASSERT_EQ(rep.exit_code, 0) << rep.err;
    const std::string html = read_file(dir / "r.html");
    EXPECT_NE(html.find("<a href=\"https://news.example/ar/flu\""), std::string::npos);
    EXPECT_NE(html.find("<td>2024-03-02T11:30:00Z</td>"), std::string::npos);

    // The English and Arabic flu pages are translations whose URLs differ only in /en/ vs /ar/.
    const CommandResult tr = run_doppel("translations --store '" + dir / "s" + "' --format jsonl --no-align");
    ASSERT_EQ(tr.exit_code, 0) << tr.err;
    EXPECT_NE(tr.out.find("\"id_a\":\"https://news.example/ar/flu\",\"id_b\":\"https://news.example/en/flu\""), std::string::npos) << tr.out;
    EXPECT_NE(tr.out.find("\"url_evidence\":true"), std::string::npos) << tr.out;
    EXPECT_NE(html.find("same URL but for the language code"), std::string::npos);

    const CommandResult z = run_doppel("index --store '" + dir / "z" + "' '" + dir / "zst" + "'");
    ASSERT_EQ(z.exit_code, 0) << z.err;
    const auto zdocs = listed(dir / "z");
    ASSERT_EQ(zdocs.size(), 2u);
    EXPECT_EQ(zdocs.at("j2").value("content_hash", "x"), docs.at("j2").value("content_hash", "y"));
}

TEST(CliIngest, TruncatedGzipAndBrokenWarcReportedOthersKept) {
    TempDir dir("e2e-ingest-broken");
    std::string jsonl;
    for (int i = 0; i < 4000; ++i)
        jsonl += jsonl_doc("d" + std::to_string(i), "Document number " + std::to_string(i) + " of the dump.", "");
    const std::string gz = gzip_bytes(jsonl);
    write_file(dir / "cut.jsonl.gz", gz.substr(0, gz.size() * 3 / 4));
    const std::string ok1 = warc_record("response", "https://a.example/1", http_response("200 OK", "text/plain", kEnglishNews));
    std::string bad = warc_record("response", "https://a.example/2", http_response("200 OK", "text/plain", "x"));
    bad.replace(0, 8, "WARC/9.9");
    const std::string ok2 = warc_record("response", "https://a.example/3", http_response("200 OK", "text/plain", kArabicNews));
    write_file(dir / "b.warc.gz", gzip_bytes(ok1) + gzip_bytes(bad) + gzip_bytes(ok2));
    const CommandResult r = run_doppel("index --store '" + dir / "s" + "' '" + dir / "cut.jsonl.gz" + "' '" +
                                       dir / "b.warc.gz" + "'");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find(dir / "b.warc.gz: WARC record at byte " + std::to_string(ok1.size()) +
                         ": WARC version 'WARC/9.9' is not 1.0 or 1.1"), std::string::npos) << r.err;
    const auto cut = r.err.find(dir / "cut.jsonl.gz:");
    ASSERT_NE(cut, std::string::npos) << r.err;
    EXPECT_NE(r.err.find(": truncated gzip stream", cut), std::string::npos) << r.err;
    const auto docs = listed(dir / "s");
    EXPECT_EQ(docs.count("https://a.example/1") + docs.count("https://a.example/3"), 2u);
    const std::size_t line = std::stoul(r.err.substr(cut + (dir / "cut.jsonl.gz:").size()));
    EXPECT_EQ(docs.size(), 2u + line - 1) << "every record before the broken line is stored";
}

TEST(CliIngest, ExpireByPublishedUsesTheDocumentsOwnDate) {
    TempDir dir("e2e-expire-published");
    write_file(dir / "news.rss", kRss);
    write_file(dir / "de.atom", kAtom);
    const std::string store = dir / "s";
    ASSERT_EQ(run_doppel("index --store '" + store + "' '" + dir / "news.rss" + "' '" + dir / "de.atom" + "'").exit_code, 0);
    // 2026-12-02T00:00:00Z minus a year: the 2020 item goes, the 2026 ones and the undated entry stay.
    const CommandResult r = run_doppel("expire --store '" + store + "' --by published --older-than 31536000 --time 1796169600");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("1 expired, 1 kept without a date"), std::string::npos) << r.err;
    const auto docs = listed(store);
    EXPECT_EQ(docs.count("old-1"), 0u);
    EXPECT_EQ(docs.size(), 3u);
    const CommandResult added = run_doppel("expire --store '" + store + "' --older-than 31536000 --time 1796169600");
    EXPECT_NE(added.err.find("0 expired"), std::string::npos) << "by the added time nothing is old: " << added.err;
}

TEST(CliIngest, JsonlOutputsCarryUrlTitleAndDate) {
    TempDir dir("e2e-ingest-meta");
    const std::string text = kEnglishNews + "\n" + kEnglishNews.substr(0, 90) + " and more words here.";
    write_file(dir / "a.jsonl", jsonl_doc("a", text, "https://a.example/en/1") + jsonl_doc("b", text + " Extra.", "https://b.example/1"));
    write_file(dir / "c.jsonl", jsonl_doc("c", text, "https://c.example/1"));
    const std::string store = dir / "s";
    ASSERT_EQ(run_doppel("index --store '" + store + "' '" + dir / "a.jsonl" + "'").exit_code, 0);
    const CommandResult d = run_doppel("dedup --store '" + store + "' --format jsonl --threshold 0.5");
    ASSERT_EQ(d.exit_code, 0) << d.err;
    const auto pair = nlohmann::json::parse(d.out.substr(0, d.out.find('\n')));
    ASSERT_EQ(pair.value("type", ""), "pair") << d.out;
    EXPECT_EQ(pair.value("url_a", ""), "https://a.example/en/1");
    EXPECT_EQ(pair.value("url_b", ""), "https://b.example/1");
    EXPECT_EQ(pair.value("title_a", ""), "T a");
    EXPECT_EQ(pair.value("date_b", ""), "2025-05-05");
    const CommandResult c = run_doppel("check --store '" + store + "' --format jsonl '" + dir / "c.jsonl" + "'");
    ASSERT_EQ(c.exit_code, 0) << c.err;
    const auto check = nlohmann::json::parse(c.out.substr(0, c.out.find('\n')));
    EXPECT_EQ(check.value("url", ""), "https://c.example/1") << c.out;
    EXPECT_EQ(check.value("match_id", ""), "a") << c.out;
    EXPECT_EQ(check.value("url_match", ""), "https://a.example/en/1") << c.out;
}
