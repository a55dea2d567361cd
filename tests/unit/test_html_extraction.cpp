// Article extraction (extract=article) on hand-written pages: what is kept, what is dropped, when
// the whole page is kept; the reader's spec; one extraction for .html files, JSONL and WARC.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "doppel/ingest/document_reader.h"
#include "support/ingest_samples.h"
#include "support/test_support.h"

using namespace doppel;
using namespace doppel::test;

namespace {

const std::string kParagraphs[] = {
    "The city council approved the new budget on Tuesday, after a debate that lasted most of the night.",
    "Spending on schools rises by four percent, while the road repair fund is cut for the second year in a row.",
    "Opposition members said the plan ignores the neighbourhoods hit hardest by last winter's floods.",
    "The mayor answered that a separate flood relief package will be presented to the council next month.",
    "Local businesses welcomed the lower property tax rate, which had been promised during the last campaign.",
    "The budget takes effect on the first of January and will be reviewed by the regional auditor in the spring.",
};

std::string body_html() {
    std::string s;
    for (const auto& p : kParagraphs) s += "<p>" + p + "</p>\n";
    return s;
}

// A news page: site navigation, a cookie banner, the article, a related-links list, a footer.
std::string news_page() {
    return "<html><head><title>Council approves budget</title></head><body>\n"
           "<div id=\"site-menu\"><ul><li><a href=\"/\">Home</a></li><li><a href=\"/world\">World</a></li>"
           "<li><a href=\"/sport\">Sport</a></li><li><a href=\"/culture\">Culture and the arts</a></li></ul></div>\n"
           "<div class=\"cookie-consent\"><p>We use cookies to improve your experience on our site, "
           "to show you personalised content and to analyse our traffic.</p><p>Accept all cookies</p></div>\n"
           "<div class=\"main-column\"><h1>Council approves budget</h1><p class=\"byline\">By A. Reporter</p>\n"
           "<div class=\"story\">" +
           body_html() +
           "</div>\n"
           "<div class=\"related-stories\"><h3>Related stories</h3><ul>"
           "<li><a href=\"/a\">Mayor unveils flood relief plan for the eastern districts of the city</a></li>"
           "<li><a href=\"/b\">Schools to get new computers after years of waiting for the funding</a></li>"
           "<li><a href=\"/c\">Road repairs delayed again as the winter season approaches quickly</a></li></ul></div>"
           "</div>\n"
           "<div class=\"share-tools\">Share this article on social networks</div>\n"
           "<div id=\"footer-links\"><a href=\"/about\">About us</a> <a href=\"/contact\">Contact</a></div>\n"
           "</body></html>";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(HtmlExtraction, KeepsTheArticleAndDropsNavigationCookiesRelatedLinks) {
    std::string title;
    const std::string text = html_to_text(news_page(), &title);
    EXPECT_EQ(title, "Council approves budget");
    for (const auto& p : kParagraphs) EXPECT_TRUE(contains(text, p)) << p << "\n---\n" << text;
    for (const char* chrome : {"Home", "Culture and the arts", "We use cookies", "Accept all cookies",
                               "Related stories", "Mayor unveils flood relief plan", "Share this article", "About us"})
        EXPECT_FALSE(contains(text, chrome)) << chrome << "\n---\n" << text;
}

TEST(HtmlExtraction, AllKeepsEveryVisibleTextAsBefore) {
    const std::string text = html_to_text(news_page(), nullptr, HtmlExtract::kAll);
    for (const char* part : {"Home", "We use cookies", "Related stories", "About us", "By A. Reporter"})
        EXPECT_TRUE(contains(text, part)) << part;
    for (const auto& p : kParagraphs) EXPECT_TRUE(contains(text, p));
}

TEST(HtmlExtraction, AShortPageIsKeptWhole) {
    const std::string page =
        "<html><body><p>Short note from the editor.</p><ul><li><a href=\"/x\">Read more</a></li></ul>"
        "<div class=\"related\">See also: the archive</div></body></html>";
    EXPECT_EQ(html_to_text(page), html_to_text(page, nullptr, HtmlExtract::kAll));
    EXPECT_EQ(html_to_text(page), "Short note from the editor.\nRead more\nSee also: the archive");
}

TEST(HtmlExtraction, APageWithoutADominantRegionIsKeptWhole) {
    // A home page: six teasers of equal weight in six boxes, no article.
    std::string page = "<html><body>";
    for (int i = 0; i < 6; ++i)
        page += "<div class=\"box\"><h2>Teaser " + std::to_string(i) + "</h2><p>" + kParagraphs[i] + "</p></div>";
    page += "</body></html>";
    EXPECT_EQ(html_to_text(page), html_to_text(page, nullptr, HtmlExtract::kAll));
}

TEST(HtmlExtraction, ACookieBannerInADialogIsDropped) {
    const std::string page = "<html><body><div role=\"dialog\" aria-label=\"Privacy\"><p>This website stores "
                             "cookies on your computer. These cookies are used to collect information.</p>"
                             "<p>Accept</p><p>Decline</p></div><article>" +
                             body_html() + "</article></body></html>";
    const std::string text = html_to_text(page);
    EXPECT_FALSE(contains(text, "stores cookies")) << text;
    EXPECT_FALSE(contains(text, "Decline")) << text;
    EXPECT_TRUE(contains(text, kParagraphs[0])) << text;
}

TEST(HtmlExtraction, ChineseArticleAmongLinksIsFound) {
    // No spaces: lengths are counted in characters (a Han character weighs 3).
    const std::string p1 = "香港行政长官在各方压力下就其大宅的违章建筑问题到立法会接受质询，并向香港民众道歉。";
    const std::string p2 = "他在星期二的答问大会开始之际在其演说中道歉，但强调他在这个问题上没有隐瞒的意图。";
    const std::string p3 = "一些议员欢迎他的道歉，且认为应能获得香港民众接受，但也质问他为何迟迟不肯交代。"
                           "泛民主派议员们普遍指责他撒谎，要求他马上辞职下台，并表示会继续在立法会跟进此事。";
    const std::string page = "<html><body><ul class=\"nav\"><li><a href=\"/\">首页</a></li><li><a href=\"/a\">国际新闻</a></li>"
                             "<li><a href=\"/b\">财经</a></li></ul><div class=\"story-body\"><p>" +
                             p1 + "</p><p>" + p2 + "</p><p>" + p3 +
                             "</p></div><div class=\"related\"><a href=\"/c\">相关新闻：香港立法会通过新的预算案</a></div>"
                             "</body></html>";
    EXPECT_EQ(html_to_text(page), p1 + "\n" + p2 + "\n" + p3);
}

TEST(HtmlExtraction, AWrapperNamedLikeChromeAroundTheWholePageIsNotChrome) {
    const std::string page = "<html><body><div class=\"ad-wallpaper\"><div class=\"menu\"><a href=\"/\">Home</a></div>"
                             "<div class=\"content\">" +
                             body_html() + "</div></div></body></html>";
    const std::string text = html_to_text(page);
    for (const auto& p : kParagraphs) EXPECT_TRUE(contains(text, p)) << text;
    EXPECT_FALSE(contains(text, "Home")) << text;
}

TEST(HtmlExtraction, ReaderSpecRoundTrips) {
    EXPECT_EQ(ReaderOptions{}.describe(), "reader:max_bytes=16777216,extract=article");
    const ReaderOptions o = ReaderOptions::from_spec("reader:max_bytes=1000,extract=all");
    EXPECT_EQ(o.max_document_bytes, 1000u);
    EXPECT_EQ(o.extract, HtmlExtract::kAll);
    EXPECT_EQ(ReaderOptions::from_spec(o.describe()).describe(), o.describe());
    EXPECT_EQ(DocumentReader({}, o).describe(), "reader:max_bytes=1000,extract=all");
    EXPECT_THROW(ReaderOptions::from_spec("reader:extract=body"), Error);
    EXPECT_THROW(ReaderOptions::from_spec("reader:pages=3"), Error);
}

std::map<std::string, std::string> texts(const std::vector<std::string>& paths, const ReaderOptions& options) {
    DocumentReader reader(paths, options);
    std::vector<Document> docs;
    std::vector<RecordError> errors;
    std::map<std::string, std::string> out;
    while (reader.next_batch(16, docs, errors)) {
        for (auto& d : docs) out[d.id] = d.text;
        docs.clear();
    }
    EXPECT_TRUE(errors.empty()) << errors.front().reason;
    return out;
}

TEST(HtmlExtraction, HtmlFilesJsonlAndWarcPagesGetTheSameExtraction) {
    TempDir dir("html-extraction-paths");
    const std::string page = news_page();
    write_file(dir / "page.html", page);
    write_file(dir / "pages.jsonl", nlohmann::json{{"id", "jsonl"}, {"html", page}}.dump() + "\n");
    write_file(dir / "crawl.warc", warc_record("response", "https://news.example/budget",
                                               http_response("200 OK", "text/html; charset=utf-8", page)));
    for (HtmlExtract mode : {HtmlExtract::kArticle, HtmlExtract::kAll}) {
        ReaderOptions options;
        options.extract = mode;
        const auto t = texts({dir / "page.html", dir / "pages.jsonl", dir / "crawl.warc"}, options);
        ASSERT_EQ(t.size(), 3u);
        const std::string expected = html_to_text(page, nullptr, mode);
        EXPECT_EQ(t.at("page"), expected);
        EXPECT_EQ(t.at("jsonl"), expected);
        EXPECT_EQ(t.at("https://news.example/budget"), expected);
    }
}

TEST(HtmlExtraction, AFeedItemKeepsAllItsText) {
    TempDir dir("html-extraction-feed");
    const std::string content = "<div class=\"story\"><h2>Budget night</h2>" + body_html() +
                                "<p>Photo: City Hall press office</p></div>";
    std::string escaped;
    for (char c : content) escaped += c == '<' ? std::string("&lt;") : c == '>' ? std::string("&gt;") : std::string(1, c);
    write_file(dir / "feed.rss", "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>City news</title><item>"
                                 "<title>Council approves budget</title><link>https://news.example/budget</link>"
                                 "<description>" + escaped + "</description></item></channel></rss>");
    const auto t = texts({dir / "feed.rss"}, ReaderOptions{});
    ASSERT_EQ(t.size(), 1u);
    const std::string& text = t.begin()->second;
    EXPECT_EQ(text, "Council approves budget\n" + html_to_text(content, nullptr, HtmlExtract::kAll));
    EXPECT_NE(text.find("Photo: City Hall press office"), std::string::npos) << text;
    EXPECT_NE(html_to_text(content), html_to_text(content, nullptr, HtmlExtract::kAll));  // a page would lose lines
}

}  // namespace
