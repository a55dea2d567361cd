// doppel (private): the documents table's `paragraphs` column, the one home of its formats.
//
// Since schema 7 a row is written as a blob (encode_paragraphs): the byte kParagraphsBlobFormat,
// the languages named (a varint count, then each a varint length and its bytes, in order of
// first use), a varint count of paragraphs, then per paragraph a flags byte (bit 0: inherited;
// bit 1: a confidence follows, else it is the previous paragraph's, 1.0 before the first; bits
// 2-7: the language's number, 63 when a varint number follows), the begin as a zigzag varint
// offset from the previous paragraph's end (0 before the first), the length (end - begin) as a
// zigzag varint, and the confidence's four bytes (the float's bits, little-endian) when given.
// About 4-8 bytes a paragraph against the JSON's 25-40: the copyright corpus's column 20.7 MB
// -> about 3 MB, and no float formatting. Each float reads back bit for bit.
//
// Rows of a store written before schema 7 hold the older format, which read_paragraphs reads
// too (a blob begins with kParagraphsBlobFormat, JSON with '['):
// A JSON array with one array per paragraph, [begin, end, lang, confidence, inherited]
// (Paragraph's fields, document.h), written exactly as nlohmann::json's dump() writes that
// value (no spaces; the confidence, a float, as the shortest double that reads back, with ".0"
// on whole numbers, "null" when not finite; the language escaped as JSON, UTF-8 kept), so stores
// written before and after the hand-written encoder are the same byte for byte.
//
// Thread safety: plain functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "doppel/document.h"

namespace doppel::store_detail {

inline constexpr unsigned char kParagraphsBlobFormat = 1;

// The column's blob for `ps` (schema 7 on).
std::string encode_paragraphs(const std::vector<Paragraph>& ps);
// The paragraphs of a column's bytes in either format; nullopt when they are neither a blob of
// kParagraphsBlobFormat read to its end nor a JSON array of paragraphs (a damaged row:
// Store::unreadable_paragraphs() finds them for `doppel verify`).
std::optional<std::vector<Paragraph>> try_read_paragraphs(std::string_view column);
// The same, with none for a damaged row (a reader goes on: verify names it).
std::vector<Paragraph> read_paragraphs(std::string_view column);

// The column's text in the format before schema 7, for `ps`. Throws nlohmann's type_error (as
// dump() did) on a language that is not valid UTF-8.
std::string paragraphs_json(const std::vector<Paragraph>& ps);
// The paragraphs of a column's text in the format before schema 7; nullopt when it is not a JSON
// array of [begin, end, lang, confidence, inherited] arrays.
std::optional<std::vector<Paragraph>> parse_paragraphs(const std::string& s);

}  // namespace doppel::store_detail
