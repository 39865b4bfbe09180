// Asio adapter for one BGP peer: carries out the Fsm's actions (see session.hpp).
#include "vipd/bgp/session.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <cerrno>
#include <cstring>
#include <deque>
#include <span>

#include <fmt/format.h>

#include "vipd/common/asio_clock.hpp"
#include "vipd/common/log.hpp"

namespace vipd::bgp {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

asio::ip::address to_asio(const net::IpAddress& a) {
  if (a.is_v4()) return asio::ip::address_v4(a.v4_value());
  asio::ip::address_v6::bytes_type b{};
  std::memcpy(b.data(), a.bytes().data(), 16);
  return asio::ip::address_v6(b);
}

std::optional<net::IpAddress> from_asio(const asio::ip::address& a) {
  if (a.is_v4()) return net::IpAddress::v4(a.to_v4().to_uint());
  if (a.to_v6().is_v4_mapped())
    return net::IpAddress::v4(asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_uint());
  const auto b = a.to_v6().to_bytes();
  return net::IpAddress::v6_bytes(std::span<const std::uint8_t, 16>(b.data(), 16));
}

std::optional<net::IpAddress> from_sockaddr(const sockaddr* sa) {
  if (sa == nullptr) return std::nullopt;
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    return net::IpAddress::v4(ntohl(in->sin_addr.s_addr));
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    return net::IpAddress::v6_bytes(std::span<const std::uint8_t, 16>(in6->sin6_addr.s6_addr, 16));
  }
  return std::nullopt;
}

// The first address of the other family on the interface holding `local` (global IPv6 only).
std::optional<net::IpAddress> sibling_address(const net::IpAddress& local, net::Family want) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return std::nullopt;
  std::string ifname;
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next)
    if (auto a = from_sockaddr(i->ifa_addr); a && *a == local) ifname = i->ifa_name;
  std::optional<net::IpAddress> found;
  for (ifaddrs* i = list; i != nullptr && !ifname.empty() && !found; i = i->ifa_next) {
    if (ifname != i->ifa_name) continue;
    auto a = from_sockaddr(i->ifa_addr);
    if (a && a->family() == want && !a->is_v6_link_local()) found = a;
  }
  freeifaddrs(list);
  return found;
}

// Router id: configured, else the IPv4 source address, else the IPv4 address the kernel would
// use towards the peer, else the first non-loopback IPv4 address of the host.
std::optional<std::uint32_t> pick_router_id(const config::Peer& peer) {
  if (peer.router_id && peer.router_id->is_v4()) return peer.router_id->v4_value();
  if (peer.source_address && peer.source_address->is_v4()) return peer.source_address->v4_value();
  if (peer.peer_address.is_v4()) {
    asio::io_context scratch;
    asio::ip::udp::socket probe(scratch);
    boost::system::error_code ec;
    probe.open(asio::ip::udp::v4(), ec);
    if (!ec) probe.connect(asio::ip::udp::endpoint(to_asio(peer.peer_address), peer.peer_port), ec);
    if (!ec) {
      auto local = probe.local_endpoint(ec);
      if (!ec && local.address().is_v4() && !local.address().is_unspecified())
        return local.address().to_v4().to_uint();
    }
  }
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return std::nullopt;
  std::optional<std::uint32_t> id;
  for (ifaddrs* i = list; i != nullptr && !id; i = i->ifa_next) {
    auto a = from_sockaddr(i->ifa_addr);
    if (a && a->is_v4() && (a->v4_value() >> 24) != 127) id = a->v4_value();
  }
  freeifaddrs(list);
  return id;
}

// A whole message on the wire: 16-byte marker, length, type (3 = NOTIFICATION), then the error code.
void count_notification(std::span<const std::uint8_t> message, std::array<std::uint64_t, 8>& counts) {
  constexpr std::size_t type_offset = 18;
  constexpr std::uint8_t notification_type = 3;
  if (message.size() <= type_offset + 1 || message[type_offset] != notification_type) return;
  const std::uint8_t code = message[type_offset + 1];
  ++counts[code < counts.size() ? code : 0];
}

std::string notification_text(const NotificationMessage& n) {
  std::string s = fmt::format("{}/{}", n.code, n.subcode);
  if (auto msg = shutdown_communication(n)) s += fmt::format(" \"{}\"", *msg);
  return s;
}

std::string_view reason_text(DownReason r) {
  switch (r) {
    case DownReason::manual_stop:
      return "administrative shutdown";
    case DownReason::hold_timer_expired:
      return "hold timer expired";
    case DownReason::notification_received:
      return "received NOTIFICATION";
    case DownReason::notification_sent:
      return "sent NOTIFICATION";
    case DownReason::tcp_failed:
      return "connection lost";
    case DownReason::collision:
      return "connection collision";
  }
  return "down";
}

constexpr auto close_linger = std::chrono::seconds(1);

}  // namespace

bool set_tcp_md5(int fd, const net::IpAddress& peer, const std::string& password) {
  tcp_md5sig sig{};
  if (password.size() > TCP_MD5SIG_MAXKEYLEN) {
    errno = EINVAL;
    return false;
  }
  if (peer.is_v4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(&sig.tcpm_addr);
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(peer.v4_value());
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&sig.tcpm_addr);
    in6->sin6_family = AF_INET6;
    std::memcpy(in6->sin6_addr.s6_addr, peer.bytes().data(), 16);
  }
  sig.tcpm_keylen = static_cast<std::uint16_t>(password.size());
  std::memcpy(sig.tcpm_key, password.data(), password.size());
  return setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &sig, sizeof sig) == 0;
}

bool set_outgoing_ttl(int fd, net::Family family, int ttl) {
  return family == net::Family::v4 ? setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) == 0
                                   : setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl) == 0;
}

bool apply_ttl_policy(int fd, const config::Peer& peer) {
  const net::Family family = peer.peer_address.family();
  if (peer.gtsm) {
    // RFC 5082 §3: send with 255; accept only what at most one router (the link) could have sent.
    const int min_ttl = 254;
    if (!set_outgoing_ttl(fd, family, 255)) return false;
    return family == net::Family::v4
               ? setsockopt(fd, IPPROTO_IP, IP_MINTTL, &min_ttl, sizeof min_ttl) == 0
               : setsockopt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, &min_ttl, sizeof min_ttl) == 0;
  }
  // Single-hop eBGP: packets must not leave the link (RFC 4271 has no rule; common practice).
  if (peer.peer_asn != peer.my_asn && !peer.ebgp_multihop) return set_outgoing_ttl(fd, family, 1);
  return true;
}

// One TCP connection with its write queue. Handlers hold it by shared_ptr and compare it with
// Session::conn_ so a late completion of a replaced connection never reaches the Fsm.
struct Session::Connection {
  Connection(asio::io_context& io, Clock& clock) : socket(io), linger(clock.make_timer()) {}
  Connection(tcp::socket s, Clock& clock) : socket(std::move(s)), linger(clock.make_timer()) {}
  tcp::socket socket;
  std::deque<Bytes> out;
  bool writing = false;
  bool closing = false;  // close once `out` is written (or the linger timer fires)
  bool closed = false;
  bool locally_initiated = true;
  std::vector<std::uint8_t> in;
  std::array<std::uint8_t, 16384> chunk{};
  std::unique_ptr<vipd::Timer> linger;
  std::function<void()> on_closed;
};

std::shared_ptr<Session> Session::create(asio::io_context& io, config::Peer peer, std::uint64_t seed) {
  return std::shared_ptr<Session>(new Session(io, std::move(peer), seed, nullptr));
}

std::shared_ptr<Session> Session::create(asio::io_context& io, config::Peer peer, std::uint64_t seed,
                                         Clock& clock) {
  return std::shared_ptr<Session>(new Session(io, std::move(peer), seed, &clock));
}

Session::Session(asio::io_context& io, config::Peer peer, std::uint64_t seed, Clock* clock)
    : io_(io),
      own_clock_(clock == nullptr ? std::make_unique<AsioClock>(io) : nullptr),
      clock_(clock == nullptr ? *own_clock_ : *clock),
      peer_(std::move(peer)),
      seed_(seed),
      prefix_(fmt::format("[bgp {} AS{}]", peer_.peer_address.to_string(), peer_.peer_asn)),
      timers_{clock_.make_timer(), clock_.make_timer(), clock_.make_timer()},
      start_retry_(clock_.make_timer()) {}

Session::~Session() = default;

void Session::start() {
  stopped_ = false;
  try_start();
}

void Session::try_start() {
  if (stopped_ || fsm_) return;
  auto id = pick_router_id(peer_);
  if (!id || *id == 0) {
    log::get("bgp")->warn("{} no IPv4 address for a router id yet, retrying in 1s", prefix_);
    start_retry_->start(std::chrono::seconds(1), [self = shared_from_this()] { self->try_start(); });
    return;
  }
  router_id_ = *id;
  FsmConfig config;
  config.local.local_asn = peer_.my_asn;
  config.local.peer_asn = peer_.peer_asn;
  config.local.router_id = router_id_;
  config.local.hold_time = std::chrono::duration_cast<std::chrono::seconds>(peer_.hold_time);
  if (peer_.keepalive_time)
    config.local.keepalive_time = std::chrono::duration_cast<std::chrono::seconds>(*peer_.keepalive_time);
  config.jitter_seed = seed_;
  fsm_.emplace(std::move(config));
  log::get("bgp")->info("{} starting (local AS{}, router id {}, hold {}s{}{}{})", prefix_, peer_.my_asn,
                        net::IpAddress::v4(router_id_).to_string(),
                        std::chrono::duration_cast<std::chrono::seconds>(peer_.hold_time).count(),
                        peer_.passive ? ", passive" : "", peer_.password.empty() ? "" : ", md5",
                        peer_.gtsm ? ", gtsm" : "");
  apply(fsm_->handle(Event::manual_start, clock_.now()));
}

void Session::apply(Actions actions) {
  for (auto& action : actions) {
    if (auto* s = std::get_if<Send>(&action)) {
      count_notification(s->bytes, notifications_sent_);
      send(std::move(s->bytes));
    } else if (auto* st = std::get_if<StartTimer>(&action)) {
      // start() replaces a pending expiry; a cancelled or re-armed expiry never runs (clock.hpp).
      timers_[static_cast<std::size_t>(st->timer)]->start(
          st->after, [self = shared_from_this(), which = st->timer] { self->on_timer(which); });
    } else if (auto* sp = std::get_if<StopTimer>(&action)) {
      timers_[static_cast<std::size_t>(sp->timer)]->cancel();
    } else if (std::holds_alternative<ConnectTcp>(action)) {
      connect();
    } else if (std::holds_alternative<CloseTcp>(action)) {
      close_connection();
    } else if (auto* up = std::get_if<SessionUp>(&action)) {
      session_up(up->params);
    } else if (auto* down = std::get_if<SessionDown>(&action)) {
      std::string why(reason_text(down->reason));
      if (down->notification) why += " " + notification_text(*down->notification);
      last_error_ = why;
      log::get("bgp")->warn("{} session down: {}", prefix_, why);
      negotiated_.reset();
      sent_.clear();
    } else if (auto* u = std::get_if<DeliverUpdate>(&action)) {
      for (const auto& e : u->update.errors)
        log::get("bgp")->warn("{} malformed UPDATE from peer ({}), RFC 7606 handling applied", prefix_,
                              e.what);
    } else if (auto* rr = std::get_if<DeliverRouteRefresh>(&action)) {
      resend(rr->refresh.family);
    }
  }
}

void Session::on_timer(Timer t) {
  if (!fsm_) return;
  const Event e = t == Timer::connect_retry ? Event::connect_retry_expired
                  : t == Timer::hold        ? Event::hold_timer_expired
                                            : Event::keepalive_timer_expired;
  if (t == Timer::hold && fsm_->state() != State::idle)
    log::get("bgp")->warn("{} hold timer expired", prefix_);
  apply(fsm_->handle(e, clock_.now()));
}

void Session::connect() {
  if (stopped_) return;
  if (conn_) close_connection();
  auto conn = std::make_shared<Connection>(io_, clock_);
  conn_ = conn;
  auto fail = [this](const char* what, const boost::system::error_code& ec) {
    last_error_ = fmt::format("{}: {}", what, ec.message());
    log::get("bgp")->warn("{} {}", prefix_, last_error_);
    // Completes on the loop so the Fsm never sees an event while it is emitting actions.
    asio::post(io_, [self = shared_from_this(), c = conn_] {
      if (self->conn_ == c && self->fsm_)
        self->apply(self->fsm_->handle(Event::tcp_failed, self->clock_.now()));
    });
  };
  boost::system::error_code ec;
  const tcp::endpoint remote(to_asio(peer_.peer_address), peer_.peer_port);
  conn->socket.open(remote.protocol(), ec);
  if (ec) return fail("socket", ec);
  if (peer_.source_address) {
    conn->socket.bind(tcp::endpoint(to_asio(*peer_.source_address), 0), ec);
    if (ec) return fail("bind to source-address", ec);
  }
  const int fd = conn->socket.native_handle();
  if (!peer_.password.empty() && !set_tcp_md5(fd, peer_.peer_address, peer_.password))
    return fail("TCP MD5", boost::system::error_code(errno, boost::system::system_category()));
  if (!apply_ttl_policy(fd, peer_))
    return fail(peer_.gtsm ? "GTSM" : "TTL",
                boost::system::error_code(errno, boost::system::system_category()));
  conn->socket.set_option(tcp::no_delay(true), ec);
  log::get("bgp")->debug("{} connecting", prefix_);
  conn->socket.async_connect(
      remote, [self = shared_from_this(), conn](const boost::system::error_code& error) {
        if (self->conn_ != conn || !self->fsm_) return;
        if (error) {
          log::get("bgp")->debug("{} connect failed: {}", self->prefix_, error.message());
          self->last_error_ = "connect: " + error.message();
          self->apply(self->fsm_->handle(Event::tcp_failed, self->clock_.now()));
          return;
        }
        self->begin_connection(conn, true);
      });
}

// By value on purpose: callers pass conn_, which the body may reset.
// NOLINTNEXTLINE(performance-unnecessary-value-param)
void Session::begin_connection(std::shared_ptr<Connection> conn, bool locally_initiated) {
  conn->locally_initiated = locally_initiated;
  apply(fsm_->handle(Event::tcp_connected, clock_.now()));
  if (conn_ == conn) read(conn);
}

bool Session::adopt(tcp::socket socket) {
  boost::system::error_code ec;
  if (stopped_ || !fsm_) {
    socket.close(ec);
    return false;
  }
  const State state = fsm_->state();
  bool take = state == State::connect || state == State::active;
  if (state == State::open_confirm && conn_ && conn_->locally_initiated && fsm_->negotiated() &&
      connection_to_keep(router_id_, fsm_->negotiated()->peer_router_id) ==
          bgp::Connection::remotely_initiated) {
    log::get("bgp")->info("{} connection collision: keeping the peer's connection", prefix_);
    apply(fsm_->handle(Event::open_collision_dump, clock_.now()));
    apply(fsm_->handle(Event::manual_start, clock_.now()));
    take = true;
  }
  if (!take) {
    log::get("bgp")->debug("{} refusing incoming connection in {}", prefix_, to_string(state));
    socket.close(ec);
    return false;
  }
  // The listener is shared by every passive peer: this peer's TTL rules (GTSM minimum, single-hop
  // eBGP TTL 1) apply from here on.
  if (!apply_ttl_policy(socket.native_handle(), peer_)) {
    log::get("bgp")->warn("{} refusing incoming connection: cannot set {}: {}", prefix_,
                          peer_.gtsm ? "GTSM" : "TTL", std::strerror(errno));
    socket.close(ec);
    return false;
  }
  if (conn_) close_connection();
  socket.set_option(tcp::no_delay(true), ec);
  auto conn = std::make_shared<Connection>(std::move(socket), clock_);
  conn_ = conn;
  log::get("bgp")->debug("{} accepted incoming connection", prefix_);
  begin_connection(conn, false);
  return true;
}

// By value on purpose: callers pass conn_, which the body may reset.
void Session::read(std::shared_ptr<Connection> conn) {  // NOLINT(performance-unnecessary-value-param)
  conn->socket.async_read_some(
      asio::buffer(conn->chunk),
      [self = shared_from_this(), conn](const boost::system::error_code& ec, std::size_t n) {
        if (self->conn_ != conn || !self->fsm_) return;
        if (ec) {
          self->last_error_ = ec == asio::error::eof ? "peer closed the connection" : "read: " + ec.message();
          self->apply(self->fsm_->handle(Event::tcp_failed, self->clock_.now()));
          return;
        }
        conn->in.insert(conn->in.end(), conn->chunk.begin(), conn->chunk.begin() + n);
        self->on_bytes(conn);
        if (self->conn_ == conn) self->read(conn);
      });
}

void Session::on_bytes(const std::shared_ptr<Connection>& conn) {
  std::size_t offset = 0;
  while (conn_ == conn) {
    const std::span<const std::uint8_t> rest(conn->in.data() + offset, conn->in.size() - offset);
    auto frame = next_frame(rest);
    if (!frame) {
      // A bad header: the Fsm decodes it again and answers with the error's NOTIFICATION.
      apply(fsm_->receive(rest.first(std::min(rest.size(), header_size)), clock_.now()));
      return;
    }
    if (!*frame) break;
    const std::size_t size = (*frame)->message.size();
    count_notification((*frame)->message, notifications_received_);
    apply(fsm_->receive((*frame)->message, clock_.now()));
    offset += size;
  }
  if (conn_ == conn) conn->in.erase(conn->in.begin(), conn->in.begin() + static_cast<std::ptrdiff_t>(offset));
}

void Session::send(Bytes bytes) {
  if (!conn_ || conn_->closing) return;
  if (bytes.size() > header_size - 1 &&
      bytes[header_size - 1] == static_cast<std::uint8_t>(MessageType::update))
    ++updates_sent_;
  conn_->out.push_back(std::move(bytes));
  if (!conn_->writing) write(conn_);
}

// By value on purpose: callers pass conn_, which the body may reset.
void Session::write(std::shared_ptr<Connection> conn) {  // NOLINT(performance-unnecessary-value-param)
  if (conn->out.empty() || conn->closed) {
    conn->writing = false;
    if (conn->closing) finish_close(conn);
    return;
  }
  conn->writing = true;
  asio::async_write(conn->socket, asio::buffer(conn->out.front()),
                    [self = shared_from_this(), conn](const boost::system::error_code& ec, std::size_t) {
                      if (conn->closed) return;
                      conn->out.pop_front();
                      if (ec) {
                        conn->writing = false;
                        conn->out.clear();
                        if (conn->closing) return self->finish_close(conn);
                        if (self->conn_ == conn && self->fsm_) {
                          self->last_error_ = "write: " + ec.message();
                          self->apply(self->fsm_->handle(Event::tcp_failed, self->clock_.now()));
                        }
                        return;
                      }
                      self->write(conn);
                    });
}

void Session::close_connection() {
  auto conn = std::move(conn_);
  conn_.reset();
  if (!conn || conn->closing) return;
  conn->closing = true;
  last_closed_ = conn;
  if (!conn->writing) return finish_close(conn);
  // Let the queued NOTIFICATION reach the peer, but never wait on a stuck peer for long.
  conn->linger->start(close_linger, [self = shared_from_this(), conn] { self->finish_close(conn); });
}

void Session::finish_close(const std::shared_ptr<Connection>& conn) {
  if (conn->closed) return;
  conn->closed = true;
  boost::system::error_code ec;
  conn->linger->cancel();
  conn->socket.shutdown(tcp::socket::shutdown_both, ec);
  conn->socket.close(ec);
  if (auto done = std::move(conn->on_closed)) asio::post(io_, std::move(done));
}

void Session::session_up(const Negotiated& params) {
  negotiated_ = params;
  up_since_ = clock_.now();
  last_error_.clear();
  next_hop_v4_.reset();
  next_hop_v6_.reset();
  boost::system::error_code ec;
  if (conn_) {
    const auto local = conn_->socket.local_endpoint(ec);
    if (!ec) {
      if (auto a = from_asio(local.address())) {
        const auto hops =
            session_next_hops(peer_, *a, sibling_address(*a, a->is_v4() ? net::Family::v6 : net::Family::v4));
        next_hop_v4_ = hops.v4;
        next_hop_v6_ = hops.v6;
      }
    }
  }
  log::get("bgp")->info("{} established, hold {}s (peer id {}, next hops {} / {})", prefix_,
                        params.hold_time.count(), net::IpAddress::v4(params.peer_router_id).to_string(),
                        next_hop_v4_ ? next_hop_v4_->to_string() : "-",
                        next_hop_v6_ ? next_hop_v6_->to_string() : "-");
  sent_.clear();
  const RouteTable table = sendable(desired_);
  for (const auto& r : desired_)
    if (!family_ok(r.prefix)) {
      log::get("bgp")->warn("{} not announcing {} (family not negotiated or no next hop of that family)",
                            prefix_, r.prefix.to_string());
      break;
    }
  announce(table);
  sent_ = table;
  for (const auto& f : params.families)
    if (f == ipv4_unicast || f == ipv6_unicast) send(build_end_of_rib(f));
}

bool Session::family_ok(const net::Prefix& p) const {
  if (!negotiated_) return false;
  const AfiSafi f = p.address.is_v4() ? ipv4_unicast : ipv6_unicast;
  bool negotiated = false;
  for (const auto& x : negotiated_->families) negotiated = negotiated || x == f;
  return negotiated && (p.address.is_v4() ? next_hop_v4_.has_value() : next_hop_v6_.has_value());
}

RouteTable Session::sendable(const RouteTable& table) const {
  RouteTable out;
  for (const auto& r : table)
    if (family_ok(r.prefix)) out.push_back(r);
  return out;
}

void Session::announce(const RouteTable& routes) {
  if (!negotiated_) return;
  for (const auto& group : group_by_attributes(routes)) {
    const auto attrs =
        route_attributes(group.attributes, peer_.my_asn, negotiated_->ibgp, next_hop_v4_, next_hop_v6_);
    auto messages = build_announcements(attrs, group.prefixes, negotiated_->decode_context());
    if (!messages) {
      log::get("bgp")->error("{} cannot encode announcement (error {})", prefix_,
                             static_cast<int>(messages.error()));
      continue;
    }
    for (auto& m : *messages) send(std::move(m));
  }
}

void Session::withdraw(const std::vector<net::Prefix>& prefixes) {
  if (prefixes.empty()) return;
  for (auto& m : build_withdrawals(prefixes)) send(std::move(m));
}

void Session::resend(AfiSafi family) {
  if (!negotiated_) return;
  RouteTable part;
  for (const auto& r : sent_)
    if ((r.prefix.address.is_v4() ? ipv4_unicast : ipv6_unicast) == family) part.push_back(r);
  log::get("bgp")->info("{} ROUTE-REFRESH: resending {} prefixes", prefix_, part.size());
  announce(part);
  send(build_end_of_rib(family));
}

void Session::set_routes(RouteTable routes) {
  desired_ = std::move(routes);
  if (!negotiated_ || !fsm_ || fsm_->state() != State::established) return;
  const RouteTable table = sendable(desired_);
  const TableDiff d = diff_tables(sent_, table);
  if (d.empty()) return;
  log::get("bgp")->info("{} announcing {}, withdrawing {}", prefix_, d.announce.size(), d.withdraw.size());
  withdraw(d.withdraw);
  announce(d.announce);
  sent_ = table;
}

void Session::stop(std::string_view message, std::function<void()> done) {
  stopped_ = true;
  start_retry_->cancel();
  if (fsm_) apply(fsm_->stop(message, clock_.now()));
  if (conn_) close_connection();
  for (auto& t : timers_) t->cancel();
  auto closing = last_closed_.lock();
  if (closing && !closing->closed && done) {
    closing->on_closed = std::move(done);
  } else if (done) {
    asio::post(io_, std::move(done));
  }
}

void Session::abort() {
  stopped_ = true;
  start_retry_->cancel();
  for (auto& t : timers_) t->cancel();
  if (conn_) {
    auto conn = std::move(conn_);
    finish_close(conn);
  }
  if (auto closing = last_closed_.lock()) finish_close(closing);
}

PeerStatus Session::status() const {
  PeerStatus s;
  s.peer = peer_.name;
  s.state = fsm_ ? std::string(to_string(fsm_->state())) : "Idle";
  if (fsm_ && fsm_->state() == State::established)
    s.uptime_seconds = std::chrono::duration_cast<std::chrono::seconds>(clock_.now() - up_since_).count();
  s.prefixes_sent = sent_.size();
  s.updates_sent = updates_sent_;
  s.notifications_sent = notifications_sent_;
  s.notifications_received = notifications_received_;
  s.last_error = last_error_;
  return s;
}

}  // namespace vipd::bgp
