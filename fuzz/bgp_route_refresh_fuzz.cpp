// parse_route_refresh() on an arbitrary ROUTE-REFRESH body. Must never crash; round trip must hold.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "vipd/bgp/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vipd::bgp;
  const auto parsed = parse_route_refresh(std::span(data, size));
  if (!parsed) return 0;
  const auto again = parse_message(build_route_refresh(parsed.value()));
  if (!again || !(std::get<RouteRefreshMessage>(again.value()) == parsed.value())) std::abort();
  return 0;
}
