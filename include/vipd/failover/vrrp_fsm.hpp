#pragma once
// VRRPv3 state machine (RFC 5798 §6.4) for one virtual router (one group, one address family).
// Pure: events and the current time go in, actions come out; it reads no clock, opens no socket
// and logs nothing. The adapter owns the socket and the timers and carries the actions out:
//
//   auto actions = fsm.handle(AdvertReceived::from(received), clock.now());
//   for (const auto& a : actions) std::visit(executor, a);   // SendAdvert, StartTimer, BecomeMaster...
//
// Timers: the FSM emits StartTimer{kind, duration} / StopTimer{kind} and also remembers each
// deadline, so that a stale expiry (an Asio timer that fired just after it was re-armed) is
// ignored: a *TimerExpired event counts only when its timer is armed and `now` has reached its
// deadline. An adapter may equally run one timer on next_deadline() and call advance(now).
//
// Time arithmetic follows the RFC in centiseconds with integer division (§6.1):
//   Skew_Time            = ((256 - Priority) * Master_Adver_Interval) / 256
//   Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time
// e.g. advert 10 cs (100 ms), priority 100: skew = 1560 / 256 = 6 cs (6.09 truncated), master down
// = 36 cs = 360 ms. keepalived 2.2.7 does the same sum in microseconds (60937 us of skew, 360.9 ms
// of master down; the recipes' measured 0.361 s), so vipd's backup is up to 1 cs quicker.
//
// Transition table (state x event; "-" = ignored, no actions). Preempt_Mode, priorities and the
// tie-break are guards inside the cells. Beyond RFC 5798: Fault (link lost), Releasing (planned
// handover), preempt-delay, and a master re-advertising and re-announcing when it hears a
// lower-priority master (split brain healing, as keepalived does by default).
//
//  state \ event | Startup        | Shutdown            | AdvertReceived                      | MasterDown |
//  AdvertTimer     | PreemptDelay | Handover     | LinkDown            | LinkUp Initialize    | ->Backup (arm
//  | -                   | -                                   | -              | -               | - | - |
//  note link down      | note link up
//                | MasterDown) or |                     |                                     | | | | | | |
//                ->Fault if the |                     |                                     | | | | | | |
//                link is down   |                     |                                     | | | | | |
//  Backup        | -              | stop timers         | prio 0: MasterDown = Skew_Time      | send advert,
//  | -               | like Master- | -            | stop timers ->Fault | -
//                |                | ->Initialize        | prio >= ours or !preempt: learn     | arm Advert,
//                |                 | Down (pre-   |              |                     | |                |
//                | interval, re-arm MasterDown         | BecomeMaster   |                 | emption)     | |
//                | |                |                     | lower + preempt: discard, or with   | ->Master |
//                | ->Master     |              |                     | |                | | preempt-delay arm
//                PreemptDelay and  |                |                 |              |              | | | |
//                | keep following the current master   |                |                 |              | |
//                |
//  Master        | -              | send prio 0,        | prio 0: send advert, re-arm Advert  | - | send
//  advert,    | -            | -            | send prio 0,        | -
//                |                | KeepAnswering, arm  | higher (or equal and higher source):| | re-arm
//                Advert   |              |              | BecomeBackup        | |                | Handover
//                (3 x adv)  | BecomeBackup, arm MasterDown        |                |                 | | |
//                ->Fault             | |                | ->Releasing         | ->Backup; lower: send advert,
//                |                |                 |              |              |                     | |
//                |                     | re-arm Advert, Reannounce           |                | | | | |
//  Releasing     | send advert,   | BecomeBackup        | prio > 0 (the new master):          | - | - | - |
//  BecomeBackup | BecomeBackup        | -
//                | arm Advert     | ->Initialize        | BecomeBackup ->Initialize           | | | |
//                ->Initialize | ->Initialize        | | ->Master       | (second stop: now)  | | | | | | |
//  Fault         | -              | ->Initialize        | -                                   | - | - | - | -
//  | -                   | arm MasterDown
//                |                |                     |                                     | | | | | |
//                ->Backup
//
// Every state change also emits Transition{from, to, reason}. Adverts are first screened in every
// state: another VRID, another family or our own source address -> Log and nothing else.

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "vipd/common/ip.hpp"
#include "vipd/common/result.hpp"
#include "vipd/failover/vrrp_codec.hpp"

namespace vipd::failover {

using Centiseconds = std::chrono::duration<std::int64_t, std::centi>;
using Milliseconds = std::chrono::milliseconds;
using TimePoint = std::chrono::steady_clock::time_point;

enum class State : std::uint8_t { initialize, backup, master, releasing, fault };
inline constexpr std::size_t state_count = 5;
std::string_view to_string(State state) noexcept;

enum class TimerKind : std::uint8_t { master_down, advert, preempt_delay, handover };
inline constexpr std::size_t timer_kind_count = 4;
std::string_view to_string(TimerKind kind) noexcept;

// ---- Events ----
struct Startup {};
struct Shutdown {};  // planned stop or drain: hands over (priority 0) instead of going silent
struct AdvertReceived {
  std::uint8_t vrid = 0;
  std::uint8_t priority = 0;
  std::uint16_t max_advert_interval_cs = 0;
  net::IpAddress source;  // the sender's primary address (IP source)
  std::vector<net::IpAddress> addresses;

  static AdvertReceived from(const ReceivedAdvert& received);
};
struct MasterDownTimerExpired {};
struct AdvertTimerExpired {};
struct PreemptDelayExpired {};
struct HandoverTimerExpired {};
struct LinkDown {};  // carrier or the primary address lost on the group's link
struct LinkUp {};

// The variant's order is the table's column order.
using Event = std::variant<Startup, Shutdown, AdvertReceived, MasterDownTimerExpired, AdvertTimerExpired,
                           PreemptDelayExpired, HandoverTimerExpired, LinkDown, LinkUp>;
inline constexpr std::size_t event_count = std::variant_size_v<Event>;
std::string_view event_name(std::size_t event_index) noexcept;
// The event to feed when a timer of `kind` fires.
Event expiry_event(TimerKind kind);

// ---- Actions ----
// Send this advert now (priority 0 on release). The adapter writes it with write_vrrp_message()
// from the link's primary address to the group (or each unicast peer), TTL / hop limit 255.
struct SendAdvert {
  Advert advert;
};
// (Re)arm a timer: a running timer of that kind is replaced.
struct StartTimer {
  TimerKind kind = TimerKind::master_down;
  Milliseconds duration{0};
};
struct StopTimer {
  TimerKind kind = TimerKind::master_down;
};
// Take ownership of the group's VIPs: answer ARP/NDP and send the gratuitous burst now.
struct BecomeMaster {};
// Already master, a lower-priority master was heard (split brain): send the gratuitous burst again.
// Comes with each such advert; the adapter rate-limits bursts per link.
struct Reannounce {};
// Handover started (priority 0 sent): keep answering for the VIPs until BecomeBackup.
struct KeepAnswering {};
// Release ownership: stop answering for the group's VIPs.
struct BecomeBackup {};

enum class TransitionReason : std::uint8_t {
  startup,             // Initialize -> Backup
  startup_link_down,   // Initialize -> Fault
  shutdown,            // -> Initialize
  master_down_timer,   // Backup -> Master: the master went silent (or released: skew time)
  preempt,             // Backup -> Master: preempt-delay elapsed with a lower-priority master
  higher_priority,     // Master -> Backup: a higher-priority master (or equal, higher address)
  handover_started,    // Master -> Releasing
  handover_complete,   // Releasing -> Initialize: the new master's first advert was heard
  handover_timeout,    // Releasing -> Initialize: nobody took over within 3 x advert
  handover_cancelled,  // Releasing -> Master: Startup again before release
  link_down,           // -> Fault, or Releasing -> Initialize
  link_up,             // Fault -> Backup
};
std::string_view to_string(TransitionReason reason) noexcept;

struct Transition {
  State from = State::initialize;
  State to = State::initialize;
  TransitionReason reason = TransitionReason::startup;
};

// Things worth a log line that change no state. `peer` is the advert's source when there is one.
enum class LogReason : std::uint8_t {
  wrong_vrid,                // advert for another virtual router: ignored
  wrong_family,              // advert of the other address family: ignored
  own_advert,                // our own advert looped back: ignored
  bad_interval,              // advert interval 0 or over 4095 cs (the codec refuses these): ignored
  interval_mismatch,         // the master advertises another interval than ours (learned anyway)
  address_list_mismatch,     // the master's address list differs from ours (RFC 5798 §7.1 MAY log)
  lower_priority_discarded,  // backup with preempt: a lower-priority master, about to be preempted
  preempt_delayed,           // backup with preempt-delay: following a lower-priority master for now
};
std::string_view to_string(LogReason reason) noexcept;

struct Log {
  LogReason reason = LogReason::wrong_vrid;
  net::IpAddress peer;
  std::uint32_t value = 0;  // the VRID, or the received interval in centiseconds
};

using Action = std::variant<SendAdvert, StartTimer, StopTimer, BecomeMaster, Reannounce, KeepAnswering,
                            BecomeBackup, Transition, Log>;
using Actions = std::vector<Action>;
// One line per action, e.g. "StartTimer(master_down, 360ms)", "SendAdvert(prio 0)": for logs/tests.
std::string to_string(const Action& action);

// ---- Configuration ----
struct VrrpConfig {
  std::uint8_t vrid = 1;              // 1-255
  std::uint8_t priority = 100;        // 1-254; 255 (address owner) is not supported
  Centiseconds advert_interval{100};  // 1-4095 cs
  bool preempt = true;
  Milliseconds preempt_delay{0};          // >= 0; 0 = preempt as soon as the master-down timer fires
  net::IpAddress primary_address;         // our advert source: IPv4 primary or IPv6 link-local
  std::vector<net::IpAddress> addresses;  // the VIPs of this family in the group (advert list)
};

enum class ConfigError : std::uint8_t {
  owner_priority_unsupported,  // priority 255: vipd never owns the VIPs as interface addresses
  zero_priority,               // priority 0 is reserved for "master stops"
  zero_vrid,
  bad_advert_interval,  // outside 1-4095 centiseconds
  negative_preempt_delay,
  family_mismatch,     // an address of another family than primary_address
  too_many_addresses,  // more than 255 (the count field is one byte)
};
std::string_view to_string(ConfigError error) noexcept;

// RFC 5798 §6.1 arithmetic, exposed for the status output and the tests.
Centiseconds skew_time(std::uint8_t priority, Centiseconds master_adver_interval) noexcept;
Centiseconds master_down_interval(std::uint8_t priority, Centiseconds master_adver_interval) noexcept;
// Bound of the planned handover: 3 x Advertisement_Interval.
Centiseconds handover_bound(Centiseconds advert_interval) noexcept;

class VrrpFsm {
 public:
  static Result<VrrpFsm, ConfigError> create(VrrpConfig config);

  // Feeds one event at time `now`. Never throws on untrusted adverts.
  Actions handle(const Event& event, TimePoint now);
  // Fires every armed timer whose deadline is <= now, earliest first (a single-timer adapter or a
  // fake clock in tests). Actions of all fired timers, in order.
  Actions advance(TimePoint now);
  // The earliest armed deadline, if any.
  std::optional<TimePoint> next_deadline() const noexcept;
  std::optional<TimePoint> deadline(TimerKind kind) const noexcept;

  // Live changes from the daemon: the VIP list (next adverts carry it) and the primary address.
  // Return false (and change nothing) on a family mismatch or too many addresses.
  bool set_addresses(std::vector<net::IpAddress> addresses);
  bool set_primary_address(const net::IpAddress& address);

  State state() const noexcept { return state_; }
  const VrrpConfig& config() const noexcept { return config_; }
  bool link_up() const noexcept { return link_up_; }
  Centiseconds master_adver_interval() const noexcept { return master_adver_interval_; }
  Centiseconds skew_time() const noexcept;
  Centiseconds master_down_interval() const noexcept;
  // The current master as far as we know: ourselves when Master/Releasing, the source of the last
  // accepted advert when Backup, nothing otherwise.
  std::optional<net::IpAddress> master_address() const;
  // The last state change (nothing before the first one) and when it happened.
  const std::optional<Transition>& last_transition() const noexcept { return last_transition_; }
  std::optional<TimePoint> last_transition_time() const noexcept { return last_transition_time_; }

  // The advert this router sends with `priority` (its own, or 0 when releasing).
  Advert make_advert(std::uint8_t priority) const;

 private:
  explicit VrrpFsm(VrrpConfig config);

  struct Step;  // per-event context: now + the actions being collected
  using Handler = State (VrrpFsm::*)(const Event&, Step&);
  static const std::array<std::array<Handler, event_count>, state_count> table_;

  // One handler per non-trivial cell, named <state>_<event>.
  State ignore(const Event&, Step&);
  State initialize_startup(const Event&, Step&);
  State note_link_down(const Event&, Step&);
  State note_link_up(const Event&, Step&);
  State backup_shutdown(const Event&, Step&);
  State backup_advert(const Event&, Step&);
  State backup_master_down(const Event&, Step&);
  State backup_preempt_delay(const Event&, Step&);
  State backup_link_down(const Event&, Step&);
  State master_shutdown(const Event&, Step&);
  State master_advert(const Event&, Step&);
  State master_advert_timer(const Event&, Step&);
  State master_link_down(const Event&, Step&);
  State releasing_startup(const Event&, Step&);
  State releasing_release(const Event&, Step&);
  State releasing_advert(const Event&, Step&);
  State fault_shutdown(const Event&, Step&);
  State fault_link_up(const Event&, Step&);

  // Helpers shared by the cells.
  State become_master(Step& step, TransitionReason reason);
  void start_timer(Step& step, TimerKind kind, Milliseconds duration);
  void stop_timer(Step& step, TimerKind kind);
  void stop_all_timers(Step& step);
  void send_advert(Step& step, std::uint8_t priority);
  void learn_from(Step& step, const AdvertReceived& advert);
  bool screen(Step& step, const AdvertReceived& advert);  // false: ignore this advert
  void enter_backup_timers(Step& step);

  VrrpConfig config_;
  State state_ = State::initialize;
  bool link_up_ = true;
  Centiseconds master_adver_interval_;
  std::optional<net::IpAddress> master_address_;  // last accepted advert source (Backup)
  bool address_mismatch_logged_ = false;
  std::array<std::optional<TimePoint>, timer_kind_count> deadlines_{};
  std::optional<Transition> last_transition_;
  std::optional<TimePoint> last_transition_time_;
};

}  // namespace vipd::failover
