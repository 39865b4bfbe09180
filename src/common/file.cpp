#include "vipd/common/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace vipd::file {

Result<std::string, int> read_all(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return unexpected(errno);
  std::string text;
  char chunk[8192];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return unexpected(err);
    }
    text.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

bool write_all(int fd, std::string_view data) {
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return true;
}

Result<void, std::string> write_atomically(const std::string& path, std::string_view text, unsigned mode) {
  namespace fs = std::filesystem;
  const auto directory = fs::path(path).parent_path().string();
  std::error_code ec;
  if (!directory.empty()) fs::create_directories(directory, ec);
  if (ec) return unexpected("cannot create directory " + directory + ": " + ec.message());

  std::string temp = path + ".tmpXXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) return unexpected("cannot create " + temp + ": " + std::strerror(errno));
  const auto fail = [&](const std::string& what) {
    const int err = errno;
    ::unlink(temp.c_str());
    return unexpected(what + ": " + std::strerror(err));
  };
  if (::fchmod(fd, mode) != 0 || !write_all(fd, text) || ::fsync(fd) != 0) {
    auto error = fail("cannot write " + temp);
    ::close(fd);
    return error;
  }
  if (::close(fd) != 0) return fail("cannot close " + temp);
  if (::rename(temp.c_str(), path.c_str()) != 0)
    return fail("cannot rename to " + path + " (from " + temp + ")");
  // The rename is durable only once the directory entry is on disk.
  const int dir = ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return unexpected("cannot open directory " + directory + ": " + std::strerror(errno));
  const int rc = ::fsync(dir);
  const int err = errno;
  ::close(dir);
  if (rc != 0) return unexpected("cannot fsync directory " + directory + ": " + std::strerror(err));
  return {};
}

}  // namespace vipd::file
