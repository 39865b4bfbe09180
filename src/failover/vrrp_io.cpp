// VrrpGroup: carries out the VrrpFsm's actions with a raw IP socket (protocol 112) and a Clock's timers.
// See vrrp_group.hpp for the socket options and the ownership contract.

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <span>
#include <utility>
#include <variant>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>

#include "vipd/common/asio_clock.hpp"
#include "vipd/common/log.hpp"
#include "vipd/failover/vrrp_codec.hpp"
#include "vipd/failover/vrrp_fsm.hpp"
#include "vipd/failover/vrrp_group.hpp"

namespace vipd::failover {
namespace {

// A split brain makes the FSM ask for a re-announcement with every lower-priority advert heard
// (every advert interval, down to 10 ms): one gratuitous burst per second is plenty.
constexpr std::chrono::seconds reannounce_min_gap{1};
constexpr std::size_t receive_buffer_size = 4096;
constexpr int traffic_class_cs6 = 0xc0;  // DSCP CS6, as keepalived and the kernel's VRRP send

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::string_view reason_text(TransitionReason reason) {
  switch (reason) {
    case TransitionReason::startup:
      return "started";
    case TransitionReason::startup_link_down:
      return "started with the link down";
    case TransitionReason::shutdown:
      return "stopped";
    case TransitionReason::master_down_timer:
      return "master down timer expired";
    case TransitionReason::preempt:
      return "preempt delay expired";
    case TransitionReason::higher_priority:
      return "higher-priority master heard";
    case TransitionReason::handover_started:
      return "planned stop, priority 0 sent";
    case TransitionReason::handover_complete:
      return "new master heard";
    case TransitionReason::handover_timeout:
      return "nobody took over within 3 x advert";
    case TransitionReason::handover_cancelled:
      return "start again before the handover completed";
    case TransitionReason::link_down:
      return "link down";
    case TransitionReason::link_up:
      return "link up";
  }
  return "?";
}

template <class T>
bool set_option(int fd, int level, int name, const T& value) {
  return ::setsockopt(fd, level, name, &value, sizeof(value)) == 0;
}

Result<VrrpConfig, std::string> make_config(const GroupSettings& s, const net::IpAddress& primary) {
  if (primary.family() != s.family) return unexpected(std::string("primary address of the wrong family"));
  if (s.family == net::Family::v6 && !primary.is_v6_link_local()) {
    return unexpected(std::string("IPv6 adverts need a link-local source (RFC 5798 §5.1.2.1)"));
  }
  if (s.advert_interval.count() % 10 != 0) {
    return unexpected(std::string("advert-interval must be a multiple of 10 ms (centiseconds on the wire)"));
  }
  for (const auto& peer : s.unicast_peers) {
    if (peer.family() != s.family)
      return unexpected("unicast peer " + peer.to_string() + " of the wrong family");
  }
  VrrpConfig config;
  config.vrid = s.vrid;
  config.priority = s.priority;
  config.advert_interval = std::chrono::duration_cast<Centiseconds>(s.advert_interval);
  config.preempt = s.preempt;
  config.preempt_delay = s.preempt_delay;
  config.primary_address = primary;
  config.addresses = s.addresses;
  return config;
}

}  // namespace

struct VrrpGroup::Impl : std::enable_shared_from_this<VrrpGroup::Impl> {
  Impl(boost::asio::io_context& io_context, GroupSettings s, std::function<void(bool)> callback, Clock* c)
      : io(io_context),
        own_clock(c == nullptr ? std::make_unique<AsioClock>(io_context) : nullptr),
        clock(c == nullptr ? *own_clock : *c),
        settings(std::move(s)),
        on_ownership(std::move(callback)),
        log(vipd::log::get("failover")),
        prefix("[failover " + settings.name + " vrid " + std::to_string(settings.vrid) +
               (settings.family == net::Family::v6 ? " v6" : "") + "]"),
        descriptor(io_context),
        timers{{clock.make_timer(), clock.make_timer(), clock.make_timer(), clock.make_timer()}} {}

  ~Impl() { close(); }

  boost::asio::io_context& io;
  std::unique_ptr<Clock> own_clock;  // an AsioClock when no clock was given
  Clock& clock;
  GroupSettings settings;
  std::function<void(bool)> on_ownership;
  std::shared_ptr<spdlog::logger> log;
  std::string prefix;

  std::optional<VrrpFsm> fsm;
  int ifindex = 0;
  bool link_usable = true;  // as last reported, also before start()
  std::optional<net::IpAddress> pending_primary;
  boost::asio::posix::stream_descriptor descriptor;
  std::array<std::unique_ptr<Timer>, timer_kind_count> timers;
  bool owned = false;
  std::optional<TimePoint> last_announce;
  std::function<void()> shutdown_done;
  bool send_failing = false;
  std::uint64_t adverts_received = 0;
  std::uint64_t transitions = 0;
  std::array<std::uint64_t, state_count> transitions_to{};
  std::optional<TimePoint> last_transition;
  std::optional<TimePoint> last_advert;
  std::array<std::uint8_t, receive_buffer_size> buffer{};

  net::IpAddress primary() const { return fsm->config().primary_address; }

  void close() {
    for (auto& t : timers) t->cancel();
    if (descriptor.is_open()) {
      boost::system::error_code ignored;
      descriptor.cancel(ignored);
      descriptor.close(ignored);
    }
  }

  Result<void, std::string> open_socket() {
    const bool v6 = settings.family == net::Family::v6;
    const int fd =
        ::socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, vrrp_ip_protocol);
    if (fd < 0) return unexpected(errno_text("socket(SOCK_RAW, 112)"));
    auto fail = [fd](const char* what) {
      auto text = errno_text(what);
      ::close(fd);
      return unexpected(std::move(text));
    };
    if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, settings.interface.c_str(),
                     static_cast<socklen_t>(settings.interface.size())) != 0) {
      return fail("SO_BINDTODEVICE");
    }
    const int hops = vrrp_required_ttl;
    const int off = 0;
    const int on = 1;
    if (!v6) {
      ip_mreqn mreq{};
      std::memcpy(&mreq.imr_address, primary().bytes().data(), 4);
      mreq.imr_ifindex = ifindex;
      if (!set_option(fd, IPPROTO_IP, IP_MULTICAST_IF, mreq)) return fail("IP_MULTICAST_IF");
      if (!set_option(fd, IPPROTO_IP, IP_TTL, hops)) return fail("IP_TTL");
      if (!set_option(fd, IPPROTO_IP, IP_MULTICAST_TTL, hops)) return fail("IP_MULTICAST_TTL");
      if (!set_option(fd, IPPROTO_IP, IP_MULTICAST_LOOP, off)) return fail("IP_MULTICAST_LOOP");
      if (!set_option(fd, IPPROTO_IP, IP_TOS, traffic_class_cs6)) return fail("IP_TOS");
      if (settings.unicast_peers.empty()) {
        std::memcpy(&mreq.imr_multiaddr, vrrp_ipv4_multicast.data(), 4);
        if (!set_option(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq)) return fail("IP_ADD_MEMBERSHIP 224.0.0.18");
      }
    } else {
      if (!set_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex)) return fail("IPV6_MULTICAST_IF");
      if (!set_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, hops)) return fail("IPV6_MULTICAST_HOPS");
      if (!set_option(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, hops)) return fail("IPV6_UNICAST_HOPS");
      if (!set_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, off)) return fail("IPV6_MULTICAST_LOOP");
      if (!set_option(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, on)) return fail("IPV6_RECVHOPLIMIT");
      if (!set_option(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, on)) return fail("IPV6_RECVPKTINFO");
      if (!set_option(fd, IPPROTO_IPV6, IPV6_TCLASS, traffic_class_cs6)) return fail("IPV6_TCLASS");
      if (settings.unicast_peers.empty()) {
        ipv6_mreq mreq{};
        std::memcpy(&mreq.ipv6mr_multiaddr, vrrp_ipv6_multicast.data(), 16);
        mreq.ipv6mr_interface = static_cast<unsigned>(ifindex);
        if (!set_option(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, mreq)) return fail("IPV6_JOIN_GROUP ff02::12");
      }
    }
    boost::system::error_code ec;
    descriptor.assign(fd, ec);
    if (ec) {
      ::close(fd);
      return unexpected("assign: " + ec.message());
    }
    return {};
  }

  // ---- sending ----

  void send(const Advert& advert) {
    if (!descriptor.is_open()) return;
    std::array<std::uint8_t, vrrp_max_message_size> message{};
    const auto& src = primary();
    auto send_to = [&](const net::IpAddress& dst) {
      const std::size_t size = write_vrrp_message(message, advert, src, dst);
      if (size == 0) {
        log->error("{} cannot encode the advert to {} (address list?)", prefix, dst.to_string());
        return;
      }
      iovec iov{message.data(), size};
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      // The control buffer fits either pktinfo; alignas for the cmsg headers.
      alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(in6_pktinfo))> control{};
      sockaddr_in to4{};
      sockaddr_in6 to6{};
      if (dst.is_v4()) {
        to4.sin_family = AF_INET;
        std::memcpy(&to4.sin_addr, dst.bytes().data(), 4);
        msg.msg_name = &to4;
        msg.msg_namelen = sizeof(to4);
        msg.msg_control = control.data();
        msg.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
        in_pktinfo info{};
        info.ipi_ifindex = ifindex;
        std::memcpy(&info.ipi_spec_dst, src.bytes().data(), 4);  // the source address
        std::memcpy(CMSG_DATA(c), &info, sizeof(info));
      } else {
        to6.sin6_family = AF_INET6;
        std::memcpy(&to6.sin6_addr, dst.bytes().data(), 16);
        to6.sin6_scope_id = static_cast<std::uint32_t>(ifindex);
        msg.msg_name = &to6;
        msg.msg_namelen = sizeof(to6);
        msg.msg_control = control.data();
        msg.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
        in6_pktinfo info{};
        info.ipi6_ifindex = static_cast<unsigned>(ifindex);
        std::memcpy(&info.ipi6_addr, src.bytes().data(), 16);
        std::memcpy(CMSG_DATA(c), &info, sizeof(info));
      }
      if (::sendmsg(descriptor.native_handle(), &msg, 0) < 0) {
        // A dead link makes every advert fail: warn once per episode, not every interval.
        if (!send_failing)
          log->warn("{} sending the advert to {} failed: {}", prefix, dst.to_string(), std::strerror(errno));
        send_failing = true;
        return;
      }
      if (send_failing) log->info("{} sending adverts works again", prefix);
      send_failing = false;
    };
    if (settings.unicast_peers.empty()) {
      send_to(vrrp_multicast_group(settings.family));
    } else {
      for (const auto& peer : settings.unicast_peers) send_to(peer);
    }
  }

  // ---- receiving ----

  void arm_read() {
    descriptor.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                          [weak = weak_from_this()](const boost::system::error_code& ec) {
                            auto self = weak.lock();
                            if (!self || ec == boost::asio::error::operation_aborted) return;
                            if (ec) {
                              self->log->error("{} wait on the VRRP socket failed, stopped reading: {}",
                                               self->prefix, ec.message());
                              return;
                            }
                            self->drain();
                          });
  }

  void drain() {
    // Bounded per turn so that a flood cannot starve the rest of the loop.
    for (int i = 0; i < 64 && descriptor.is_open(); ++i) {
      std::optional<Result<ReceivedAdvert, VrrpError>> parsed;
      if (!receive(parsed)) {
        if (descriptor.is_open()) arm_read();
        return;
      }
      if (!parsed) continue;
      if (!parsed->ok()) {
        log->debug("{} dropped a packet: {}", prefix, to_string(parsed->error()));
        continue;
      }
      const ReceivedAdvert& received = parsed->value();
      if (!settings.unicast_peers.empty() &&
          std::find(settings.unicast_peers.begin(), settings.unicast_peers.end(), received.source) ==
              settings.unicast_peers.end()) {
        log->debug("{} advert from {}, not a configured unicast peer: ignored", prefix,
                   received.source.to_string());
        continue;
      }
      if (received.advert.vrid == fsm->config().vrid && received.source != primary()) {
        ++adverts_received;
        last_advert = clock.now();
      }
      dispatch(AdvertReceived::from(received));
    }
    boost::asio::post(io, [weak = weak_from_this()] {
      if (auto self = weak.lock(); self && self->descriptor.is_open()) self->drain();
    });
  }

  // false: nothing more to read now. `parsed` stays empty for a datagram to skip silently.
  bool receive(std::optional<Result<ReceivedAdvert, VrrpError>>& parsed) {
    const int fd = descriptor.native_handle();
    iovec iov{buffer.data(), buffer.size()};
    sockaddr_in6 from{};
    alignas(cmsghdr) std::array<char, 256> control{};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    const ssize_t n = ::recvmsg(fd, &msg, 0);
    if (n < 0) {
      if (errno == EINTR) return true;
      if (errno != EAGAIN && errno != EWOULDBLOCK) log->warn("{} recvmsg: {}", prefix, std::strerror(errno));
      return false;
    }
    const std::span<const std::uint8_t> bytes(buffer.data(), static_cast<std::size_t>(n));
    if (settings.family == net::Family::v4) {
      parsed = parse_ipv4_packet(bytes);
      return true;
    }
    std::optional<int> hop_limit;
    std::optional<net::IpAddress> destination;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != IPPROTO_IPV6) continue;
      if (c->cmsg_type == IPV6_HOPLIMIT) {
        int value = 0;
        std::memcpy(&value, CMSG_DATA(c), sizeof(value));
        hop_limit = value;
      } else if (c->cmsg_type == IPV6_PKTINFO) {
        in6_pktinfo info{};
        std::memcpy(&info, CMSG_DATA(c), sizeof(info));
        std::array<std::uint8_t, 16> a{};
        std::memcpy(a.data(), &info.ipi6_addr, 16);
        destination = net::IpAddress::v6_bytes(a);
      }
    }
    if (!hop_limit || !destination || msg.msg_namelen < sizeof(sockaddr_in6)) {
      log->debug("{} IPv6 packet without hop limit / pktinfo: ignored", prefix);
      return true;
    }
    std::array<std::uint8_t, 16> s{};
    std::memcpy(s.data(), &from.sin6_addr, 16);
    parsed = parse_ipv6_payload(bytes, net::IpAddress::v6_bytes(s), *destination,
                                static_cast<std::uint8_t>(std::clamp(*hop_limit, 0, 255)));
    return true;
  }

  // ---- FSM actions ----

  void dispatch(const Event& event) {
    if (!fsm) return;
    const TimePoint now = clock.now();
    execute(fsm->handle(event, now), now);
    if (shutdown_done && fsm->state() == State::initialize) finish_shutdown();
  }

  void arm_timer(TimerKind kind, TimePoint deadline) {
    // Replaces the previous expiry of this kind; a cancelled one never runs (clock.hpp).
    timers[static_cast<std::size_t>(kind)]->start(deadline - clock.now(), [weak = weak_from_this(), kind] {
      // The FSM drops the expiry if the timer was re-armed or stopped since (stale).
      if (auto self = weak.lock()) self->dispatch(expiry_event(kind));
    });
  }

  void set_owned(bool value, TimePoint now) {
    if (value) last_announce = now;
    owned = value;
    try {
      if (on_ownership) on_ownership(value);
    } catch (const std::exception& e) {
      log->error("{} ownership handler threw: {}", prefix, e.what());
    } catch (...) {
      log->error("{} ownership handler threw", prefix);
    }
  }

  void execute(const Actions& actions, TimePoint now) {
    // Ownership first: the FSM emits the new master's advert before BecomeMaster, and a releasing
    // peer lets go as soon as it hears that advert. Taking ownership before sending leaves no
    // instant in which neither node answers.
    for (const auto& action : actions) {
      if (std::holds_alternative<BecomeMaster>(action)) set_owned(true, now);
    }
    for (const auto& action : actions) {
      std::visit(
          [&](const auto& a) {
            using A = std::decay_t<decltype(a)>;
            if constexpr (std::is_same_v<A, SendAdvert>) {
              send(a.advert);
            } else if constexpr (std::is_same_v<A, StartTimer>) {
              arm_timer(a.kind, now + a.duration);
            } else if constexpr (std::is_same_v<A, StopTimer>) {
              timers[static_cast<std::size_t>(a.kind)]->cancel();
            } else if constexpr (std::is_same_v<A, BecomeMaster>) {
              // done above
            } else if constexpr (std::is_same_v<A, Reannounce>) {
              if (owned && (!last_announce || now - *last_announce >= reannounce_min_gap)) {
                log->info("{} lower-priority master heard: announcing the VIPs again", prefix);
                set_owned(true, now);
              }
            } else if constexpr (std::is_same_v<A, KeepAnswering>) {
              log->info("{} handing over: priority 0 sent, answering until the new master is heard", prefix);
            } else if constexpr (std::is_same_v<A, BecomeBackup>) {
              if (owned) set_owned(false, now);
            } else if constexpr (std::is_same_v<A, Transition>) {
              ++transitions;
              ++transitions_to[static_cast<std::size_t>(a.to)];
              last_transition = now;
              const auto master = fsm->master_address();
              log->info("{} {} -> {} ({}){}", prefix, upper(to_string(a.from)), upper(to_string(a.to)),
                        reason_text(a.reason),
                        a.to == State::backup && master ? ", master " + master->to_string() : std::string());
            } else if constexpr (std::is_same_v<A, Log>) {
              const auto level =
                  (a.reason == LogReason::interval_mismatch || a.reason == LogReason::address_list_mismatch)
                      ? spdlog::level::warn
                      : spdlog::level::debug;
              log->log(level, "{} {} from {} ({})", prefix, to_string(a.reason), a.peer.to_string(), a.value);
            }
          },
          action);
    }
  }

  void finish_shutdown() {
    close();
    auto done = std::move(shutdown_done);
    shutdown_done = nullptr;
    if (done) boost::asio::post(io, std::move(done));
  }
};

VrrpGroup::VrrpGroup(boost::asio::io_context& io, GroupSettings settings,
                     std::function<void(bool owned)> on_ownership)
    : impl_(std::make_shared<Impl>(io, std::move(settings), std::move(on_ownership), nullptr)) {}

VrrpGroup::VrrpGroup(boost::asio::io_context& io, GroupSettings settings,
                     std::function<void(bool owned)> on_ownership, Clock& clock)
    : impl_(std::make_shared<Impl>(io, std::move(settings), std::move(on_ownership), &clock)) {}

VrrpGroup::~VrrpGroup() = default;

Result<void, std::string> VrrpGroup::start(int ifindex, const net::IpAddress& primary_address) {
  auto& d = *impl_;
  if (d.descriptor.is_open()) return unexpected(d.prefix + " already started");
  auto config = make_config(d.settings, primary_address);
  if (!config) return unexpected(d.prefix + " " + config.error());
  auto fsm = VrrpFsm::create(std::move(config).value());
  if (!fsm) return unexpected(d.prefix + " " + std::string(to_string(fsm.error())));
  d.fsm.emplace(std::move(fsm).value());
  d.ifindex = ifindex;
  if (auto opened = d.open_socket(); !opened) {
    d.fsm.reset();
    return unexpected(d.prefix + " " + opened.error());
  }
  d.log->info("{} starting on {} (ifindex {}) from {}, priority {}, advert {} ms, {}", d.prefix,
              d.settings.interface, ifindex, primary_address.to_string(), d.settings.priority,
              d.settings.advert_interval.count(),
              d.settings.unicast_peers.empty() ? std::string("multicast") : std::string("unicast"));
  d.arm_read();
  if (!d.link_usable) d.dispatch(LinkDown{});
  d.dispatch(Startup{});
  return {};
}

void VrrpGroup::link_changed(bool usable, const net::IpAddress& primary_address) {
  auto& d = *impl_;
  const bool ok = usable && !primary_address.is_unspecified() &&
                  primary_address.family() == d.settings.family &&
                  (d.settings.family == net::Family::v4 || primary_address.is_v6_link_local());
  d.link_usable = ok;
  if (!d.fsm) return;
  if (ok && primary_address != d.primary()) {
    d.log->info("{} primary address {} -> {}", d.prefix, d.primary().to_string(),
                primary_address.to_string());
    d.fsm->set_primary_address(primary_address);
    if (d.settings.family == net::Family::v4 && d.descriptor.is_open()) {
      ip_mreqn mreq{};
      std::memcpy(&mreq.imr_address, primary_address.bytes().data(), 4);
      mreq.imr_ifindex = d.ifindex;
      set_option(d.descriptor.native_handle(), IPPROTO_IP, IP_MULTICAST_IF, mreq);
    }
  }
  d.dispatch(ok ? Event{LinkUp{}} : Event{LinkDown{}});
}

bool VrrpGroup::set_addresses(std::vector<net::IpAddress> addresses) {
  auto& d = *impl_;
  for (const auto& a : addresses) {
    if (a.family() != d.settings.family) return false;
  }
  if (d.fsm && !d.fsm->set_addresses(addresses)) return false;
  d.settings.addresses = std::move(addresses);
  return true;
}

void VrrpGroup::shutdown(std::function<void()> done) {
  auto& d = *impl_;
  if (!d.fsm || !d.descriptor.is_open()) {
    if (done) boost::asio::post(d.io, std::move(done));
    return;
  }
  // A second stop while handing over releases at once (the FSM's rule); both callers hear done().
  auto previous = std::move(d.shutdown_done);
  d.shutdown_done = [previous = std::move(previous), done = std::move(done)] {
    if (previous) previous();
    if (done) done();
  };
  d.dispatch(Shutdown{});
}

VrrpGroup::Status VrrpGroup::status() const {
  const auto& d = *impl_;
  Status s;
  s.name = d.settings.name;
  s.priority = d.settings.priority;
  s.adverts_received = d.adverts_received;
  s.transitions = d.transitions;
  static_assert(state_count == std::tuple_size_v<decltype(s.transitions_to)>);
  s.transitions_to = d.transitions_to;
  s.last_transition = d.last_transition;
  s.last_advert = d.last_advert;
  if (!d.fsm) {
    s.state = std::string(to_string(State::initialize));
    return s;
  }
  s.state = std::string(to_string(d.fsm->state()));
  if (const auto master = d.fsm->master_address()) s.master_address = master->to_string();
  if (const auto& t = d.fsm->last_transition()) s.last_transition_reason = std::string(to_string(t->reason));
  return s;
}

bool VrrpGroup::owned() const {
  return impl_->owned;
}

LinkView link_view(const netlink::Link& link, net::Family family) {
  constexpr std::uint8_t scope_host = 254;  // RT_SCOPE_HOST: 127.x on lo, never an advert source
  LinkView view;
  for (const auto& a : link.addresses) {
    const auto& address = a.prefix.address;
    if (address.family() != family) continue;
    if (family == net::Family::v4 ? a.scope == scope_host : !address.is_v6_link_local()) continue;
    view.primary_address = address;
    break;
  }
  const bool carrier = (link.flags & IFF_UP) != 0 && (link.flags & IFF_RUNNING) != 0;
  view.usable = carrier && !view.primary_address.is_unspecified();
  if (family == net::Family::v6 && view.primary_address.is_unspecified()) {
    view.primary_address = *net::IpAddress::parse("::");
  }
  return view;
}

}  // namespace vipd::failover
