#include "vipd/l2/packet_io.hpp"

#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <exception>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>

#include "vipd/common/log.hpp"
#include "vipd/l2/codec.hpp"

namespace vipd::l2 {
namespace {

// Only what the responder consumes reaches user space: ARP, and ICMPv6 NS (135) / NA (136) without
// extension headers (NDP messages never carry them in practice; the codec rejects the rest anyway).
constexpr const char* bpf_filter = "arp or (icmp6 and (ip6[40] == 135 or ip6[40] == 136))";
constexpr int batch_size = 64;
// Read errors in a row (no frame in between) before we stop reading: libpcap reports a link going
// down once and then works again, a vanished link keeps failing.
constexpr int max_consecutive_errors = 3;

std::uint64_t group_key(const netlink::MacAddress& mac) {
  std::uint64_t key = 0;
  for (auto b : mac) key = (key << 8) | b;
  return key;
}

}  // namespace

struct PacketIoState {
  PacketIoState(boost::asio::io_context& io, int ifindex, std::string name, PacketIo::FrameHandler on_frame,
                std::function<void()> on_read_stopped, PacketIo::Options options)
      : io(io),
        ifindex(ifindex),
        name(std::move(name)),
        on_frame(std::move(on_frame)),
        on_read_stopped(std::move(on_read_stopped)),
        options(options),
        descriptor(io),
        log(vipd::log::get("l2")) {}

  ~PacketIoState() {
    if (descriptor.is_open()) {
      boost::system::error_code ignored;
      descriptor.cancel(ignored);
      descriptor.release();  // pcap_close owns the fd: do not close it twice
    }
    if (pcap != nullptr) pcap_close(pcap);
  }
  PacketIoState(const PacketIoState&) = delete;
  PacketIoState& operator=(const PacketIoState&) = delete;

  boost::asio::io_context& io;
  const int ifindex;
  const std::string name;
  PacketIo::FrameHandler on_frame;
  std::function<void()> on_read_stopped;  // posted once when reading stops
  const PacketIo::Options options;
  pcap_t* pcap = nullptr;
  int fd = -1;
  boost::asio::posix::stream_descriptor descriptor;
  std::shared_ptr<spdlog::logger> log;

  bool closed = false;  // the owning PacketIo is gone; finish the current batch silently
  bool reading = true;  // false after max_consecutive_errors read errors
  int consecutive_errors = 0;
  std::unordered_map<std::uint64_t, int> groups;  // multicast MAC -> references
  bool allmulti = false;                          // one PACKET_MR_ALLMULTI membership stands for all groups
  std::uint64_t received = 0;
  std::uint64_t sent = 0;
  std::uint64_t send_errors = 0;

  // Frames sent from the handler during a pcap_dispatch batch (the replies) are queued here and go
  // out with one sendmmsg after the batch instead of one pcap_inject syscall each.
  bool dispatching = false;
  std::size_t queued = 0;
  std::array<std::array<std::uint8_t, l2::max_frame_size>, batch_size> out{};
  std::array<iovec, batch_size> iov{};
  std::array<mmsghdr, batch_size> msgs{};
};

namespace {

void arm(const std::shared_ptr<PacketIoState>& state);

// Reading stopped for good: tell the owner on a later turn of the loop (it will close this handle,
// which must not happen inside drain()'s or the wait handler's stack), unless it closed it already.
void stop_reading(const std::shared_ptr<PacketIoState>& state) {
  state->reading = false;
  if (!state->on_read_stopped) return;
  boost::asio::post(state->io, [weak = std::weak_ptr<PacketIoState>(state)] {
    // The local shared_ptr keeps the state (and the callback) alive while the owner closes the handle.
    if (auto s = weak.lock(); s && !s->closed) {
      auto callback = std::move(s->on_read_stopped);
      s->on_read_stopped = nullptr;
      callback();
    }
  });
}

// Sends the queued frames on pcap's own packet socket (what pcap_inject writes to). A frame the
// kernel refuses is counted and skipped; the rest are retried, so the loop is bounded by the queue.
void flush(PacketIoState& s) {
  std::size_t done = 0;
  std::uint64_t failed = 0;
  int last_error = 0;
  while (done < s.queued) {
    const int n = sendmmsg(s.fd, &s.msgs[done], static_cast<unsigned>(s.queued - done), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      last_error = errno;
      ++failed;
      ++done;
      continue;
    }
    for (std::size_t i = done; i < done + static_cast<std::size_t>(n); ++i) {
      if (s.msgs[i].msg_len == s.iov[i].iov_len) {
        ++s.sent;
      } else {
        ++failed;
      }
    }
    done += static_cast<std::size_t>(n);
  }
  s.queued = 0;
  if (failed > 0) {
    s.send_errors += failed;
    s.log->warn("{} (ifindex {}): {} queued frame(s) not sent: {}", s.name, s.ifindex, failed,
                last_error != 0 ? std::strerror(last_error) : "short write");
  }
}

void on_packet(u_char* user, const pcap_pkthdr* header, const u_char* bytes) {
  auto* state = reinterpret_cast<PacketIoState*>(user);
  if (state->closed) {
    pcap_breakloop(state->pcap);
    return;
  }
  ++state->received;
  try {
    state->on_frame(state->ifindex, std::span<const std::uint8_t>(bytes, header->caplen));
  } catch (const std::exception& e) {
    // Unwinding through libpcap's C frames is not an option; the handler should not throw anyway.
    state->log->error("{} (ifindex {}): frame handler threw: {}", state->name, state->ifindex, e.what());
  } catch (...) {
    state->log->error("{} (ifindex {}): frame handler threw", state->name, state->ifindex);
  }
}

// Drains the ring in batches of batch_size, then either re-arms the wait (ring empty) or posts itself
// (still busy after max_batches_per_turn) so one busy link cannot starve the rest of the loop. The
// descriptor is edge-triggered inside Asio, so the wait is re-armed only once the ring is empty.
void drain(const std::shared_ptr<PacketIoState>& state) {
  for (int batch = 0; batch < state->options.max_batches_per_turn; ++batch) {
    state->dispatching = true;
    const int n = pcap_dispatch(state->pcap, batch_size, &on_packet, reinterpret_cast<u_char*>(state.get()));
    state->dispatching = false;
    // Replies queued before a handler closed the handle still go out: the socket lives until we return.
    if (state->queued > 0) flush(*state);
    if (state->closed) return;
    if (n == 0) {
      arm(state);
      return;
    }
    if (n > 0) {
      state->consecutive_errors = 0;
      continue;
    }
    if (n == PCAP_ERROR_BREAK) continue;
    ++state->consecutive_errors;
    if (state->consecutive_errors >= max_consecutive_errors) {
      stop_reading(state);
      state->log->error("{} (ifindex {}): read failed {} times in a row, stopped reading: {}", state->name,
                        state->ifindex, state->consecutive_errors, pcap_geterr(state->pcap));
      return;
    }
    state->log->warn("{} (ifindex {}): read failed: {}", state->name, state->ifindex,
                     pcap_geterr(state->pcap));
    arm(state);
    return;
  }
  boost::asio::post(state->io, [weak = std::weak_ptr<PacketIoState>(state)] {
    if (auto s = weak.lock(); s && !s->closed) drain(s);
  });
}

void arm(const std::shared_ptr<PacketIoState>& state) {
  // A weak reference: a wait cancelled by the destructor (or still queued when the io_context dies)
  // must not keep the handle alive or touch it.
  state->descriptor.async_wait(
      boost::asio::posix::stream_descriptor::wait_read,
      [weak = std::weak_ptr<PacketIoState>(state)](const boost::system::error_code& ec) {
        auto s = weak.lock();
        if (!s || s->closed || ec == boost::asio::error::operation_aborted) return;
        if (ec) {
          stop_reading(s);
          s->log->error("{} (ifindex {}): wait failed, stopped reading: {}", s->name, s->ifindex,
                        ec.message());
          return;
        }
        drain(s);
      });
}

std::string pcap_error(const PacketIoState& state, const std::string& what, const char* detail) {
  return state.name + " (ifindex " + std::to_string(state.ifindex) + "): " + what + ": " + detail;
}

netlink::MacAddress group_mac(std::uint64_t key) {
  netlink::MacAddress mac{};
  for (auto i = mac.size(); i-- > 0; key >>= 8) mac[i] = static_cast<std::uint8_t>(key & 0xff);
  return mac;
}

// One PACKET_ADD/DROP_MEMBERSHIP: of `group` (PACKET_MR_MULTICAST) or, without one, all multicast.
Result<void, std::string> membership(PacketIoState& state, const netlink::MacAddress* group, int option) {
  packet_mreq mreq{};
  mreq.mr_ifindex = state.ifindex;
  mreq.mr_type = group != nullptr ? PACKET_MR_MULTICAST : PACKET_MR_ALLMULTI;
  if (group != nullptr) {
    mreq.mr_alen = static_cast<unsigned short>(group->size());
    std::memcpy(mreq.mr_address, group->data(), group->size());
  }
  if (setsockopt(state.fd, SOL_PACKET, option, &mreq, sizeof(mreq)) != 0) {
    const int err = errno;
    return unexpected(pcap_error(
        state,
        std::string(option == PACKET_ADD_MEMBERSHIP ? "join" : "leave") +
            (group != nullptr ? " multicast " + netlink::to_string(*group) : std::string(" all-multicast")),
        std::strerror(err)));
  }
  return {};
}

// Per-group memberships -> one all-multicast membership. The all-multicast one comes first so no
// group is unheard in between; `except` (a group just counted, never joined) is not left.
Result<void, std::string> enter_allmulti(PacketIoState& s, std::uint64_t except) {
  if (auto r = membership(s, nullptr, PACKET_ADD_MEMBERSHIP); !r) return r;
  s.allmulti = true;
  for (const auto& [key, refs] : s.groups) {
    if (key == except) continue;
    const auto mac = group_mac(key);
    // A failed leave only leaves a stale entry in the kernel until the handle closes.
    if (auto r = membership(s, &mac, PACKET_DROP_MEMBERSHIP); !r) s.log->warn("{}", r.error());
  }
  s.log->info("{} (ifindex {}): {} multicast groups, more than {}: receiving all multicast instead", s.name,
              s.ifindex, s.groups.size(), s.options.allmulti_threshold);
  return {};
}

// All-multicast -> per-group memberships again, the groups first. On a failed join the handle stays
// all-multicast (it still hears every group) and drops the groups it joined so far.
void leave_allmulti(PacketIoState& s) {
  std::vector<std::uint64_t> joined;
  for (const auto& [key, refs] : s.groups) {
    const auto mac = group_mac(key);
    if (auto r = membership(s, &mac, PACKET_ADD_MEMBERSHIP); !r) {
      s.log->warn("{}; staying all-multicast", r.error());
      for (auto k : joined) {
        const auto m = group_mac(k);
        (void)membership(s, &m, PACKET_DROP_MEMBERSHIP);
      }
      return;
    }
    joined.push_back(key);
  }
  if (auto r = membership(s, nullptr, PACKET_DROP_MEMBERSHIP); !r) s.log->warn("{}", r.error());
  s.allmulti = false;
  s.log->info("{} (ifindex {}): {} multicast groups: back to per-group memberships", s.name, s.ifindex,
              s.groups.size());
}

}  // namespace

Result<std::unique_ptr<PacketIo>, std::string> PacketIo::open(boost::asio::io_context& io, int ifindex,
                                                              const std::string& name,
                                                              FrameHandler on_frame) {
  return open(io, ifindex, name, std::move(on_frame), {}, Options{});
}

Result<std::unique_ptr<PacketIo>, std::string> PacketIo::open(boost::asio::io_context& io, int ifindex,
                                                              const std::string& name, FrameHandler on_frame,
                                                              const Options& options) {
  return open(io, ifindex, name, std::move(on_frame), {}, options);
}

Result<std::unique_ptr<PacketIo>, std::string> PacketIo::open(boost::asio::io_context& io, int ifindex,
                                                              const std::string& name, FrameHandler on_frame,
                                                              std::function<void()> on_read_stopped,
                                                              const Options& options) {
  auto state = std::make_shared<PacketIoState>(io, ifindex, name, std::move(on_frame),
                                               std::move(on_read_stopped), options);
  // The name is what libpcap opens, the index is what the responder keys on: they must agree in the
  // namespace we are opening in (a rename between snapshot and open would otherwise mix links up).
  const unsigned actual = if_nametoindex(name.c_str());
  if (actual == 0) return unexpected(pcap_error(*state, "no such interface", std::strerror(errno)));
  if (static_cast<int>(actual) != ifindex)
    return unexpected(
        pcap_error(*state, "interface index mismatch", ("it is " + std::to_string(actual)).c_str()));

  char errbuf[PCAP_ERRBUF_SIZE] = {};
  state->pcap = pcap_create(name.c_str(), errbuf);
  if (state->pcap == nullptr) return unexpected(pcap_error(*state, "pcap_create", errbuf));
  pcap_t* p = state->pcap;
  if (pcap_set_snaplen(p, options.snaplen) != 0 || pcap_set_promisc(p, 0) != 0 ||
      pcap_set_immediate_mode(p, 1) != 0 || pcap_set_buffer_size(p, options.buffer_bytes) != 0)
    return unexpected(pcap_error(*state, "pcap options", pcap_geterr(p)));

  const int activated = pcap_activate(p);
  if (activated < 0) {
    const char* detail = activated == PCAP_ERROR ? pcap_geterr(p) : pcap_statustostr(activated);
    return unexpected(pcap_error(*state, "pcap_activate", detail));
  }
  if (activated > 0)
    state->log->warn("{} (ifindex {}): pcap_activate: {}", name, ifindex, pcap_statustostr(activated));
  if (pcap_datalink(p) != DLT_EN10MB)
    return unexpected(
        pcap_error(*state, "not an Ethernet link", pcap_datalink_val_to_name(pcap_datalink(p))));

  // Never see our own replies and announcements.
  if (pcap_setdirection(p, PCAP_D_IN) != 0)
    return unexpected(pcap_error(*state, "pcap_setdirection", pcap_geterr(p)));
  state->fd = pcap_get_selectable_fd(p);
  if (state->fd < 0) return unexpected(pcap_error(*state, "pcap_get_selectable_fd", "no selectable fd"));
  // ...and keep them out of the ring in the kernel, not only in libpcap (Linux >= 4.20; older kernels
  // fall back to libpcap's user-space direction check).
  const int one = 1;
  if (setsockopt(state->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) != 0 &&
      errno != ENOPROTOOPT)
    state->log->debug("{} (ifindex {}): PACKET_IGNORE_OUTGOING: {}", name, ifindex, std::strerror(errno));

  bpf_program program{};
  if (pcap_compile(p, &program, bpf_filter, 1, PCAP_NETMASK_UNKNOWN) != 0)
    return unexpected(pcap_error(*state, "pcap_compile", pcap_geterr(p)));
  const int filtered = pcap_setfilter(p, &program);
  pcap_freecode(&program);
  if (filtered != 0) return unexpected(pcap_error(*state, "pcap_setfilter", pcap_geterr(p)));

  if (pcap_setnonblock(p, 1, errbuf) != 0) return unexpected(pcap_error(*state, "pcap_setnonblock", errbuf));
  // The daemon may run helpers; a packet socket must not leak into them.
  if (fcntl(state->fd, F_SETFD, FD_CLOEXEC) != 0)
    return unexpected(pcap_error(*state, "FD_CLOEXEC", std::strerror(errno)));

  boost::system::error_code ec;
  state->descriptor.assign(state->fd, ec);
  if (ec) return unexpected(pcap_error(*state, "register with the event loop", ec.message().c_str()));

  state->log->debug("{} (ifindex {}): packet capture open (snaplen {}, buffer {} bytes)", name, ifindex,
                    options.snaplen, options.buffer_bytes);
  // Frames may already be waiting (no edge would announce them): drain once, which arms the wait.
  boost::asio::post(io, [weak = std::weak_ptr<PacketIoState>(state)] {
    if (auto s = weak.lock(); s && !s->closed) drain(s);
  });
  return std::unique_ptr<PacketIo>(new PacketIo(std::move(state)));
}

PacketIo::PacketIo(std::shared_ptr<PacketIoState> state) : state_(std::move(state)) {}

PacketIo::~PacketIo() {
  state_->closed = true;
  boost::system::error_code ignored;
  state_->descriptor.cancel(ignored);
  // If we are being destroyed from inside the frame handler, drain() still holds the state: the
  // rest of that batch is skipped and the handle is closed when drain() returns.
  pcap_breakloop(state_->pcap);
  state_->log->debug("{} (ifindex {}): packet capture closed", state_->name, state_->ifindex);
}

Result<void, std::string> PacketIo::send(std::span<const std::uint8_t> frame) {
  auto& s = *state_;
  if (s.dispatching && !frame.empty() && frame.size() <= l2::max_frame_size) {
    if (s.queued == s.out.size()) flush(s);
    auto& slot = s.out[s.queued];
    std::memcpy(slot.data(), frame.data(), frame.size());
    s.iov[s.queued] = iovec{slot.data(), frame.size()};
    s.msgs[s.queued] = mmsghdr{};
    s.msgs[s.queued].msg_hdr.msg_iov = &s.iov[s.queued];
    s.msgs[s.queued].msg_hdr.msg_iovlen = 1;
    ++s.queued;
    return {};
  }
  if (s.queued > 0) flush(s);  // keep the order of frames
  const int n = pcap_inject(s.pcap, frame.data(), frame.size());
  if (n < 0 || static_cast<std::size_t>(n) != frame.size()) {
    ++s.send_errors;
    std::string detail = n < 0 ? pcap_geterr(s.pcap) : "short write of " + std::to_string(n) + " bytes";
    s.log->debug("{} (ifindex {}): send of {} bytes failed: {}", s.name, s.ifindex, frame.size(), detail);
    return unexpected(pcap_error(s, "send", detail.c_str()));
  }
  ++s.sent;
  return {};
}

Result<void, std::string> PacketIo::join_multicast(const netlink::MacAddress& group) {
  auto& s = *state_;
  if ((group[0] & 0x01) == 0)
    return unexpected(
        pcap_error(s, "join multicast " + netlink::to_string(group), "not a multicast address"));
  const auto key = group_key(group);
  const auto [it, first] = s.groups.try_emplace(key, 0);
  if (first && !s.allmulti) {
    // Past the threshold: switch once; if that fails, fall back to joining this group alone.
    bool switched = false;
    if (s.groups.size() > s.options.allmulti_threshold) {
      auto r = enter_allmulti(s, key);
      switched = r.ok();
      if (!switched) s.log->warn("{}; joining per group", r.error());
    }
    if (!switched) {
      if (auto r = membership(s, &group, PACKET_ADD_MEMBERSHIP); !r) {
        s.groups.erase(it);
        s.log->warn("{}", r.error());
        return r;
      }
    }
  }
  ++it->second;
  return {};
}

Result<void, std::string> PacketIo::leave_multicast(const netlink::MacAddress& group) {
  auto& s = *state_;
  const auto it = s.groups.find(group_key(group));
  if (it == s.groups.end())
    return unexpected(pcap_error(s, "leave multicast " + netlink::to_string(group), "not joined"));
  if (--it->second > 0) return {};
  s.groups.erase(it);
  if (s.allmulti) {
    if (s.groups.size() <= s.options.allmulti_threshold / 2) leave_allmulti(s);
    return {};
  }
  if (auto r = membership(s, &group, PACKET_DROP_MEMBERSHIP); !r) {
    s.log->warn("{}", r.error());
    return r;
  }
  return {};
}

bool PacketIo::all_multicast() const {
  return state_->allmulti;
}

int PacketIo::multicast_refs(const netlink::MacAddress& group) const {
  const auto it = state_->groups.find(group_key(group));
  return it == state_->groups.end() ? 0 : it->second;
}

PacketIo::Stats PacketIo::stats() const {
  Stats st;
  st.received = state_->received;
  st.sent = state_->sent;
  st.send_errors = state_->send_errors;
  pcap_stat ps{};
  if (pcap_stats(state_->pcap, &ps) == 0) st.kernel_drops = ps.ps_drop;
  return st;
}

Result<std::unique_ptr<LinkIo>, std::string> PacketIoFactory::open(int ifindex, const std::string& name,
                                                                   FrameHandler on_frame,
                                                                   std::function<void()> on_read_stopped) {
  auto opened = PacketIo::open(io_, ifindex, name, std::move(on_frame), std::move(on_read_stopped), options_);
  if (!opened) return unexpected(opened.error());
  return std::unique_ptr<LinkIo>(std::move(*opened));
}

bool PacketIo::reading() const {
  return state_->reading;
}
int PacketIo::ifindex() const {
  return state_->ifindex;
}
const std::string& PacketIo::name() const {
  return state_->name;
}

}  // namespace vipd::l2
