// parse_update() on an arbitrary UPDATE body. The first input byte picks the context (bit 0:
// 4-octet AS session), the rest is the body. Must never crash; an UPDATE that parses without RFC
// 7606 errors must re-encode and parse back to the same value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "vipd/bgp/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vipd::bgp;
  if (size == 0) return 0;
  const DecodeContext ctx{(data[0] & 1) != 0};
  const auto parsed = parse_update(std::span(data + 1, size - 1), ctx);
  if (!parsed) return 0;
  (void)parsed->treat_as_withdraw();
  (void)parsed->end_of_rib();
  if (!parsed->errors.empty()) return 0;
  const auto bytes = build_update(parsed.value(), ctx);
  if (!bytes) return 0;  // the body was longer than a message may be
  const auto again = parse_message(*bytes, ctx);
  if (!again || !(std::get<UpdateMessage>(again.value()) == parsed.value())) std::abort();
  return 0;
}
