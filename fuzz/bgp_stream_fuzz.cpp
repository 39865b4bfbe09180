// The whole receive path on an arbitrary TCP byte stream: the input is cut into chunks whose sizes
// come from the input itself (first byte = seed), fed to next_frame() as a session would, and
// every frame is decoded. The same stream is also fed to an Established Fsm. Must never crash;
// the framer must yield the same messages whatever the chunking.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "vipd/bgp/codec.hpp"
#include "vipd/bgp/fsm.hpp"

namespace {

using namespace vipd::bgp;

// Frames `stream` delivered in chunks; returns the frames' sizes (and -1 for an error).
std::vector<long> frame_all(std::span<const std::uint8_t> stream, std::uint8_t seed, Fsm* fsm) {
  std::vector<long> sizes;
  Bytes buffer;
  std::size_t pos = 0;
  std::uint32_t state = seed * 2654435761u + 1;
  while (pos < stream.size()) {
    state = state * 1103515245u + 12345u;
    const std::size_t chunk = std::min<std::size_t>(stream.size() - pos, 1 + (state >> 16) % 64);
    buffer.insert(buffer.end(), stream.begin() + static_cast<std::ptrdiff_t>(pos),
                  stream.begin() + static_cast<std::ptrdiff_t>(pos + chunk));
    pos += chunk;
    for (;;) {
      const auto frame = next_frame(buffer);
      if (!frame) {
        sizes.push_back(-1);
        return sizes;
      }
      if (!frame.value()) break;
      const auto size = frame.value()->message.size();
      (void)parse_message(*frame.value(), DecodeContext{(seed & 1) != 0});
      if (fsm) (void)fsm->receive(frame.value()->message, TimePoint{});
      sizes.push_back(static_cast<long>(size));
      buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(size));
    }
  }
  return sizes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto stream = std::span(data + 1, size - 1);
  FsmConfig config;
  config.local.local_asn = 64512;
  config.local.peer_asn = 64512;
  config.local.router_id = 1;
  Fsm fsm(config);
  fsm.handle(Event::manual_start, TimePoint{});
  fsm.handle(Event::tcp_connected, TimePoint{});
  const auto a = frame_all(stream, data[0], &fsm);
  const auto b = frame_all(stream, static_cast<std::uint8_t>(data[0] ^ 0x5a), nullptr);
  // An error can only be found earlier or later within the same chunk boundaries; the frames
  // before it must agree.
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i)
    if (a[i] != b[i] && a[i] != -1 && b[i] != -1) std::abort();
  return 0;
}
