// parse_notification() on an arbitrary NOTIFICATION body, plus the RFC 8203 shutdown
// communication reader. Must never crash; round trip must hold.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "vipd/bgp/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vipd::bgp;
  const auto parsed = parse_notification(std::span(data, size));
  if (!parsed) return 0;
  if (const auto text = shutdown_communication(parsed.value())) {
    // Re-encoding the text gives a shutdown communication with the same (possibly cut) text.
    const auto n = shutdown_notification(*text, parsed->subcode);
    const auto back = shutdown_communication(n);
    if (!back || std::string_view(*text).substr(0, back->size()) != *back) std::abort();
  }
  if (size + header_size > max_message_size) return 0;
  const auto again = parse_message(build_notification(parsed.value()));
  if (!again || !(std::get<NotificationMessage>(again.value()) == parsed.value())) std::abort();
  return 0;
}
