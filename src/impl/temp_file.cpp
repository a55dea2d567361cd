#include "impl/temp_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "doppel/error.h"

namespace doppel::impl {

uint64_t TempFile::append(const void* data, std::size_t bytes) {
    const uint64_t at = size_;
    const auto* p = static_cast<const char*>(data);
    if (buffer_.size() + bytes > kBuffer) flush();
    if (bytes >= kBuffer)
        write_out(p, bytes);  // a large piece goes straight to the file
    else
        buffer_.insert(buffer_.end(), p, p + bytes);
    size_ += bytes;
    return at;
}

void TempFile::flush() {
    write_out(buffer_.data(), buffer_.size());
    buffer_.clear();
}

void TempFile::write_out(const char* p, std::size_t bytes) {
    if (bytes == 0) return;
    if (!file_) file_.reset(std::tmpfile());
    DOPPEL_CHECK(kIo, file_ != nullptr, "cannot create " + what_ + ": " + std::strerror(errno));
    for (std::size_t done = 0; done < bytes;) {
        const ssize_t n =
            pwrite(fileno(file_.get()), p + done, bytes - done, static_cast<off_t>(written_ + done));
        if (n < 0 && errno == EINTR) continue;
        DOPPEL_CHECK(kIo, n > 0, "cannot write " + what_ + ": " + std::strerror(errno));
        done += static_cast<std::size_t>(n);
    }
    written_ += bytes;
}

void TempFile::read(uint64_t offset, void* out, std::size_t bytes) const {
    if (bytes == 0) return;
    DOPPEL_CHECK(kInternal, offset + bytes <= written_, "a read past what was flushed to " + what_);
    auto* p = static_cast<char*>(out);
    for (std::size_t done = 0; done < bytes;) {
        const ssize_t n =
            pread(fileno(file_.get()), p + done, bytes - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        DOPPEL_CHECK(kIo, n > 0,
                     "cannot read " + what_ + ": " + (n < 0 ? std::strerror(errno) : "short file"));
        done += static_cast<std::size_t>(n);
    }
}

}  // namespace doppel::impl
