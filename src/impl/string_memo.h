// doppel (private): a memo from strings to values for the per-thread caches of index-time
// stages (language ID's token ids, the embedder's uncovered words): open addressing over a flat
// table of (hash, key) slots with the keys in an arena, instead of std::unordered_map's node per
// entry, a std::string per key and a bucket chain per look-up (most of what a cache hit cost).
//
// Values live in a std::deque: a reference stays valid until clear(). Thread safety: one
// thread at a time.
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace doppel::impl {

// Runs of T copied once and kept in place until clear(): blocks of kBlockBytes filled in turn (a
// run over a quarter of a block gets one of its own). One vector grown by doubling copied every
// run again at each growth, into memory never touched before (page faults: the memos of whole
// texts hold megabytes), and a vector per run cost an allocation, its header and its unused
// capacity (language ID's token ids: 15.6 MB at the index's peak, packed here 6-7 MB).
// clear() keeps the standard blocks for what comes next.
template <class T>
class Arena {
public:
    static constexpr std::size_t kBlockBytes = std::size_t(64) << 10;
    static constexpr std::size_t kBlock = kBlockBytes / sizeof(T);  // elements a block
    std::span<const T> add(std::span<const T> run) {
        if (run.empty()) return {};
        T* at = nullptr;
        if (run.size() > kBlock / 4) {
            large_.push_back(std::make_unique_for_overwrite<T[]>(run.size()));
            at = large_.back().get();
        } else {
            if (used_ == 0 || fill_ + run.size() > kBlock) {
                if (used_ == blocks_.size()) blocks_.push_back(std::make_unique_for_overwrite<T[]>(kBlock));
                ++used_;
                fill_ = 0;
            }
            at = blocks_[used_ - 1].get() + fill_;
            fill_ += run.size();
        }
        std::memcpy(at, run.data(), run.size() * sizeof(T));
        return {at, run.size()};
    }
    void clear() {
        large_.clear();
        used_ = 0;
        fill_ = 0;
    }

private:
    static_assert(std::is_trivially_copyable_v<T>);
    std::vector<std::unique_ptr<T[]>> blocks_, large_;
    std::size_t used_ = 0;  // blocks_[0, used_) hold runs; the last up to fill_
    std::size_t fill_ = 0;
};

// The keys of a memo: strings in an Arena<char>.
class KeyArena {
public:
    static constexpr std::size_t kBlockBytes = Arena<char>::kBlockBytes;
    std::string_view add(std::string_view key) {
        const std::span<const char> kept = bytes_.add(std::span<const char>(key.data(), key.size()));
        return {kept.data(), kept.size()};
    }
    void clear() { bytes_.clear(); }

private:
    Arena<char> bytes_;
};

template <class Value>
class StringMemo {
public:
    std::size_t size() const { return values_.size(); }

    // The value of `key`, or nullptr.
    Value* find(std::string_view key) {
        if (slots_.empty()) return nullptr;
        const uint64_t h = hash(key);
        for (std::size_t i = h & mask();; i = (i + 1) & mask()) {
            const Slot& s = slots_[i];
            if (s.value == kEmpty) return nullptr;
            if (s.hash == h && std::string_view(s.key, s.key_size) == key) return &values_[s.value];
        }
    }

    // Adds `key` (not in the memo) with `value`; returns the stored value.
    Value& insert(std::string_view key, Value value) {
        if (2 * (values_.size() + 1) > slots_.size()) grow();
        const uint64_t h = hash(key);
        std::size_t i = h & mask();
        while (slots_[i].value != kEmpty) i = (i + 1) & mask();
        const std::string_view kept = keys_.add(key);
        slots_[i] = Slot{h, static_cast<uint32_t>(values_.size()), kept.data(), kept.size()};
        values_.push_back(std::move(value));
        return values_.back();
    }

    void clear() {
        slots_.clear();
        keys_.clear();
        values_.clear();
    }

private:
    static constexpr uint32_t kEmpty = UINT32_MAX;
    struct Slot {
        uint64_t hash = 0;
        uint32_t value = kEmpty;  // index in values_
        const char* key = nullptr;  // in keys_
        std::size_t key_size = 0;
    };
    static uint64_t hash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }
    std::size_t mask() const { return slots_.size() - 1; }
    void grow() {
        std::vector<Slot> old = std::move(slots_);
        slots_.assign(old.empty() ? 1024 : 2 * old.size(), Slot{});
        for (const Slot& s : old) {
            if (s.value == kEmpty) continue;
            std::size_t i = s.hash & mask();
            while (slots_[i].value != kEmpty) i = (i + 1) & mask();
            slots_[i] = s;
        }
    }

    std::vector<Slot> slots_;  // a power of two, at most half full
    KeyArena keys_;
    std::deque<Value> values_;
};

// A StringMemo bounded by size, for the memos of whole texts (a paragraph's or a document's
// results, which feeds repeat: licences, boilerplate, copies): texts longer than max_text are
// not kept, and past max_bytes (the keys and what keep() is told of the values) it starts
// afresh. One thread at a time.
template <class Value>
class TextMemo {
public:
    TextMemo(std::size_t max_text, std::size_t max_bytes) : max_text_(max_text), max_bytes_(max_bytes) {}
    const Value* find(std::string_view text) { return text.size() > max_text_ ? nullptr : memo_.find(text); }
    // Keeps `value` for `text` (not in the memo); value_bytes: about what it holds. Returns the
    // kept value, or nullptr for a text not kept (over max_text).
    Value* keep(std::string_view text, Value value, std::size_t value_bytes) {
        if (text.size() > max_text_) return nullptr;
        bytes_ += text.size() + value_bytes + sizeof(Value) + 32;  // 32: its slot
        if (bytes_ > max_bytes_) {
            memo_.clear();
            ++restarts_;
            bytes_ = text.size() + value_bytes + sizeof(Value) + 32;
        }
        return &memo_.insert(text, std::move(value));
    }
    // How many times keep() started afresh: values that point into memory of the caller's (runs
    // of one buffer) let it go when this changes.
    std::size_t restarts() const { return restarts_; }

private:
    StringMemo<Value> memo_;
    std::size_t max_text_, max_bytes_, bytes_ = 0, restarts_ = 0;
};

}  // namespace doppel::impl
