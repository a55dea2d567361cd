#include "doppel/error.h"

namespace doppel {

const char* error_code_name(ErrorCode code) {
    switch (code) {
        case ErrorCode::kInvalidArgument: return "invalid-argument";
        case ErrorCode::kBadSpec: return "bad-spec";
        case ErrorCode::kNotFound: return "not-found";
        case ErrorCode::kIo: return "io";
        case ErrorCode::kBadFormat: return "bad-format";
        case ErrorCode::kVersion: return "version";
        case ErrorCode::kStore: return "store";
        case ErrorCode::kModelMismatch: return "model-mismatch";
        case ErrorCode::kIcu: return "icu";
        case ErrorCode::kInternal: return "internal";
    }
    return "unknown";
}

Error::Error(ErrorCode code, const std::string& message, const char* file, int line)
    : std::runtime_error(message), code_(code), file_(file), line_(line) {}

std::string RecordError::to_string() const {
    std::string out;
    out.reserve(path.size() + reason.size() + 24);
    out.append(path);
    if (line > 0) out.append(":").append(std::to_string(line));
    out.append(": ").append(reason);
    return out;
}

}  // namespace doppel
