// The article among a page's blocks (see html_blocks.h): content scores, the region, its text.
#include <algorithm>

#include "ingest/html_blocks.h"

namespace doppel::ingest {
namespace {

// A block long enough to be prose (about one sentence) and not mostly links.
constexpr std::size_t kProseWeight = 40;
constexpr double kProseLinkDensity = 0.4;
// A body paragraph, which starts and ends the article: longer, with punctuation.
constexpr std::size_t kBodyWeight = 60;
// Under this much visible text (weighted characters) a page is kept whole.
constexpr std::size_t kShortPage = 500;
// The region must hold this share of the page's prose, and this much, else the page is kept whole.
constexpr double kDominance = 0.4;
constexpr std::size_t kMinArticle = 150;
// A sibling of the best container joins the region when it scores this share of it.
constexpr double kSiblingShare = 0.2;
// A container with a content hint (<article>, articleBody, "story-body") scores this much more.
constexpr double kHintFactor = 1.5;
// The region grows from the best container to a hinted parent that adds at most this share of prose.
constexpr double kClimbShare = 1.5;

bool is_paragraph(GumboTag t) {
    switch (t) {
        case GUMBO_TAG_P:
        case GUMBO_TAG_LI:
        case GUMBO_TAG_TD:
        case GUMBO_TAG_PRE:
        case GUMBO_TAG_BLOCKQUOTE:
        case GUMBO_TAG_DD:
        case GUMBO_TAG_DT:
        case GUMBO_TAG_H1:
        case GUMBO_TAG_H2:
        case GUMBO_TAG_H3:
        case GUMBO_TAG_H4:
        case GUMBO_TAG_H5:
        case GUMBO_TAG_H6:
        case GUMBO_TAG_FIGCAPTION:
        case GUMBO_TAG_BR:
            return true;
        default:
            return false;
    }
}

bool is_prose(const HtmlBlock& b) {
    return !b.chrome && b.weight >= kProseWeight && b.link_density() < kProseLinkDensity;
}

// Per node: the scores of the prose around it, and the totals of the blocks under it.
struct NodeStats {
    std::vector<double> score, prose, chars, link_chars;
};

NodeStats node_stats(const PageBlocks& page) {
    const std::size_t n = page.nodes.size();
    NodeStats s{std::vector<double>(n), std::vector<double>(n), std::vector<double>(n),
                std::vector<double>(n)};
    for (const HtmlBlock& b : page.blocks) {
        s.chars[b.node] += static_cast<double>(b.chars);
        s.link_chars[b.node] += static_cast<double>(b.link_chars);
        if (!is_prose(b)) continue;
        s.prose[b.node] += static_cast<double>(b.weight);
        // A paragraph scores its container; text straight in a div scores the div itself.
        std::size_t c = is_paragraph(page.nodes[b.node].tag) ? page.nodes[b.node].parent : b.node;
        if (c == kNoNode) c = 0;
        const double points = 1.0 + static_cast<double>(std::min<std::size_t>(b.punct, 20)) +
                              std::min(static_cast<double>(b.weight) / 100.0, 3.0);
        s.score[c] += points;
        if (page.nodes[c].parent != kNoNode) s.score[page.nodes[c].parent] += points / 2;
    }
    for (std::size_t i = n; i-- > 1;) {  // a parent comes before its children
        const std::size_t p = page.nodes[i].parent;
        s.prose[p] += s.prose[i];
        s.chars[p] += s.chars[i];
        s.link_chars[p] += s.link_chars[i];
    }
    return s;
}

// A container's final score: its prose points and hint, less its share of link text.
std::vector<double> final_scores(const PageBlocks& page, const NodeStats& s) {
    std::vector<double> out(page.nodes.size());
    for (std::size_t i = 1; i < out.size(); ++i) {
        if (s.score[i] <= 0) continue;
        const double links = s.chars[i] > 0 ? s.link_chars[i] / s.chars[i] : 0;
        out[i] = s.score[i] * (1.0 - links) * (page.nodes[i].hint > 0 ? kHintFactor : 1.0);
    }
    return out;
}

// The best container, or the <article> (or other hinted element) around it when that adds
// little prose: the headline, the lead and the byline sit beside the article's body.
std::size_t climb(const PageBlocks& page, const NodeStats& s, std::size_t best) {
    for (std::size_t p = page.nodes[best].parent; p != kNoNode && p != 0; p = page.nodes[best].parent) {
        if (page.nodes[p].hint <= 0 || page.nodes[p].chrome || s.prose[p] > kClimbShare * s.prose[best])
            break;
        best = p;
    }
    return best;
}

// Marks the region: the best container and the siblings that score close to it.
std::vector<char> choose_region(const PageBlocks& page, const std::vector<double>& score, std::size_t best) {
    std::vector<char> in(page.nodes.size(), 0);
    const std::size_t parent = page.nodes[best].parent;
    for (std::size_t i = 1; i < in.size(); ++i) {
        const bool root = i == best || (page.nodes[i].parent == parent && !page.nodes[i].chrome &&
                                        score[i] >= kSiblingShare * score[best]);
        in[i] = root || in[page.nodes[i].parent];
    }
    return in;
}

bool is_heading_or_caption(GumboTag t) {
    return t == GUMBO_TAG_H1 || t == GUMBO_TAG_H2 || t == GUMBO_TAG_H3 || t == GUMBO_TAG_H4 ||
           t == GUMBO_TAG_H5 || t == GUMBO_TAG_H6 || t == GUMBO_TAG_FIGURE || t == GUMBO_TAG_FIGCAPTION ||
           t == GUMBO_TAG_CAPTION;
}

// A paragraph of the article's body: a sentence or more, not a heading or a caption.
bool is_body(const PageBlocks& page, const HtmlBlock& b) {
    const HtmlNode& n = page.nodes[b.node];
    return is_prose(b) && b.weight >= kBodyWeight && b.punct > 0 && !is_heading_or_caption(n.tag) &&
           !(n.parent != kNoNode && is_heading_or_caption(page.nodes[n.parent].tag));
}

// The region's blocks, less chrome and link lists, from its first body paragraph to its last:
// the lines before and after (kicker, headline, byline, date, caption, "Share", tags) are left
// out; the title is the document's title.
std::string region_text(const PageBlocks& page, const std::vector<char>& in) {
    std::size_t first = page.blocks.size(), last = 0;
    // Body paragraphs, else (verse, lyrics: no punctuation) prose blocks.
    for (int pass = 0; pass < 2 && first == page.blocks.size(); ++pass) {
        for (std::size_t i = 0; i < page.blocks.size(); ++i) {
            const HtmlBlock& b = page.blocks[i];
            if (!in[b.node] || !(pass == 0 ? is_body(page, b) : is_prose(b))) continue;
            first = std::min(first, i);
            last = i;
        }
    }
    std::string out;
    for (std::size_t i = first; i <= last && i < page.blocks.size(); ++i) {
        const HtmlBlock& b = page.blocks[i];
        if (!in[b.node] || b.chrome || b.link_density() > 0.5) continue;
        if (!out.empty()) out.push_back('\n');
        out += b.text;
    }
    return out;
}

}  // namespace

std::optional<std::string> article_text(const PageBlocks& page) {
    std::size_t visible = 0;
    for (const HtmlBlock& b : page.blocks) visible += b.weight;
    if (visible < kShortPage || page.nodes.size() < 2) return std::nullopt;
    const NodeStats stats = node_stats(page);
    const std::vector<double> score = final_scores(page, stats);
    std::size_t best =
        static_cast<std::size_t>(std::max_element(score.begin() + 1, score.end()) - score.begin());
    if (score[best] <= 0) return std::nullopt;
    best = climb(page, stats, best);
    if (page.nodes[best].tag == GUMBO_TAG_BODY) return std::nullopt;  // the whole page: no region
    const std::vector<char> in = choose_region(page, score, best);
    double region_prose = 0;
    for (const HtmlBlock& b : page.blocks)
        if (in[b.node] && is_prose(b)) region_prose += static_cast<double>(b.weight);
    if (region_prose < static_cast<double>(kMinArticle) || region_prose < kDominance * stats.prose[0])
        return std::nullopt;
    std::string text = region_text(page, in);
    if (text.empty()) return std::nullopt;
    return text;
}

}  // namespace doppel::ingest
