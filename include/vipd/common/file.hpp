#pragma once
// Small file helpers shared by the state files (allocations, local delivery) and sysctl access.

#include <string>
#include <string_view>

#include "vipd/common/result.hpp"

namespace vipd::file {

// The whole file, or the errno of the failure (ENOENT: it does not exist).
Result<std::string, int> read_all(const std::string& path);

// write(2) until done; EINTR is retried. False with errno set on failure.
bool write_all(int fd, std::string_view data);

// Replaces `path` with `text` so a crash leaves either the old or the new file: a temporary file in
// the same directory (created if needed), fsync, rename, fsync of the directory. Errors name the path.
Result<void, std::string> write_atomically(const std::string& path, std::string_view text,
                                           unsigned mode = 0644);

}  // namespace vipd::file
