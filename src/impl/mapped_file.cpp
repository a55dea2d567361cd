#include "impl/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "doppel/error.h"

namespace doppel::impl {

namespace {
MappedFile read_whole(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) DOPPEL_THROW(kIo, "cannot open " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    auto buffer = std::make_shared<const std::string>(std::move(ss).str());
    return MappedFile{buffer, *buffer};
}
}  // namespace

MappedFile map_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) DOPPEL_THROW(kIo, "cannot open " + path);
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
        ::close(fd);
        return read_whole(path);
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);  // the mapping stays valid
    if (p == MAP_FAILED) return read_whole(path);
    std::shared_ptr<const void> owner(p, [size](const void* q) { ::munmap(const_cast<void*>(q), size); });
    return MappedFile{std::move(owner), std::string_view(static_cast<const char*>(p), size)};
}

}  // namespace doppel::impl
