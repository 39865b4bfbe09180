#include "vipctl/client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vipd::vipctl {

namespace {

// Larger responses than this are a broken daemon, not a status worth printing.
constexpr std::size_t max_response_bytes = std::size_t{64} * 1024 * 1024;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

ClientError protocol_error(const std::string& path, const std::string& what) {
  return {ClientError::Kind::protocol, "vipd at " + path + ": " + what};
}

}  // namespace

Result<nlohmann::json, ClientError> exchange(const std::string& socket_path, const nlohmann::json& request,
                                             std::chrono::milliseconds timeout) {
  sockaddr_un addr{};
  if (socket_path.empty() || socket_path.size() >= sizeof(addr.sun_path))
    return unexpected(
        ClientError{ClientError::Kind::connect, "cannot connect to " + socket_path + ": path too long"});
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0)
    return unexpected(
        ClientError{ClientError::Kind::connect, std::string("socket: ") + std::strerror(errno)});
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    return unexpected(ClientError{
        ClientError::Kind::connect,
        "cannot connect to vipd at " + socket_path + ": " + std::strerror(err) + " (is vipd running?)"});
  }

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto wait = [&](short events) -> bool {
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd.get(), events, 0};
      const int r = ::poll(&p, 1, static_cast<int>(left.count()));
      if (r > 0) return true;
      if (r < 0 && errno != EINTR) return false;
    }
  };

  std::string line = request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line.push_back('\n');
  std::size_t sent = 0;
  while (sent < line.size()) {
    if (!wait(POLLOUT)) return unexpected(protocol_error(socket_path, "timed out sending the request"));
    const ssize_t n = ::send(fd.get(), line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return unexpected(protocol_error(socket_path, std::string("send: ") + std::strerror(errno)));
    }
    sent += static_cast<std::size_t>(n);
  }

  std::string response;
  char buf[65536];
  for (;;) {
    const auto newline = response.find('\n');
    if (newline != std::string::npos) {
      response.resize(newline);
      break;
    }
    if (response.size() > max_response_bytes)
      return unexpected(protocol_error(socket_path, "response too large"));
    if (!wait(POLLIN)) return unexpected(protocol_error(socket_path, "timed out waiting for the response"));
    const ssize_t n = ::recv(fd.get(), buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return unexpected(protocol_error(socket_path, std::string("recv: ") + std::strerror(errno)));
    }
    if (n == 0) {
      if (response.empty())
        return unexpected(protocol_error(socket_path, "closed the connection without a response"));
      break;  // tolerate a last line without its newline
    }
    response.append(buf, static_cast<std::size_t>(n));
  }

  auto parsed = nlohmann::json::parse(response, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object())
    return unexpected(protocol_error(socket_path, "response is not a JSON object"));
  return parsed;
}

}  // namespace vipd::vipctl
