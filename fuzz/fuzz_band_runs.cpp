// libFuzzer target: the LSH band runs as a store holds them (index/lsh_band_store.h), a
// catalogue and two segments of run 1: a damaged catalogue or segment must give a doppel::Error
// or a problem that problems() names, never a crash, a hang or an allocation past the input's
// means. The input: the catalogue's text, then after the first NUL byte the blob of segment
// lsh/1/0, then after the next one that of lsh/1/1. The store lives on /dev/shm where there is
// one (a commit per input: tmpfs makes its syncs free), removed when the process ends.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "doppel/error.h"
#include "doppel/index/lsh_band_store.h"
#include "doppel/store/store.h"

namespace {

// The store of this process, in a folder of its own that goes with it at exit (a crash leaves it,
// beside its reproducer).
class FuzzStore {
public:
    FuzzStore() : dir_(std::string(std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp") +
                       "/doppel-fuzz-band-runs-XXXXXX") {
        if (!mkdtemp(dir_.data())) std::abort();
        store_ = std::make_unique<doppel::Store>(dir_);
    }
    ~FuzzStore() {
        store_.reset();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    doppel::Store& store() { return *store_; }

private:
    std::string dir_;
    std::unique_ptr<doppel::Store> store_;
};

doppel::Store& fuzz_store() {
    static FuzzStore s;
    return s.store();
}

// The part of `in` before its first NUL byte; `in` keeps what follows it.
std::string_view cut(std::string_view& in) {
    const std::size_t at = in.find('\0');
    const std::string_view head = in.substr(0, at);
    in = at == std::string_view::npos ? std::string_view() : in.substr(at + 1);
    return head;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    const std::string_view catalogue = cut(in), first = cut(in), second = in;
    doppel::Store& store = fuzz_store();
    store.transaction([&] {
        store.set_meta(doppel::LshBandStore::kMetaKey, std::string(catalogue));
        store.put_blob("lsh/1/0", first);
        store.put_blob("lsh/1/1", second);
    });
    constexpr int kPerms = 16;
    try {
        const auto runs = doppel::LshBandStore::open(store, kPerms, doppel::LshParams{4, 4}, 0);
        if (!runs) return 0;
        (void)runs->problems(store, {1, 2, 3, 1000});
        const uint32_t sig[kPerms] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        (void)runs->query(store, sig);
        runs->for_each_block(store, [](const doppel::LshBandStore::Entry*, std::size_t) {});
    } catch (const doppel::Error&) {
    }
    return 0;
}
