#include "vipd/daemon/control_server.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <vector>

#include "vipd/common/log.hpp"

namespace vipd::daemon {

namespace asio = boost::asio;
using Stream = asio::local::stream_protocol;

namespace {

std::shared_ptr<spdlog::logger> logger() {
  return log::get("control");
}

void set_cloexec(int fd) {
  const int flags = ::fcntl(fd, F_GETFD);
  if (flags >= 0) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

// Sends a last line without ever waiting: used right before closing a client we give up on, whose
// socket buffer may be full. Losing the line is acceptable; blocking the loop is not.
void send_best_effort(Stream::socket& socket, const nlohmann::json& response) {
  const std::string line = serialize_response(response);
  boost::system::error_code ec;
  socket.non_blocking(true, ec);
  if (!ec) socket.write_some(asio::buffer(line), ec);
}

// True when something accepts connections on `path` right now (a live daemon, not a stale file).
bool socket_is_live(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());  // length checked by the caller
  const bool live = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return live;
}

std::string errno_text(int err) {
  return std::strerror(err);
}

}  // namespace

Result<nlohmann::json, std::string> parse_request(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // tolerate CRLF clients (nc -C)
  if (line.find_first_not_of(" \t") == std::string_view::npos)
    return unexpected(std::string("empty request"));
  nlohmann::json request;
  try {
    request = nlohmann::json::parse(line.begin(), line.end());
  } catch (const nlohmann::json::exception& e) {
    return unexpected(std::string("invalid JSON: ") + e.what());
  }
  if (!request.is_object()) return unexpected(std::string("request must be a JSON object"));
  const auto command = request.find("command");
  if (command == request.end()) return unexpected(std::string("request has no \"command\""));
  if (!command->is_string()) return unexpected(std::string("\"command\" must be a string"));
  return request;
}

std::string serialize_response(const nlohmann::json& response) {
  // replace: a VIP name or error text with invalid UTF-8 must not make dump() throw.
  std::string line = response.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line.push_back('\n');
  return line;
}

nlohmann::json error_response(std::string_view message) {
  return nlohmann::json{{"ok", false}, {"error", std::string(message)}};
}

// One client: read a line (bounded in size and time), run the handler, write the response line
// (bounded in time), repeat until the client closes or breaks a limit.
class ControlServer::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(ControlServer& server, Stream::socket socket)
      : server_(&server), socket_(std::move(socket)), timer_(socket_.get_executor()) {}

  void start() { read_next(); }

  // Called by the server: no handler may touch the server after this.
  void close() {
    if (closed_) return;
    closed_ = true;
    server_ = nullptr;
    boost::system::error_code ec;
    timer_.cancel();
    socket_.shutdown(Stream::socket::shutdown_both, ec);
    socket_.close(ec);
  }

 private:
  void arm_deadline() {
    timer_.expires_after(server_->options_.request_timeout);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->closed_) return;
      // Mid-response the client just is not reading: another line would only interleave with it.
      if (!self->writing_) send_best_effort(self->socket_, error_response("request timed out"));
      self->finish();
    });
  }

  void read_next() {
    arm_deadline();
    // +1: the limit counts the request, not its newline.
    asio::async_read_until(socket_, asio::dynamic_buffer(in_, server_->options_.max_request_bytes + 1), '\n',
                           [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                             self->on_line(ec, n);
                           });
  }

  void on_line(const boost::system::error_code& ec, std::size_t n) {
    if (closed_) return;
    if (ec == asio::error::not_found) {  // buffer full without a newline
      send_best_effort(socket_,
                       error_response("request longer than " +
                                      std::to_string(server_->options_.max_request_bytes) + " bytes"));
      finish();
      return;
    }
    if (ec) {  // EOF, reset, or closed by the deadline
      finish();
      return;
    }
    const std::string_view line(in_.data(), n - 1);
    nlohmann::json response = respond(line);
    in_.erase(0, n);  // keeps any pipelined next request
    out_ = serialize_response(response);
    arm_deadline();  // a client that never reads its response is a slow client too
    writing_ = true;
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this()](const boost::system::error_code& wec, std::size_t) {
                        self->writing_ = false;
                        if (self->closed_) return;
                        if (wec) {
                          self->finish();
                          return;
                        }
                        self->read_next();
                      });
  }

  nlohmann::json respond(std::string_view line) {
    auto request = parse_request(line);
    if (!request) return error_response(request.error());
    try {
      nlohmann::json response = server_->handler_(*request);
      if (!response.is_object()) return error_response("internal error: handler returned no object");
      if (!response.contains("ok")) response["ok"] = true;
      return response;
    } catch (const std::exception& e) {
      logger()->error("command {} failed: {}", (*request)["command"].get<std::string>(), e.what());
      return error_response(std::string("internal error: ") + e.what());
    }
  }

  // The connection ends on its own: drop it from the server.
  void finish() {
    if (closed_) return;
    ControlServer* server = server_;
    auto self = shared_from_this();
    close();
    server->connections_.erase(self);
  }

  ControlServer* server_;
  Stream::socket socket_;
  asio::steady_timer timer_;
  std::string in_;
  std::string out_;
  bool writing_ = false;
  bool closed_ = false;
};

ControlServer::ControlServer(asio::io_context& io, ControlOptions options, Handler handler)
    : io_(io), options_(std::move(options)), handler_(std::move(handler)) {}

ControlServer::~ControlServer() {
  // stop() throws only if Asio fails to cancel a timer, and a destructor must not throw: at teardown
  // there is nothing better to do than to go on.
  try {
    stop();
  } catch (...) {
  }
}

std::size_t ControlServer::client_count() const {
  return connections_.size();
}

Result<void, std::string> ControlServer::start() {
  if (listening_) return {};
  const std::string& path = options_.path;
  if (path.empty() || path.size() >= sizeof(sockaddr_un{}.sun_path))
    return unexpected("control socket " + path + ": path empty or longer than " +
                      std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes");

  std::error_code fec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, fec);
  if (fec)
    return unexpected("control socket " + path + ": cannot create " + parent.string() + ": " + fec.message());

  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return unexpected("control socket " + path + ": exists and is not a socket");
    if (socket_is_live(path))
      return unexpected("control socket " + path + ": another process is listening on it");
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return unexpected("control socket " + path + ": cannot remove stale socket: " + errno_text(errno));
  }

  auto acceptor = std::make_unique<Stream::acceptor>(io_);
  boost::system::error_code ec;
  acceptor->open(Stream(), ec);
  if (ec) return unexpected("control socket " + path + ": " + ec.message());
  set_cloexec(acceptor->native_handle());
  acceptor->bind(Stream::endpoint(path), ec);
  if (ec) return unexpected("control socket " + path + ": bind: " + ec.message());
  // Mode and group before listen(): nobody can connect while the permissions are still the umask's.
  if (::chmod(path.c_str(), static_cast<mode_t>(options_.mode)) != 0) {
    const int err = errno;
    ::unlink(path.c_str());
    return unexpected("control socket " + path + ": chmod: " + errno_text(err));
  }
  if (!options_.group.empty()) {
    std::vector<char> buf(16384);
    group grp{};
    group* found = nullptr;
    if (::getgrnam_r(options_.group.c_str(), &grp, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
      if (::chown(path.c_str(), static_cast<uid_t>(-1), found->gr_gid) != 0)
        logger()->warn("{}: cannot give group {}: {}", path, options_.group, errno_text(errno));
    } else {
      logger()->debug("{}: group {} does not exist, keeping the default group", path, options_.group);
    }
  }
  acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    ::unlink(path.c_str());
    return unexpected("control socket " + path + ": listen: " + ec.message());
  }
  acceptor_ = std::move(acceptor);
  listening_ = true;
  alive_ = std::make_shared<bool>(true);
  accept_next();
  logger()->info("listening on {}", path);
  return {};
}

void ControlServer::accept_next() {
  acceptor_->async_accept([this, alive = alive_](const boost::system::error_code& ec, Stream::socket socket) {
    if (!*alive) return;  // stopped (or destroyed): `this` must not be touched
    if (ec) {
      // EMFILE and friends: retry a little later instead of spinning on the loop.
      logger()->warn("accept on {}: {}", options_.path, ec.message());
      retry_timer_ = std::make_unique<asio::steady_timer>(io_, std::chrono::milliseconds(100));
      retry_timer_->async_wait([this, alive](const boost::system::error_code& tec) {
        if (!tec && *alive) accept_next();
      });
      return;
    }
    set_cloexec(socket.native_handle());
    if (connections_.size() >= options_.max_clients) {
      reject(std::move(socket));
    } else {
      auto connection = std::make_shared<Connection>(*this, std::move(socket));
      connections_.insert(connection);
      connection->start();
    }
    accept_next();
  });
}

void ControlServer::reject(Stream::socket socket) {
  logger()->warn("{} clients connected already, rejecting one more", connections_.size());
  send_best_effort(socket,
                   error_response("too many clients (limit " + std::to_string(options_.max_clients) + ")"));
  boost::system::error_code ec;
  socket.close(ec);
}

void ControlServer::stop() {
  if (!listening_) return;
  listening_ = false;
  *alive_ = false;
  boost::system::error_code ec;
  acceptor_->close(ec);
  if (retry_timer_) retry_timer_->cancel();
  for (const auto& connection : connections_) connection->close();
  connections_.clear();
  ::unlink(options_.path.c_str());
}

}  // namespace vipd::daemon
