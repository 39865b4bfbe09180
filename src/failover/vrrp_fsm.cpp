#include "vipd/failover/vrrp_fsm.hpp"

#include <algorithm>
#include <utility>

namespace vipd::failover {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

constexpr std::size_t idx(State s) noexcept {
  return static_cast<std::size_t>(s);
}
constexpr std::size_t idx(TimerKind k) noexcept {
  return static_cast<std::size_t>(k);
}

Milliseconds to_ms(Centiseconds cs) noexcept {
  return std::chrono::duration_cast<Milliseconds>(cs);
}

// The timer an expiry event belongs to.
std::optional<TimerKind> timer_of(const Event& event) noexcept {
  if (std::holds_alternative<MasterDownTimerExpired>(event)) return TimerKind::master_down;
  if (std::holds_alternative<AdvertTimerExpired>(event)) return TimerKind::advert;
  if (std::holds_alternative<PreemptDelayExpired>(event)) return TimerKind::preempt_delay;
  if (std::holds_alternative<HandoverTimerExpired>(event)) return TimerKind::handover;
  return std::nullopt;
}

std::vector<net::IpAddress> sorted(std::vector<net::IpAddress> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

Event expiry_event(TimerKind kind) {
  switch (kind) {
    case TimerKind::master_down:
      return MasterDownTimerExpired{};
    case TimerKind::advert:
      return AdvertTimerExpired{};
    case TimerKind::preempt_delay:
      return PreemptDelayExpired{};
    case TimerKind::handover:
      return HandoverTimerExpired{};
  }
  return MasterDownTimerExpired{};
}

struct VrrpFsm::Step {
  TimePoint now;
  Actions actions;
  TransitionReason reason = TransitionReason::startup;
};

// ---- names ----

std::string_view to_string(State state) noexcept {
  switch (state) {
    case State::initialize:
      return "initialize";
    case State::backup:
      return "backup";
    case State::master:
      return "master";
    case State::releasing:
      return "releasing";
    case State::fault:
      return "fault";
  }
  return "unknown";
}

std::string_view to_string(TimerKind kind) noexcept {
  switch (kind) {
    case TimerKind::master_down:
      return "master_down";
    case TimerKind::advert:
      return "advert";
    case TimerKind::preempt_delay:
      return "preempt_delay";
    case TimerKind::handover:
      return "handover";
  }
  return "unknown";
}

std::string_view event_name(std::size_t event_index) noexcept {
  static constexpr std::array<std::string_view, event_count> names{"Startup",
                                                                   "Shutdown",
                                                                   "AdvertReceived",
                                                                   "MasterDownTimerExpired",
                                                                   "AdvertTimerExpired",
                                                                   "PreemptDelayExpired",
                                                                   "HandoverTimerExpired",
                                                                   "LinkDown",
                                                                   "LinkUp"};
  return event_index < names.size() ? names[event_index] : "unknown";
}

std::string_view to_string(TransitionReason reason) noexcept {
  switch (reason) {
    case TransitionReason::startup:
      return "startup";
    case TransitionReason::startup_link_down:
      return "startup_link_down";
    case TransitionReason::shutdown:
      return "shutdown";
    case TransitionReason::master_down_timer:
      return "master_down_timer";
    case TransitionReason::preempt:
      return "preempt";
    case TransitionReason::higher_priority:
      return "higher_priority";
    case TransitionReason::handover_started:
      return "handover_started";
    case TransitionReason::handover_complete:
      return "handover_complete";
    case TransitionReason::handover_timeout:
      return "handover_timeout";
    case TransitionReason::handover_cancelled:
      return "handover_cancelled";
    case TransitionReason::link_down:
      return "link_down";
    case TransitionReason::link_up:
      return "link_up";
  }
  return "unknown";
}

std::string_view to_string(LogReason reason) noexcept {
  switch (reason) {
    case LogReason::wrong_vrid:
      return "wrong_vrid";
    case LogReason::wrong_family:
      return "wrong_family";
    case LogReason::own_advert:
      return "own_advert";
    case LogReason::bad_interval:
      return "bad_interval";
    case LogReason::interval_mismatch:
      return "interval_mismatch";
    case LogReason::address_list_mismatch:
      return "address_list_mismatch";
    case LogReason::lower_priority_discarded:
      return "lower_priority_discarded";
    case LogReason::preempt_delayed:
      return "preempt_delayed";
  }
  return "unknown";
}

std::string_view to_string(ConfigError error) noexcept {
  switch (error) {
    case ConfigError::owner_priority_unsupported:
      return "priority 255 (address owner) is not supported: vipd VIPs are never interface addresses; use "
             "1-254";
    case ConfigError::zero_priority:
      return "priority 0 is reserved for a master that stops; use 1-254";
    case ConfigError::zero_vrid:
      return "vrid must be 1-255";
    case ConfigError::bad_advert_interval:
      return "advert interval must be 10ms-40.95s (1-4095 centiseconds)";
    case ConfigError::negative_preempt_delay:
      return "preempt delay must not be negative";
    case ConfigError::family_mismatch:
      return "addresses must all be of the primary address's family";
    case ConfigError::too_many_addresses:
      return "at most 255 addresses per VRRP advert";
  }
  return "unknown";
}

std::string to_string(const Action& action) {
  return std::visit(
      Overloaded{
          [](const SendAdvert& a) { return "SendAdvert(prio " + std::to_string(a.advert.priority) + ")"; },
          [](const StartTimer& a) {
            return "StartTimer(" + std::string(to_string(a.kind)) + ", " +
                   std::to_string(a.duration.count()) + "ms)";
          },
          [](const StopTimer& a) { return "StopTimer(" + std::string(to_string(a.kind)) + ")"; },
          [](const BecomeMaster&) { return std::string("BecomeMaster"); },
          [](const Reannounce&) { return std::string("Reannounce"); },
          [](const KeepAnswering&) { return std::string("KeepAnswering"); },
          [](const BecomeBackup&) { return std::string("BecomeBackup"); },
          [](const Transition& a) {
            return "Transition(" + std::string(to_string(a.from)) + "->" + std::string(to_string(a.to)) +
                   ", " + std::string(to_string(a.reason)) + ")";
          },
          [](const Log& a) {
            return "Log(" + std::string(to_string(a.reason)) + ", " + a.peer.to_string() + ", " +
                   std::to_string(a.value) + ")";
          },
      },
      action);
}

AdvertReceived AdvertReceived::from(const ReceivedAdvert& received) {
  return AdvertReceived{received.advert.vrid, received.advert.priority,
                        received.advert.max_advert_interval_cs, received.source, received.advert.addresses};
}

// ---- arithmetic (RFC 5798 §6.1, centiseconds, integer division) ----

Centiseconds skew_time(std::uint8_t priority, Centiseconds master_adver_interval) noexcept {
  return Centiseconds(((256 - static_cast<std::int64_t>(priority)) * master_adver_interval.count()) / 256);
}

Centiseconds master_down_interval(std::uint8_t priority, Centiseconds master_adver_interval) noexcept {
  return 3 * master_adver_interval + skew_time(priority, master_adver_interval);
}

Centiseconds handover_bound(Centiseconds advert_interval) noexcept {
  return 3 * advert_interval;
}

// ---- construction ----

Result<VrrpFsm, ConfigError> VrrpFsm::create(VrrpConfig config) {
  if (config.priority == vrrp_priority_owner) return unexpected(ConfigError::owner_priority_unsupported);
  if (config.priority == vrrp_priority_release) return unexpected(ConfigError::zero_priority);
  if (config.vrid == 0) return unexpected(ConfigError::zero_vrid);
  if (config.advert_interval.count() < 1 || config.advert_interval.count() > vrrp_max_interval_cs) {
    return unexpected(ConfigError::bad_advert_interval);
  }
  if (config.preempt_delay.count() < 0) return unexpected(ConfigError::negative_preempt_delay);
  if (config.addresses.size() > vrrp_max_addresses) return unexpected(ConfigError::too_many_addresses);
  const auto family = config.primary_address.family();
  for (const auto& a : config.addresses) {
    if (a.family() != family) return unexpected(ConfigError::family_mismatch);
  }
  return VrrpFsm(std::move(config));
}

VrrpFsm::VrrpFsm(VrrpConfig config)
    : config_(std::move(config)), master_adver_interval_(config_.advert_interval) {}

bool VrrpFsm::set_addresses(std::vector<net::IpAddress> addresses) {
  if (addresses.size() > vrrp_max_addresses) return false;
  for (const auto& a : addresses) {
    if (a.family() != config_.primary_address.family()) return false;
  }
  config_.addresses = std::move(addresses);
  address_mismatch_logged_ = false;
  return true;
}

bool VrrpFsm::set_primary_address(const net::IpAddress& address) {
  if (address.family() != config_.primary_address.family()) return false;
  config_.primary_address = address;
  return true;
}

// ---- queries ----

Centiseconds VrrpFsm::skew_time() const noexcept {
  return failover::skew_time(config_.priority, master_adver_interval_);
}

Centiseconds VrrpFsm::master_down_interval() const noexcept {
  return failover::master_down_interval(config_.priority, master_adver_interval_);
}

std::optional<net::IpAddress> VrrpFsm::master_address() const {
  if (state_ == State::master || state_ == State::releasing) return config_.primary_address;
  if (state_ == State::backup) return master_address_;
  return std::nullopt;
}

std::optional<TimePoint> VrrpFsm::deadline(TimerKind kind) const noexcept {
  return deadlines_[idx(kind)];
}

std::optional<TimePoint> VrrpFsm::next_deadline() const noexcept {
  std::optional<TimePoint> earliest;
  for (const auto& d : deadlines_) {
    if (d && (!earliest || *d < *earliest)) earliest = d;
  }
  return earliest;
}

Advert VrrpFsm::make_advert(std::uint8_t priority) const {
  return Advert{config_.primary_address.family(), config_.vrid, priority,
                static_cast<std::uint16_t>(config_.advert_interval.count()), config_.addresses};
}

// ---- dispatch ----

// Rows: State; columns: Event alternatives in declaration order (see the table in the header).
const std::array<std::array<VrrpFsm::Handler, event_count>, state_count> VrrpFsm::table_{{
    // Startup, Shutdown, AdvertReceived, MasterDown, AdvertTimer, PreemptDelay, Handover, LinkDown, LinkUp
    /* initialize */ {&VrrpFsm::initialize_startup, &VrrpFsm::ignore, &VrrpFsm::ignore, &VrrpFsm::ignore,
                      &VrrpFsm::ignore, &VrrpFsm::ignore, &VrrpFsm::ignore, &VrrpFsm::note_link_down,
                      &VrrpFsm::note_link_up},
    /* backup */
    {&VrrpFsm::ignore, &VrrpFsm::backup_shutdown, &VrrpFsm::backup_advert, &VrrpFsm::backup_master_down,
     &VrrpFsm::ignore, &VrrpFsm::backup_preempt_delay, &VrrpFsm::ignore, &VrrpFsm::backup_link_down,
     &VrrpFsm::ignore},
    /* master */
    {&VrrpFsm::ignore, &VrrpFsm::master_shutdown, &VrrpFsm::master_advert, &VrrpFsm::ignore,
     &VrrpFsm::master_advert_timer, &VrrpFsm::ignore, &VrrpFsm::ignore, &VrrpFsm::master_link_down,
     &VrrpFsm::ignore},
    /* releasing */
    {&VrrpFsm::releasing_startup, &VrrpFsm::releasing_release, &VrrpFsm::releasing_advert, &VrrpFsm::ignore,
     &VrrpFsm::ignore, &VrrpFsm::ignore, &VrrpFsm::releasing_release, &VrrpFsm::releasing_release,
     &VrrpFsm::ignore},
    /* fault */
    {&VrrpFsm::ignore, &VrrpFsm::fault_shutdown, &VrrpFsm::ignore, &VrrpFsm::ignore, &VrrpFsm::ignore,
     &VrrpFsm::ignore, &VrrpFsm::ignore, &VrrpFsm::ignore, &VrrpFsm::fault_link_up},
}};

Actions VrrpFsm::handle(const Event& event, TimePoint now) {
  Step step{now, {}, TransitionReason::startup};
  if (const auto kind = timer_of(event)) {
    // A stale expiry (timer stopped or re-armed since) must not act: that would be a false
    // takeover or a spurious advert.
    auto& d = deadlines_[idx(*kind)];
    if (!d || now < *d) return {};
    d.reset();
  }
  const State from = state_;
  const State to = (this->*table_[idx(from)][event.index()])(event, step);
  if (to != from) {
    state_ = to;
    const Transition transition{from, to, step.reason};
    step.actions.emplace_back(transition);
    last_transition_ = transition;
    last_transition_time_ = now;
  }
  return std::move(step.actions);
}

Actions VrrpFsm::advance(TimePoint now) {
  Actions all;
  // Each timer fires at its own deadline so a periodic timer keeps its phase. Every re-arm moves a
  // deadline forward by at least 10 ms, so the loop ends.
  for (;;) {
    std::optional<std::size_t> due;
    for (std::size_t k = 0; k < timer_kind_count; ++k) {
      if (deadlines_[k] && *deadlines_[k] <= now && (!due || *deadlines_[k] < *deadlines_[*due])) due = k;
    }
    if (!due) break;
    auto actions = handle(expiry_event(static_cast<TimerKind>(*due)), *deadlines_[*due]);
    all.insert(all.end(), std::make_move_iterator(actions.begin()), std::make_move_iterator(actions.end()));
  }
  return all;
}

// ---- helpers ----

void VrrpFsm::start_timer(Step& step, TimerKind kind, Milliseconds duration) {
  deadlines_[idx(kind)] = step.now + duration;
  step.actions.emplace_back(StartTimer{kind, duration});
}

void VrrpFsm::stop_timer(Step& step, TimerKind kind) {
  if (!deadlines_[idx(kind)]) return;  // not running: nothing to say
  deadlines_[idx(kind)].reset();
  step.actions.emplace_back(StopTimer{kind});
}

void VrrpFsm::stop_all_timers(Step& step) {
  for (std::size_t k = 0; k < timer_kind_count; ++k) stop_timer(step, static_cast<TimerKind>(k));
}

void VrrpFsm::send_advert(Step& step, std::uint8_t priority) {
  step.actions.emplace_back(SendAdvert{make_advert(priority)});
}

void VrrpFsm::enter_backup_timers(Step& step) {
  master_adver_interval_ = config_.advert_interval;
  master_address_.reset();
  start_timer(step, TimerKind::master_down, to_ms(master_down_interval()));
}

bool VrrpFsm::screen(Step& step, const AdvertReceived& advert) {
  if (advert.vrid != config_.vrid) {
    step.actions.emplace_back(Log{LogReason::wrong_vrid, advert.source, advert.vrid});
    return false;
  }
  if (advert.source.family() != config_.primary_address.family()) {
    step.actions.emplace_back(Log{LogReason::wrong_family, advert.source, advert.vrid});
    return false;
  }
  if (advert.source == config_.primary_address) {
    step.actions.emplace_back(Log{LogReason::own_advert, advert.source, advert.vrid});
    return false;
  }
  if (advert.max_advert_interval_cs == 0 || advert.max_advert_interval_cs > vrrp_max_interval_cs) {
    step.actions.emplace_back(Log{LogReason::bad_interval, advert.source, advert.max_advert_interval_cs});
    return false;
  }
  // Logged once per mismatch episode: adverts come every interval, the log line should not.
  const bool same_list = sorted(advert.addresses) == sorted(config_.addresses);
  if (!same_list && !address_mismatch_logged_) {
    step.actions.emplace_back(Log{LogReason::address_list_mismatch, advert.source,
                                  static_cast<std::uint32_t>(advert.addresses.size())});
  }
  address_mismatch_logged_ = !same_list;
  return true;
}

void VrrpFsm::learn_from(Step& step, const AdvertReceived& advert) {
  const Centiseconds received{advert.max_advert_interval_cs};
  // Logged when the learned value changes to something other than ours, not on every advert.
  if (received != master_adver_interval_ && received != config_.advert_interval) {
    step.actions.emplace_back(
        Log{LogReason::interval_mismatch, advert.source, advert.max_advert_interval_cs});
  }
  master_adver_interval_ = received;
  master_address_ = advert.source;
}

State VrrpFsm::become_master(Step& step, TransitionReason reason) {
  stop_timer(step, TimerKind::master_down);
  stop_timer(step, TimerKind::preempt_delay);
  send_advert(step, config_.priority);
  step.actions.emplace_back(BecomeMaster{});
  start_timer(step, TimerKind::advert, to_ms(config_.advert_interval));
  master_address_.reset();
  step.reason = reason;
  return State::master;
}

// ---- cells ----

State VrrpFsm::ignore(const Event&, Step&) {
  return state_;
}

State VrrpFsm::initialize_startup(const Event&, Step& step) {
  if (!link_up_) {
    step.reason = TransitionReason::startup_link_down;
    return State::fault;
  }
  enter_backup_timers(step);
  step.reason = TransitionReason::startup;
  return State::backup;
}

State VrrpFsm::note_link_down(const Event&, Step&) {
  link_up_ = false;
  return state_;
}

State VrrpFsm::note_link_up(const Event&, Step&) {
  link_up_ = true;
  return state_;
}

State VrrpFsm::backup_shutdown(const Event&, Step& step) {
  stop_all_timers(step);
  master_address_.reset();
  step.reason = TransitionReason::shutdown;
  return State::initialize;
}

State VrrpFsm::backup_advert(const Event& event, Step& step) {
  const auto& advert = std::get<AdvertReceived>(event);
  if (!screen(step, advert)) return State::backup;
  if (advert.priority == vrrp_priority_release) {
    // The master is leaving: take over after Skew_Time instead of Master_Down_Interval (§6.4.2).
    start_timer(step, TimerKind::master_down, to_ms(skew_time()));
    return State::backup;
  }
  if (!config_.preempt || advert.priority >= config_.priority) {
    learn_from(step, advert);
    stop_timer(step, TimerKind::preempt_delay);  // the lower-priority master is gone
    start_timer(step, TimerKind::master_down, to_ms(master_down_interval()));
    return State::backup;
  }
  // A lower-priority master and we preempt.
  if (config_.preempt_delay.count() > 0) {
    // Follow it until the delay has passed, then take over (PreemptDelayExpired).
    if (!deadlines_[idx(TimerKind::preempt_delay)]) {
      step.actions.emplace_back(Log{LogReason::preempt_delayed, advert.source, advert.priority});
      start_timer(step, TimerKind::preempt_delay, config_.preempt_delay);
    }
    learn_from(step, advert);
    start_timer(step, TimerKind::master_down, to_ms(master_down_interval()));
    return State::backup;
  }
  // RFC 5798 §6.4.2: discard; the master-down timer then makes us master.
  step.actions.emplace_back(Log{LogReason::lower_priority_discarded, advert.source, advert.priority});
  return State::backup;
}

State VrrpFsm::backup_master_down(const Event&, Step& step) {
  return become_master(step, TransitionReason::master_down_timer);
}

State VrrpFsm::backup_preempt_delay(const Event&, Step& step) {
  return become_master(step, TransitionReason::preempt);
}

State VrrpFsm::backup_link_down(const Event&, Step& step) {
  link_up_ = false;
  stop_all_timers(step);
  master_address_.reset();
  step.reason = TransitionReason::link_down;
  return State::fault;
}

State VrrpFsm::master_shutdown(const Event&, Step& step) {
  // Planned handover: priority 0 makes the backup take over after Skew_Time; we keep answering
  // until its first advert (or the bound) so that no probe goes unanswered in between.
  stop_timer(step, TimerKind::advert);
  send_advert(step, vrrp_priority_release);
  step.actions.emplace_back(KeepAnswering{});
  start_timer(step, TimerKind::handover, to_ms(handover_bound(config_.advert_interval)));
  step.reason = TransitionReason::handover_started;
  return State::releasing;
}

State VrrpFsm::master_advert(const Event& event, Step& step) {
  const auto& advert = std::get<AdvertReceived>(event);
  if (!screen(step, advert)) return State::master;
  if (advert.priority == vrrp_priority_release) {
    // Another master is leaving: advertise at once so backups don't take over (§6.4.3).
    send_advert(step, config_.priority);
    start_timer(step, TimerKind::advert, to_ms(config_.advert_interval));
    return State::master;
  }
  const bool higher = advert.priority > config_.priority ||
                      (advert.priority == config_.priority && advert.source > config_.primary_address);
  if (higher) {
    stop_timer(step, TimerKind::advert);
    learn_from(step, advert);
    start_timer(step, TimerKind::master_down, to_ms(master_down_interval()));
    step.actions.emplace_back(BecomeBackup{});
    step.reason = TransitionReason::higher_priority;
    return State::backup;
  }
  // A lower-priority master (split brain): RFC 5798 discards; like keepalived we also advertise
  // and announce again at once, so that it steps down and the clients' caches point back at us.
  send_advert(step, config_.priority);
  start_timer(step, TimerKind::advert, to_ms(config_.advert_interval));
  step.actions.emplace_back(Reannounce{});
  return State::master;
}

State VrrpFsm::master_advert_timer(const Event&, Step& step) {
  send_advert(step, config_.priority);
  start_timer(step, TimerKind::advert, to_ms(config_.advert_interval));
  return State::master;
}

State VrrpFsm::master_link_down(const Event&, Step& step) {
  // Release at once (no timers); the priority-0 advert gets out only if the link still carries it.
  link_up_ = false;
  stop_all_timers(step);
  send_advert(step, vrrp_priority_release);
  step.actions.emplace_back(BecomeBackup{});
  step.reason = TransitionReason::link_down;
  return State::fault;
}

State VrrpFsm::releasing_startup(const Event&, Step& step) {
  // Drain undone before anyone took over: we never stopped answering, so no new announcement.
  stop_timer(step, TimerKind::handover);
  send_advert(step, config_.priority);
  start_timer(step, TimerKind::advert, to_ms(config_.advert_interval));
  step.reason = TransitionReason::handover_cancelled;
  return State::master;
}

State VrrpFsm::releasing_release(const Event& event, Step& step) {
  if (std::holds_alternative<LinkDown>(event)) {
    link_up_ = false;
    step.reason = TransitionReason::link_down;
  } else if (std::holds_alternative<HandoverTimerExpired>(event)) {
    step.reason = TransitionReason::handover_timeout;
  } else {
    step.reason = TransitionReason::shutdown;  // a second stop request: release now
  }
  stop_timer(step, TimerKind::handover);
  step.actions.emplace_back(BecomeBackup{});
  return State::initialize;
}

State VrrpFsm::releasing_advert(const Event& event, Step& step) {
  const auto& advert = std::get<AdvertReceived>(event);
  if (!screen(step, advert)) return State::releasing;
  if (advert.priority == vrrp_priority_release) return State::releasing;  // nobody to hand over to
  stop_timer(step, TimerKind::handover);
  step.actions.emplace_back(BecomeBackup{});
  step.reason = TransitionReason::handover_complete;
  return State::initialize;
}

State VrrpFsm::fault_shutdown(const Event&, Step& step) {
  step.reason = TransitionReason::shutdown;
  return State::initialize;
}

State VrrpFsm::fault_link_up(const Event&, Step& step) {
  link_up_ = true;
  enter_backup_timers(step);
  step.reason = TransitionReason::link_up;
  return State::backup;
}

}  // namespace vipd::failover
