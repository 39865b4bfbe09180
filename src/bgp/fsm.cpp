// RFC 4271 §8 session FSM. The table lives in fsm.hpp; this file implements the steps.
#include "vipd/bgp/fsm.hpp"

#include <algorithm>
#include <cmath>

namespace vipd::bgp {
namespace {

DecodeError open_error(std::uint8_t subcode, std::string_view what, Bytes data = {}) {
  return DecodeError{error_code::open_message, subcode, std::move(data), ErrorAction::session_reset, what};
}

bool has_capability(const Capabilities& c, std::uint8_t code) {
  switch (code) {
    case capability_code::multiprotocol:
      return !c.multiprotocol.empty();
    case capability_code::route_refresh:
      return c.route_refresh;
    case capability_code::graceful_restart:
      return c.graceful_restart.has_value();
    case capability_code::four_octet_as:
      return c.four_octet_as.has_value();
    default:
      return std::any_of(c.unknown.begin(), c.unknown.end(),
                         [&](const RawCapability& r) { return r.code == code; });
  }
}

// Data of a 2/7 NOTIFICATION: the capability we require, as we would encode it (RFC 5492 §3).
Bytes required_capability_data(const LocalConfig& local, std::uint8_t code) {
  switch (code) {
    case capability_code::multiprotocol: {
      const AfiSafi f = local.families.empty() ? ipv4_unicast : local.families.front();
      return {code, 4, static_cast<std::uint8_t>(f.afi >> 8), static_cast<std::uint8_t>(f.afi), 0, f.safi};
    }
    case capability_code::four_octet_as:
      return {code,
              4,
              static_cast<std::uint8_t>(local.local_asn >> 24),
              static_cast<std::uint8_t>(local.local_asn >> 16),
              static_cast<std::uint8_t>(local.local_asn >> 8),
              static_cast<std::uint8_t>(local.local_asn)};
    default:
      return {code, 0};
  }
}

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

Result<Negotiated, DecodeError> negotiate(const LocalConfig& local, const OpenMessage& peer) {
  const std::uint32_t peer_as = peer.effective_as();
  if (peer_as != local.peer_asn) {
    return unexpected(open_error(open_subcode::bad_peer_as, "peer AS differs from the configured one"));
  }
  if (peer.bgp_identifier == 0)
    return unexpected(open_error(open_subcode::bad_bgp_identifier, "BGP identifier 0"));
  // RFC 6286 §2.1: identifiers must differ within an AS (iBGP); eBGP peers may share ours.
  if (local.ibgp() && peer.bgp_identifier == local.router_id)
    return unexpected(open_error(open_subcode::bad_bgp_identifier, "BGP identifier equal to ours on iBGP"));
  if (peer.hold_time == 1 || peer.hold_time == 2)
    return unexpected(open_error(open_subcode::unacceptable_hold_time, "hold time 1 or 2 seconds"));
  for (auto code : local.required_capabilities)
    if (!has_capability(peer.capabilities, code))
      return unexpected(open_error(open_subcode::unsupported_capability, "required capability missing",
                                   required_capability_data(local, code)));

  Negotiated n;
  n.peer_asn = peer_as;
  n.peer_router_id = peer.bgp_identifier;
  n.hold_time = std::min(local.hold_time, std::chrono::seconds(peer.hold_time));
  if (n.hold_time.count() > 0) {
    const auto third = n.hold_time / 3;
    n.keepalive_time = (local.keepalive_time && local.keepalive_time->count() > 0)
                           ? std::min(*local.keepalive_time, third)
                           : third;
  }
  n.four_octet_as = peer.capabilities.four_octet_as.has_value();  // we always advertise it
  n.route_refresh = peer.capabilities.route_refresh;
  // RFC 4760 §8: a peer without multiprotocol capabilities speaks IPv4 unicast only.
  const std::vector<AfiSafi> peer_families = peer.capabilities.multiprotocol.empty()
                                                 ? std::vector<AfiSafi>{ipv4_unicast}
                                                 : peer.capabilities.multiprotocol;
  for (const auto& f : local.families)
    if (std::find(peer_families.begin(), peer_families.end(), f) != peer_families.end())
      n.families.push_back(f);
  n.peer_graceful_restart = peer.capabilities.graceful_restart;
  n.ibgp = local.ibgp();
  return n;
}

OpenMessage local_open(const LocalConfig& local) {
  return make_open(local.local_asn, static_cast<std::uint16_t>(local.hold_time.count()), local.router_id,
                   local.families, local.route_refresh, local.graceful_restart);
}

// ---------------------------------------------------------------------------------------------

Backoff::Backoff(Duration initial, Duration max, std::uint64_t seed)
    : initial_(initial), max_(max), state_(seed) {}

Duration Backoff::next() {
  Duration base = max_;
  if (attempt_ < 30) base = std::min(max_, initial_ * (std::int64_t{1} << attempt_));
  if (attempt_ < 30) ++attempt_;
  // Jitter in [0.75, 1] (RFC 4271 §10), so peers restarted together do not reconnect in lockstep.
  const double unit = static_cast<double>(splitmix64(state_) >> 11) * 0x1.0p-53;
  const double factor = 0.75 + 0.25 * unit;
  return Duration(static_cast<Duration::rep>(std::llround(static_cast<double>(base.count()) * factor)));
}

// ---------------------------------------------------------------------------------------------

std::string_view to_string(State s) {
  switch (s) {
    case State::idle:
      return "Idle";
    case State::connect:
      return "Connect";
    case State::active:
      return "Active";
    case State::open_sent:
      return "OpenSent";
    case State::open_confirm:
      return "OpenConfirm";
    case State::established:
      return "Established";
  }
  return "?";
}

std::string_view to_string(Event e) {
  switch (e) {
    case Event::manual_start:
      return "ManualStart";
    case Event::manual_start_passive:
      return "ManualStartPassive";
    case Event::manual_stop:
      return "ManualStop";
    case Event::connect_retry_expired:
      return "ConnectRetryTimerExpires";
    case Event::hold_timer_expired:
      return "HoldTimerExpires";
    case Event::keepalive_timer_expired:
      return "KeepaliveTimerExpires";
    case Event::tcp_connected:
      return "TcpConnected";
    case Event::tcp_failed:
      return "TcpConnectionFails";
    case Event::open_received:
      return "OpenReceived";
    case Event::keepalive_received:
      return "KeepaliveReceived";
    case Event::update_received:
      return "UpdateReceived";
    case Event::notification_received:
      return "NotificationReceived";
    case Event::route_refresh_received:
      return "RouteRefreshReceived";
    case Event::message_error:
      return "MessageError";
    case Event::open_collision_dump:
      return "OpenCollisionDump";
  }
  return "?";
}

std::string_view to_string(Step s) {
  switch (s) {
    case Step::ignore:
      return "ignore";
    case Step::start:
      return "start";
    case Step::start_passive:
      return "start_passive";
    case Step::restart:
      return "restart";
    case Step::retry_connect:
      return "retry_connect";
    case Step::connect_failed:
      return "connect_failed";
    case Step::send_open:
      return "send_open";
    case Step::stop_quiet:
      return "stop_quiet";
    case Step::stop_cease:
      return "stop_cease";
    case Step::process_open:
      return "process_open";
    case Step::tcp_lost:
      return "tcp_lost";
    case Step::tcp_lost_active:
      return "tcp_lost_active";
    case Step::session_up:
      return "session_up";
    case Step::restart_hold:
      return "restart_hold";
    case Step::deliver_update:
      return "deliver_update";
    case Step::deliver_refresh:
      return "deliver_refresh";
    case Step::send_keepalive:
      return "send_keepalive";
    case Step::hold_expired:
      return "hold_expired";
    case Step::peer_notified:
      return "peer_notified";
    case Step::decode_failed:
      return "decode_failed";
    case Step::fsm_error:
      return "fsm_error";
    case Step::collision_dump:
      return "collision_dump";
  }
  return "?";
}

Fsm::Fsm(FsmConfig config)
    : config_(std::move(config)),
      backoff_(config_.connect_retry_initial, config_.connect_retry_max, config_.jitter_seed) {}

Actions Fsm::handle(Event event, TimePoint now) {
  switch (event) {
    case Event::open_received:
    case Event::keepalive_received:
    case Event::update_received:
    case Event::notification_received:
    case Event::route_refresh_received:
    case Event::message_error:
      return {};  // they need the message: receive() produces them
    default:
      break;
  }
  Payload p;
  p.shutdown_message = config_.shutdown_message;
  return dispatch(event, p, now);
}

Actions Fsm::stop(std::string_view shutdown_message, TimePoint now) {
  Payload p;
  p.shutdown_message = shutdown_message;
  return dispatch(Event::manual_stop, p, now);
}

DecodeContext Fsm::decode_context() const {
  return negotiated_ ? negotiated_->decode_context() : DecodeContext{};
}

Actions Fsm::receive(std::span<const std::uint8_t> message, TimePoint now) {
  auto decoded = parse_message(message, decode_context());
  Payload p;
  if (!decoded) {
    p.error = &decoded.error();
    return dispatch(Event::message_error, p, now);
  }
  const Message& m = decoded.value();
  if (const auto* open = std::get_if<OpenMessage>(&m)) {
    p.open = open;
    return dispatch(Event::open_received, p, now);
  }
  if (const auto* update = std::get_if<UpdateMessage>(&m)) {
    p.update = update;
    return dispatch(Event::update_received, p, now);
  }
  if (const auto* n = std::get_if<NotificationMessage>(&m)) {
    p.notification = n;
    return dispatch(Event::notification_received, p, now);
  }
  if (const auto* r = std::get_if<RouteRefreshMessage>(&m)) {
    p.refresh = r;
    return dispatch(Event::route_refresh_received, p, now);
  }
  return dispatch(Event::keepalive_received, p, now);
}

Actions Fsm::dispatch(Event event, const Payload& payload, TimePoint now) {
  const Transition t = transition(state_, event);
  Actions out;
  const auto override_state = run(t.step, payload, now, out);
  state_ = override_state.value_or(t.next);
  return out;
}

void Fsm::send_notification(Actions& out, NotificationMessage n) {
  out.push_back(Send{build_notification(n)});
  last_notification_ = std::move(n);
}

void Fsm::restart_hold(Actions& out, TimePoint now) {
  if (!negotiated_ || negotiated_->hold_time.count() == 0) return;
  const Duration hold = negotiated_->hold_time;
  hold_deadline_ = now + hold;
  out.push_back(StartTimer{Timer::hold, hold});
}

void Fsm::go_idle(Actions& out, bool restart, std::optional<DownReason> reason,
                  std::optional<NotificationMessage> notification) {
  out.push_back(CloseTcp{});
  out.push_back(StopTimer{Timer::hold});
  out.push_back(StopTimer{Timer::keepalive});
  if (!restart) auto_restart_ = false;
  if (restart && auto_restart_)
    out.push_back(StartTimer{Timer::connect_retry, backoff_.next()});
  else
    out.push_back(StopTimer{Timer::connect_retry});
  if (state_ == State::established && reason) out.push_back(SessionDown{*reason, std::move(notification)});
  negotiated_.reset();
  established_since_.reset();
  hold_deadline_.reset();
}

std::optional<State> Fsm::run(Step step, const Payload& p, TimePoint now, Actions& out) {
  switch (step) {
    case Step::ignore:
      return std::nullopt;
    case Step::start:
    case Step::start_passive:
      passive_ = step == Step::start_passive;
      auto_restart_ = true;
      backoff_.reset();
      out.push_back(StartTimer{Timer::connect_retry, backoff_.next()});
      if (!passive_) out.push_back(ConnectTcp{});
      return std::nullopt;
    case Step::restart:
      if (!auto_restart_) return State::idle;  // a stale expiry after ManualStop
      out.push_back(StartTimer{Timer::connect_retry, backoff_.next()});
      if (passive_) return State::active;
      out.push_back(ConnectTcp{});
      return std::nullopt;
    case Step::retry_connect:
      if (state_ == State::connect) out.push_back(CloseTcp{});
      out.push_back(StartTimer{Timer::connect_retry, backoff_.next()});
      out.push_back(ConnectTcp{});
      return std::nullopt;
    case Step::connect_failed:
      out.push_back(CloseTcp{});  // the ConnectRetry timer keeps running and retries from Active
      return std::nullopt;
    case Step::send_open:
      out.push_back(StopTimer{Timer::connect_retry});
      out.push_back(Send{build_open(local_open(config_.local))});
      hold_deadline_ = now + config_.open_hold_time;
      out.push_back(StartTimer{Timer::hold, config_.open_hold_time});
      return std::nullopt;
    case Step::stop_quiet:
      go_idle(out, false, DownReason::manual_stop, std::nullopt);
      return std::nullopt;
    case Step::stop_cease: {
      auto n = shutdown_notification(p.shutdown_message);
      send_notification(out, n);
      go_idle(out, false, DownReason::manual_stop, std::move(n));
      return std::nullopt;
    }
    case Step::process_open: {
      auto negotiated = negotiate(config_.local, *p.open);
      if (!negotiated) {
        const auto& e = negotiated.error();
        NotificationMessage n{e.code, e.subcode, e.data};
        send_notification(out, n);
        go_idle(out, true, DownReason::notification_sent, std::move(n));
        return State::idle;
      }
      negotiated_ = std::move(negotiated).value();
      out.push_back(Send{build_keepalive()});
      if (negotiated_->hold_time.count() == 0) {
        hold_deadline_.reset();
        out.push_back(StopTimer{Timer::hold});
        out.push_back(StopTimer{Timer::keepalive});
      } else {
        restart_hold(out, now);
        out.push_back(StartTimer{Timer::keepalive, negotiated_->keepalive_time});
      }
      return std::nullopt;
    }
    case Step::tcp_lost:
      go_idle(out, true, DownReason::tcp_failed, std::nullopt);
      return std::nullopt;
    case Step::tcp_lost_active:
      out.push_back(CloseTcp{});
      out.push_back(StopTimer{Timer::hold});
      hold_deadline_.reset();
      out.push_back(StartTimer{Timer::connect_retry, backoff_.next()});
      return std::nullopt;
    case Step::session_up:
      restart_hold(out, now);
      backoff_.reset();
      established_since_ = now;
      out.push_back(SessionUp{*negotiated_});
      return std::nullopt;
    case Step::restart_hold:
      restart_hold(out, now);
      return std::nullopt;
    case Step::deliver_update:
      restart_hold(out, now);
      out.push_back(DeliverUpdate{*p.update});
      return std::nullopt;
    case Step::deliver_refresh:
      restart_hold(out, now);
      out.push_back(DeliverRouteRefresh{*p.refresh});
      return std::nullopt;
    case Step::send_keepalive:
      out.push_back(Send{build_keepalive()});
      if (negotiated_ && negotiated_->keepalive_time.count() > 0)
        out.push_back(StartTimer{Timer::keepalive, negotiated_->keepalive_time});
      return std::nullopt;
    case Step::hold_expired: {
      // A timer callback already queued when a message restarted the timer: not an expiry.
      if (hold_deadline_ && now < *hold_deadline_) return state_;
      if (!hold_deadline_ && state_ != State::open_sent) return state_;  // hold time 0: no hold timer
      NotificationMessage n{error_code::hold_timer_expired, 0, {}};
      send_notification(out, n);
      go_idle(out, true, DownReason::hold_timer_expired, std::move(n));
      return std::nullopt;
    }
    case Step::peer_notified:
      last_notification_ = *p.notification;
      go_idle(out, true, DownReason::notification_received, *p.notification);
      return std::nullopt;
    case Step::decode_failed: {
      NotificationMessage n{p.error->code, p.error->subcode, p.error->data};
      send_notification(out, n);
      go_idle(out, true, DownReason::notification_sent, std::move(n));
      return std::nullopt;
    }
    case Step::fsm_error: {
      // RFC 6608 subcodes: 1 OpenSent, 2 OpenConfirm, 3 Established.
      const std::uint8_t subcode = state_ == State::open_sent ? 1 : state_ == State::open_confirm ? 2 : 3;
      NotificationMessage n{error_code::fsm, subcode, {}};
      send_notification(out, n);
      go_idle(out, true, DownReason::notification_sent, std::move(n));
      return std::nullopt;
    }
    case Step::collision_dump: {
      NotificationMessage n{error_code::cease, cease_subcode::connection_collision_resolution, {}};
      send_notification(out, n);
      go_idle(out, false, DownReason::collision, std::move(n));
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace vipd::bgp
