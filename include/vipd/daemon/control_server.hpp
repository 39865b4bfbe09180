#pragma once
// The control socket behind `vipctl`: a Unix stream socket carrying newline-delimited JSON, one
// request line in, one response line out. Every client is bounded in line size, time and count so
// garbage, huge lines, slow or numerous clients never block or crash the daemon's loop.

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "vipd/common/result.hpp"

namespace vipd::daemon {

struct ControlOptions {
  std::string path = "/run/vipd/vipd.sock";
  unsigned mode = 0660;
  std::string group = "vipd";                              // applied if the group exists, else skipped
  std::size_t max_request_bytes = std::size_t{64} * 1024;  // longer line -> error response, connection closed
  std::chrono::milliseconds request_timeout{5000};  // no full line (or response not taken) in time -> closed
  std::size_t max_clients = 32;                     // more -> accepted, answered with an error, closed
};

class ControlServer {
 public:
  // Runs on the io_context thread; returns the response object (an "ok" key is added when missing).
  // An exception escaping it becomes {"ok":false,"error":...}, never a crash of the loop.
  using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;

  ControlServer(boost::asio::io_context& io, ControlOptions options, Handler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Creates the parent directory if missing, removes a stale socket file (refuses when another
  // process still listens on it or the path is not a socket), binds, applies mode and group, listens.
  Result<void, std::string> start();
  // Closes the listener and every client, unlinks the socket file. Idempotent.
  void stop();

  const ControlOptions& options() const { return options_; }
  // Connections currently open (for tests and status).
  std::size_t client_count() const;

 private:
  class Connection;
  void accept_next();
  void reject(boost::asio::local::stream_protocol::socket socket);

  boost::asio::io_context& io_;
  ControlOptions options_;
  Handler handler_;
  std::unique_ptr<boost::asio::local::stream_protocol::acceptor> acceptor_;
  std::unique_ptr<boost::asio::steady_timer> retry_timer_;
  std::set<std::shared_ptr<Connection>> connections_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(false);  // pending accept handlers check it
  bool listening_ = false;
};

// Parses one request line (without its newline): a JSON object with a string "command".
// Errors are values with a message for the client.
Result<nlohmann::json, std::string> parse_request(std::string_view line);

// The one-line wire form of a response (invalid UTF-8 replaced, never throws), newline included.
std::string serialize_response(const nlohmann::json& response);

// {"ok":false,"error":message}
nlohmann::json error_response(std::string_view message);

}  // namespace vipd::daemon
