// doppel verify --store DIR [--repair]
// Checks a store (ops/verify.h) and prints one line per check on stdout. Exit codes (as fsck's):
// 0 the store is sound; 1 problems were found and --repair fixed them all (sound now); 2 verify
// could not run; 3 the store is damaged and was not repaired (no --repair, or it could not be).
#include <iomanip>
#include <iostream>

#include "cli/common.h"
#include "cli/stages.h"
#include "doppel/ops/verify.h"

namespace doppel::cli {
namespace {

constexpr int kExitRepaired = 1;  // problems found and all repaired
constexpr int kExitDamaged = 3;   // problems found, not (all) repaired

int exit_code(const StoreVerification& v) {
    if (v.healthy) return kExitOk;
    return v.repaired ? kExitRepaired : kExitDamaged;
}

void print_findings(const std::vector<VerifyFinding>& findings, const std::string& prefix) {
    for (const auto& f : findings)
        std::cout << prefix << std::left << std::setw(14) << f.check << (f.ok ? "" : "PROBLEM: ") << f.detail << '\n';
}

std::string summary(const StoreVerification& v, bool repair) {
    if (v.healthy) return "healthy";
    std::size_t problems = 0;
    for (const auto& f : v.findings) problems += f.ok ? 0 : 1;
    std::string s = std::to_string(problems) + (problems == 1 ? " problem found" : " problems found");
    if (repair) s += v.repaired ? ", repaired" : ", NOT repaired";
    else s += " (doppel verify --repair fixes what can be recomputed)";
    return s;
}

}  // namespace

Command add_verify_command(CLI::App& app, Globals& g) {
    auto* cmd = app.add_subcommand(
        "verify", "Check a store (database, artifacts, vector index, paragraphs, copies, band runs). Exit 0 sound; 1 problems found and all "
                  "repaired (--repair); 2 could not run; 3 damaged, not repaired (without --repair, or beyond it)");
    struct Args {
        std::string store;
        bool repair = false;
    };
    auto args = std::make_shared<Args>();
    cmd->add_option("--store", args->store, "Store folder")->required();
    cmd->add_flag("--repair", args->repair,
                  "Recompute missing artifacts and rebuild the vector index (takes the store's write lock)");
    return {cmd, [args, &g]() -> int {
                VerifyOptions options;
                options.repair = args->repair;
                if (args->repair) options.index = index_config(g);
                Progress progress("verify", g.quiet);
                const StoreVerification v = verify_store(args->store, options);
                print_findings(v.findings, "");
                if (v.writer_running)
                    std::cout << "note: another process was writing to the store; run verify again when it is done\n";
                for (const auto& r : v.repairs) std::cout << "repair: " << r << '\n';
                if (!v.after.empty()) print_findings(v.after, "after repair: ");
                progress.finish(args->store + ": " + summary(v, args->repair));
                return exit_code(v);
            }};
}

}  // namespace doppel::cli
