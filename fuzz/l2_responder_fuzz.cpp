// Responder::handle() on arbitrary bytes with a few bindings: never crashes, never writes more
// than the reply buffer, and a reply is always a frame that parses.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "vipd/l2/responder.hpp"

namespace {

vipd::l2::Responder& responder() {
  static vipd::l2::Responder r = [] {
    using vipd::net::IpAddress;
    vipd::l2::Responder x;
    // MACs and addresses of the seed corpus (the golden frames): link 1 owns what they ask for.
    x.set_links({{1, {0x02, 0x44, 0x00, 0x00, 0x00, 0x0b}}, {2, {0x02, 0x44, 0x00, 0x00, 0x01, 0x0b}}});
    x.set_bindings({{1, *IpAddress::parse("10.44.0.11")},
                    {1, *IpAddress::parse("fd44::b")},
                    {2, *IpAddress::parse("10.44.0.12")},
                    {1, *IpAddress::parse("fd44::c")}});
    return x;
  }();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vipd::l2;
  // The first byte picks the ingress link (0..3: unknown, 1, 2, unknown) and the reply buffer size,
  // so both "buffer too small" and unknown links are explored.
  if (size == 0) return 0;
  const int ifindex = data[0] & 3;
  const std::size_t capacity = (data[0] & 0x80) ? (data[0] & 0x7f) : max_frame_size;
  std::uint8_t buffer[max_frame_size + 16];
  constexpr std::uint8_t canary = 0xa5;
  for (auto& b : buffer) b = canary;
  const Outcome o = responder().handle(ifindex, std::span(data + 1, size - 1), std::span(buffer, capacity));
  if (o.reply_size > capacity) std::abort();
  for (std::size_t i = capacity; i < sizeof(buffer); ++i)
    if (buffer[i] != canary) std::abort();
  const bool replied = o.action == Action::reply || o.action == Action::reply_and_conflict;
  if (replied != (o.reply_size != 0)) std::abort();
  if (replied && !parse_frame(std::span(buffer, o.reply_size))) std::abort();
  return 0;
}
