// doppel (private): a parsed page as text blocks, and the article among them.
//
// segment_blocks() walks the gumbo tree (iteratively) and cuts its visible text into blocks, one
// per line of the "all" text: a block ends where a block element (p, div, li, h1, td, br...)
// opens or closes. Each block remembers the innermost block element it started in (a node), how
// many of its characters are link text, and whether an element around it looks like page chrome
// (class, id or role naming navigation, menus, cookie banners, sharing, related links...).
//
// article_text() chooses the main content region the way readability and boilerpipe do: blocks
// long enough to be prose and not mostly links, outside chrome, score their container (and half
// that its parent); a container's score is scaled down by its link density and up by a content
// hint (<article>, <main>, itemprop=articleBody, "article"/"story-body"). From the best
// container the region grows to a hinted element around it that adds little prose (the
// <article> around its body), and takes in siblings that score close to it. Its blocks, less
// chrome and link lists, from its first body paragraph (prose with punctuation, not a heading
// or caption) to its last, are the article: the kicker, headline, byline and tags around are
// left out (the page's <title> is the document's title). Lengths are counted in characters
// weighted by script (a Han or kana character counts 3, a Hangul syllable 2, others 1), so
// Chinese, Japanese, Korean and Arabic pages are measured on the same scale as
// space-separated ones. A short page, or one whose region holds under 40% of the page's prose
// (a home page, a list of links), is kept whole.
#pragma once

#include <gumbo.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace doppel::ingest {

inline constexpr std::size_t kNoNode = static_cast<std::size_t>(-1);

// A block element of the page, or another element with a hint. nodes[0] stands for the
// document; a node's parent (the nearest recorded element around it) comes before it.
struct HtmlNode {
    std::size_t parent = kNoNode;
    GumboTag tag = GUMBO_TAG_UNKNOWN;
    bool block = false;
    int hint = 0;         // > 0 content (<article>, articleBody, "article-body"), < 0 chrome or hidden
    bool chrome = false;  // a chrome hint here or around it, not on a wrapper of most of the page
};

// One line of the page's visible text.
struct HtmlBlock {
    std::string text;
    std::size_t node = 0;        // innermost block element it starts in
    std::size_t hint_node = 0;   // innermost recorded element it starts in (node or inside it)
    std::size_t chars = 0;       // non-space characters (code points)
    std::size_t link_chars = 0;  // of them, inside <a href>
    std::size_t weight = 0;      // characters weighted by script (see above)
    std::size_t punct = 0;       // sentence punctuation marks (Latin, CJK, Arabic)
    bool chrome = false;         // starts inside chrome (nodes[hint_node].chrome)

    double link_density() const {
        return chars ? static_cast<double>(link_chars) / static_cast<double>(chars) : 0;
    }
};

struct PageBlocks {
    std::vector<HtmlNode> nodes;
    std::vector<HtmlBlock> blocks;
};

PageBlocks segment_blocks(const GumboNode* document);

// Every block, one a line (the "all" text).
std::string all_text(const PageBlocks& page);

// The article's blocks, one a line; nullopt when the page is short or no region clearly
// dominates it (the caller then keeps all_text()).
std::optional<std::string> article_text(const PageBlocks& page);

}  // namespace doppel::ingest
