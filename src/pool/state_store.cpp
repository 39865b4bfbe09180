#include "vipd/pool/state_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace vipd::pool {

namespace {

constexpr int kVersion = 1;

std::string errno_text(int err) {
  return std::strerror(err);
}

// write(2) until done; EINTR is retried.
bool write_all(int fd, const std::string& data) {
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

}  // namespace

StateStore::Loaded parse_state(std::string_view text, const std::string& origin) {
  StateStore::Loaded out;
  const auto corrupt = [&](const std::string& why) {
    out.state.allocations.clear();
    out.warnings.push_back("state file " + origin + " is corrupt (" + why +
                           "); starting without previous allocations (the file will be rebuilt)");
    return out;
  };
  const auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return corrupt("not valid JSON");
  if (!doc.is_object()) return corrupt("expected a JSON object");
  const auto version = doc.find("version");
  if (version == doc.end() || !version->is_number_integer() || version->get<std::int64_t>() != kVersion)
    return corrupt("expected \"version\": " + std::to_string(kVersion));
  const auto allocations = doc.find("allocations");
  if (allocations == doc.end() || !allocations->is_object())
    return corrupt("expected an \"allocations\" object");

  for (const auto& [name, value] : allocations->items()) {
    std::optional<net::IpAddress> a;
    if (value.is_string()) a = net::IpAddress::parse(value.get_ref<const std::string&>());
    if (!a || name.empty()) {
      // Quote a string value (shortened); name only the type of anything else (it may be huge).
      std::string shown = value.is_string() ? "\"" + value.get_ref<const std::string&>().substr(0, 64) + "\""
                                            : std::string("a JSON ") + value.type_name();
      out.warnings.push_back("state file " + origin + ": entry \"" + name.substr(0, 64) + "\": " + shown +
                             " is not a service name and an IP address; entry dropped");
      continue;
    }
    out.state.allocations.emplace(name, *a);
  }
  return out;
}

std::string format_state(const State& state) {
  nlohmann::json doc;
  doc["version"] = kVersion;
  doc["allocations"] = nlohmann::json::object();
  for (const auto& [name, a] : state.allocations) doc["allocations"][name] = a.to_string();
  // Non-UTF-8 service names are replaced rather than thrown on: names come from YAML, which is UTF-8.
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

StateStore::StateStore(std::string directory) : directory_(std::move(directory)) {}

std::string StateStore::path() const {
  return (std::filesystem::path(directory_) / file_name).string();
}

StateStore::Loaded StateStore::load() const {
  Loaded out;
  const std::string file = path();
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return out;  // first start: nothing allocated yet
    out.warnings.push_back("cannot read state file " + file + ": " + errno_text(errno) +
                           "; starting without previous allocations (the file will be rebuilt)");
    return out;
  }
  std::string text;
  char chunk[8192];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      out.warnings.push_back("cannot read state file " + file + ": " + errno_text(err) +
                             "; starting without previous allocations (the file will be rebuilt)");
      return out;
    }
    text.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);

  return parse_state(text, file);
}

Result<void, std::string> StateStore::save(const State& state) const {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(directory_, ec);
  if (ec) return unexpected("cannot create state directory " + directory_ + ": " + ec.message());

  const std::string text = format_state(state);

  const std::string target = path();
  std::string temp = target + ".tmpXXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) return unexpected("cannot create " + temp + ": " + errno_text(errno));
  const auto fail = [&](const std::string& what) {
    const int err = errno;
    ::unlink(temp.c_str());
    return unexpected(what + " " + temp + ": " + errno_text(err));
  };
  // Readable by operators (vipctl, debugging); nothing secret in it.
  if (::fchmod(fd, 0644) != 0 || !write_all(fd, text) || ::fsync(fd) != 0) {
    auto e = fail("cannot write");
    ::close(fd);
    return e;
  }
  if (::close(fd) != 0) return fail("cannot close");
  if (::rename(temp.c_str(), target.c_str()) != 0) return fail("cannot rename to " + target + ":");
  // The rename is durable only once the directory entry is on disk.
  const int dir = ::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return unexpected("cannot open state directory " + directory_ + ": " + errno_text(errno));
  const int rc = ::fsync(dir);
  const int err = errno;
  ::close(dir);
  if (rc != 0) return unexpected("cannot fsync state directory " + directory_ + ": " + errno_text(err));
  return {};
}

}  // namespace vipd::pool
