// doppel (private): the bytes an object holds in memory, its heap buffers included, for the
// budgets that decide whether a batch is kept or read again (kDedupMemoryBudgetMb). One home for
// the count, so that every budget admits what it says. Pure functions: call them from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "doppel/document.h"

namespace doppel::impl {

// A string's heap buffer: none while the text fits in the object (the short-string optimization).
inline std::size_t heap_bytes(const std::string& s) {
    return s.capacity() > std::string().capacity() ? s.capacity() + 1 : 0;
}

// A vector's array (its capacity), not what its elements own.
template <class T>
std::size_t array_bytes(const std::vector<T>& v) {
    return v.capacity() * sizeof(T);
}

// The strings' buffers of a document, not the Document object itself (an array_bytes() of the
// vector that holds it counts that).
inline std::size_t heap_bytes(const Document& d) {
    return heap_bytes(d.id) + heap_bytes(d.text) + heap_bytes(d.source) + heap_bytes(d.url) +
           heap_bytes(d.title) + heap_bytes(d.date) + heap_bytes(d.lang_hint);
}

// A batch of documents: the array and every document's strings.
inline std::size_t held_bytes(const std::vector<Document>& docs) {
    std::size_t bytes = array_bytes(docs);
    for (const Document& d : docs) bytes += heap_bytes(d);
    return bytes;
}

}  // namespace doppel::impl
