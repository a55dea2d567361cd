// doppel: the command-line tool. Parses arguments and hands over to one command.
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <new>

#include "cli/common.h"
#include "cli/output.h"

namespace {
// The size from which glibc maps a block on its own (keep_freed_memory, allocate).
constexpr std::size_t kMmapThreshold = std::size_t{32} << 20;

// A command is one short process that allocates and frees a document's worth of memory over and
// over (texts, shingle sets, SQLite values of several MB). glibc gives large freed blocks back to
// the kernel at once, and taking them again costs a page fault per 4 KiB, which on a virtual
// machine costs more than the work done with them: keep what was freed (up to 1 GiB, released
// at exit) and serve blocks up to 32 MiB from it. The peak memory is unchanged. Indexing and
// dedup --store of the copyright corpus: about 20% less CPU in dedup --store, a little in index.
void keep_freed_memory() {
    mallopt(M_MMAP_THRESHOLD, static_cast<int>(kMmapThreshold));
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_TOP_PAD, 64 << 20);
}

// Where the kernel gives transparent huge pages to memory that asks for them (Debian's default,
// "madvise"), a 2 MiB page costs one fault instead of 512. glibc asks only when told at start
// (GLIBC_TUNABLES=glibc.malloc.hugetlb=1), so the heap's first kHugePageHeap is reserved here
// (address space: nothing is touched) and asked for them, and every thread allocates from that
// heap (one arena: the reading thread's texts and the workers' sets too; blocks under 1 KiB still
// come from each thread's cache, without the arena's lock). Memory past the reserve, and blocks
// over M_MMAP_THRESHOLD, have small pages as before. Index and dedup --store of the copyright
// corpus: 17,000 and 9,300 page faults -> 1,100 and 1,400, about a third less CPU. The one arena
// only for those two commands (one_arena): `translations` of xling-dev, whose threads allocate
// side by side, took more CPU with it (217 -> 257 s, one run each); its other threads keep their
// own arenas (small pages), as before.
bool one_arena(const std::string& command) { return command == "index" || command == "dedup"; }

// Asks for huge pages for the whole 2 MiB pages of [begin, end), memory not yet touched.
void ask_huge_pages(std::uintptr_t begin, std::uintptr_t end) {
    constexpr std::uintptr_t kHugePage = std::uintptr_t{2} << 20;
    const std::uintptr_t from = (begin + kHugePage - 1) & ~(kHugePage - 1), to = end & ~(kHugePage - 1);
    if (to > from) madvise(reinterpret_cast<void*>(from), to - from, MADV_HUGEPAGE);  // may fail: no matter
}

void ask_for_huge_pages() {
    constexpr std::size_t kHugePageHeap = std::size_t{512} << 20;
    const auto before = reinterpret_cast<std::uintptr_t>(sbrk(0));
    mallopt(M_TOP_PAD, kHugePageHeap);
    void* volatile block = std::malloc(1 << 20);  // volatile: the heap grows, the pair is not elided
    std::free(block);
    mallopt(M_TOP_PAD, 64 << 20);
    ask_huge_pages(before, reinterpret_cast<std::uintptr_t>(sbrk(0)));
}

}  // namespace

// The program's allocation functions (the nothrow forms call these; the aligned ones are the
// library's). Not in a build with AddressSanitizer, whose own keep its checks of new and delete.
#if !defined(__SANITIZE_ADDRESS__)
namespace {
// Blocks of M_MMAP_THRESHOLD and more are mapped by glibc on their own, outside the heap that
// ask_for_huge_pages() covers, and were faulted in 4 KiB at a time: dedup --store of the
// 10,000,000-item feed took 370,000 page faults for its per-document arrays, line counts and
// clusters. The C++ allocations of that size (every large array) ask for huge pages before they
// are first touched: 72,000 faults, 38-39 -> 32-34 s wall, the same pairs (translations of a
// 100,000-document store: 560,000 -> 215,000 faults, 32-33 -> 27-30 s, the same links). Blocks of
// SQLite and of C code are left as they are.
void* allocate(std::size_t n) {
    void* p = nullptr;
    while (!(p = std::malloc(n ? n : 1))) {  // as the library's: the new-handler, else bad_alloc
        const std::new_handler handler = std::get_new_handler();
        if (!handler) throw std::bad_alloc();
        handler();
    }
    const auto at = reinterpret_cast<std::uintptr_t>(p);
    if (n >= kMmapThreshold) ask_huge_pages(at, at + n);
    return p;
}
}  // namespace

void* operator new(std::size_t n) { return allocate(n); }
void* operator new[](std::size_t n) { return allocate(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#endif

int main(int argc, char** argv) {
    using namespace doppel::cli;
    keep_freed_memory();
    ask_for_huge_pages();  // before anything is allocated: the heap's top is still small
    CLI::App app{"doppel: near-duplicate and cross-language document matching"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("doppel ") + DOPPEL_CLI_VERSION);
    Globals g;
    g.argv0 = argv[0];
    app.add_option("--models", g.models_dir, "Folder with model files (default: models/ of the install)");
    app.add_flag("--quiet,-q", g.quiet, "No progress and no summary line");
    app.add_option("--vector-index", g.vector_index, "translation index: auto (exact Flat up to auto:exact_limit=20000 vectors, then PCA+IVF), or a FAISS factory (Flat, HNSW32, IVF1024,PQ64)")
        ->capture_default_str();
    app.add_option("--vectors", g.vectors,
                   "index: also embed with aligned word vectors and combine them with the bridge "
                   "(vectors:path=DIR/wiki.{lang}.align.vec)");
    app.add_option("--vectors-weight", g.vectors_weight, "index: share of the vectors cosine in the similarity")
        ->check(kFiniteNumber)
        ->capture_default_str();

    std::vector<Command> commands;
    commands.push_back(add_index_command(app, g));
    commands.push_back(add_list_command(app, g));
    commands.push_back(add_normalize_command(app, g));
    commands.push_back(add_report_command(app, g));
    commands.push_back(add_dedup_command(app, g));
    commands.push_back(add_check_command(app, g));
    commands.push_back(add_delete_command(app, g));
    commands.push_back(add_expire_command(app, g));
    commands.push_back(add_align_command(app, g));
    commands.push_back(add_score_command(app, g));
    commands.push_back(add_translations_command(app, g));
    commands.push_back(add_lexicon_command(app, g));
    commands.push_back(add_verify_command(app, g));

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return kExitFatal;
    }
    for (auto& c : commands) {
        if (!c.app->parsed()) continue;
        try {
            if (one_arena(c.app->get_name())) mallopt(M_ARENA_MAX, 1);  // before any other thread starts
            const int code = c.run();
            check_stdout();  // results cut short by a write error are a failure, not a success
            return code;
        } catch (const std::exception& e) {
            std::cerr << "doppel " << c.app->get_name() << ": error: " << e.what() << '\n';
            return kExitFatal;
        }
    }
    return kExitFatal;
}
