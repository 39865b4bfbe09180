#pragma once
// One request/response exchange with vipd's control socket (newline-delimited JSON).

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "vipd/common/result.hpp"

namespace vipd::vipctl {

struct ClientError {
  enum class Kind { connect, protocol } kind;  // protocol: timeout, closed early, not JSON
  std::string message;                         // names the socket path
};

// Connects to `socket_path`, sends `request` as one line and returns the response object.
Result<nlohmann::json, ClientError> exchange(const std::string& socket_path, const nlohmann::json& request,
                                             std::chrono::milliseconds timeout);

}  // namespace vipd::vipctl
