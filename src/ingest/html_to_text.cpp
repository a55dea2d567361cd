// HTML to text with gumbo: one line per block element, chrome elements dropped.
#include <gumbo.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "doppel/ingest/document_reader.h"

namespace doppel {
namespace {

bool is_dropped(GumboTag tag) {
    switch (tag) {
        case GUMBO_TAG_SCRIPT: case GUMBO_TAG_STYLE: case GUMBO_TAG_NOSCRIPT:
        case GUMBO_TAG_NAV: case GUMBO_TAG_HEADER: case GUMBO_TAG_FOOTER:
        case GUMBO_TAG_ASIDE: case GUMBO_TAG_FORM: case GUMBO_TAG_TEMPLATE:
        case GUMBO_TAG_SVG: case GUMBO_TAG_IFRAME: case GUMBO_TAG_OBJECT:
        case GUMBO_TAG_EMBED: case GUMBO_TAG_CANVAS: case GUMBO_TAG_BUTTON:
        case GUMBO_TAG_SELECT: case GUMBO_TAG_HEAD: case GUMBO_TAG_MENU:
            return true;
        default:
            return false;
    }
}

bool is_block(GumboTag tag) {
    switch (tag) {
        case GUMBO_TAG_P: case GUMBO_TAG_DIV: case GUMBO_TAG_BR: case GUMBO_TAG_LI:
        case GUMBO_TAG_UL: case GUMBO_TAG_OL: case GUMBO_TAG_H1: case GUMBO_TAG_H2:
        case GUMBO_TAG_H3: case GUMBO_TAG_H4: case GUMBO_TAG_H5: case GUMBO_TAG_H6:
        case GUMBO_TAG_TR: case GUMBO_TAG_TD: case GUMBO_TAG_TH: case GUMBO_TAG_TABLE:
        case GUMBO_TAG_ARTICLE: case GUMBO_TAG_SECTION: case GUMBO_TAG_BLOCKQUOTE:
        case GUMBO_TAG_PRE: case GUMBO_TAG_FIGURE: case GUMBO_TAG_FIGCAPTION:
        case GUMBO_TAG_DT: case GUMBO_TAG_DD: case GUMBO_TAG_DL: case GUMBO_TAG_HR:
        case GUMBO_TAG_MAIN: case GUMBO_TAG_ADDRESS: case GUMBO_TAG_CAPTION:
        case GUMBO_TAG_BODY:
            return true;
        default:
            return false;
    }
}

struct TextBuilder {
    std::string out;
    bool pending_space = false;

    void text(std::string_view s) {
        for (char c : s) {
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
                pending_space = true;
            } else {
                if (pending_space && !out.empty() && out.back() != '\n') out.push_back(' ');
                pending_space = false;
                out.push_back(c);
            }
        }
    }
    void line_break() {
        pending_space = false;
        if (!out.empty() && out.back() != '\n') out.push_back('\n');
    }
};

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

// ---- the text --------------------------------------------------------------------------------

const GumboVector* children_of(const GumboNode* node) {
    if (node->type == GUMBO_NODE_DOCUMENT) return &node->v.document.children;
    if (node->type == GUMBO_NODE_ELEMENT || node->type == GUMBO_NODE_TEMPLATE) return &node->v.element.children;
    return nullptr;
}

void emit_text(const GumboNode* node, TextBuilder& tb, bool in_pre) {
    std::string_view s = node->v.text.text;
    if (!in_pre) {
        tb.text(s);
        return;
    }
    for (char c : s) {
        if (c == '\n') tb.line_break();
        else tb.text(std::string_view(&c, 1));
    }
}

// The tree walk, with an explicit stack (a page nested thousands deep must not exhaust the call
// stack). An entry is a node to visit, or, with `close` set, the end of a block element.
void walk(const GumboNode* root, TextBuilder& tb) {
    struct Entry {
        const GumboNode* node;
        bool in_pre;
        bool close;
    };
    std::vector<Entry> stack{{root, false, false}};
    while (!stack.empty()) {
        const Entry e = stack.back();
        stack.pop_back();
        if (e.close) {
            tb.line_break();
            continue;
        }
        const GumboNode* node = e.node;
        if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_CDATA) {
            emit_text(node, tb, e.in_pre);
            continue;
        }
        if (node->type == GUMBO_NODE_WHITESPACE) {
            tb.pending_space = true;
            continue;
        }
        const GumboVector* children = children_of(node);
        if (!children) continue;
        const GumboTag tag = node->type == GUMBO_NODE_DOCUMENT ? GUMBO_TAG_UNKNOWN : node->v.element.tag;
        if (is_dropped(tag)) continue;
        const bool block = is_block(tag);
        if (block) {
            tb.line_break();
            stack.push_back({node, false, true});
        }
        const bool in_pre = e.in_pre || tag == GUMBO_TAG_PRE;
        for (unsigned i = children->length; i-- > 0;)
            stack.push_back({static_cast<const GumboNode*>(children->data[i]), in_pre, false});
    }
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
    TextBuilder tt;
    const GumboVector& ch = t->v.element.children;
    for (unsigned i = 0; i < ch.length; ++i) {
        auto* c = static_cast<const GumboNode*>(ch.data[i]);
        if (c->type == GUMBO_NODE_TEXT) tt.text(c->v.text.text);
    }
    return tt.out;
}

}  // namespace

bool extract_html_text(std::string_view html, std::string* text, std::string* title, std::string* reason,
                       const HtmlLimits& limits) {
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
    TextBuilder tb;
    walk(output->document, tb);
    if (title) *title = title_of(output->document);
    gumbo_destroy_output(&kGumboDefaultOptions, output);
    while (!tb.out.empty() && tb.out.back() == '\n') tb.out.pop_back();
    *text = std::move(tb.out);
    return true;
}

std::string html_to_text(const std::string& html, std::string* title) {
    std::string text;
    if (!extract_html_text(html, &text, title, nullptr)) {
        if (title) title->clear();
        return {};
    }
    return text;
}

}  // namespace doppel
