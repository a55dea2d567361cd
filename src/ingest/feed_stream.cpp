// RSS 2.0 (and 1.0) and Atom feeds, read with libxml2's streaming xmlTextReader: one item or
// entry at a time is in memory. No network access (XML_PARSE_NONET), no external DTD, entities
// not substituted (XML_PARSE_NOENT is off), libxml2's own bounds on depth and text size kept
// (XML_PARSE_HUGE is off).
//
// Each item/entry becomes a document: its title, a blank line, then the text of its content
// (content:encoded, Atom content) or else its summary (description, Atom summary), HTML stripped
// by extract_html_text(). url = link (Atom: the alternate link), id = guid / Atom id (else the
// link), date = pubDate / published / dc:date (else updated) in ISO 8601, source = the feed's
// title with the file and line of the item.
#include <libxml/xmlreader.h>

#include <mutex>

#include "ingest/bounded_io.h"
#include "ingest/dates.h"
#include "ingest/record_stream.h"

namespace doppel::ingest {
namespace {

std::string str(xmlChar* s) {  // takes ownership
    std::string out = s ? reinterpret_cast<const char*>(s) : "";
    xmlFree(s);
    return out;
}
std::string_view view(const xmlChar* s) { return s ? reinterpret_cast<const char*>(s) : ""; }

std::string trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return "";
    return std::string(s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1));
}

struct Item {
    std::string title, link, alternate, guid, published, updated, content, summary;
    bool content_is_text = false, summary_is_text = false;
    std::size_t line = 0;
};

class FeedStream : public RecordStream {
public:
    FeedStream(std::unique_ptr<ByteSource> source, std::string name, const ReaderOptions& options);
    ~FeedStream() override {
        if (reader_) xmlFreeTextReader(reader_);
    }
    bool next(std::vector<Document>& out, std::vector<RecordError>& errors) override;
    uint64_t consumed() const override { return src_->raw_consumed(); }

private:
    static int read_cb(void* ctx, char* buf, int len);
    static void error_cb(void* arg, const char* msg, xmlParserSeverities severity, xmlTextReaderLocatorPtr loc);
    bool root(std::vector<RecordError>& errors);
    void read_item(Item& item);
    void field(Item& item, std::string_view name);
    bool to_document(Item& item, Document& doc, std::string* reason);
    bool finish(std::vector<RecordError>& errors);

    std::unique_ptr<ByteSource> src_;
    std::string name_;
    ReaderOptions options_;
    xmlTextReaderPtr reader_ = nullptr;
    std::string feed_title_;
    int title_depth_ = -1;      // depth of the feed's own <title>
    bool started_ = false, done_ = false;
    std::size_t items_ = 0;
    std::string xml_error_;     // the parser's first error
    std::size_t xml_error_line_ = 0;
};

FeedStream::FeedStream(std::unique_ptr<ByteSource> source, std::string name, const ReaderOptions& options)
    : src_(std::move(source)), name_(std::move(name)), options_(options) {
    static std::once_flag init;
    std::call_once(init, [] { xmlInitParser(); });
    reader_ = xmlReaderForIO(&FeedStream::read_cb, nullptr, this, nullptr, nullptr,
                             XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_COMPACT);
    if (reader_) xmlTextReaderSetErrorHandler(reader_, &FeedStream::error_cb, this);
}

int FeedStream::read_cb(void* ctx, char* buf, int len) {
    auto* self = static_cast<FeedStream*>(ctx);
    const std::streamsize n = self->src_->sgetn(buf, len);
    return n < 0 ? -1 : static_cast<int>(n);
}

void FeedStream::error_cb(void* arg, const char* msg, xmlParserSeverities severity, xmlTextReaderLocatorPtr loc) {
    auto* self = static_cast<FeedStream*>(arg);
    if (severity != XML_PARSER_SEVERITY_ERROR && severity != XML_PARSER_SEVERITY_VALIDITY_ERROR) return;
    if (!self->xml_error_.empty()) return;
    self->xml_error_ = trim(msg ? msg : "XML error");
    self->xml_error_line_ = static_cast<std::size_t>(std::max(0, xmlTextReaderLocatorLineNumber(loc)));
}

bool FeedStream::finish(std::vector<RecordError>& errors) {
    done_ = true;
    const std::size_t line = xml_error_line_ ? xml_error_line_ : static_cast<std::size_t>(
                                 std::max(0, reader_ ? xmlTextReaderGetParserLineNumber(reader_) : 0));
    if (!src_->error().empty()) errors.push_back({name_, line, src_->error()});
    else if (!reader_) errors.push_back({name_, 0, "cannot start the XML reader"});
    else if (!xml_error_.empty()) errors.push_back({name_, line, "XML error: " + xml_error_});
    else if (started_ && items_ == 0) errors.push_back({name_, 0, "no items in the feed"});
    return false;
}

// The root element says what the file is: <rss>, <rdf:RDF> (RSS 1.0) or <feed> (Atom).
bool FeedStream::root(std::vector<RecordError>& errors) {
    while (xmlTextReaderRead(reader_) == 1) {
        if (xmlTextReaderNodeType(reader_) != XML_READER_TYPE_ELEMENT) continue;
        const std::string_view name = view(xmlTextReaderConstLocalName(reader_));
        if (name == "rss" || name == "RDF") title_depth_ = 2;
        else if (name == "feed") title_depth_ = 1;
        else errors.push_back({name_, 0, "not an RSS or Atom feed (the root element is <" + std::string(name) + ">)"});
        started_ = title_depth_ >= 0;
        return started_;
    }
    return false;
}

bool FeedStream::next(std::vector<Document>& out, std::vector<RecordError>& errors) {
    if (done_) return false;
    if (!reader_ || (!started_ && !root(errors))) return finish(errors);
    while (xmlTextReaderRead(reader_) == 1) {
        if (xmlTextReaderNodeType(reader_) != XML_READER_TYPE_ELEMENT) continue;
        const std::string_view name = view(xmlTextReaderConstLocalName(reader_));
        if (name == "title" && xmlTextReaderDepth(reader_) == title_depth_ && feed_title_.empty()) {
            feed_title_ = trim(str(xmlTextReaderReadString(reader_)));
        } else if (name == "item" || name == "entry") {
            ++items_;
            Item item;
            item.line = static_cast<std::size_t>(std::max(0L, xmlGetLineNo(xmlTextReaderCurrentNode(reader_))));
            read_item(item);
            Document doc;
            std::string reason;
            if (!xml_error_.empty() || !src_->error().empty()) return finish(errors);
            if (to_document(item, doc, &reason)) out.push_back(std::move(doc));
            else errors.push_back({name_, item.line, reason});
            return true;
        }
    }
    return finish(errors);
}

void FeedStream::read_item(Item& item) {
    const int depth = xmlTextReaderDepth(reader_);
    if (xmlTextReaderIsEmptyElement(reader_)) return;
    while (xmlTextReaderRead(reader_) == 1) {
        const int type = xmlTextReaderNodeType(reader_);
        const int d = xmlTextReaderDepth(reader_);
        if (type == XML_READER_TYPE_END_ELEMENT && d == depth) return;
        if (type == XML_READER_TYPE_ELEMENT && d == depth + 1) field(item, view(xmlTextReaderConstLocalName(reader_)));
    }
}

// One child element of an item or entry.
void FeedStream::field(Item& item, std::string_view name) {
    auto text = [&] { return trim(str(xmlTextReaderReadString(reader_))); };
    auto attr = [&](const char* a) { return str(xmlTextReaderGetAttribute(reader_, reinterpret_cast<const xmlChar*>(a))); };
    const std::string_view ns = view(xmlTextReaderConstNamespaceUri(reader_));
    if (ns == "http://search.yahoo.com/mrss/") return;  // media:title, media:content: not the item's
    if (name == "title") {
        item.title = text();
    } else if (name == "link") {
        const std::string href = attr("href"), rel = attr("rel");
        if (href.empty()) item.link = text();
        else if ((rel.empty() || rel == "alternate") && item.alternate.empty()) item.alternate = href;
    } else if (name == "guid" || name == "id") {
        item.guid = text();
    } else if (name == "pubDate" || name == "published" || name == "date" || name == "issued") {
        if (item.published.empty()) item.published = text();
    } else if (name == "updated" || name == "modified") {
        item.updated = text();
    } else if (name == "encoded" || name == "content" || name == "description" || name == "summary") {
        const std::string type = attr("type");
        const bool main = name == "encoded" || name == "content";
        std::string& dest = main ? item.content : item.summary;
        dest = type == "xhtml" ? str(xmlTextReaderReadInnerXml(reader_)) : text();
        (main ? item.content_is_text : item.summary_is_text) = type == "text";
    }
}

bool FeedStream::to_document(Item& item, Document& doc, std::string* reason) {
    const bool has_content = !item.content.empty();
    const std::string& html = has_content ? item.content : item.summary;
    std::string body;
    // An item's content is the publisher's text, no page around it: all of it is kept.
    if (has_content ? item.content_is_text : item.summary_is_text) body = html;
    else if (!html.empty() && !extract_html_text(html, &body, nullptr, reason, HtmlExtract::kAll)) return false;
    doc.title = item.title;
    doc.text = item.title.empty() ? body : item.title + "\n" + body;
    doc.url = item.alternate.empty() ? item.link : item.alternate;
    doc.id = item.guid.empty() ? doc.url : item.guid;
    if (doc.id.empty()) return *reason = "item without a guid, id or link", false;
    doc.date = normalize_date(item.published.empty() ? item.updated : item.published);
    const std::string where = name_ + ":" + std::to_string(item.line);
    doc.source = feed_title_.empty() ? where : feed_title_ + " (" + where + ")";
    if (doc.text.size() > options_.max_document_bytes)
        return *reason = "item is over the limit of " + human_size(options_.max_document_bytes), false;
    *reason = check_document_text(doc.text, options_);
    return reason->empty();
}

}  // namespace

std::unique_ptr<RecordStream> open_feed_stream(std::unique_ptr<ByteSource> source, std::string name,
                                               const ReaderOptions& options) {
    return std::make_unique<FeedStream>(std::move(source), std::move(name), options);
}

}  // namespace doppel::ingest
