// parse_frame() on arbitrary bytes: must never crash or read out of bounds. Whatever parses must
// survive a write/parse round trip with the same decoded fields.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "vipd/l2/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vipd::l2;
  const auto parsed = parse_frame(std::span(data, size));
  if (!parsed) {
    (void)to_string(parsed.error());
    return 0;
  }
  const ParsedFrame& f = parsed.value();
  std::uint8_t out[max_frame_size];
  if (f.kind == FrameKind::arp) {
    const std::size_t n = write_arp_frame(out, f.ethernet.destination, f.ethernet.source, f.arp);
    const auto again = parse_frame(std::span(out, n));
    if (!again || again->arp.target_ip != f.arp.target_ip || again->arp.sender_mac != f.arp.sender_mac ||
        again->arp.op != f.arp.op)
      std::abort();
  } else {
    const std::size_t n = write_nd_frame(out, f.ethernet.destination, f.ethernet.source, f.nd);
    if (n == 0 || n > sizeof(out)) std::abort();
    // Options other than the one written are dropped, so an NS with both LL options or a DAD NS
    // re-encoded may differ; the target and type always survive.
    const auto again = parse_frame(std::span(out, n));
    if (again && (again->nd.target != f.nd.target || again->kind != f.kind)) std::abort();
  }
  return 0;
}
