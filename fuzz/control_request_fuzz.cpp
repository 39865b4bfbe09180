// Fuzz target: arbitrary bytes as one control socket request line. parse_request must never crash,
// hang or throw; whatever it accepts is an object with a string "command"; every response the
// server could build from it serializes to exactly one line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "vipd/daemon/control_server.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  auto r = vipd::daemon::parse_request(line);
  nlohmann::json response;
  if (r.ok()) {
    const auto& request = *r;
    if (!request.is_object() || !request.contains("command") || !request["command"].is_string()) std::abort();
    response = {{"ok", true}, {"echo", request}};  // the request's strings flow back to the client
  } else {
    response = vipd::daemon::error_response(r.error());
  }
  const std::string wire = vipd::daemon::serialize_response(response);
  if (wire.empty() || wire.back() != '\n' || wire.find('\n') != wire.size() - 1) std::abort();
  return 0;
}
