// A page's visible text as blocks (see html_blocks.h): the walk of the gumbo tree.
#include "ingest/html_blocks.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

#include "impl/utf8.h"

namespace doppel::ingest {
namespace {

// Not <form>: ASP.NET pages hold their whole body in one; its controls are dropped instead.
bool is_dropped(GumboTag tag) {
    switch (tag) {
        case GUMBO_TAG_SCRIPT:
        case GUMBO_TAG_STYLE:
        case GUMBO_TAG_NOSCRIPT:
        case GUMBO_TAG_NAV:
        case GUMBO_TAG_HEADER:
        case GUMBO_TAG_FOOTER:
        case GUMBO_TAG_ASIDE:
        case GUMBO_TAG_TEXTAREA:
        case GUMBO_TAG_TEMPLATE:
        case GUMBO_TAG_SVG:
        case GUMBO_TAG_IFRAME:
        case GUMBO_TAG_OBJECT:
        case GUMBO_TAG_EMBED:
        case GUMBO_TAG_CANVAS:
        case GUMBO_TAG_BUTTON:
        case GUMBO_TAG_SELECT:
        case GUMBO_TAG_HEAD:
        case GUMBO_TAG_MENU:
            return true;
        default:
            return false;
    }
}

bool is_block(GumboTag tag) {
    switch (tag) {
        case GUMBO_TAG_P:
        case GUMBO_TAG_DIV:
        case GUMBO_TAG_BR:
        case GUMBO_TAG_LI:
        case GUMBO_TAG_UL:
        case GUMBO_TAG_OL:
        case GUMBO_TAG_H1:
        case GUMBO_TAG_H2:
        case GUMBO_TAG_H3:
        case GUMBO_TAG_H4:
        case GUMBO_TAG_H5:
        case GUMBO_TAG_H6:
        case GUMBO_TAG_TR:
        case GUMBO_TAG_TD:
        case GUMBO_TAG_TH:
        case GUMBO_TAG_TABLE:
        case GUMBO_TAG_ARTICLE:
        case GUMBO_TAG_SECTION:
        case GUMBO_TAG_BLOCKQUOTE:
        case GUMBO_TAG_PRE:
        case GUMBO_TAG_FIGURE:
        case GUMBO_TAG_FIGCAPTION:
        case GUMBO_TAG_DT:
        case GUMBO_TAG_DD:
        case GUMBO_TAG_DL:
        case GUMBO_TAG_HR:
        case GUMBO_TAG_MAIN:
        case GUMBO_TAG_ADDRESS:
        case GUMBO_TAG_CAPTION:
        case GUMBO_TAG_BODY:
            return true;
        default:
            return false;
    }
}

// ---- hints from class, id, role, itemprop and visibility -------------------------------------

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string attribute(const GumboElement& e, const char* name) {
    const GumboAttribute* a = gumbo_get_attribute(&e.attributes, name);
    return a ? lower(a->value) : std::string();
}

// Whole words of a class or id ("main-nav_bar" -> main, nav, bar).
bool has_word(std::string_view s, std::string_view word) {
    for (std::size_t i = s.find(word); i != std::string_view::npos; i = s.find(word, i + 1)) {
        const bool start = i == 0 || !std::isalnum(static_cast<unsigned char>(s[i - 1]));
        const std::size_t end = i + word.size();
        if (start && (end == s.size() || !std::isalnum(static_cast<unsigned char>(s[end])))) return true;
    }
    return false;
}

// Chrome that no "article" in the same name redeems: "article-comments", "story-share".
constexpr std::array<std::string_view, 22> kStrongChrome = {
    "cookie",  "consent",  "gdpr",       "breadcrumb", "sidebar", "social",   "share",   "sharing",
    "related", "comment",  "newsletter", "subscri",    "promo",   "outbrain", "taboola", "recommend",
    "popular", "trending", "sponsor",    "advert",     "signup",  "paywall"};
// Chrome unless the name also says content ("article-header" is the article's own header).
constexpr std::array<std::string_view, 14> kWeakChrome = {
    "navigation", "navbar",  "menu",       "footer", "banner",   "masthead", "widget",
    "popup",      "toolbar", "pagination", "author", "dropdown", "caption",  "slideshow"};
constexpr std::array<std::string_view, 8> kWeakChromeWords = {"nav",  "ad",   "ads",   "header",
                                                              "tags", "skip", "modal", "more"};
constexpr std::array<std::string_view, 6> kContentWords = {"article", "content", "entry",
                                                           "story",   "post",    "body"};

int name_hint(const std::string& names) {
    if (names.empty()) return 0;
    auto contains = [&](std::string_view w) { return names.find(w) != std::string::npos; };
    if (std::any_of(kStrongChrome.begin(), kStrongChrome.end(), contains)) return -1;
    const bool content = std::any_of(kContentWords.begin(), kContentWords.end(), contains) ||
                         has_word(names, "text") || has_word(names, "main");
    const bool chrome = std::any_of(kWeakChrome.begin(), kWeakChrome.end(), contains) ||
                        std::any_of(kWeakChromeWords.begin(), kWeakChromeWords.end(),
                                    [&](std::string_view w) { return has_word(names, w); });
    return chrome ? (content ? 0 : -1) : (content ? 1 : 0);
}

// > 0 content, < 0 chrome (or hidden), 0 neither.
int element_hint(const GumboElement& e) {
    if (e.tag == GUMBO_TAG_ARTICLE || e.tag == GUMBO_TAG_MAIN) return 2;
    if (e.tag == GUMBO_TAG_BODY || e.tag == GUMBO_TAG_HTML) return 0;
    const std::string role = attribute(e, "role");
    if (role == "main" || role == "article" ||
        attribute(e, "itemprop").find("articlebody") != std::string::npos)
        return 2;
    static constexpr std::string_view kChromeRoles[] = {
        "navigation", "banner", "contentinfo", "complementary", "menu",
        "menubar",    "dialog", "alertdialog", "search",        "toolbar"};
    for (auto r : kChromeRoles)
        if (role == r) return -1;
    if (gumbo_get_attribute(&e.attributes, "hidden") || attribute(e, "aria-hidden") == "true") return -1;
    const std::string style = attribute(e, "style");
    if (style.find("display:none") != std::string::npos || style.find("display: none") != std::string::npos)
        return -1;
    return name_hint(attribute(e, "class") + " " + attribute(e, "id"));
}

// ---- the walk --------------------------------------------------------------------------------

// Builds the blocks: text with runs of white space made one space, cut at block boundaries.
struct BlockBuilder {
    PageBlocks page;
    HtmlBlock current;
    bool pending_space = false;

    void text(std::string_view s, std::size_t node, std::size_t hint_node, bool link) {
        for (char c : s) {
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
                pending_space = true;
                continue;
            }
            if (current.text.empty()) {
                current.node = node;
                current.hint_node = hint_node;
            } else if (pending_space) {
                current.text.push_back(' ');
            }
            pending_space = false;
            current.text.push_back(c);
            if (link && (static_cast<unsigned char>(c) & 0xC0) != 0x80) ++current.link_chars;
        }
    }
    void line_break();
};

bool is_punct(char32_t c) {
    switch (c) {
        case '.':
        case ',':
        case ';':
        case ':':
        case '!':
        case '?':
        case U'\u3001':
        case U'\u3002':
        case U'\uFF0C':
        case U'\uFF1A':
        case U'\uFF1B':
        case U'\uFF01':
        case U'\uFF1F':
        case U'\u060C':
        case U'\u061B':
        case U'\u061F':
        case U'\u06D4':
            return true;
        default:
            return false;
    }
}

// A character's share of a block's length: Han and kana 3, Hangul 2, others 1.
std::size_t script_weight(char32_t c) {
    if ((c >= 0x3040 && c <= 0x30FF) || (c >= 0x3400 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
        (c >= 0x20000 && c <= 0x2FFFF))
        return 3;
    if (c >= 0xAC00 && c <= 0xD7AF) return 2;
    return 1;
}

void BlockBuilder::line_break() {
    pending_space = false;
    if (current.text.empty()) return;
    const std::string_view s = current.text;
    for (std::size_t i = 0; i < s.size();) {
        const char32_t c = impl::next_code_point(s, i);
        if (c == ' ') continue;
        ++current.chars;
        current.weight += script_weight(c);
        current.punct += is_punct(c);
    }
    current.link_chars = std::min(current.link_chars, current.chars);
    page.blocks.push_back(std::move(current));
    current = HtmlBlock{};
}

const GumboVector* children_of(const GumboNode* node) {
    if (node->type == GUMBO_NODE_DOCUMENT) return &node->v.document.children;
    if (node->type == GUMBO_NODE_ELEMENT || node->type == GUMBO_NODE_TEMPLATE)
        return &node->v.element.children;
    return nullptr;
}

// An entry is a node to visit, or, with `close` set, the end of a block element.
struct Entry {
    const GumboNode* node;
    std::size_t block_node;  // innermost block element around it (index into PageBlocks::nodes)
    std::size_t hint_node;   // innermost recorded element around it
    bool in_pre, in_link, close;
};

void emit_text(const Entry& e, BlockBuilder& b) {
    std::string_view s = e.node->v.text.text;
    if (!e.in_pre) return b.text(s, e.block_node, e.hint_node, e.in_link);
    for (char c : s) {
        if (c == '\n')
            b.line_break();
        else
            b.text(std::string_view(&c, 1), e.block_node, e.hint_node, e.in_link);
    }
}

// Pushes an element's children (first child on top), recording it when it is a block element
// or has a hint.
void open_element(const Entry& e, std::vector<Entry>& stack, BlockBuilder& b) {
    const GumboElement& el = e.node->v.element;
    const int hint = element_hint(el);
    const bool block = is_block(el.tag);
    Entry child = e;
    child.in_pre = e.in_pre || el.tag == GUMBO_TAG_PRE;
    child.in_link = e.in_link || (el.tag == GUMBO_TAG_A && gumbo_get_attribute(&el.attributes, "href"));
    if (block) b.line_break();
    if (block || hint != 0) {
        child.hint_node = b.page.nodes.size();
        if (block) child.block_node = child.hint_node;
        b.page.nodes.push_back({e.hint_node, el.tag, block, hint, false});
    }
    if (block) stack.push_back({e.node, 0, 0, false, false, true});
    for (unsigned i = el.children.length; i-- > 0;) {
        child.node = static_cast<const GumboNode*>(el.children.data[i]);
        stack.push_back(child);
    }
}

// Chrome hints hold for an element and all inside it, except on a wrapper of at least half the
// page's prose-like text ("ad-wallpaper" around a whole page is no advertisement).
void settle_chrome(PageBlocks& page) {
    std::vector<std::size_t> text(page.nodes.size());
    for (const HtmlBlock& blk : page.blocks)
        if (blk.weight >= 40 && blk.link_chars * 2 < blk.chars) text[blk.hint_node] += blk.weight;
    for (std::size_t i = page.nodes.size(); i-- > 1;) text[page.nodes[i].parent] += text[i];
    for (std::size_t i = 1; i < page.nodes.size(); ++i) {
        HtmlNode& n = page.nodes[i];
        n.chrome = page.nodes[n.parent].chrome || (n.hint < 0 && 2 * text[i] < text[0]);
    }
    for (HtmlBlock& blk : page.blocks) blk.chrome = page.nodes[blk.hint_node].chrome;
}

}  // namespace

// The tree walk, with an explicit stack (a page nested thousands deep must not exhaust the call
// stack).
PageBlocks segment_blocks(const GumboNode* document) {
    BlockBuilder b;
    b.page.nodes.push_back({kNoNode, GUMBO_TAG_UNKNOWN, true, 0, false});
    std::vector<Entry> stack;
    const GumboVector* top = children_of(document);
    for (unsigned i = top->length; i-- > 0;)
        stack.push_back({static_cast<const GumboNode*>(top->data[i]), 0, 0, false, false, false});
    while (!stack.empty()) {
        const Entry e = stack.back();
        stack.pop_back();
        if (e.close) {
            b.line_break();
        } else if (e.node->type == GUMBO_NODE_TEXT || e.node->type == GUMBO_NODE_CDATA) {
            emit_text(e, b);
        } else if (e.node->type == GUMBO_NODE_WHITESPACE) {
            b.pending_space = true;
        } else if ((e.node->type == GUMBO_NODE_ELEMENT || e.node->type == GUMBO_NODE_TEMPLATE) &&
                   !is_dropped(e.node->v.element.tag)) {
            open_element(e, stack, b);
        }
    }
    b.line_break();
    settle_chrome(b.page);
    return std::move(b.page);
}

std::string all_text(const PageBlocks& page) {
    std::string out;
    for (const HtmlBlock& b : page.blocks) {
        if (!out.empty()) out.push_back('\n');
        out += b.text;
    }
    return out;
}

}  // namespace doppel::ingest
