// parse_open() on an arbitrary OPEN body (the bytes after the 19-byte header): must never crash or
// read out of bounds. Whatever parses must survive build_open/parse with the same value, and
// negotiate() must accept or refuse it without crashing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "vipd/bgp/codec.hpp"
#include "vipd/bgp/fsm.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vipd::bgp;
  const auto parsed = parse_open(std::span(data, size));
  if (!parsed) return 0;
  const auto again = parse_message(build_open(parsed.value()));
  if (!again || !(std::get<OpenMessage>(again.value()) == parsed.value())) std::abort();
  LocalConfig local;
  local.local_asn = 64512;
  local.peer_asn = parsed->effective_as();
  local.router_id = 1;
  local.required_capabilities = {1, 2, 64, 65, 73};
  (void)negotiate(local, parsed.value());
  return 0;
}
