#pragma once
// The RFC 4271 §8 session state machine, sans-IO: events in, actions out. One Fsm per TCP
// connection attempt stream to one peer. The adapter (bgp::Session) owns the socket and the three
// timers and carries out the actions in order; it feeds back events: TCP outcome, each framed
// message (receive()), timer expiries. The Fsm never reads a clock: every call takes `now`.
//
// The transition table `fsm_table[state][event]` names a Step (what to do) and the next state; a
// step that can fail (an OPEN that does not validate, a decode error) goes to Idle instead.
//
// Choices (documented deviations/refinements of RFC 4271 §8):
// - Automatic restart with backoff: after any error the Fsm goes to Idle and starts the
//   ConnectRetry timer with the next backoff delay (1 s doubling to 120 s, each multiplied by a
//   jitter factor in [0.75, 1], RFC 4271 §10); its expiry in Idle restarts the session (Connect, or
//   Active for passive starts). ManualStop cancels this. The same backoff spaces connection
//   attempts in Connect/Active. The backoff resets when the session reaches Established.
// - The hold timer is enforced on receive: every message received in OpenConfirm/Established
//   restarts it; its expiry sends NOTIFICATION 4/0 and closes. A HoldTimerExpires event that
//   arrives before the deadline the Fsm computed (a stale timer callback) is ignored.
// - OPEN is sent as soon as TCP is up (no DelayOpen). The initial hold time in OpenSent is 240 s.
// - Unexpected messages in OpenSent/OpenConfirm/Established: NOTIFICATION 5/1, 5/2, 5/3 (RFC 6608).
// - Connection collisions (RFC 4271 §6.8) are resolved by the adapter, which runs one Fsm per
//   connection and calls connection_to_keep(); the loser gets Event::open_collision_dump
//   (NOTIFICATION 6/7, close, Idle without restart).

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "vipd/bgp/codec.hpp"
#include "vipd/bgp/messages.hpp"
#include "vipd/common/result.hpp"

namespace vipd::bgp {

using Duration = std::chrono::milliseconds;
using TimePoint = std::chrono::steady_clock::time_point;

// ---------------------------------------------------------------------------------------------
// OPEN validation and capability negotiation (pure, used by the Fsm; usable alone)

struct LocalConfig {
  std::uint32_t local_asn = 0;
  std::uint32_t peer_asn = 0;                                 // expected AS of the peer
  std::uint32_t router_id = 0;                                // our BGP identifier, host order
  std::chrono::seconds hold_time{90};                         // 0 or >= 3
  std::optional<std::chrono::seconds> keepalive_time;         // default hold/3; capped to hold/3
  std::vector<AfiSafi> families{ipv4_unicast, ipv6_unicast};  // multiprotocol capabilities to offer
  bool route_refresh = true;                                  // advertise capability 2
  std::optional<GracefulRestart> graceful_restart;            // advertise capability 64 when set
  // Capability codes the peer must advertise, else NOTIFICATION 2/7 (data: our capability).
  std::vector<std::uint8_t> required_capabilities;
  bool ibgp() const { return local_asn == peer_asn; }
};

// What both sides agreed on, reported with SessionUp and used for encoding afterwards.
struct Negotiated {
  std::uint32_t peer_asn = 0;
  std::uint32_t peer_router_id = 0;
  std::chrono::seconds hold_time{0};       // 0: no hold timer and no keepalives
  std::chrono::seconds keepalive_time{0};  // 0 when hold_time is 0
  bool four_octet_as = false;              // both sides: AS_PATH uses 4-octet ASNs
  bool route_refresh = false;              // the peer accepts ROUTE-REFRESH
  std::vector<AfiSafi> families;           // offered by both sides; IPv4 unicast when neither offered any
  std::optional<GracefulRestart> peer_graceful_restart;
  bool ibgp = false;
  DecodeContext decode_context() const { return DecodeContext{four_octet_as}; }
  friend bool operator==(const Negotiated&, const Negotiated&) = default;
};

// Validates the peer's OPEN against our configuration and negotiates. Errors (session-reset, the
// NOTIFICATION to send): peer AS != configured 2/2; identifier 0, or equal to ours on iBGP 2/3;
// hold time 1 or 2 2/6; a required capability missing 2/7.
Result<Negotiated, DecodeError> negotiate(const LocalConfig& local, const OpenMessage& peer);

// The OPEN we send for `local`.
OpenMessage local_open(const LocalConfig& local);

// RFC 4271 §6.8 collision resolution: keep the connection initiated by the side with the higher
// BGP identifier (compared as unsigned 32-bit host-order integers).
enum class Connection : std::uint8_t { locally_initiated, remotely_initiated };
constexpr Connection connection_to_keep(std::uint32_t local_id, std::uint32_t remote_id) {
  return local_id < remote_id ? Connection::remotely_initiated : Connection::locally_initiated;
}

// ---------------------------------------------------------------------------------------------
// Backoff for connection attempts: initial, doubling to max, times a jitter factor in [0.75, 1]
// drawn from a seeded generator (deterministic for tests).

class Backoff {
 public:
  Backoff(Duration initial, Duration max, std::uint64_t seed);
  Duration next();  // the delay to use now; advances the exponent
  void reset() { attempt_ = 0; }
  unsigned attempt() const { return attempt_; }

 private:
  Duration initial_;
  Duration max_;
  std::uint64_t state_;
  unsigned attempt_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Fsm

enum class State : std::uint8_t { idle, connect, active, open_sent, open_confirm, established };
inline constexpr std::size_t state_count = 6;
std::string_view to_string(State s);

// Inputs. Message events are produced by Fsm::receive() from the bytes; the others come from the
// adapter through Fsm::handle().
enum class Event : std::uint8_t {
  manual_start,             // RFC event 1
  manual_start_passive,     // RFC event 4: wait for the peer to connect (Active)
  manual_stop,              // RFC event 2: Cease 6/2 with the configured shutdown message
  connect_retry_expired,    // RFC event 9 (also the automatic restart in Idle)
  hold_timer_expired,       // RFC event 10
  keepalive_timer_expired,  // RFC event 11
  tcp_connected,            // RFC events 16/17: TcpCrAcked / TcpConnectionConfirmed
  tcp_failed,               // RFC event 18: connect failed or the connection closed
  open_received,            // RFC event 19 (validated by negotiate())
  keepalive_received,       // RFC event 26
  update_received,          // RFC event 27 (decoded, possibly with RFC 7606 non-fatal errors)
  notification_received,    // RFC events 24/25
  route_refresh_received,   // RFC 2918
  message_error,            // RFC events 21/22/28: a decode error with session-reset
  open_collision_dump,      // RFC event 23
};
inline constexpr std::size_t event_count = 15;
std::string_view to_string(Event e);

enum class Timer : std::uint8_t { connect_retry, hold, keepalive };

// Actions, carried out in order by the adapter.
struct Send {
  Bytes bytes;
  friend bool operator==(const Send&, const Send&) = default;
};
struct StartTimer {  // (re)arm: replaces any pending expiry of the same timer
  Timer timer;
  Duration after;
  friend bool operator==(const StartTimer&, const StartTimer&) = default;
};
struct StopTimer {
  Timer timer;
  friend bool operator==(const StopTimer&, const StopTimer&) = default;
};
struct ConnectTcp {
  friend bool operator==(const ConnectTcp&, const ConnectTcp&) = default;
};
struct CloseTcp {
  friend bool operator==(const CloseTcp&, const CloseTcp&) = default;
};
struct SessionUp {
  Negotiated params;
  friend bool operator==(const SessionUp&, const SessionUp&) = default;
};
enum class DownReason : std::uint8_t {
  manual_stop,            // we sent Cease 6/2
  hold_timer_expired,     // we sent 4/0
  notification_received,  // the peer sent a NOTIFICATION (see `notification`)
  notification_sent,      // we sent a NOTIFICATION for an error (see `notification`)
  tcp_failed,             // the connection went away
  collision,              // we sent 6/7
};
struct SessionDown {  // only after SessionUp
  DownReason reason;
  std::optional<NotificationMessage> notification;  // sent or received
  friend bool operator==(const SessionDown&, const SessionDown&) = default;
};
// Established only: an UPDATE / ROUTE-REFRESH for the speaker (vipd installs no routes, but RFC 7606
// errors are worth counting and a ROUTE-REFRESH asks for the table again).
struct DeliverUpdate {
  UpdateMessage update;
  friend bool operator==(const DeliverUpdate&, const DeliverUpdate&) = default;
};
struct DeliverRouteRefresh {
  RouteRefreshMessage refresh;
  friend bool operator==(const DeliverRouteRefresh&, const DeliverRouteRefresh&) = default;
};
using Action = std::variant<Send, StartTimer, StopTimer, ConnectTcp, CloseTcp, SessionUp, SessionDown,
                            DeliverUpdate, DeliverRouteRefresh>;
using Actions = std::vector<Action>;

// What a table cell does. Named after the RFC text they implement.
enum class Step : std::uint8_t {
  ignore,           // stay, do nothing
  start,            // retry timer, ConnectTcp
  start_passive,    // retry timer, wait for the peer
  restart,          // Idle + retry expiry: automatic start (connect or passive as last started)
  retry_connect,    // close any attempt, retry timer with backoff, ConnectTcp
  connect_failed,   // Connect: close, retry timer keeps running -> Active
  send_open,        // stop retry timer, send OPEN, hold timer 240 s
  stop_quiet,       // no BGP conversation yet: close, stop timers, Idle without restart
  stop_cease,       // send Cease 6/2 (RFC 8203 message), close, Idle without restart
  process_open,     // negotiate(); ok: KEEPALIVE, hold + keepalive timers; else NOTIFICATION, Idle
  tcp_lost,         // close, stop timers, Idle with restart
  tcp_lost_active,  // OpenSent: close, retry timer -> Active (RFC 4271 event 18 in OpenSent)
  session_up,       // restart hold timer, SessionUp
  restart_hold,     // restart hold timer
  deliver_update,   // restart hold timer, DeliverUpdate
  deliver_refresh,  // restart hold timer, DeliverRouteRefresh
  send_keepalive,   // send KEEPALIVE, restart keepalive timer
  hold_expired,     // send 4/0, close, Idle with restart
  peer_notified,    // close, Idle with restart
  decode_failed,    // send the error's NOTIFICATION, close, Idle with restart
  fsm_error,        // send 5/<state>, close, Idle with restart
  collision_dump,   // send 6/7, close, Idle without restart
};
std::string_view to_string(Step s);

struct Transition {
  Step step;
  State next;  // on success; failing steps go to Idle
};

namespace detail {
using S = State;
using E = Event;
constexpr std::array<std::array<Transition, event_count>, state_count> make_fsm_table() {
  std::array<std::array<Transition, event_count>, state_count> t{};
  auto set = [&t](S s, E e, Step step, S next) {
    t[static_cast<std::size_t>(s)][static_cast<std::size_t>(e)] = Transition{step, next};
  };
  // Default for every cell: messages and TCP events in a state with a BGP conversation are an FSM
  // error; anything else is ignored in place.
  for (std::size_t s = 0; s < state_count; ++s)
    for (std::size_t e = 0; e < event_count; ++e) t[s][e] = Transition{Step::ignore, static_cast<S>(s)};
  for (S s : {S::open_sent, S::open_confirm, S::established})
    for (E e : {E::open_received, E::keepalive_received, E::update_received, E::route_refresh_received})
      set(s, e, Step::fsm_error, S::idle);

  set(S::idle, E::manual_start, Step::start, S::connect);
  set(S::idle, E::manual_start_passive, Step::start_passive, S::active);
  set(S::idle, E::manual_stop, Step::stop_quiet, S::idle);            // cancels an automatic restart
  set(S::idle, E::connect_retry_expired, Step::restart, S::connect);  // or Active when passive

  set(S::connect, E::manual_stop, Step::stop_quiet, S::idle);
  set(S::connect, E::connect_retry_expired, Step::retry_connect, S::connect);
  set(S::connect, E::tcp_connected, Step::send_open, S::open_sent);
  set(S::connect, E::tcp_failed, Step::connect_failed, S::active);

  set(S::active, E::manual_stop, Step::stop_quiet, S::idle);
  set(S::active, E::connect_retry_expired, Step::retry_connect, S::connect);
  set(S::active, E::tcp_connected, Step::send_open, S::open_sent);

  set(S::open_sent, E::manual_stop, Step::stop_cease, S::idle);
  set(S::open_sent, E::hold_timer_expired, Step::hold_expired, S::idle);
  set(S::open_sent, E::tcp_failed, Step::tcp_lost_active, S::active);
  set(S::open_sent, E::open_received, Step::process_open, S::open_confirm);
  set(S::open_sent, E::notification_received, Step::peer_notified, S::idle);
  set(S::open_sent, E::message_error, Step::decode_failed, S::idle);
  set(S::open_sent, E::open_collision_dump, Step::collision_dump, S::idle);

  set(S::open_confirm, E::manual_stop, Step::stop_cease, S::idle);
  set(S::open_confirm, E::hold_timer_expired, Step::hold_expired, S::idle);
  set(S::open_confirm, E::keepalive_timer_expired, Step::send_keepalive, S::open_confirm);
  set(S::open_confirm, E::tcp_failed, Step::tcp_lost, S::idle);
  set(S::open_confirm, E::keepalive_received, Step::session_up, S::established);
  set(S::open_confirm, E::notification_received, Step::peer_notified, S::idle);
  set(S::open_confirm, E::message_error, Step::decode_failed, S::idle);
  set(S::open_confirm, E::open_collision_dump, Step::collision_dump, S::idle);

  set(S::established, E::manual_stop, Step::stop_cease, S::idle);
  set(S::established, E::hold_timer_expired, Step::hold_expired, S::idle);
  set(S::established, E::keepalive_timer_expired, Step::send_keepalive, S::established);
  set(S::established, E::tcp_failed, Step::tcp_lost, S::idle);
  set(S::established, E::keepalive_received, Step::restart_hold, S::established);
  set(S::established, E::update_received, Step::deliver_update, S::established);
  set(S::established, E::route_refresh_received, Step::deliver_refresh, S::established);
  set(S::established, E::notification_received, Step::peer_notified, S::idle);
  set(S::established, E::message_error, Step::decode_failed, S::idle);
  set(S::established, E::open_collision_dump, Step::collision_dump, S::idle);
  return t;
}
}  // namespace detail

// FSM[state][event] -> {step, next}. Read it against RFC 4271 §8.2.2.
inline constexpr auto fsm_table = detail::make_fsm_table();

constexpr Transition transition(State s, Event e) {
  return fsm_table[static_cast<std::size_t>(s)][static_cast<std::size_t>(e)];
}

struct FsmConfig {
  LocalConfig local;
  std::string shutdown_message = "vipd shutting down";  // RFC 8203 text for manual_stop
  Duration connect_retry_initial = std::chrono::seconds(1);
  Duration connect_retry_max = std::chrono::seconds(120);
  Duration open_hold_time = std::chrono::seconds(240);  // hold timer while waiting for the OPEN
  std::uint64_t jitter_seed = 0;
};

class Fsm {
 public:
  explicit Fsm(FsmConfig config);

  State state() const { return state_; }
  const FsmConfig& config() const { return config_; }
  // Valid from OPEN validation on (OpenConfirm, Established).
  const std::optional<Negotiated>& negotiated() const { return negotiated_; }
  // When the session last became Established (nullopt when not Established).
  std::optional<TimePoint> established_since() const { return established_since_; }
  // The last error NOTIFICATION sent or received (for status output).
  const std::optional<NotificationMessage>& last_notification() const { return last_notification_; }

  // Events without payload (start/stop, timers, TCP outcome, collision dump). Message events
  // (open_received .. message_error) only come from receive(); passed here they are ignored.
  Actions handle(Event event, TimePoint now);
  // ManualStop with a specific RFC 8203 shutdown message.
  Actions stop(std::string_view shutdown_message, TimePoint now);
  // One whole framed message (header included), e.g. next_frame(...)->message. Decode errors
  // become Event::message_error (the error's NOTIFICATION is sent); RFC 7606 non-fatal errors stay
  // inside the delivered UpdateMessage.
  Actions receive(std::span<const std::uint8_t> message, TimePoint now);

 private:
  struct Payload {
    const OpenMessage* open = nullptr;
    const UpdateMessage* update = nullptr;
    const NotificationMessage* notification = nullptr;
    const RouteRefreshMessage* refresh = nullptr;
    const DecodeError* error = nullptr;
    std::string_view shutdown_message;
  };
  Actions dispatch(Event event, const Payload& payload, TimePoint now);
  // Runs a step; returns the state to enter when it differs from the table's `next`.
  std::optional<State> run(Step step, const Payload& payload, TimePoint now, Actions& out);
  void go_idle(Actions& out, bool restart, std::optional<DownReason> reason,
               std::optional<NotificationMessage> notification);
  void send_notification(Actions& out, NotificationMessage n);
  void restart_hold(Actions& out, TimePoint now);
  DecodeContext decode_context() const;

  FsmConfig config_;
  State state_ = State::idle;
  Backoff backoff_;
  bool passive_ = false;
  std::optional<Negotiated> negotiated_;
  std::optional<TimePoint> established_since_;
  std::optional<TimePoint> hold_deadline_;
  bool auto_restart_ = false;  // an error in a started session restarts it; ManualStop clears
  std::optional<NotificationMessage> last_notification_;
};

}  // namespace vipd::bgp
