#include "doppel/store/store_write_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "doppel/error.h"

namespace doppel {
namespace {

std::string lock_path(const std::string& dir) { return dir + "/" + StoreWriteLock::kLockFile; }

int open_lock_file(const std::string& dir) {
    const std::string path = lock_path(dir);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) DOPPEL_THROW(kIo, "cannot open " + path + ": " + std::strerror(errno));
    return fd;
}

}  // namespace

StoreWriteLock::StoreWriteLock(const std::string& dir) : fd_(open_lock_file(dir)) {
    int rc;
    while ((rc = ::flock(fd_, LOCK_EX)) != 0 && errno == EINTR) {
    }
    if (rc != 0) {
        const int err = errno;
        ::close(fd_);
        DOPPEL_THROW(kIo, "cannot lock store " + dir + ": " + std::strerror(err));
    }
}

StoreWriteLock::~StoreWriteLock() {
    if (fd_ >= 0) ::close(fd_);  // closing the file releases the lock
}

bool StoreWriteLock::held_by_another(const std::string& dir) {
    // Read-only and never created: a writer creates the file before it locks it, so without one
    // there is no writer; a reader (verify) leaves the store's folder as it found it.
    const std::string path = lock_path(dir);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return false;
        DOPPEL_THROW(kIo, "cannot open " + path + ": " + std::strerror(errno));
    }
    const bool busy = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd);
    return busy;
}

}  // namespace doppel
