// HTML to text with gumbo: one line per block element, chrome elements dropped.
#include <gumbo.h>

#include <string>
#include <string_view>

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

void walk(const GumboNode* node, TextBuilder& tb, bool in_pre) {
    if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_CDATA) {
        std::string_view s = node->v.text.text;
        if (in_pre) {
            for (char c : s) {
                if (c == '\n') tb.line_break();
                else tb.text(std::string_view(&c, 1));
            }
        } else {
            tb.text(s);
        }
        return;
    }
    if (node->type == GUMBO_NODE_WHITESPACE) {
        tb.pending_space = true;
        return;
    }
    if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_DOCUMENT &&
        node->type != GUMBO_NODE_TEMPLATE)
        return;
    const GumboVector* children;
    GumboTag tag = GUMBO_TAG_UNKNOWN;
    if (node->type == GUMBO_NODE_DOCUMENT) {
        children = &node->v.document.children;
    } else {
        tag = node->v.element.tag;
        if (is_dropped(tag)) return;
        children = &node->v.element.children;
    }
    const bool block = is_block(tag);
    if (block) tb.line_break();
    for (unsigned i = 0; i < children->length; ++i)
        walk(static_cast<const GumboNode*>(children->data[i]), tb, in_pre || tag == GUMBO_TAG_PRE);
    if (block) tb.line_break();
}

const GumboNode* find_tag(const GumboNode* node, GumboTag tag) {
    if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_DOCUMENT) return nullptr;
    if (node->type == GUMBO_NODE_ELEMENT && node->v.element.tag == tag) return node;
    const GumboVector* children = node->type == GUMBO_NODE_DOCUMENT
                                      ? &node->v.document.children
                                      : &node->v.element.children;
    for (unsigned i = 0; i < children->length; ++i)
        if (auto* f = find_tag(static_cast<const GumboNode*>(children->data[i]), tag)) return f;
    return nullptr;
}

}  // namespace

std::string html_to_text(const std::string& html, std::string* title) {
    GumboOutput* output = gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), html.size());
    TextBuilder tb;
    walk(output->document, tb, false);
    if (title) {
        title->clear();
        if (const GumboNode* t = find_tag(output->document, GUMBO_TAG_TITLE)) {
            TextBuilder tt;
            const GumboVector& ch = t->v.element.children;
            for (unsigned i = 0; i < ch.length; ++i) {
                auto* c = static_cast<const GumboNode*>(ch.data[i]);
                if (c->type == GUMBO_NODE_TEXT) tt.text(c->v.text.text);
            }
            *title = tt.out;
        }
    }
    gumbo_destroy_output(&kGumboDefaultOptions, output);
    while (!tb.out.empty() && tb.out.back() == '\n') tb.out.pop_back();
    return tb.out;
}

}  // namespace doppel
