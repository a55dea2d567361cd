#include "doppel/error.h"

namespace doppel {

Error::Error(const std::string& message, const char* file, int line)
    : std::runtime_error(message), file_(file), line_(line) {}

std::string RecordError::to_string() const {
    std::string out;
    out.reserve(path.size() + reason.size() + 24);
    out.append(path);
    if (line > 0) out.append(":").append(std::to_string(line));
    out.append(": ").append(reason);
    return out;
}

}  // namespace doppel
