#include <gtest/gtest.h>
#include <unicode/unistr.h>

#include <filesystem>
#include <sstream>

#include "doppel/ingest/document_reader.h"
#include "support/test_support.h"

using doppel::Document;
using doppel::DocumentReader;
using doppel::RecordError;
using doppel::test::TempDir;
using doppel::test::write_file;

namespace {
struct ReadAll {
    std::vector<Document> docs;
    std::vector<RecordError> errors;
};
ReadAll read_all(DocumentReader& r, std::size_t batch = 2) {
    ReadAll out;
    while (r.next_batch(batch, out.docs, out.errors)) {
    }
    return out;
}
}  // namespace

TEST(DocumentReader, DirectoryIdsAreRelativePathsWithoutExtension) {
    TempDir dir("reader-dir");
    write_file(dir / "docs/vi/ls.1.txt", "xin chào\n");
    write_file(dir / "docs/en/ls.1.txt", "hello\n");
    write_file(dir / "docs/en/notes.md", "ignored: not a known extension\n");
    DocumentReader r({dir / "docs"});
    auto all = read_all(r);
    ASSERT_EQ(all.docs.size(), 2u);
    EXPECT_EQ(all.docs[0].id, "en/ls.1");
    EXPECT_EQ(all.docs[1].id, "vi/ls.1");
    // A file of an unknown type inside a folder is named, never skipped silently.
    ASSERT_EQ(all.errors.size(), 1u);
    EXPECT_NE(all.errors[0].path.find("notes.md"), std::string::npos);
    EXPECT_NE(all.errors[0].reason.find("unknown file type"), std::string::npos);
    // A file given by name: its file name without the last extension.
    DocumentReader r2({dir / "docs/vi/ls.1.txt"});
    auto one = read_all(r2);
    ASSERT_EQ(one.docs.size(), 1u);
    EXPECT_EQ(one.docs[0].id, "ls.1");
}

TEST(DocumentReader, JsonlBadLinesAreReportedAndSkipped) {
    TempDir dir("reader-jsonl");
    std::string data;
    data += R"({"id": "a", "text": "first good document", "url": "https://x.test/a", "lang": "en"})" "\n";
    data += R"({"id": "b", "text": "unterminated)" "\n";                                  // line 2
    data += std::string(R"({"id": "c", "text": "bad )") + "\xff\xfe" + R"( bytes"})" + "\n";  // line 3
    data += "\n";                                                                          // blank: ignored
    data += R"({"id": "d"})" "\n";                                                         // line 5: no text
    data += R"({"id": "e", "text": "   "})" "\n";                                          // line 6: empty
    data += R"(["not", "an", "object"])" "\n";                                             // line 7
    data += R"({"id": 42, "html": "<html><head><title>T</title><script>x()</script></head><body><p>Para one</p><nav>menu</nav><p>Para two</p></body></html>"})" "\n";
    write_file(dir / "feed.jsonl", data);
    DocumentReader r({dir / "feed.jsonl"});
    auto all = read_all(r);
    ASSERT_EQ(all.docs.size(), 2u);
    EXPECT_EQ(all.docs[0].id, "a");
    EXPECT_EQ(all.docs[0].url, "https://x.test/a");
    EXPECT_EQ(all.docs[0].lang_hint, "en");
    EXPECT_EQ(all.docs[0].source, dir / "feed.jsonl:1");
    EXPECT_EQ(all.docs[1].id, "42");
    EXPECT_EQ(all.docs[1].text, "Para one\nPara two");
    EXPECT_EQ(all.docs[1].title, "T");
    ASSERT_EQ(all.errors.size(), 5u);
    std::vector<std::size_t> lines;
    for (const auto& e : all.errors) {
        EXPECT_EQ(e.path, dir / "feed.jsonl");
        lines.push_back(e.line);
    }
    EXPECT_EQ(lines, (std::vector<std::size_t>{2, 3, 5, 6, 7}));
    EXPECT_NE(all.errors[0].reason.find("malformed JSON"), std::string::npos);
    EXPECT_NE(all.errors[1].reason.find("invalid UTF-8"), std::string::npos);
    EXPECT_EQ(all.errors[1].to_string(), dir / "feed.jsonl:3: " + all.errors[1].reason);
}

TEST(DocumentReader, BadFilesAreReportedAndTheRestRead) {
    TempDir dir("reader-bad");
    write_file(dir / "in/good.txt", "a good text\n");
    write_file(dir / "in/empty.txt", " \n\n");
    write_file(dir / "in/binary.txt", std::string("\x7f" "ELF\0\0\0\x01\x02", 10));
    write_file(dir / "in/latin1.txt", "line one\ncaf\xe9\n");
    write_file(dir / "in/huge.txt", std::string(5000, 'x'));
    doppel::ReaderOptions opt;
    opt.max_document_bytes = 4096;
    DocumentReader r({dir / "in", dir / "missing.txt"}, opt);
    auto all = read_all(r, 1);
    ASSERT_EQ(all.docs.size(), 1u);
    EXPECT_EQ(all.docs[0].id, "good");
    ASSERT_EQ(all.errors.size(), 5u);
    std::map<std::string, RecordError> by_path;
    for (const auto& e : all.errors) by_path[e.path] = e;
    EXPECT_NE(by_path[dir / "in/empty.txt"].reason.find("empty"), std::string::npos);
    EXPECT_NE(by_path[dir / "in/binary.txt"].reason.find("binary"), std::string::npos);
    EXPECT_EQ(by_path[dir / "in/latin1.txt"].line, 2u);
    EXPECT_NE(by_path[dir / "in/latin1.txt"].reason.find("invalid UTF-8"), std::string::npos);
    EXPECT_NE(by_path[dir / "in/huge.txt"].reason.find("over the limit"), std::string::npos);
    EXPECT_NE(by_path[dir / "missing.txt"].reason.find("no such file"), std::string::npos);
}

TEST(DocumentReader, HtmlDropsScriptsStylesAndChromeAndKeepsBlocks) {
    const std::string html =
        "<html><head><title>Hanoi meeting</title><style>p{color:red}</style></head><body>"
        "<header>Site header</header><nav><a>Home</a></nav>"
        "<h1>Vietnam   affirms</h1><p>First <b>bold</b> paragraph.</p>"
        "<script>var x = '<p>not text</p>';</script><div>Second<br>line</div>"
        "<footer>Copyright</footer></body></html>";
    std::string title;
    EXPECT_EQ(doppel::html_to_text(html, &title), "Vietnam affirms\nFirst bold paragraph.\nSecond\nline");
    EXPECT_EQ(title, "Hanoi meeting");
    // Malformed HTML still yields its text.
    EXPECT_EQ(doppel::html_to_text("<p>unclosed <b>tags<p>next"), "unclosed tags\nnext");
}

TEST(DocumentReader, JsonlFromAStream) {
    std::istringstream in(R"({"id":"s1","text":"from stdin"})" "\n" R"({"id":"s2"})" "\n");
    DocumentReader r(in, "-");
    auto all = read_all(r);
    ASSERT_EQ(all.docs.size(), 1u);
    EXPECT_EQ(all.docs[0].id, "s1");
    ASSERT_EQ(all.errors.size(), 1u);
    EXPECT_EQ(all.errors[0].to_string().rfind("-:2: ", 0), 0u);
}

TEST(DocumentReader, Utf8Validation) {
    std::size_t line = 0, offset = 0;
    EXPECT_TRUE(doppel::validate_utf8("ok ✓ tiếng Việt العربية"));
    EXPECT_FALSE(doppel::validate_utf8("a\nb\n\xc3\x28", &line, &offset));
    EXPECT_EQ(line, 3u);
    EXPECT_EQ(offset, 4u);
    EXPECT_FALSE(doppel::validate_utf8("\xed\xa0\x80"));  // surrogate
    EXPECT_FALSE(doppel::validate_utf8("\xc0\xaf"));      // overlong
}

// ---- inputs that used to crash, hang, or read without bound (issue: reliability) -------------

TEST(DocumentReader, DeeplyNestedHtmlIsSkippedWithAMessageAndTheBatchGoesOn) {
    TempDir dir("reader-deep-html");
    std::string deep_b, deep_div;
    for (int i = 0; i < 100000; ++i) deep_b += "<b>";
    for (int i = 0; i < 100000; ++i) deep_div += "<div>";
    write_file(dir / "a-deep-b.html", "<html><body>" + deep_b + "x</body></html>");
    write_file(dir / "b-deep-div.html", deep_div + "y");
    write_file(dir / "c-good.html", "<p>still read</p>");
    DocumentReader r({dir.path()});
    auto all = read_all(r);
    ASSERT_EQ(all.docs.size(), 1u);
    EXPECT_EQ(all.docs[0].id, "c-good");
    ASSERT_EQ(all.errors.size(), 2u);
    EXPECT_NE(all.errors[0].reason.find("nested 100000 elements deep"), std::string::npos) << all.errors[0].reason;
    EXPECT_NE(all.errors[1].reason.find("over the limit"), std::string::npos);
}

TEST(DocumentReader, HtmlUnderTheLimitsKeepsItsText) {
    std::string nested;
    for (int i = 0; i < 500; ++i) nested += "<div><span>";
    nested += "deep text";
    std::string text, title, reason;
    ASSERT_TRUE(doppel::extract_html_text(nested, &text, &title, &reason)) << reason;
    EXPECT_EQ(text, "deep text");
    // Unclosed paragraphs and list items do not count as depth.
    std::string list;
    for (int i = 0; i < 5000; ++i) list += "<li>item <p>para";
    EXPECT_TRUE(doppel::extract_html_text(list, &text, &title, &reason)) << reason;
    // Script bodies are not markup.
    EXPECT_TRUE(doppel::extract_html_text("<script>" + std::string(5000, '<') + "b>" + "</script><p>ok", &text,
                                          &title, &reason));
    EXPECT_EQ(text, "ok");
}

TEST(DocumentReader, DevicesAndEndlessInputsAreReadWithinTheLimit) {
    doppel::ReaderOptions opt;
    opt.max_document_bytes = 1 << 20;
    DocumentReader r({"/dev/zero"}, opt);
    auto all = read_all(r);
    EXPECT_TRUE(all.docs.empty());
    ASSERT_EQ(all.errors.size(), 1u);
    EXPECT_NE(all.errors[0].reason.find("over the limit"), std::string::npos) << all.errors[0].reason;
}

TEST(DocumentReader, OverlongJsonlLineIsSkippedWithoutBeingKept) {
    doppel::ReaderOptions opt;
    opt.max_document_bytes = 1000;
    std::string data = R"({"id": "big", "text": ")" + std::string(200000, 'x') + "\"}\n";
    data += R"({"id": "small", "text": "kept"})" "\n";
    std::istringstream in(data);
    DocumentReader r(in, "feed", opt);
    auto all = read_all(r);
    ASSERT_EQ(all.docs.size(), 1u);
    EXPECT_EQ(all.docs[0].id, "small");
    ASSERT_EQ(all.errors.size(), 1u);
    EXPECT_EQ(all.errors[0].line, 1u);
    EXPECT_NE(all.errors[0].reason.find("over the limit"), std::string::npos);
}

TEST(DocumentReader, NulBytesInJsonlEndTheFileWithAMessage) {
    TempDir dir("reader-nul");
    write_file(dir / "a.jsonl", std::string(R"({"id": "a", "text": "before"})" "\n") + std::string(100, '\0'));
    DocumentReader r({dir / "a.jsonl"});
    auto all = read_all(r);
    ASSERT_EQ(all.docs.size(), 1u);
    ASSERT_EQ(all.errors.size(), 1u);
    EXPECT_EQ(all.errors[0].line, 2u);
    EXPECT_NE(all.errors[0].reason.find("binary"), std::string::npos);
}

TEST(DocumentReader, Utf16And32WithAByteOrderMarkAreDecoded) {
    TempDir dir("reader-utf16");
    const std::string le16("\xFF\xFE" "T\0i\0\xBF\x1E" "n\0g\0", 12);           // "Tiếng" in UTF-16LE
    const std::string be16("\xFE\xFF" "\0T\0i\x1E\xBF" "\0n\0g", 12);           // the same, big-endian
    const std::string le32("\xFF\xFE\0\0" "T\0\0\0" "\xBF\x1E\0\0", 12);        // "Tế" in UTF-32LE
    write_file(dir / "le16.txt", le16);
    write_file(dir / "be16.txt", be16);
    write_file(dir / "le32.txt", le32);
    write_file(dir / "odd.txt", std::string("\xFF\xFE" "T\0i", 5));             // odd length: broken
    DocumentReader r({dir.path()});
    auto all = read_all(r, 10);
    ASSERT_EQ(all.docs.size(), 3u);
    EXPECT_EQ(all.docs[0].text, "Tiếng");  // be16 (files in sorted order)
    EXPECT_EQ(all.docs[1].text, "Tiếng");  // le16
    EXPECT_EQ(all.docs[2].text, "Tế");     // le32
    ASSERT_EQ(all.errors.size(), 1u);
    EXPECT_NE(all.errors[0].reason.find("does not decode"), std::string::npos);
}

TEST(DocumentReader, AByteOrderMarkWinsOverThePagesMetaCharset) {
    // A page "saved as Unicode": UTF-16LE with a mark, and a <meta> that says utf-16 (true of the
    // file, not of the text once decoded). A UTF-8 page with a mark and a wrong <meta> too.
    TempDir dir("reader-bom-meta");
    const std::string html = "<html><head><meta charset=\"utf-16\"><title>T</title></head><body><p>Tiếng Việt</p></body></html>";
    std::string le16 = "\xFF\xFE";
    const icu::UnicodeString u = icu::UnicodeString::fromUTF8(html);
    for (int32_t i = 0; i < u.length(); ++i) {
        le16 += static_cast<char>(u[i] & 0xFF);
        le16 += static_cast<char>((u[i] >> 8) & 0xFF);
    }
    write_file(dir / "a.html", le16);
    write_file(dir / "b.html", "\xEF\xBB\xBF<html><head><meta charset=\"windows-1252\"></head><body><p>Tiếng Việt</p></body></html>");
    write_file(dir / "c.html", "<html><head><meta charset=\"UTF-16\"></head><body><p>Tiếng Việt</p></body></html>");
    DocumentReader r({dir.path()});
    auto all = read_all(r, 10);
    ASSERT_EQ(all.docs.size(), 3u) << (all.errors.empty() ? "" : all.errors[0].reason);
    for (const auto& d : all.docs) EXPECT_EQ(d.text, "Tiếng Việt") << d.id;
}

TEST(DocumentReader, LinksLoopsAndEmptyStreamsAreNamed) {
    TempDir dir("reader-links");
    write_file(dir / "docs/a.txt", "a document\n");
    std::filesystem::create_directory_symlink(dir / "docs", dir / "docs/again");
    std::filesystem::create_symlink(dir / "loop1", dir / "loop2");
    std::filesystem::create_symlink(dir / "loop2", dir / "loop1");
    write_file(dir / "empty.jsonl", "\n\n");
    DocumentReader r({dir / "docs", dir / "loop1", dir / "empty.jsonl"});
    auto all = read_all(r);
    ASSERT_EQ(all.docs.size(), 1u);
    ASSERT_EQ(all.errors.size(), 3u);
    EXPECT_NE(all.errors[0].reason.find("link to a folder"), std::string::npos) << all.errors[0].reason;
    EXPECT_NE(all.errors[1].reason.find("loop of symbolic links"), std::string::npos) << all.errors[1].reason;
    EXPECT_NE(all.errors[2].reason.find("no records"), std::string::npos) << all.errors[2].reason;
}

TEST(DocumentReader, ABatchEndsAtItsBytesOfText) {
    TempDir dir("reader-batch-bytes");
    std::string jsonl;
    for (int i = 0; i < 6; ++i) jsonl += "{\"id\": \"d" + std::to_string(i) + "\", \"text\": \"0123456789\"}\n";
    write_file(dir / "in.jsonl", jsonl);
    DocumentReader r({dir / "in.jsonl"});
    std::vector<Document> docs;
    std::vector<RecordError> errors;
    // 25 bytes: the record that reaches them (the third, 30 bytes) ends the batch.
    ASSERT_TRUE(r.next_batch(100, docs, errors, 25));
    EXPECT_EQ(docs.size(), 3u);
    docs.clear();
    ASSERT_TRUE(r.next_batch(2, docs, errors, 1000));  // the count still bounds it
    EXPECT_EQ(docs.size(), 2u);
    docs.clear();
    ASSERT_TRUE(r.next_batch(100, docs, errors));
    EXPECT_EQ(docs.size(), 1u);
    EXPECT_TRUE(errors.empty());
}

// Binary, by the first 8 KiB only: a NUL there, or control characters over max_control_fraction
// of those bytes (tab, line ends and form feed are not counted); a NUL further on is not looked at.
TEST(DocumentReader, BinaryIsANulOrTooManyControlCharactersInTheFirst8KiB) {
    auto reason = [](std::string text) { return doppel::check_document_text(text); };
    EXPECT_EQ(reason(std::string(100, 'a') + std::string(1, '\0')).find("binary"), 0u);
    EXPECT_EQ(reason(std::string(8192, 'a') + std::string(1, '\0') + "b"), "");
    EXPECT_EQ(reason(std::string(89, 'a') + std::string(11, '\x01')).find("binary"), 0u);  // 11%
    EXPECT_EQ(reason(std::string(90, 'a') + std::string(10, '\x01')), "");                 // 10%
    EXPECT_EQ(reason("a\tb\nc\fd\r\ne" + std::string(3, '\t')), "");
    EXPECT_EQ(reason(std::string(8192, 'a') + std::string(2000, '\x01')), "");  // past the first 8 KiB
}
