#pragma once
// bgp::Session: the Boost.Asio adapter for one configured peer. It owns the TCP connection and the
// FSM's timers and carries out the Fsm's actions (fsm.hpp): active connect with the FSM's backoff,
// `source-address` bind, TCP MD5 (TCP_MD5SIG), TTL 1 on single-hop eBGP or GTSM (RFC 5082) on
// connecting and accepted sockets, framing with next_frame,
// every received message fed to the Fsm (which enforces the hold timer). Once Established it keeps
// the peer's Adj-RIB-Out in step with the routes it is given: the whole table and End-of-RIB after
// the session comes up, then only the differences; a ROUTE-REFRESH resends the family's table.
//
// Threading: everything runs on the io_context's thread; no member may be called from another
// thread. Errors never leave the loop as exceptions (error_code overloads throughout).
//
// Choices:
// - NEXT_HOP is the connection's local address; IPv6 prefixes get the peer's `next-hop-v6`, else
//   the first global IPv6 address of the interface that holds the local address (and IPv4 prefixes
//   over an IPv6 session the first IPv4 address there): session_next_hops() in plan.hpp. Routes of a family
//   whose next hop is unknown or that the peer did not negotiate are not sent (logged once per session).
// - Collisions (passive peers, RFC 4271 §6.8): an incoming connection replaces our own attempt in
//   Connect/Active; in OpenConfirm connection_to_keep() decides; in OpenSent and Established (or
//   when the current connection was itself accepted) the incoming connection is closed.
// - Closing after a NOTIFICATION waits for the queued bytes to be written, at most 1 s.
// - Time is an input: every timer (the FSM's, the router-id retry, the close linger) comes from a
//   vipd::Clock and the FSM's `now` is the clock's; unit tests pass a FakeClock and advance it.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "vipd/bgp/fsm.hpp"
#include "vipd/bgp/plan.hpp"
#include "vipd/common/clock.hpp"
#include "vipd/config/model.hpp"

namespace vipd::bgp {

struct PeerStatus {
  std::string peer;                 // config name
  std::string state;                // Idle, Connect, Active, OpenSent, OpenConfirm, Established
  std::int64_t uptime_seconds = 0;  // 0 unless Established
  std::size_t prefixes_sent = 0;    // prefixes the peer currently holds from us
  std::uint64_t updates_sent = 0;   // UPDATE messages sent over the session's lifetime
  std::string last_error;           // e.g. "received NOTIFICATION 6/2 ...", "hold timer expired"
  // NOTIFICATIONs over the session's lifetime by error code (RFC 4271 §4.5: 1-6, 7 = ROUTE-REFRESH
  // message error); index 0 counts codes vipd does not know.
  std::array<std::uint64_t, 8> notifications_sent{};
  std::array<std::uint64_t, 8> notifications_received{};
};

// Applies TCP MD5 (RFC 2385) for `peer` with `password` to a socket (connecting or listening).
// Returns false and sets errno on failure.
bool set_tcp_md5(int fd, const net::IpAddress& peer, const std::string& password);

// Sets the TTL rules for a connection to `peer` on a socket of the peer's family: with `gtsm`
// (RFC 5082) TTL / hop limit 255 and IP_MINTTL / IPV6_MINHOPCOUNT 254; otherwise TTL 1 on
// single-hop eBGP; nothing for iBGP or ebgp-multihop. Returns false and sets errno on failure.
bool set_outgoing_ttl(int fd, net::Family family, int ttl);
bool apply_ttl_policy(int fd, const config::Peer& peer);

class Session : public std::enable_shared_from_this<Session> {
 public:
  // `seed` makes the connect backoff jitter differ between peers. Timers run on an AsioClock over `io`.
  static std::shared_ptr<Session> create(boost::asio::io_context& io, config::Peer peer, std::uint64_t seed);
  // The same with the timers and `now` of `clock`, which must outlive the session (tests: FakeClock).
  static std::shared_ptr<Session> create(boost::asio::io_context& io, config::Peer peer, std::uint64_t seed,
                                         Clock& clock);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Starts connecting (ManualStart). Waits (retrying every second) until a router id is known.
  void start();
  // The routes this peer should hold; sent at once when Established.
  void set_routes(RouteTable routes);
  // A connection accepted for this peer (passive); false when it was refused and closed.
  bool adopt(boost::asio::ip::tcp::socket socket);
  // ManualStop: NOTIFICATION Cease/Administrative Shutdown with `message` when a BGP conversation
  // is up, close (flushed, at most 1 s), no restart. `done` runs on the loop once the socket is gone.
  void stop(std::string_view message, std::function<void()> done);
  // Drops everything without a NOTIFICATION (the process is going away).
  void abort();

  const config::Peer& peer() const { return peer_; }
  PeerStatus status() const;

 private:
  struct Connection;
  Session(boost::asio::io_context& io, config::Peer peer, std::uint64_t seed, Clock* clock);

  void try_start();
  void apply(Actions actions);
  void on_timer(Timer timer);
  void connect();
  void begin_connection(std::shared_ptr<Connection> conn, bool locally_initiated);
  void read(std::shared_ptr<Connection> conn);
  void on_bytes(const std::shared_ptr<Connection>& conn);
  void send(Bytes bytes);
  void write(std::shared_ptr<Connection> conn);
  void close_connection();
  void finish_close(const std::shared_ptr<Connection>& conn);
  void session_up(const Negotiated& params);
  bool family_ok(const net::Prefix& p) const;
  RouteTable sendable(const RouteTable& table) const;
  void announce(const RouteTable& routes);
  void withdraw(const std::vector<net::Prefix>& prefixes);
  void resend(AfiSafi family);

  boost::asio::io_context& io_;
  std::unique_ptr<Clock> own_clock_;  // an AsioClock when no clock was given
  Clock& clock_;
  config::Peer peer_;
  std::uint64_t seed_;
  std::string prefix_;  // "[bgp 10.99.0.1 AS64512]"
  std::optional<Fsm> fsm_;
  std::uint32_t router_id_ = 0;
  std::shared_ptr<Connection> conn_;
  std::weak_ptr<Connection> last_closed_;
  std::array<std::unique_ptr<vipd::Timer>, 3> timers_;  // by bgp::Timer
  std::unique_ptr<vipd::Timer> start_retry_;
  bool stopped_ = false;

  RouteTable desired_;
  RouteTable sent_;  // what the peer holds from us on the current session
  std::optional<Negotiated> negotiated_;
  std::optional<net::IpAddress> next_hop_v4_;
  std::optional<net::IpAddress> next_hop_v6_;
  SteadyTime up_since_{};
  std::uint64_t updates_sent_ = 0;
  std::array<std::uint64_t, 8> notifications_sent_{};
  std::array<std::uint64_t, 8> notifications_received_{};
  std::string last_error_;
};

}  // namespace vipd::bgp
