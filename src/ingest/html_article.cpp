// The article among a page's blocks (see html_blocks.h): content scores, the region, its text.
#include <algorithm>

#include "ingest/html_blocks.h"

namespace doppel::ingest {
namespace {

// A block long enough to be prose (about one sentence) and not mostly links.
constexpr std::size_t kProseWeight = 40;
constexpr double kProseLinkDensity = 0.4;
// Under this much visible text (weighted characters) a page is kept whole.
constexpr std::size_t kShortPage = 500;
// The region must hold this share of the page's prose, and this much, else the page is kept whole.
constexpr double kDominance = 0.4;
constexpr std::size_t kMinArticle = 150;
// A sibling of the best container joins the region when it scores this share of it.
constexpr double kSiblingShare = 0.2;
// A score moved by a hint (readability's class weight).
constexpr double kHintScore = 25;

bool is_paragraph(GumboTag t) {
    switch (t) {
        case GUMBO_TAG_P: case GUMBO_TAG_LI: case GUMBO_TAG_TD: case GUMBO_TAG_PRE: case GUMBO_TAG_BLOCKQUOTE:
        case GUMBO_TAG_DD: case GUMBO_TAG_DT: case GUMBO_TAG_H1: case GUMBO_TAG_H2: case GUMBO_TAG_H3:
        case GUMBO_TAG_H4: case GUMBO_TAG_H5: case GUMBO_TAG_H6: case GUMBO_TAG_FIGCAPTION: case GUMBO_TAG_BR:
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
    NodeStats s{std::vector<double>(n), std::vector<double>(n), std::vector<double>(n), std::vector<double>(n)};
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
        const HtmlNode& node = page.nodes[i];
        const double hint = node.chrome ? -kHintScore : node.hint > 0 ? kHintScore : 0;
        const double links = s.chars[i] > 0 ? s.link_chars[i] / s.chars[i] : 0;
        out[i] = (s.score[i] + hint) * (1.0 - links);
    }
    return out;
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

}  // namespace

std::optional<std::string> article_text(const PageBlocks& page) {
    std::size_t visible = 0;
    for (const HtmlBlock& b : page.blocks) visible += b.weight;
    if (visible < kShortPage || page.nodes.size() < 2) return std::nullopt;
    const NodeStats stats = node_stats(page);
    const std::vector<double> score = final_scores(page, stats);
    const std::size_t best = static_cast<std::size_t>(std::max_element(score.begin() + 1, score.end()) - score.begin());
    if (score[best] <= 0) return std::nullopt;
    const std::vector<char> in = choose_region(page, score, best);
    double region_prose = 0;
    for (const HtmlBlock& b : page.blocks)
        if (in[b.node] && is_prose(b)) region_prose += static_cast<double>(b.weight);
    if (region_prose < static_cast<double>(kMinArticle) || region_prose < kDominance * stats.prose[0])
        return std::nullopt;
    std::string out;
    for (const HtmlBlock& b : page.blocks) {
        if (!in[b.node] || b.chrome || b.link_density() > 0.5) continue;
        if (!out.empty()) out.push_back('\n');
        out += b.text;
    }
    return out;
}

}  // namespace doppel::ingest
