#include "cli/output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <vector>

#include "doppel/error.h"

namespace doppel::cli {
namespace {

[[noreturn]] void write_failed(const std::string& what, int err) {
    DOPPEL_THROW(kIo,
                 "cannot write " + what + (err ? std::string(": ") + std::strerror(err) : std::string()));
}

// Creates an empty "PATH.tmp-XXXXXX" readable as a new file would be (mode 0666 less the umask).
std::string make_temporary(const std::string& path) {
    std::vector<char> name(path.begin(), path.end());
    const std::string suffix = ".tmp-XXXXXX";
    name.insert(name.end(), suffix.begin(), suffix.end());
    name.push_back('\0');
    const int fd = ::mkstemp(name.data());
    if (fd < 0) write_failed(path, errno);
    const mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(fd, 0666 & ~mask);
    ::close(fd);
    return std::string(name.data());
}

// Forces the file's data to disk, so the rename never exposes an empty file after a crash.
int sync_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    const int rc = ::fsync(fd) == 0 ? 0 : errno;
    ::close(fd);
    return rc;
}

// A path that names something other than a file (a device such as /dev/null, a FIFO): written
// in place, since renaming a file over it would replace it (as root, /dev/null itself).
bool is_special_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

}  // namespace

OutputFile::OutputFile(std::string path) : path_(std::move(path)) {
    if (path_.empty()) return;
    if (is_special_file(path_)) {
        file_.open(path_, std::ios::binary | std::ios::trunc);
        if (!file_) write_failed(path_, errno);
        return;
    }
    tmp_ = make_temporary(path_);
    file_.open(tmp_, std::ios::binary | std::ios::trunc);
    if (!file_) {
        const int err = errno;
        std::remove(tmp_.c_str());
        write_failed(path_, err);
    }
}

OutputFile::~OutputFile() {
    if (!tmp_.empty() && !committed_) std::remove(tmp_.c_str());
}

std::ostream& OutputFile::stream() { return path_.empty() ? std::cout : file_; }

void OutputFile::commit() {
    if (path_.empty()) return check_stdout();
    errno = 0;
    file_.close();
    if (!file_) write_failed(path_, errno);
    if (!tmp_.empty()) {  // else written in place (is_special_file)
        if (const int err = sync_file(tmp_)) write_failed(path_, err);
        if (std::rename(tmp_.c_str(), path_.c_str()) != 0) write_failed(path_, errno);
    }
    committed_ = true;
}

void check_stdout() {
    errno = 0;
    std::cout.flush();
    if (!std::cout) write_failed("standard output", errno);
}

}  // namespace doppel::cli
