#include <gtest/gtest.h>

#include <set>

#include "doppel/error.h"
#include "doppel/store/store.h"

namespace doppel {
namespace {

TEST(Error, CarriesCodeMessageAndPlace) {
    try {
        DOPPEL_THROW(kNotFound, "no such thing");
        FAIL() << "DOPPEL_THROW did not throw";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kNotFound);
        EXPECT_STREQ(e.what(), "no such thing");
        EXPECT_NE(std::string(e.file()).find("test_error.cpp"), std::string::npos);
        EXPECT_GT(e.line(), 0);
    }
}

TEST(Error, CheckThrowsOnlyWhenFalse) {
    EXPECT_NO_THROW(DOPPEL_CHECK(kInvalidArgument, 1 + 1 == 2, "arithmetic"));
    try {
        DOPPEL_CHECK(kInvalidArgument, 1 + 1 == 3, "arithmetic");
        FAIL() << "DOPPEL_CHECK did not throw";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    }
}

TEST(Error, CodeNamesAreDistinct) {
    std::set<std::string> names;
    for (int c = 1; c <= 10; ++c) names.insert(error_code_name(static_cast<ErrorCode>(c)));
    EXPECT_EQ(names.size(), 10u);
    EXPECT_STREQ(error_code_name(ErrorCode::kIo), "io");
}

TEST(Error, LibraryRaisesTheRightCode) {
    try {
        Store store("/nonexistent/doppel-store", StoreOptions{false, true});
        FAIL() << "opening a missing store read-only should throw";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kNotFound) << e.what();
    }
}

}  // namespace
}  // namespace doppel
