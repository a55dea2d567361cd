// Reading what crawls and scrapers produce: gzip/zstd streams, WARC files, RSS and Atom feeds.
#include <gtest/gtest.h>

#include <map>

#include "doppel/ingest/document_reader.h"
#include "ingest/dates.h"
#include "support/ingest_samples.h"
#include "support/test_support.h"

using namespace doppel;
using namespace doppel::test;

namespace {

struct ReadResult {
    std::map<std::string, Document> docs;
    std::vector<RecordError> errors;
    std::vector<std::string> notes;
    std::size_t count = 0;
};

ReadResult read_all(const std::vector<std::string>& paths, ReaderOptions options = {}) {
    DocumentReader reader(paths, options);
    ReadResult r;
    std::vector<Document> docs;
    while (reader.next_batch(7, docs, r.errors)) {
        for (auto& d : docs) r.docs[d.id] = d, ++r.count;
        docs.clear();
    }
    r.notes = reader.notes();
    return r;
}

std::string errors_text(const ReadResult& r) {
    std::string s;
    for (const auto& e : r.errors) s += e.path + ":" + std::to_string(e.line) + ": " + e.reason + "\n";
    return s;
}

std::string jsonl_lines(int n) {
    std::string s;
    for (int i = 0; i < n; ++i)
        s += "{\"id\":\"d" + std::to_string(i) + "\",\"text\":\"document number " + std::to_string(i) + "\"}\n";
    return s;
}

}  // namespace

TEST(IngestCompressed, GzipMultiMemberZstdAndMisnamedGzipReadAsTheirContent) {
    TempDir dir("ingest-compressed");
    const std::string plain = jsonl_lines(50);
    const std::size_t half = plain.find("\n", plain.size() / 2) + 1;
    write_file(dir / "a.jsonl.gz", gzip_bytes(plain.substr(0, half)) + gzip_bytes(plain.substr(half)));
    write_file(dir / "b.jsonl.zst", zstd_bytes(plain.substr(0, half)) + zstd_bytes(plain.substr(half)));
    write_file(dir / "c.jsonl", gzip_bytes(plain));  // named .jsonl, holds gzip
    write_file(dir / "page.html.gz", gzip_bytes("<html><title>T</title><p>compressed page</p></html>"));
    for (const std::string name : {"a.jsonl.gz", "b.jsonl.zst", "c.jsonl"}) {
        const ReadResult r = read_all({dir / name});
        EXPECT_TRUE(r.errors.empty()) << name << "\n" << errors_text(r);
        ASSERT_EQ(r.count, 50u) << name;
        EXPECT_EQ(r.docs.at("d49").text, "document number 49");
        EXPECT_EQ(r.docs.at("d30").source, dir / name + ":31");
    }
    const ReadResult page = read_all({dir / "page.html.gz"});
    ASSERT_EQ(page.docs.count("page"), 1u) << errors_text(page);
    EXPECT_EQ(page.docs.at("page").text, "compressed page");
    EXPECT_EQ(page.docs.at("page").title, "T");
}

TEST(IngestCompressed, TruncatedAndCorruptStreamsKeepTheRecordsBefore) {
    TempDir dir("ingest-truncated");
    const std::string plain = jsonl_lines(10000);  // zstd blocks hold up to 128 KiB: several here
    const std::string gz = gzip_bytes(plain), zst = zstd_bytes(plain);
    write_file(dir / "t.jsonl.gz", gz.substr(0, gz.size() / 2));
    write_file(dir / "t.jsonl.zst", zst.substr(0, zst.size() / 2));
    write_file(dir / "g.jsonl.gz", gz + "garbage after the member");
    const std::map<std::string, std::string> expected = {{"t.jsonl.gz", "truncated gzip stream"},
                                                         {"t.jsonl.zst", "truncated zstd stream"},
                                                         {"g.jsonl.gz", "not gzip data after the last member"}};
    for (const auto& [name, reason] : expected) {
        const ReadResult r = read_all({dir / name});
        EXPECT_GT(r.count, 100u) << name;
        EXPECT_EQ(r.count < 10000u, name != "g.jsonl.gz") << name;
        ASSERT_EQ(r.errors.size(), 1u) << errors_text(r);
        EXPECT_EQ(r.errors[0].path, dir / name);
        EXPECT_EQ(r.errors[0].line, r.count + 1) << "the line where the stream broke";
        EXPECT_NE(r.errors[0].reason.find(reason), std::string::npos) << r.errors[0].reason;
    }
}

TEST(IngestCompressed, LimitsApplyToTheDecompressedBytes) {
    TempDir dir("ingest-bomb");
    const std::string big(3u << 20, 'a');  // 3 MiB that compress to a few KiB
    write_file(dir / "bomb.txt.gz", gzip_bytes(big));
    write_file(dir / "bomb.jsonl.zst", zstd_bytes(big + "\n" + jsonl_lines(1)));
    ReaderOptions options;
    options.max_document_bytes = 1u << 20;
    const ReadResult r = read_all({dir / "bomb.txt.gz", dir / "bomb.jsonl.zst"}, options);
    ASSERT_EQ(r.errors.size(), 2u) << errors_text(r);
    EXPECT_NE(r.errors[0].reason.find("over the limit of 1 MiB"), std::string::npos) << errors_text(r);
    EXPECT_NE(r.errors[1].reason.find("over the limit"), std::string::npos) << errors_text(r);
    EXPECT_EQ(r.errors[1].line, 1u);
    EXPECT_EQ(r.docs.count("d0"), 1u) << "the record after the long line is read";
}

TEST(IngestDates, Rfc822AndIso8601BecomeUtc) {
    using ingest::normalize_date;
    EXPECT_EQ(normalize_date("Tue, 01 Dec 2026 10:00:00 +0300"), "2026-12-01T07:00:00Z");
    EXPECT_EQ(normalize_date("1 Dec 2026 10:00 GMT"), "2026-12-01T10:00:00Z");
    EXPECT_EQ(normalize_date("Mon, 29 Feb 2016 23:30:00 EST"), "2016-03-01T04:30:00Z");
    EXPECT_EQ(normalize_date("2026-12-01T10:00:00.123-02:30"), "2026-12-01T12:30:00Z");
    EXPECT_EQ(normalize_date("2026-12-01"), "2026-12-01T00:00:00Z");
    EXPECT_EQ(normalize_date(" 1969-12-31 23:59:59Z "), "1969-12-31T23:59:59Z");
    EXPECT_EQ(normalize_date("2026-02-30"), "2026-02-30") << "no such day: kept as given";
    EXPECT_EQ(normalize_date("last Tuesday"), "last Tuesday");
    EXPECT_EQ(ingest::parse_date("1970-01-02T00:00:00Z").value_or(-1), 86400);
    EXPECT_EQ(normalize_date("99999999999999999999999 Dec 2026"), "99999999999999999999999 Dec 2026")
        << "too many digits to be a day: kept as given, no overflow";
}

TEST(IngestWarc, PerRecordGzipResponsesInThreeCharsetsBecomeDocuments) {
    TempDir dir("ingest-warc");
    write_file(dir / "crawl.warc.gz", sample_warc_gz());
    const ReadResult r = read_all({dir / "crawl.warc.gz"});
    EXPECT_TRUE(r.errors.empty()) << errors_text(r);
    ASSERT_EQ(r.count, 3u);
    const Document& en = r.docs.at("https://news.example/en/flu");
    EXPECT_EQ(en.url, "https://news.example/en/flu");
    EXPECT_EQ(en.title, "Flu campaign");
    EXPECT_EQ(en.text, kEnglishNews) << "the <nav> is dropped";
    EXPECT_EQ(en.date, "2024-03-01T10:00:00Z");
    EXPECT_EQ(en.source.rfind(dir / "crawl.warc.gz@", 0), 0u) << en.source;
    const Document& ar = r.docs.at("https://news.example/ar/flu");
    EXPECT_EQ(ar.title, "حملة التطعيم");
    EXPECT_EQ(ar.text, kArabicNews);
    EXPECT_EQ(ar.date, "2024-03-02T11:30:00Z");
    const Document& vi = r.docs.at("https://vi.news.example/flu");
    EXPECT_EQ(vi.title, "Tiêm chủng");
    EXPECT_EQ(vi.text, kVietnameseNews) << "windows-1258 decoded and composed (NFC)";
    ASSERT_EQ(r.notes.size(), 1u);
    EXPECT_NE(r.notes[0].find("5 records are not documents"), std::string::npos) << r.notes[0];
    EXPECT_NE(r.notes[0].find("1 WARC request records"), std::string::npos) << r.notes[0];
    EXPECT_NE(r.notes[0].find("1 HTTP responses neither HTML nor text"), std::string::npos) << r.notes[0];
}

TEST(IngestWarc, BrokenRecordIsReportedWithItsOffsetAndTheOthersKept) {
    TempDir dir("ingest-warc-broken");
    const std::string first = warc_record("response", "https://a.example/1",
                                          http_response("200 OK", "text/plain", "First page text."));
    std::string broken = warc_record("response", "https://a.example/2", http_response("200 OK", "text/plain", "Second."));
    broken.replace(broken.find("Content-Length"), 14, "Content-Lenght");
    const std::string third = warc_record("response", "https://a.example/3",
                                          http_response("200 OK", "text/plain", "Third page text."));
    std::string wrong = warc_record("resource", "https://a.example/4", "Fourth.", "2024-03-01T10:00:00Z", "text/plain");
    wrong.replace(wrong.find("Content-Length: 7"), 17, "Content-Length: 5");
    const std::string fifth = warc_record("resource", "https://a.example/5", "Fifth text.", "2024-03-01T10:00:00Z",
                                          "text/plain");
    write_file(dir / "a.warc", first + broken + third + wrong + fifth);
    write_file(dir / "crawl.dat", first);  // a WARC by its content, whatever its name
    const ReadResult r = read_all({dir / "a.warc", dir / "crawl.dat"});
    ASSERT_EQ(r.errors.size(), 2u) << errors_text(r);
    EXPECT_EQ(r.errors[0].reason, "WARC record at byte " + std::to_string(first.size()) +
                                      ": no valid Content-Length; skipped to the next record");
    EXPECT_EQ(r.errors[1].reason.rfind("WARC record at byte " + std::to_string(first.size() + broken.size() + third.size()) +
                                           ": the block of 5 bytes is not followed by CRLF CRLF", 0), 0u)
        << errors_text(r);
    EXPECT_EQ(r.count, 4u);
    EXPECT_EQ(r.docs.at("https://a.example/3").text, "Third page text.");
    EXPECT_EQ(r.docs.at("https://a.example/5").text, "Fifth text.");
    EXPECT_EQ(r.docs.at("https://a.example/1").text, "First page text.");
}

TEST(IngestFeeds, RssItemsWithTheirLinkGuidDateAndFeedTitle) {
    TempDir dir("ingest-rss");
    write_file(dir / "news.rss", R"(<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:media="http://search.yahoo.com/mrss/">
<channel><title>Example News</title><link>https://news.example/</link>
<image><title>logo</title></image>
<item><title>Flu campaign</title><link>https://news.example/en/flu</link>
<guid isPermaLink="false">flu-2026</guid><pubDate>Tue, 01 Dec 2026 10:00:00 +0300</pubDate>
<description>Short &lt;b&gt;summary&lt;/b&gt;.</description>
<media:content url="https://news.example/x.jpg"/>
<content:encoded><![CDATA[<p>First paragraph &amp; more.</p><div class="share">Share</div><p>Second paragraph.</p>]]></content:encoded>
</item>
<item><title>Only a summary</title><link>https://news.example/en/other</link>
<description>Plain &lt;i&gt;summary&lt;/i&gt; text.</description></item>
<item><description>no id, no link</description></item>
</channel></rss>
)");
    const ReadResult r = read_all({dir / "news.rss"});
    ASSERT_EQ(r.count, 2u) << errors_text(r);
    ASSERT_EQ(r.errors.size(), 1u) << errors_text(r);
    EXPECT_EQ(r.errors[0].reason, "item without a guid, id or link");
    EXPECT_EQ(r.errors[0].line, 13u);
    const Document& a = r.docs.at("flu-2026");
    EXPECT_EQ(a.title, "Flu campaign");
    EXPECT_EQ(a.url, "https://news.example/en/flu");
    EXPECT_EQ(a.date, "2026-12-01T07:00:00Z");
    EXPECT_EQ(a.text, "Flu campaign\nFirst paragraph & more.\nShare\nSecond paragraph.");
    EXPECT_EQ(a.source, "Example News (" + dir / "news.rss" + ":5)");
    const Document& b = r.docs.at("https://news.example/en/other");
    EXPECT_EQ(b.text, "Only a summary\nPlain summary text.");
    EXPECT_EQ(b.date, "");
}

TEST(IngestFeeds, AtomEntriesHtmlAndXhtmlContent) {
    TempDir dir("ingest-atom");
    write_file(dir / "feed.xml", R"(<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title type="text">Atom Example</title><id>urn:feed</id>
<updated>2026-12-01T00:00:00Z</updated>
<entry><title>Entry one</title><id>urn:entry:1</id>
<link rel="self" href="https://a.example/self/1"/><link rel="alternate" href="https://a.example/ar/1"/>
<published>2026-11-30T22:00:00-02:00</published><updated>2026-12-01T09:00:00Z</updated>
<summary>Summary one.</summary><content type="html">&lt;p&gt;Body of entry one.&lt;/p&gt;</content></entry>
<entry><title>Entry two</title><id>urn:entry:2</id><link href="https://a.example/2"/>
<updated>2026-12-01T09:00:00Z</updated>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Body <b>two</b>.</p><p>End.</p></div></content></entry>
</feed>)");
    const ReadResult r = read_all({dir / "feed.xml"});
    EXPECT_TRUE(r.errors.empty()) << errors_text(r);
    ASSERT_EQ(r.count, 2u);
    const Document& one = r.docs.at("urn:entry:1");
    EXPECT_EQ(one.url, "https://a.example/ar/1");
    EXPECT_EQ(one.date, "2026-12-01T00:00:00Z") << "published, not updated";
    EXPECT_EQ(one.text, "Entry one\nBody of entry one.");
    EXPECT_EQ(one.source.rfind("Atom Example (", 0), 0u);
    const Document& two = r.docs.at("urn:entry:2");
    EXPECT_EQ(two.text, "Entry two\nBody two.\nEnd.");
    EXPECT_EQ(two.date, "2026-12-01T09:00:00Z");
}

TEST(IngestFeeds, NoEntityExpansionNoNetworkAndOtherXmlRefused) {
    TempDir dir("ingest-xml");
    write_file(dir / "x.rss", R"(<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd"><!ENTITY big "BIGBIGBIGBIG">]>
<rss><channel><title>T</title><item><guid>g1</guid><title>Title &secret; &big;</title><description>Body.</description></item></channel></rss>)");
    write_file(dir / "other.xml", "<?xml version=\"1.0\"?><config><a>1</a></config>");
    write_file(dir / "broken.atom", "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>e1</id><title>One</title></entry>\n<entry><id>e2</id><title>Two</ti");
    const ReadResult r = read_all({dir / "x.rss", dir / "other.xml", dir / "broken.atom"});
    ASSERT_EQ(r.docs.count("g1"), 1u) << errors_text(r);
    EXPECT_EQ(r.docs.at("g1").text.find("root:"), std::string::npos);
    EXPECT_EQ(r.docs.at("g1").text.find("BIGBIG"), std::string::npos);
    EXPECT_EQ(r.docs.count("e1"), 1u) << "the entry before the broken end is kept";
    ASSERT_EQ(r.errors.size(), 2u) << errors_text(r);
    EXPECT_EQ(r.errors[0].reason, "not an RSS or Atom feed (the root element is <config>)");
    EXPECT_EQ(r.errors[1].path, dir / "broken.atom");
    EXPECT_EQ(r.errors[1].line, 2u);
    EXPECT_EQ(r.errors[1].reason.rfind("XML error: ", 0), 0u) << r.errors[1].reason;
}

TEST(IngestWalk, FoldersReadCompressedWarcAndFeedFiles) {
    TempDir dir("ingest-walk");
    write_file(dir / "in/crawl.warc.gz", sample_warc_gz());
    write_file(dir / "in/d.jsonl.zst", zstd_bytes(jsonl_lines(3)));
    write_file(dir / "in/p.html.gz", gzip_bytes("<p>page text</p>"));
    write_file(dir / "in/f.atom", "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>e</id><title>t</title></entry></feed>");
    write_file(dir / "in/skip.png", "png");
    const ReadResult r = read_all({dir / "in"});
    ASSERT_EQ(r.errors.size(), 1u) << errors_text(r);
    EXPECT_NE(r.errors[0].reason.find("unknown file type '.png'"), std::string::npos);
    EXPECT_EQ(r.count, 3u + 3u + 1u + 1u);
    EXPECT_EQ(r.docs.count("p"), 1u) << "id without .html.gz";
}
