// doppel: the command-line tool. Parses arguments and hands over to one command.
#include <malloc.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "cli/common.h"
#include "cli/output.h"

namespace {
// A command is one short process that allocates and frees a document's worth of memory over and
// over (texts, shingle sets, SQLite values of several MB). glibc gives large freed blocks back to
// the kernel at once, and taking them again costs a page fault per 4 KiB, which on a virtual
// machine costs more than the work done with them: keep what was freed (up to 1 GiB, released
// at exit) and serve blocks up to 32 MiB from it. The peak memory is unchanged. Indexing and
// dedup --store of the copyright corpus: about 20% less CPU in dedup --store, a little in index.
void keep_freed_memory() {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_TOP_PAD, 64 << 20);
}

// What memory a command keeps, it still touches for the first time a page at a time: `index`
// of the copyright corpus with its store for all faulted about 55,000 times (its 300 MB), a
// fifth of its CPU. With transparent huge pages for the allocator's heaps (glibc's tunable
// glibc.malloc.hugetlb=1: its heaps advised MADV_HUGEPAGE, taken where the kernel's
// transparent_hugepage setting is "madvise" or "always") a fault brings 2 MiB: about 2,600
// faults, the same peak memory. glibc reads its tunables only as a process starts, so the tool
// runs itself again once with the tunable added to GLIBC_TUNABLES, unless that names it already
// or DOPPEL_HUGE_PAGES is 0; where the new start fails it goes on as it is. Only for the commands
// where it was measured to pay (`index`, `dedup`): a second start costs about 25 ms of CPU
// (loading the libraries again), more than a `check` of one item or `--version` take. Copyright
// corpus, CPU with and without (same binary, in turn, load 6): `index` of a store for all
// 1.70-1.79 -> 1.24-1.49 s, for duplicates 0.40-0.56 -> 0.17-0.44 s; `dedup --store` 0.32-0.35 ->
// 0.20-0.21 s. `translations` of para-dev's German pool (2,000 documents): 2.22-2.44 s either
// way (faults 20,000 -> 7,000), so not there.
void with_huge_pages(int argc, char** argv) {
    constexpr const char* kTunable = "glibc.malloc.hugetlb";
    constexpr const char* kTried = "DOPPEL_HUGE_PAGES";  // "0": never; "tried": this is the second start
    const char* tried = std::getenv(kTried);
    const char* tunables = std::getenv("GLIBC_TUNABLES");
    if (tried || (tunables && std::strstr(tunables, kTunable))) return;
    bool large = false;  // a word of the command line names such a command
    for (int i = 1; i < argc; ++i)
        for (const char* command : {"index", "dedup"})
            large = large || !std::strcmp(argv[i], command);
    if (!large) return;
    std::string value = tunables && *tunables ? std::string(tunables) + ":" : std::string();
    value += std::string(kTunable) + "=1";
    if (setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0 || setenv(kTried, "tried", 1) != 0) return;
    execv("/proc/self/exe", argv);
    // Not started again: the environment as it was.
    if (tunables) setenv("GLIBC_TUNABLES", tunables, 1);
    else unsetenv("GLIBC_TUNABLES");
    unsetenv(kTried);
}
}  // namespace

int main(int argc, char** argv) {
    using namespace doppel::cli;
    with_huge_pages(argc, argv);
    keep_freed_memory();
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
