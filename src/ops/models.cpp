#include "doppel/ops/models.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace doppel {
namespace fs = std::filesystem;
namespace {

// models/ holding lid.176.ftz in `file`'s folder or one above it; "" when there is none.
std::string models_above(const fs::path& file) {
    for (fs::path dir = file.parent_path(); !dir.empty() && dir != dir.root_path(); dir = dir.parent_path()) {
        std::error_code ec;
        if (fs::exists(dir / "models" / "lid.176.ftz", ec)) return (dir / "models").string();
    }
    return "";
}

// The file this library was loaded from ("" when unknown).
fs::path library_file() {
    Dl_info info{};
    if (dladdr(reinterpret_cast<const void*>(&models_above), &info) == 0 || !info.dli_fname) return {};
    std::error_code ec;
    const fs::path p = fs::canonical(info.dli_fname, ec);
    return ec ? fs::path() : p;
}

}  // namespace

std::string find_models_dir(const std::string& given) {
    if (!given.empty()) return given;
    if (const char* env = std::getenv("DOPPEL_MODELS"); env && *env) return env;
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec)
        if (std::string dir = models_above(exe); !dir.empty()) return dir;
    if (const fs::path lib = library_file(); !lib.empty())
        if (std::string dir = models_above(lib); !dir.empty()) return dir;
#ifdef DOPPEL_SOURCE_DIR
    if (fs::exists(fs::path(DOPPEL_SOURCE_DIR) / "models", ec))
        return (fs::path(DOPPEL_SOURCE_DIR) / "models").string();
#endif
    return "models";
}

}  // namespace doppel
