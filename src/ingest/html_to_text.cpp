// HTML to text with gumbo: the markup checked against the limits, parsed, cut into blocks
// (ingest/html_blocks.h), and the article or all of it kept.
#include <gumbo.h>

#include <algorithm>
#include <optional>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "doppel/ingest/document_reader.h"
#include "ingest/html_blocks.h"

namespace doppel {
namespace {

// ---- a cheap look at the markup before gumbo parses it --------------------------------------
// Gumbo has no depth limit: a page nested 100,000 elements deep overflows a recursive walk, and
// its open-element checks are linear in the depth, so deep or unclosed markup makes parsing
// quadratic in time and memory. scan_markup() counts the elements and the deepest nesting of
// elements that need an end tag (void elements and those whose end tag may be left out, such as
// <p> and <li>, are not counted), so such pages are refused before parsing.

struct MarkupShape {
    std::size_t elements = 0;
    std::size_t max_depth = 0;
};

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == ':';
}

std::string lower_name(std::string_view s, std::size_t& i) {
    std::string name;
    while (i < s.size() && is_name_char(s[i]) && name.size() < 32)
        name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(s[i++]))));
    return name;
}

// Elements that never get or need an end tag: not counted in the depth.
bool has_implied_end(std::string_view name) {
    static constexpr std::string_view kNames[] = {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
        "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead", "tbody",
        "tfoot", "colgroup", "rb", "rt", "rp", "rtc", "html", "head", "body", "keygen", "basefont", "bgsound",
        "frame", "image", "isindex", "spacer"};
    for (auto n : kNames)
        if (n == name) return true;
    return false;
}

// Elements whose content is raw text up to their end tag.
bool is_raw_text(std::string_view name) {
    return name == "script" || name == "style" || name == "textarea" || name == "title" || name == "xmp" ||
           name == "iframe" || name == "noembed" || name == "noframes";
}

// Index just past the '>' that ends the tag starting at i (quotes respected), or s.size().
std::size_t tag_end(std::string_view s, std::size_t i) {
    char quote = 0;
    for (; i < s.size(); ++i) {
        const char c = s[i];
        if (quote) {
            if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '>') {
            return i + 1;
        }
    }
    return s.size();
}

// Index of the end tag "</name" (case-insensitive) at or after i, or s.size().
std::size_t raw_text_end(std::string_view s, std::size_t i, std::string_view name) {
    for (i = s.find("</", i); i != std::string_view::npos; i = s.find("</", i + 2)) {
        std::size_t j = i + 2;
        if (lower_name(s, j) == name) return i;
    }
    return s.size();
}

MarkupShape scan_markup(std::string_view s) {
    MarkupShape shape;
    std::size_t depth = 0;
    for (std::size_t i = s.find('<'); i < s.size(); i = s.find('<', i)) {
        if (s.compare(i, 4, "<!--") == 0) {
            const std::size_t end = s.find("-->", i + 4);
            i = end == std::string_view::npos ? s.size() : end + 3;
            continue;
        }
        std::size_t j = i + 1;
        const bool closing = j < s.size() && s[j] == '/';
        if (closing) ++j;
        const std::string name = lower_name(s, j);
        if (name.empty()) {
            i = j;
            continue;
        }
        i = tag_end(s, j);
        const bool self_closing = i >= 2 && s[i - 2] == '/';
        if (!closing) ++shape.elements;
        if (has_implied_end(name)) continue;
        if (closing) {
            depth -= depth > 0;
            continue;
        }
        if (self_closing) continue;
        shape.max_depth = std::max(shape.max_depth, ++depth);
        if (is_raw_text(name)) i = raw_text_end(s, i, name);
    }
    return shape;
}

// ---- the title ------------------------------------------------------------------------------

const GumboVector* children_of(const GumboNode* node) {
    if (node->type == GUMBO_NODE_DOCUMENT) return &node->v.document.children;
    if (node->type == GUMBO_NODE_ELEMENT || node->type == GUMBO_NODE_TEMPLATE) return &node->v.element.children;
    return nullptr;
}

// The first element with `tag`, depth first, without recursion.
const GumboNode* find_tag(const GumboNode* root, GumboTag tag) {
    std::vector<const GumboNode*> stack{root};
    while (!stack.empty()) {
        const GumboNode* node = stack.back();
        stack.pop_back();
        if (node->type == GUMBO_NODE_ELEMENT && node->v.element.tag == tag) return node;
        if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_DOCUMENT) continue;
        const GumboVector* children = children_of(node);
        for (unsigned i = children->length; i-- > 0;) stack.push_back(static_cast<const GumboNode*>(children->data[i]));
    }
    return nullptr;
}

std::string title_of(const GumboNode* document) {
    const GumboNode* t = find_tag(document, GUMBO_TAG_TITLE);
    if (!t) return {};
    std::string out;
    bool space = false;
    const GumboVector& ch = t->v.element.children;
    for (unsigned i = 0; i < ch.length; ++i) {
        auto* c = static_cast<const GumboNode*>(ch.data[i]);
        if (c->type != GUMBO_NODE_TEXT) continue;
        for (const char* p = c->v.text.text; *p; ++p) {
            if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f') {
                space = true;
                continue;
            }
            if (space && !out.empty()) out.push_back(' ');
            space = false;
            out.push_back(*p);
        }
    }
    return out;
}

}  // namespace

bool extract_html_text(std::string_view html, std::string* text, std::string* title, std::string* reason,
                       HtmlExtract extract, const HtmlLimits& limits) {
    const MarkupShape shape = scan_markup(html);
    if (shape.max_depth > limits.max_depth || shape.elements > limits.max_elements) {
        if (reason)
            *reason = shape.max_depth > limits.max_depth
                          ? "HTML nested " + std::to_string(shape.max_depth) + " elements deep, over the limit of " +
                                std::to_string(limits.max_depth)
                          : "HTML has " + std::to_string(shape.elements) + " elements, over the limit of " +
                                std::to_string(limits.max_elements);
        return false;
    }
    GumboOutput* output = gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), html.size());
    const ingest::PageBlocks page = ingest::segment_blocks(output->document);
    if (title) *title = title_of(output->document);
    gumbo_destroy_output(&kGumboDefaultOptions, output);
    std::optional<std::string> article;
    if (extract == HtmlExtract::kArticle) article = ingest::article_text(page);
    *text = article ? std::move(*article) : ingest::all_text(page);
    return true;
}

std::string html_to_text(const std::string& html, std::string* title, HtmlExtract extract) {
    std::string text;
    if (!extract_html_text(html, &text, title, nullptr, extract)) {
        if (title) title->clear();
        return {};
    }
    return text;
}

}  // namespace doppel
