// Private RAII helpers over the SQLite C API. Every failing call throws doppel::Error.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "doppel/error.h"

namespace doppel::impl {

class Statement {
public:
    Statement(sqlite3* db, const char* sql) : db_(db) {
        if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
            DOPPEL_THROW(kStore, std::string("SQLite prepare failed: ") + sqlite3_errmsg(db) + " in: " + sql);
    }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& bind(int i, int64_t v) { check(sqlite3_bind_int64(stmt_, i, v)); return *this; }
    Statement& bind(int i, double v) { check(sqlite3_bind_double(stmt_, i, v)); return *this; }
    // An empty text or blob is bound as a zero-length value, never as NULL (SQLite's reading of
    // a null pointer: a NOT NULL column refuses it, a nullable one reads it as "missing"), however
    // it is given (an empty std::string_view's data() may be null).
    Statement& bind(int i, std::string_view v) {
        check(sqlite3_bind_text(stmt_, i, nonnull(v.data()), static_cast<int>(v.size()), SQLITE_TRANSIENT));
        return *this;
    }
    Statement& bind_blob(int i, const void* p, std::size_t n) {
        check(sqlite3_bind_blob64(stmt_, i, nonnull(p), n, SQLITE_TRANSIENT));
        return *this;
    }
    // The same without SQLite's copy of the bytes, for large values (a document's text, an
    // artifact): they must stay unchanged until the statement is stepped and reset.
    Statement& bind_unowned(int i, std::string_view v) {
        check(sqlite3_bind_text64(stmt_, i, nonnull(v.data()), v.size(), SQLITE_STATIC, SQLITE_UTF8));
        return *this;
    }
    Statement& bind_blob_unowned(int i, const void* p, std::size_t n) {
        check(sqlite3_bind_blob64(stmt_, i, nonnull(p), n, SQLITE_STATIC));
        return *this;
    }
    // Binds ?i only where the statement has that many parameters (a statement built for one of
    // several layouts may leave a parameter out).
    Statement& bind_if_used(int i, std::string_view v) {
        return i <= sqlite3_bind_parameter_count(stmt_) ? bind(i, v) : *this;
    }
    Statement& bind_blob_unowned_if_used(int i, const void* p, std::size_t n) {
        return i <= sqlite3_bind_parameter_count(stmt_) ? bind_blob_unowned(i, p, n) : *this;
    }
    // Returns true while a row is available.
    bool step() {
        const int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        DOPPEL_THROW(kStore, std::string("SQLite step failed: ") + sqlite3_errmsg(db_));
    }
    void reset() { sqlite3_reset(stmt_); sqlite3_clear_bindings(stmt_); }

    int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
    double real(int col) const { return sqlite3_column_double(stmt_, col); }
    std::string text(int col) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
    }
    std::string_view blob(int col) const {
        const void* p = sqlite3_column_blob(stmt_, col);
        return p ? std::string_view(static_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
                 : std::string_view();
    }
    bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

private:
    static const char* nonnull(const char* p) { return p ? p : ""; }
    static const void* nonnull(const void* p) { return p ? p : ""; }
    void check(int rc) {
        if (rc != SQLITE_OK) DOPPEL_THROW(kStore, std::string("SQLite bind failed: ") + sqlite3_errmsg(db_));
    }
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

inline void exec(sqlite3* db, const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : "unknown error";
        sqlite3_free(err);
        DOPPEL_THROW(kStore, "SQLite error: " + msg + " in: " + sql);
    }
}

}  // namespace doppel::impl
