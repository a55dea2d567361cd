// The fast JSONL record reader (ingest/json_record.h): what it reads is what nlohmann::json reads,
// and it leaves every other line to nlohmann::json.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <random>

#include "ingest/json_record.h"

using namespace doppel::ingest;
using Type = RecordField::Type;

namespace {

// nlohmann::json's reading of the same fields; false where it rejects the line or it is no object.
bool reference(const std::string& line, RecordFields* r) {
    *r = RecordFields{};
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return false;
    for (std::size_t k = 0; k < kRecordKeys.size(); ++k) {
        const auto it = j.find(kRecordKeys[k]);
        if (it == j.end()) continue;
        r->fields[k].type = it->is_string() ? Type::kString : Type::kOther;
        if (it->is_string()) r->fields[k].value = it->get<std::string>();
    }
    return true;
}

bool valid_utf8(const std::string& s) {
    try {
        (void)nlohmann::json(s).dump();
        return true;
    } catch (const nlohmann::json::exception&) {
        return false;
    }
}

// Every line the scanner reads, nlohmann::json reads alike.
void expect_as_reference(const std::string& line) {
    RecordFields fast, ref;
    if (scan_json_record(line, &fast) == ScanResult::kUnsure) return;
    ASSERT_TRUE(reference(line, &ref)) << line;
    for (std::size_t k = 0; k < kRecordKeys.size(); ++k) {
        EXPECT_EQ(fast.fields[k].type, ref.fields[k].type) << kRecordKeys[k] << " in " << line;
        if (fast.fields[k].type == Type::kString) {
            EXPECT_EQ(fast.fields[k].value, ref.fields[k].value) << line;
        }
    }
}

}  // namespace

TEST(JsonRecord, ReadsTheFieldsAndUnescapesThem) {
    RecordFields r;
    ASSERT_EQ(scan_json_record(R"( {"id": "a/1", "text": "x\ny\t\"q\" \\ \/ \u00e9 \ud83d\ude00 \u0000.",)"
                               R"( "url": null, "extra": [1, -2.5, {"k": [true, false]}], "lang": 3} )",
                               &r),
              ScanResult::kRead);
    EXPECT_EQ(r[kKeyId].value, "a/1");
    std::string text = "x\ny\t\"q\" \\ / \xc3\xa9 \xf0\x9f\x98\x80 ";
    text += '\0';
    text += '.';
    EXPECT_EQ(r[kKeyText].value, text);
    EXPECT_EQ(r[kKeyUrl].type, Type::kOther);
    EXPECT_EQ(r[kKeyLang].type, Type::kOther);
    EXPECT_EQ(r[kKeyTitle].type, Type::kAbsent);
    EXPECT_EQ(r[kKeyHtml].type, Type::kAbsent);
    ASSERT_EQ(scan_json_record("{}", &r), ScanResult::kRead);
    EXPECT_EQ(r[kKeyId].type, Type::kAbsent);
}

TEST(JsonRecord, LeavesWhatItDoesNotReadToNlohmann) {
    RecordFields r;
    for (const char* line : {
             R"([1])", R"("text")", "\xef\xbb\xbf{\"id\":\"a\"}",  // no object; a byte order mark
             R"({"id":"a")", R"({"id":"a",})", R"({"id" "a"})", R"({"id":"a"} x)", R"({'id':'a'})",
             R"({"i\u0064":"a"})",                                // an escaped key
             R"({"id":"a","id":"b"})",                            // a taken key twice (the last wins there)
             R"({"id":7,"text":"t"})",                            // a number id
             R"({"id":"a","n":1e5})", R"({"id":"a","n":1234567890123456789})", R"({"id":"a","n":01})",
             R"({"id":"a","n":1.})", R"({"id":"a","n":-})", R"({"id":"a","n":tru})",
             R"({"text":"\ud83d"})", R"({"text":"\ude00x"})", R"({"text":"\ud83d\u0041"})",  // lone surrogates
             R"({"text":"\x"})", R"({"text":"\u12g4"})", "{\"text\":\"a\tb\"}",                  // bad escapes, a raw tab
         })
        EXPECT_EQ(scan_json_record(line, &r), ScanResult::kUnsure) << line;
    std::string deep = "{\"x\":";
    for (int i = 0; i < 100; ++i) deep += "[";
    for (int i = 0; i < 100; ++i) deep += "]";
    EXPECT_EQ(scan_json_record(deep + "}", &r), ScanResult::kUnsure);
}

// Random edits of a few records: wherever the scanner reads, it agrees with nlohmann::json.
TEST(JsonRecord, AgreesWithNlohmannOnEditedRecords) {
    const std::vector<std::string> seeds = {
        R"({"id":"a","text":"b"})",
        R"({"id":"x","text":"x\ny","url":null,"k":[1,2,{"a":-0.5}],"title":""})",
        R"( {"title":"\u00e9\ud83d\ude00","id":"q","html":"<p>t</p>","x":{}} )",
        R"({"lang":"en","date":"2020","text":"a\tb\\c\/d\"e","id":"z"})"};
    const std::vector<std::string> pieces = {"{", "}", "[", "]", "\"", "\\", ":", ",", " ", "\\u", "d83d", "\\ude00",
                                             "\\n", "1", "-", "0", ".", "e5", "true", "null", "\"id\"", "\"text\"",
                                             "\x01", "\xc3\xa9", "\\\"", "12345678901234567890", "\t"};
    std::mt19937 rng(7);
    std::size_t read = 0;
    for (int it = 0; it < 20000; ++it) {
        std::string s = seeds[rng() % seeds.size()];
        for (int edits = 1 + static_cast<int>(rng() % 3); edits > 0; --edits) {
            const std::size_t pos = rng() % (s.size() + 1);
            switch (rng() % 3) {
                case 0: s.erase(pos, 1 + rng() % 3); break;
                case 1: s.insert(pos, pieces[rng() % pieces.size()]); break;
                default:
                    if (pos < s.size()) s[pos] = static_cast<char>(rng() % 128);
            }
        }
        if (!valid_utf8(s)) continue;
        RecordFields r;
        read += scan_json_record(s, &r) == ScanResult::kRead;
        expect_as_reference(s);
        if (HasFailure()) return;
    }
    EXPECT_GT(read, 1000u);  // the scanner read many of them itself
}

// Strings of 0 to 70 bytes with a quote, backslash escape or control character at every position
// (the scanner looks at 16 and 8 bytes a step, then byte by byte): read as nlohmann reads them.
TEST(JsonRecord, ASpecialByteAtEveryPositionOfARunIsFound) {
    for (const std::string special : {"\\\"", "\\\\", "\\n", "\\u00e9", "\x01", "\x1f", "\""}) {
        for (std::size_t n = 0; n <= 70; ++n) {
            for (std::size_t at = 0; at <= n; ++at) {
                std::string text(n, 'a');
                for (std::size_t i = 0; i < n; ++i) text[i] = static_cast<char>(' ' + (i * 7) % 90);
                for (char& c : text)
                    if (c == '"' || c == '\\') c = '.';
                text.insert(at, special);
                const std::string line = R"({"id":"x","text":")" + text + R"(","title":"t"})";
                expect_as_reference(line);
                if (HasFailure()) return;
            }
        }
    }
}
