#pragma once
// What the L2 plane needs from one link's packet handle, behind a small interface (openr's
// IoProvider, style item 11): the daemon opens real libpcap handles (PacketIoFactory in
// packet_io.hpp), unit tests open fakes that record what was sent and joined.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "vipd/common/result.hpp"
#include "vipd/netlink/snapshot.hpp"

namespace vipd::l2 {

// Called for every frame that passed the handle's filter, on the loop's thread. The span is valid
// only during the call. The handler may close the handle.
using FrameHandler = std::function<void(int ifindex, std::span<const std::uint8_t> frame)>;

struct LinkStats {
  std::uint64_t received = 0;      // frames handed to the handler
  std::uint64_t sent = 0;          // frames sent
  std::uint64_t send_errors = 0;   // failed sends
  std::uint64_t kernel_drops = 0;  // frames the kernel dropped because the ring was full
};

class LinkIo {  // one open handle on one link
 public:
  virtual ~LinkIo() = default;  // leaves the multicast groups and closes the handle

  // Sends one complete Ethernet frame.
  virtual Result<void, std::string> send(std::span<const std::uint8_t> frame) = 0;
  // Multicast membership, ref-counted per group; leaving a group not joined is an error.
  virtual Result<void, std::string> join_multicast(const netlink::MacAddress& group) = 0;
  virtual Result<void, std::string> leave_multicast(const netlink::MacAddress& group) = 0;
  // False once the handle stopped reading (it then calls on_read_stopped once, see below).
  virtual bool reading() const = 0;
  virtual LinkStats stats() const = 0;
  virtual const std::string& name() const = 0;
  virtual int ifindex() const = 0;
};

class LinkIoFactory {
 public:
  virtual ~LinkIoFactory() = default;
  // Opens the link `name` (index `ifindex`) and starts reading into `on_frame`. `on_read_stopped`
  // runs once, later on the loop (never from inside the caller's stack), if the handle stops
  // reading after repeated read errors: the owner should close it and reopen. Fails with a message
  // naming the interface.
  virtual Result<std::unique_ptr<LinkIo>, std::string> open(int ifindex, const std::string& name,
                                                            FrameHandler on_frame,
                                                            std::function<void()> on_read_stopped) = 0;
};

}  // namespace vipd::l2
