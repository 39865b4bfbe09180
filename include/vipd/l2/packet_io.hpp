#pragma once
// Packet I/O adapter for one link: a libpcap handle (immediate mode, inbound only, a BPF filter
// passing only ARP and ICMPv6 NS/NA) whose selectable fd lives in the Asio loop. Reads are drained
// in batches with pcap_dispatch and handed to the caller as spans into pcap's ring (no allocation
// per packet); sends go out with pcap_inject, except that replies sent from the handler leave with
// one sendmmsg per batch. Multicast membership (solicited-node groups of owned IPv6 VIPs) is a
// packet-socket membership on this handle, ref-counted per group; past Options::allmulti_threshold
// groups the handle switches to one all-multicast membership instead.
// Not thread-safe: use it from the io_context's thread, and destroy it before the io_context.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include <boost/asio/io_context.hpp>

#include "vipd/common/result.hpp"
#include "vipd/l2/link_io.hpp"
#include "vipd/netlink/snapshot.hpp"

namespace vipd::l2 {

struct PacketIoState;  // shared with in-flight handlers, so closing mid-dispatch is safe

class PacketIo final : public LinkIo {  // one per selected link
 public:
  // Called for every frame that passed the filter, on the io_context's thread. The span points into
  // pcap's buffer and is valid only during the call. The handler may destroy this PacketIo.
  using FrameHandler = l2::FrameHandler;

  struct Options {
    int snaplen = 256;  // an NS with options is 86 bytes; leaves room for VLAN tags
    // Kernel ring: ~11,000 frames of slack at snaplen 256, for flat-out bursts (bench/l2_bench.sh:
    // with batched replies, 1 MiB lost more flat out; bench/README.md). The kernel maps the whole
    // ring into the process at open, so it counts in VmRSS in full from the start (4 MiB of 13.9 MiB
    // with 2 VIPs).
    int buffer_bytes = 4 << 20;
    int max_batches_per_turn = 16;  // x 64 frames, then yield to other handlers of the loop
    // More distinct groups than this and the handle holds one PACKET_MR_ALLMULTI membership instead
    // of one per group: the kernel keeps a packet socket's memberships in a linear list, so 50,000
    // per-group joins took ~18 s at startup (bench/README.md). The BPF filter still passes only ARP and
    // NS/NA. Back to per-group memberships once the count falls to half of it.
    std::size_t allmulti_threshold = 64;
  };

  // Opens the link `name` (whose index must be `ifindex` in the calling thread's network namespace)
  // and starts reading into `on_frame`. Fails with a message naming the interface.
  static Result<std::unique_ptr<PacketIo>, std::string> open(boost::asio::io_context& io, int ifindex,
                                                             const std::string& name, FrameHandler on_frame);
  static Result<std::unique_ptr<PacketIo>, std::string> open(boost::asio::io_context& io, int ifindex,
                                                             const std::string& name, FrameHandler on_frame,
                                                             const Options& options);
  // As above; `on_read_stopped` is posted to the io_context (never called from inside the handle's
  // own handlers) once reading stops after repeated read errors, unless the handle is closed first.
  static Result<std::unique_ptr<PacketIo>, std::string> open(boost::asio::io_context& io, int ifindex,
                                                             const std::string& name, FrameHandler on_frame,
                                                             std::function<void()> on_read_stopped,
                                                             const Options& options);

  // Sends one complete Ethernet frame (pcap_inject). Called from the frame handler, the frame is
  // copied and queued instead, and the batch's frames go out with one sendmmsg when the handler has
  // seen the whole pcap_dispatch batch (one syscall per batch, not per reply); failures there are
  // logged and counted in Stats::send_errors.
  Result<void, std::string> send(std::span<const std::uint8_t> frame) override;

  // PACKET_ADD_MEMBERSHIP / PACKET_DROP_MEMBERSHIP of a multicast MAC, ref-counted per group: the
  // socket joins on the first join and leaves on the last leave (or, in all-multicast mode, only
  // counts). Leaving a group not joined is an error.
  Result<void, std::string> join_multicast(const netlink::MacAddress& group) override;
  Result<void, std::string> leave_multicast(const netlink::MacAddress& group) override;
  // Current reference count of a group (0 = not joined).
  int multicast_refs(const netlink::MacAddress& group) const;
  // True while the handle holds the all-multicast membership (more than allmulti_threshold groups).
  bool all_multicast() const;

  using Stats = LinkStats;  // sent: frames injected; send_errors: pcap_inject/sendmmsg failures
  Stats stats() const override;

  // False once reading stopped after repeated read errors (e.g. the interface disappeared); the
  // owner should close and, if the link is still selected, reopen (on_read_stopped tells it).
  bool reading() const override;

  int ifindex() const override;
  const std::string& name() const override;

  ~PacketIo() override;  // cancels the async wait, leaves the multicast groups, closes the handle
  PacketIo(const PacketIo&) = delete;
  PacketIo& operator=(const PacketIo&) = delete;

 private:
  explicit PacketIo(std::shared_ptr<PacketIoState> state);
  std::shared_ptr<PacketIoState> state_;
};

// The real LinkIoFactory: PacketIo handles on one io_context.
class PacketIoFactory final : public LinkIoFactory {
 public:
  explicit PacketIoFactory(boost::asio::io_context& io, PacketIo::Options options = {})
      : io_(io), options_(options) {}
  Result<std::unique_ptr<LinkIo>, std::string> open(int ifindex, const std::string& name,
                                                    FrameHandler on_frame,
                                                    std::function<void()> on_read_stopped) override;

 private:
  boost::asio::io_context& io_;
  PacketIo::Options options_;
};

}  // namespace vipd::l2
