// VRRPv3 state machine: every cell of the transition table (parameterised), the RFC 5798 §6.1
// arithmetic with the keepalived anchors, and scenarios between two FSMs on a fake clock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "vipd/failover/vrrp_codec.hpp"
#include "vipd/failover/vrrp_fsm.hpp"

namespace vipd::failover {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using Strings = std::vector<std::string>;

net::IpAddress ip(const char* text) {
  return *net::IpAddress::parse(text);
}

const TimePoint t0{};  // the fake clock's epoch

// Our router: vrid 51, priority 100, 100 ms adverts, primary 10.0.0.2, VIP 10.0.0.100.
VrrpConfig base_config() {
  VrrpConfig c;
  c.vrid = 51;
  c.priority = 100;
  c.advert_interval = Centiseconds(10);
  c.primary_address = ip("10.0.0.2");
  c.addresses = {ip("10.0.0.100")};
  return c;
}

AdvertReceived advert(std::uint8_t priority, const char* source = "10.0.0.1", std::uint16_t interval_cs = 10,
                      std::uint8_t vrid = 51, std::vector<net::IpAddress> addresses = {ip("10.0.0.100")}) {
  return AdvertReceived{vrid, priority, interval_cs, ip(source), std::move(addresses)};
}

Strings describe(const Actions& actions) {
  Strings out;
  for (const auto& a : actions) out.push_back(to_string(a));
  return out;
}

VrrpFsm make(const VrrpConfig& config = base_config()) {
  auto r = VrrpFsm::create(config);
  EXPECT_TRUE(r.ok());
  return std::move(r).value();
}

// Drives one FSM with a fake clock.
struct Harness {
  explicit Harness(const VrrpConfig& config = base_config()) : fsm(make(config)) {}
  VrrpFsm fsm;
  TimePoint now = t0;

  Actions feed(const Event& e) { return fsm.handle(e, now); }
  Actions at(Milliseconds since_epoch, const Event& e) {
    now = t0 + since_epoch;
    return fsm.handle(e, now);
  }
  // Moves the clock to the timer's deadline and fires it through the event (not advance()).
  Actions fire(TimerKind kind) {
    const auto d = fsm.deadline(kind);
    EXPECT_TRUE(d.has_value()) << to_string(kind);
    if (d) now = *d;
    return fsm.handle(expiry(kind), now);
  }
  Actions advance_by(Milliseconds d) {
    now += d;
    return fsm.advance(now);
  }
  static Event expiry(TimerKind kind) {
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
};

// Brings a fresh harness into `state` the ordinary way.
void reach(Harness& h, State state) {
  switch (state) {
    case State::initialize:
      return;
    case State::backup:
      h.feed(Startup{});
      break;
    case State::master:
      h.feed(Startup{});
      h.fire(TimerKind::master_down);
      break;
    case State::releasing:
      reach(h, State::master);
      h.feed(Shutdown{});
      break;
    case State::fault:
      h.feed(Startup{});
      h.feed(LinkDown{});
      break;
  }
  ASSERT_EQ(h.fsm.state(), state);
}

// ---------------------------------------------------------------------------------------------
// Arithmetic (RFC 5798 §6.1, centiseconds, integer division)

struct ArithmeticCase {
  int priority;
  int interval_cs;
  int skew_cs;
  int master_down_cs;
};

class VrrpArithmetic : public ::testing::TestWithParam<ArithmeticCase> {};

TEST_P(VrrpArithmetic, SkewAndMasterDown) {
  const auto& c = GetParam();
  const auto p = static_cast<std::uint8_t>(c.priority);
  EXPECT_EQ(skew_time(p, Centiseconds(c.interval_cs)).count(), c.skew_cs);
  EXPECT_EQ(master_down_interval(p, Centiseconds(c.interval_cs)).count(), c.master_down_cs);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc, VrrpArithmetic,
    ::testing::Values(
        // keepalived anchor, advert 100 ms, backup priority 100: 156 x 10 / 256 = 6.09 -> 6 cs;
        // 30 + 6 = 36 cs = 360 ms (keepalived in microseconds: 300 + 60.9375 = 360.9 ms).
        ArithmeticCase{100, 10, 6, 36},
        // advert 1 s: 156 x 100 / 256 = 60.9 -> 60 cs, 3.60 s (keepalived measured 3.61 s).
        ArithmeticCase{100, 100, 60, 360},
        // advert 20 ms: 312 / 256 = 1.2 -> 1 cs, 70 ms (keepalived 72.2 ms).
        ArithmeticCase{100, 2, 1, 7},
        // The lab's master priority 150: 106 x 10 / 256 = 4.1 -> 4 cs, 340 ms.
        ArithmeticCase{150, 10, 4, 34},
        // Priority 254 at 100 ms: 2 x 10 / 256 = 0.08 -> 0: the integer math loses the skew.
        ArithmeticCase{254, 10, 0, 30},
        // Priority 1 at the 10 ms minimum: 255 / 256 -> 0.
        ArithmeticCase{1, 1, 0, 3},
        // Extremes: 40.95 s, priority 1: 255 x 4095 / 256 = 4079.0 -> 4079 cs.
        ArithmeticCase{1, 4095, 4079, 16364}));

TEST(VrrpFsm, HandoverBoundIsThreeAdverts) {
  EXPECT_EQ(handover_bound(Centiseconds(10)), Centiseconds(30));
}

// ---------------------------------------------------------------------------------------------
// Configuration

TEST(VrrpFsm, ConfigErrors) {
  auto expect_error = [](VrrpConfig c, ConfigError e) {
    auto r = VrrpFsm::create(std::move(c));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), e) << to_string(r.error());
  };
  auto c = base_config();
  c.priority = 255;
  expect_error(c, ConfigError::owner_priority_unsupported);
  c = base_config();
  c.priority = 0;
  expect_error(c, ConfigError::zero_priority);
  c = base_config();
  c.vrid = 0;
  expect_error(c, ConfigError::zero_vrid);
  c = base_config();
  c.advert_interval = Centiseconds(0);
  expect_error(c, ConfigError::bad_advert_interval);
  c.advert_interval = Centiseconds(4096);
  expect_error(c, ConfigError::bad_advert_interval);
  c = base_config();
  c.preempt_delay = Milliseconds(-1);
  expect_error(c, ConfigError::negative_preempt_delay);
  c = base_config();
  c.addresses.push_back(ip("fd00::1"));
  expect_error(c, ConfigError::family_mismatch);
  c = base_config();
  c.addresses.assign(256, ip("10.0.0.100"));
  expect_error(c, ConfigError::too_many_addresses);

  EXPECT_TRUE(VrrpFsm::create(base_config()).ok());
  c = base_config();
  c.priority = 254;
  c.advert_interval = Centiseconds(4095);
  EXPECT_TRUE(VrrpFsm::create(c).ok());
  EXPECT_NE(std::string(to_string(ConfigError::owner_priority_unsupported)).find("255"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// The table, cell by cell

struct Cell {
  std::string name;
  State from;
  std::function<void(VrrpConfig&)> configure;  // guards: preempt, preempt-delay...
  std::function<void(Harness&)> prelude;       // extra events after reaching `from`
  Event event;
  std::optional<TimerKind> at_deadline;  // deliver the timer event at its deadline
  State to;
  Strings actions;
};

void no_config(VrrpConfig&) {}
void no_prelude(Harness&) {}

Cell cell(std::string name, State from, Event event, State to, Strings actions,
          std::optional<TimerKind> at_deadline = std::nullopt,
          std::function<void(VrrpConfig&)> configure = no_config,
          std::function<void(Harness&)> prelude = no_prelude) {
  return Cell{std::move(name), from, std::move(configure), std::move(prelude), std::move(event),
              at_deadline,     to,   std::move(actions)};
}

const std::string to_master_down_360 = "StartTimer(master_down, 360ms)";
const std::string send_100 = "SendAdvert(prio 100)";
const std::string send_0 = "SendAdvert(prio 0)";
const std::string advert_timer_100 = "StartTimer(advert, 100ms)";

std::vector<Cell> table_cells() {
  using S = State;
  using T = TimerKind;
  auto preempt_off = [](VrrpConfig& c) { c.preempt = false; };
  auto preempt_delay = [](VrrpConfig& c) { c.preempt_delay = 200ms; };
  auto link_down = [](Harness& h) { h.feed(LinkDown{}); };
  auto lower_master_heard = [](Harness& h) { h.feed(advert(50)); };
  return {
      // Initialize
      cell("init_startup", S::initialize, Startup{}, S::backup,
           {to_master_down_360, "Transition(initialize->backup, startup)"}),
      cell("init_startup_link_down", S::initialize, Startup{}, S::fault,
           {"Transition(initialize->fault, startup_link_down)"}, {}, no_config, link_down),
      cell("init_shutdown", S::initialize, Shutdown{}, S::initialize, {}),
      cell("init_advert", S::initialize, advert(200), S::initialize, {}),
      cell("init_master_down", S::initialize, MasterDownTimerExpired{}, S::initialize, {}),
      cell("init_advert_timer", S::initialize, AdvertTimerExpired{}, S::initialize, {}),
      cell("init_preempt_delay", S::initialize, PreemptDelayExpired{}, S::initialize, {}),
      cell("init_handover", S::initialize, HandoverTimerExpired{}, S::initialize, {}),
      cell("init_link_down", S::initialize, LinkDown{}, S::initialize, {}),
      cell("init_link_up", S::initialize, LinkUp{}, S::initialize, {}),

      // Backup
      cell("backup_startup", S::backup, Startup{}, S::backup, {}),
      cell("backup_shutdown", S::backup, Shutdown{}, S::initialize,
           {"StopTimer(master_down)", "Transition(backup->initialize, shutdown)"}),
      cell("backup_advert_higher", S::backup, advert(200), S::backup, {to_master_down_360}),
      // The backup compares priorities only (§6.4.2): equal priority from a lower address is followed.
      cell("backup_advert_equal_lower_address", S::backup, advert(100, "10.0.0.1"), S::backup,
           {to_master_down_360}),
      cell("backup_advert_prio0", S::backup, advert(0), S::backup, {"StartTimer(master_down, 60ms)"}),
      cell("backup_advert_lower_preempt", S::backup, advert(50), S::backup,
           {"Log(lower_priority_discarded, 10.0.0.1, 50)"}),
      cell("backup_advert_lower_no_preempt", S::backup, advert(50), S::backup, {to_master_down_360}, {},
           preempt_off),
      cell("backup_advert_lower_preempt_delay", S::backup, advert(50), S::backup,
           {"Log(preempt_delayed, 10.0.0.1, 50)", "StartTimer(preempt_delay, 200ms)", to_master_down_360}, {},
           preempt_delay),
      cell("backup_advert_lower_preempt_delay_running", S::backup, advert(50), S::backup,
           {to_master_down_360}, {}, preempt_delay, lower_master_heard),
      cell("backup_advert_higher_cancels_preempt_delay", S::backup, advert(200), S::backup,
           {"StopTimer(preempt_delay)", to_master_down_360}, {}, preempt_delay, lower_master_heard),
      // Learned interval 20 cs: 3 x 20 + 156 x 20 / 256 (= 12) = 72 cs.
      cell("backup_advert_other_interval", S::backup, advert(200, "10.0.0.1", 20), S::backup,
           {"Log(interval_mismatch, 10.0.0.1, 20)", "StartTimer(master_down, 720ms)"}),
      cell("backup_advert_wrong_vrid", S::backup, advert(200, "10.0.0.1", 10, 52), S::backup,
           {"Log(wrong_vrid, 10.0.0.1, 52)"}),
      cell("backup_advert_own", S::backup, advert(200, "10.0.0.2"), S::backup,
           {"Log(own_advert, 10.0.0.2, 51)"}),
      cell("backup_advert_wrong_family", S::backup, advert(200, "fe80::1", 10, 51, {}), S::backup,
           {"Log(wrong_family, fe80::1, 51)"}),
      cell("backup_advert_zero_interval", S::backup, advert(200, "10.0.0.1", 0), S::backup,
           {"Log(bad_interval, 10.0.0.1, 0)"}),
      cell("backup_advert_address_mismatch", S::backup,
           advert(200, "10.0.0.1", 10, 51, {ip("10.0.0.100"), ip("10.0.0.101")}), S::backup,
           {"Log(address_list_mismatch, 10.0.0.1, 2)", to_master_down_360}),
      cell("backup_master_down", S::backup, MasterDownTimerExpired{}, S::master,
           {send_100, "BecomeMaster", advert_timer_100, "Transition(backup->master, master_down_timer)"},
           T::master_down),
      cell("backup_master_down_stale", S::backup, MasterDownTimerExpired{}, S::backup, {}),
      cell("backup_advert_timer", S::backup, AdvertTimerExpired{}, S::backup, {}),
      cell("backup_preempt_delay", S::backup, PreemptDelayExpired{}, S::master,
           {"StopTimer(master_down)", send_100, "BecomeMaster", advert_timer_100,
            "Transition(backup->master, preempt)"},
           T::preempt_delay, preempt_delay, lower_master_heard),
      cell("backup_preempt_delay_unarmed", S::backup, PreemptDelayExpired{}, S::backup, {}),
      cell("backup_handover", S::backup, HandoverTimerExpired{}, S::backup, {}),
      cell("backup_link_down", S::backup, LinkDown{}, S::fault,
           {"StopTimer(master_down)", "Transition(backup->fault, link_down)"}),
      cell("backup_link_down_preempt_delay", S::backup, LinkDown{}, S::fault,
           {"StopTimer(master_down)", "StopTimer(preempt_delay)", "Transition(backup->fault, link_down)"}, {},
           preempt_delay, lower_master_heard),
      cell("backup_link_up", S::backup, LinkUp{}, S::backup, {}),

      // Master
      cell("master_startup", S::master, Startup{}, S::master, {}),
      cell("master_shutdown", S::master, Shutdown{}, S::releasing,
           {"StopTimer(advert)", send_0, "KeepAnswering", "StartTimer(handover, 300ms)",
            "Transition(master->releasing, handover_started)"}),
      cell("master_advert_prio0", S::master, advert(0), S::master, {send_100, advert_timer_100}),
      cell("master_advert_higher", S::master, advert(200), S::backup,
           {"StopTimer(advert)", to_master_down_360, "BecomeBackup",
            "Transition(master->backup, higher_priority)"}),
      cell("master_advert_equal_higher_address", S::master, advert(100, "10.0.0.3"), S::backup,
           {"StopTimer(advert)", to_master_down_360, "BecomeBackup",
            "Transition(master->backup, higher_priority)"}),
      cell("master_advert_equal_lower_address", S::master, advert(100, "10.0.0.1"), S::master,
           {send_100, advert_timer_100, "Reannounce"}),
      cell("master_advert_lower", S::master, advert(50), S::master,
           {send_100, advert_timer_100, "Reannounce"}),
      cell("master_advert_wrong_vrid", S::master, advert(200, "10.0.0.1", 10, 7), S::master,
           {"Log(wrong_vrid, 10.0.0.1, 7)"}),
      cell("master_master_down", S::master, MasterDownTimerExpired{}, S::master, {}),
      cell("master_advert_timer", S::master, AdvertTimerExpired{}, S::master, {send_100, advert_timer_100},
           T::advert),
      cell("master_advert_timer_stale", S::master, AdvertTimerExpired{}, S::master, {}),
      cell("master_preempt_delay", S::master, PreemptDelayExpired{}, S::master, {}),
      cell("master_handover", S::master, HandoverTimerExpired{}, S::master, {}),
      cell("master_link_down", S::master, LinkDown{}, S::fault,
           {"StopTimer(advert)", send_0, "BecomeBackup", "Transition(master->fault, link_down)"}),
      cell("master_link_up", S::master, LinkUp{}, S::master, {}),

      // Releasing (planned handover)
      cell("releasing_startup", S::releasing, Startup{}, S::master,
           {"StopTimer(handover)", send_100, advert_timer_100,
            "Transition(releasing->master, handover_cancelled)"}),
      cell("releasing_shutdown", S::releasing, Shutdown{}, S::initialize,
           {"StopTimer(handover)", "BecomeBackup", "Transition(releasing->initialize, shutdown)"}),
      // The new master may well have a lower priority: any non-zero advert is the takeover.
      cell("releasing_advert_new_master", S::releasing, advert(50), S::initialize,
           {"StopTimer(handover)", "BecomeBackup", "Transition(releasing->initialize, handover_complete)"}),
      cell("releasing_advert_prio0", S::releasing, advert(0), S::releasing, {}),
      cell("releasing_advert_wrong_vrid", S::releasing, advert(50, "10.0.0.1", 10, 9), S::releasing,
           {"Log(wrong_vrid, 10.0.0.1, 9)"}),
      cell("releasing_master_down", S::releasing, MasterDownTimerExpired{}, S::releasing, {}),
      cell("releasing_advert_timer", S::releasing, AdvertTimerExpired{}, S::releasing, {}),
      cell("releasing_preempt_delay", S::releasing, PreemptDelayExpired{}, S::releasing, {}),
      cell("releasing_handover_timeout", S::releasing, HandoverTimerExpired{}, S::initialize,
           {"BecomeBackup", "Transition(releasing->initialize, handover_timeout)"}, T::handover),
      cell("releasing_handover_stale", S::releasing, HandoverTimerExpired{}, S::releasing, {}),
      cell("releasing_link_down", S::releasing, LinkDown{}, S::initialize,
           {"StopTimer(handover)", "BecomeBackup", "Transition(releasing->initialize, link_down)"}),
      cell("releasing_link_up", S::releasing, LinkUp{}, S::releasing, {}),

      // Fault
      cell("fault_startup", S::fault, Startup{}, S::fault, {}),
      cell("fault_shutdown", S::fault, Shutdown{}, S::initialize,
           {"Transition(fault->initialize, shutdown)"}),
      cell("fault_advert", S::fault, advert(200), S::fault, {}),
      cell("fault_master_down", S::fault, MasterDownTimerExpired{}, S::fault, {}),
      cell("fault_advert_timer", S::fault, AdvertTimerExpired{}, S::fault, {}),
      cell("fault_preempt_delay", S::fault, PreemptDelayExpired{}, S::fault, {}),
      cell("fault_handover", S::fault, HandoverTimerExpired{}, S::fault, {}),
      cell("fault_link_down", S::fault, LinkDown{}, S::fault, {}),
      cell("fault_link_up", S::fault, LinkUp{}, S::backup,
           {to_master_down_360, "Transition(fault->backup, link_up)"}),
  };
}

class VrrpTable : public ::testing::TestWithParam<Cell> {};

TEST_P(VrrpTable, Cell) {
  const Cell& c = GetParam();
  auto config = base_config();
  c.configure(config);
  Harness h(config);
  reach(h, c.from);
  c.prelude(h);
  ASSERT_EQ(h.fsm.state(), c.from);
  h.now += 1ms;  // events (and stale timers) arrive a little later than the setup
  if (c.at_deadline) {
    const auto d = h.fsm.deadline(*c.at_deadline);
    ASSERT_TRUE(d.has_value()) << to_string(*c.at_deadline) << " not armed";
    h.now = *d;
  }
  const auto actions = h.feed(c.event);
  EXPECT_THAT(describe(actions), ElementsAreArray(c.actions));
  EXPECT_EQ(h.fsm.state(), c.to) << to_string(h.fsm.state());
}

INSTANTIATE_TEST_SUITE_P(Rfc5798, VrrpTable, ::testing::ValuesIn(table_cells()),
                         [](const ::testing::TestParamInfo<Cell>& info) { return info.param.name; });

// The parameterised table covers every (state, event) pair at least once.
TEST(VrrpTable, CoversEveryStateAndEvent) {
  std::set<std::pair<State, std::size_t>> seen;
  for (const auto& c : table_cells()) seen.insert({c.from, c.event.index()});
  for (std::size_t s = 0; s < state_count; ++s) {
    for (std::size_t e = 0; e < event_count; ++e) {
      EXPECT_TRUE(seen.count({static_cast<State>(s), e}))
          << to_string(static_cast<State>(s)) << " x " << event_name(e) << " has no test";
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Timing on the fake clock

// keepalived anchor at 100 ms adverts, backup priority 100: the takeover comes 360 ms after the
// master's last advert, not a millisecond earlier.
TEST(VrrpFsm, BackupTakesOverExactlyAtMasterDownInterval) {
  Harness h;
  h.feed(Startup{});
  h.at(50ms, advert(150));
  EXPECT_EQ(h.fsm.deadline(TimerKind::master_down), t0 + 410ms);
  EXPECT_TRUE(h.fsm.advance(t0 + 409ms).empty());
  EXPECT_EQ(h.fsm.state(), State::backup);
  const auto actions = h.fsm.advance(t0 + 410ms);
  EXPECT_THAT(describe(actions), ElementsAre(send_100, "BecomeMaster", advert_timer_100,
                                             "Transition(backup->master, master_down_timer)"));
  EXPECT_EQ(h.fsm.last_transition_time(), t0 + 410ms);
}

// A timer event that arrives after its timer was re-armed is stale and does nothing (an Asio
// timer may fire just after an advert re-armed it): no false takeover.
TEST(VrrpFsm, StaleMasterDownExpiryIgnored) {
  Harness h;
  h.feed(Startup{});         // deadline 360 ms
  h.at(300ms, advert(150));  // re-armed to 660 ms
  EXPECT_TRUE(h.at(360ms, MasterDownTimerExpired{}).empty());
  EXPECT_EQ(h.fsm.state(), State::backup);
  EXPECT_FALSE(h.at(660ms, MasterDownTimerExpired{}).empty());
  EXPECT_EQ(h.fsm.state(), State::master);
}

// The master advertises every interval, keeping its phase when advance() runs late.
TEST(VrrpFsm, MasterAdvertisesEveryInterval) {
  Harness h;
  reach(h, State::master);
  const auto start = h.now;
  const auto actions = h.fsm.advance(start + 1005ms);
  int sent = 0;
  for (const auto& a : actions) sent += std::holds_alternative<SendAdvert>(a) ? 1 : 0;
  EXPECT_EQ(sent, 10);
  EXPECT_EQ(h.fsm.deadline(TimerKind::advert), start + 1100ms);
}

TEST(VrrpFsm, NextDeadlineIsTheEarliest) {
  auto config = base_config();
  config.preempt_delay = 200ms;
  Harness h(config);
  EXPECT_EQ(h.fsm.next_deadline(), std::nullopt);
  h.feed(Startup{});
  EXPECT_EQ(h.fsm.next_deadline(), t0 + 360ms);
  h.at(100ms, advert(50));  // preempt delay to 300 ms, master down to 460 ms
  EXPECT_EQ(h.fsm.deadline(TimerKind::preempt_delay), t0 + 300ms);
  EXPECT_EQ(h.fsm.next_deadline(), t0 + 300ms);
}

// ---------------------------------------------------------------------------------------------
// Learning and logging

TEST(VrrpFsm, BackupLearnsIntervalAndLogsMismatchOnce) {
  Harness h;
  h.feed(Startup{});
  auto first = describe(h.at(10ms, advert(150, "10.0.0.1", 20)));
  EXPECT_THAT(first, ::testing::Contains("Log(interval_mismatch, 10.0.0.1, 20)"));
  EXPECT_EQ(h.fsm.master_adver_interval(), Centiseconds(20));
  EXPECT_EQ(h.fsm.master_down_interval(), Centiseconds(72));
  EXPECT_EQ(h.fsm.skew_time(), Centiseconds(12));
  auto second = describe(h.at(210ms, advert(150, "10.0.0.1", 20)));
  EXPECT_THAT(second, ElementsAre("StartTimer(master_down, 720ms)"));
  // Back to our own interval: learned silently.
  auto third = describe(h.at(410ms, advert(150, "10.0.0.1", 10)));
  EXPECT_THAT(third, ElementsAre(to_master_down_360));
  EXPECT_EQ(h.fsm.master_address(), ip("10.0.0.1"));
}

TEST(VrrpFsm, AddressListMismatchLoggedOncePerEpisode) {
  Harness h;
  h.feed(Startup{});
  const std::vector<net::IpAddress> other{ip("10.0.0.200")};
  EXPECT_EQ(describe(h.at(10ms, advert(150, "10.0.0.1", 10, 51, other))).size(), 2u);
  EXPECT_EQ(describe(h.at(110ms, advert(150, "10.0.0.1", 10, 51, other))).size(), 1u);
  EXPECT_EQ(describe(h.at(210ms, advert(150))).size(), 1u);  // matches again
  EXPECT_EQ(describe(h.at(310ms, advert(150, "10.0.0.1", 10, 51, other))).size(), 2u);
  // Order does not matter.
  ASSERT_TRUE(h.fsm.set_addresses({ip("10.0.0.101"), ip("10.0.0.100")}));
  EXPECT_EQ(
      describe(h.at(410ms, advert(150, "10.0.0.1", 10, 51, {ip("10.0.0.100"), ip("10.0.0.101")}))).size(),
      1u);
}

TEST(VrrpFsm, LiveAddressAndPrimaryChanges) {
  Harness h;
  reach(h, State::master);
  ASSERT_TRUE(h.fsm.set_addresses({ip("10.0.0.100"), ip("10.0.0.101")}));
  EXPECT_FALSE(h.fsm.set_addresses({ip("fd00::1")}));
  EXPECT_FALSE(h.fsm.set_primary_address(ip("fe80::2")));
  ASSERT_TRUE(h.fsm.set_primary_address(ip("10.0.0.9")));
  const auto actions = h.fire(TimerKind::advert);
  ASSERT_TRUE(std::holds_alternative<SendAdvert>(actions.at(0)));
  EXPECT_EQ(std::get<SendAdvert>(actions[0]).advert.addresses.size(), 2u);
  EXPECT_EQ(h.fsm.master_address(), ip("10.0.0.9"));
  // The tie-break now uses the new primary: equal priority from 10.0.0.3 is lower than 10.0.0.9.
  EXPECT_THAT(describe(h.feed(advert(100, "10.0.0.3"))), ::testing::Contains("Reannounce"));
}

// The advert in SendAdvert is ready for the codec and parses back to what the FSM said.
TEST(VrrpFsm, SendAdvertEncodes) {
  Harness h;
  reach(h, State::master);
  const auto actions = h.fire(TimerKind::advert);
  const auto& sent = std::get<SendAdvert>(actions.at(0)).advert;
  EXPECT_EQ(sent, (Advert{net::Family::v4, 51, 100, 10, {ip("10.0.0.100")}}));
  std::array<std::uint8_t, vrrp_max_ipv4_packet_size> buf{};
  const auto n = write_ipv4_packet(buf, sent, ip("10.0.0.2"), vrrp_multicast_group(net::Family::v4));
  ASSERT_GT(n, 0u);
  auto parsed = parse_ipv4_packet(std::span<const std::uint8_t>(buf.data(), n));
  ASSERT_TRUE(parsed.ok());
  auto config = base_config();
  config.primary_address = ip("10.0.0.3");
  Harness other(config);
  other.feed(Startup{});
  EXPECT_THAT(describe(other.feed(AdvertReceived::from(parsed.value()))), ElementsAre(to_master_down_360));
}

TEST(VrrpFsm, StatusQueries) {
  Harness h;
  EXPECT_EQ(h.fsm.master_address(), std::nullopt);
  EXPECT_FALSE(h.fsm.last_transition().has_value());
  h.feed(Startup{});
  EXPECT_EQ(h.fsm.master_address(), std::nullopt);  // no master heard yet
  h.at(10ms, advert(150));
  EXPECT_EQ(h.fsm.master_address(), ip("10.0.0.1"));
  h.feed(LinkDown{});
  ASSERT_TRUE(h.fsm.last_transition().has_value());
  EXPECT_EQ(h.fsm.last_transition()->to, State::fault);
  EXPECT_EQ(h.fsm.last_transition()->reason, TransitionReason::link_down);
  EXPECT_EQ(h.fsm.last_transition_time(), t0 + 10ms);
  EXPECT_FALSE(h.fsm.link_up());
  EXPECT_EQ(h.fsm.master_address(), std::nullopt);
}

TEST(VrrpFsm, NamesAreDistinct) {
  std::set<std::string_view> states;
  for (std::size_t s = 0; s < state_count; ++s) states.insert(to_string(static_cast<State>(s)));
  EXPECT_EQ(states.size(), state_count);
  std::set<std::string_view> events;
  for (std::size_t e = 0; e < event_count; ++e) events.insert(event_name(e));
  EXPECT_EQ(events.size(), event_count);
  std::set<std::string_view> reasons;
  for (int r = 0; r <= static_cast<int>(TransitionReason::link_up); ++r)
    reasons.insert(to_string(static_cast<TransitionReason>(r)));
  EXPECT_EQ(reasons.size(), static_cast<std::size_t>(TransitionReason::link_up) + 1);
  EXPECT_EQ(reasons.count("unknown"), 0u);
  std::set<std::string_view> logs;
  for (int r = 0; r <= static_cast<int>(LogReason::preempt_delayed); ++r)
    logs.insert(to_string(static_cast<LogReason>(r)));
  EXPECT_EQ(logs.size(), static_cast<std::size_t>(LogReason::preempt_delayed) + 1);
  EXPECT_EQ(logs.count("unknown"), 0u);
}

// ---------------------------------------------------------------------------------------------
// Two routers on one simulated link: adverts are delivered instantly, time only moves on timers.

struct Node {
  Node(const char* name, std::uint8_t priority, const char* address, bool preempt = true,
       Milliseconds preempt_delay = 0ms)
      : name(name), fsm(make([&] {
          auto c = base_config();
          c.priority = priority;
          c.primary_address = ip(address);
          c.preempt = preempt;
          c.preempt_delay = preempt_delay;
          return c;
        }())) {}
  std::string name;
  VrrpFsm fsm;
  bool answering = false;  // owns the VIP (answers ARP)
  bool connected = true;
  int announcements = 0;
  std::optional<TimePoint> became_master;
  std::optional<TimePoint> released;
};

class Link {
 public:
  Link(Node& a, Node& b) : a_(a), b_(b) {}

  void deliver(Node& from, const Event& event, TimePoint now) {
    std::vector<std::pair<Node*, Actions>> work{{&from, from.fsm.handle(event, now)}};
    run(work, now);
  }

  // Moves the clock to `until`, firing timers of both nodes in time order.
  void run_until(TimePoint until) {
    for (;;) {
      auto da = a_.fsm.next_deadline();
      auto db = b_.fsm.next_deadline();
      Node* next = nullptr;
      TimePoint when{};
      if (da && *da <= until) {
        next = &a_;
        when = *da;
      }
      if (db && *db <= until && (!next || *db < when)) {
        next = &b_;
        when = *db;
      }
      if (!next) break;
      now = when;
      std::vector<std::pair<Node*, Actions>> work{{next, next->fsm.advance(when)}};
      run(work, when);
    }
    now = until;
  }

  TimePoint now{};

 private:
  void run(std::vector<std::pair<Node*, Actions>>& work, TimePoint when) {
    while (!work.empty()) {
      auto [node, actions] = std::move(work.back());
      work.pop_back();
      for (const auto& action : actions) {
        if (std::holds_alternative<BecomeMaster>(action)) {
          node->answering = true;
          ++node->announcements;
          node->became_master = when;
        } else if (std::holds_alternative<Reannounce>(action)) {
          ++node->announcements;
        } else if (std::holds_alternative<BecomeBackup>(action)) {
          node->answering = false;
          node->released = when;
        } else if (const auto* send = std::get_if<SendAdvert>(&action)) {
          Node& peer = node == &a_ ? b_ : a_;
          if (!node->connected || !peer.connected) continue;
          AdvertReceived received{send->advert.vrid, send->advert.priority,
                                  send->advert.max_advert_interval_cs, node->fsm.config().primary_address,
                                  send->advert.addresses};
          work.emplace_back(&peer, peer.fsm.handle(received, when));
        }
      }
    }
  }

  Node& a_;
  Node& b_;
};

// Node A (150, 10.0.0.11) and B (100, 10.0.0.12) as in the lab: A becomes master, B stays backup.
TEST(VrrpPair, HigherPriorityBecomesMaster) {
  Node a("a", 150, "10.0.0.11");
  Node b("b", 100, "10.0.0.12");
  Link link(a, b);
  link.deliver(a, Startup{}, t0);
  link.deliver(b, Startup{}, t0);
  link.run_until(t0 + 2s);
  EXPECT_EQ(a.fsm.state(), State::master);
  EXPECT_EQ(b.fsm.state(), State::backup);
  EXPECT_EQ(a.became_master, t0 + 340ms);  // A's own master-down interval: 30 + 4 cs
  EXPECT_FALSE(b.answering);
  EXPECT_EQ(b.fsm.master_address(), ip("10.0.0.11"));
}

// Crash (link cut): B takes over 360 ms after A's last advert.
TEST(VrrpPair, CrashTakeoverAfterMasterDownInterval) {
  Node a("a", 150, "10.0.0.11");
  Node b("b", 100, "10.0.0.12");
  Link link(a, b);
  link.deliver(a, Startup{}, t0);
  link.deliver(b, Startup{}, t0);
  link.run_until(t0 + 1s);
  ASSERT_EQ(a.fsm.state(), State::master);
  const auto last_advert = *a.fsm.deadline(TimerKind::advert) - 100ms;
  a.connected = false;
  link.run_until(t0 + 3s);
  ASSERT_EQ(b.fsm.state(), State::master);
  EXPECT_EQ(*b.became_master - last_advert, 360ms);
  // Split brain while cut: both answer. Healing: A's next advert makes B step down, A re-announces.
  EXPECT_TRUE(a.answering);
  const int before = a.announcements;
  a.connected = true;
  link.run_until(t0 + 3s + 100ms);
  EXPECT_EQ(b.fsm.state(), State::backup);
  EXPECT_FALSE(b.answering);
  EXPECT_TRUE(a.answering);
  EXPECT_EQ(b.fsm.last_transition()->reason, TransitionReason::higher_priority);
  // Depending on who advertised first after the cut A heard B (re-announce) or B heard A first.
  EXPECT_GE(a.announcements, before);
}

// Planned stop of the master: priority 0, B takes over after its skew time (60 ms), and A keeps
// answering until B's first advert: no moment without an owner.
TEST(VrrpPair, PlannedHandoverHasNoGap) {
  Node a("a", 150, "10.0.0.11");
  Node b("b", 100, "10.0.0.12");
  Link link(a, b);
  link.deliver(a, Startup{}, t0);
  link.deliver(b, Startup{}, t0);
  link.run_until(t0 + 1s);
  link.deliver(a, Shutdown{}, t0 + 1s);
  EXPECT_EQ(a.fsm.state(), State::releasing);
  EXPECT_TRUE(a.answering);
  link.run_until(t0 + 1s + 59ms);
  EXPECT_TRUE(a.answering);
  EXPECT_FALSE(b.answering);
  link.run_until(t0 + 2s);
  EXPECT_EQ(b.became_master, t0 + 1s + 60ms);
  EXPECT_EQ(a.released, b.became_master);  // released on B's first advert, same instant
  EXPECT_EQ(a.fsm.state(), State::initialize);
  EXPECT_EQ(a.fsm.last_transition()->reason, TransitionReason::handover_complete);
  EXPECT_EQ(b.fsm.state(), State::master);
}

// Nobody takes over (the backup is gone): the releasing master gives up after 3 x advert.
TEST(VrrpPair, HandoverBoundReleases) {
  Node a("a", 150, "10.0.0.11");
  Node b("b", 100, "10.0.0.12");
  Link link(a, b);
  link.deliver(a, Startup{}, t0);
  link.run_until(t0 + 1s);
  ASSERT_EQ(a.fsm.state(), State::master);
  link.deliver(a, Shutdown{}, t0 + 1s);
  link.run_until(t0 + 2s);
  EXPECT_EQ(a.fsm.state(), State::initialize);
  EXPECT_EQ(a.released, t0 + 1s + 300ms);
  EXPECT_EQ(a.fsm.last_transition()->reason, TransitionReason::handover_timeout);
}

// Link loss on the master: releases at once, B takes over on timers; the link comes back, A
// preempts B (preempt true).
TEST(VrrpPair, LinkDownReleasesAtOnceAndPreemptsBack) {
  Node a("a", 150, "10.0.0.11");
  Node b("b", 100, "10.0.0.12");
  Link link(a, b);
  link.deliver(a, Startup{}, t0);
  link.deliver(b, Startup{}, t0);
  link.run_until(t0 + 1s);
  a.connected = false;
  link.deliver(a, LinkDown{}, t0 + 1s);
  EXPECT_FALSE(a.answering);
  EXPECT_EQ(a.released, t0 + 1s);
  EXPECT_EQ(a.fsm.state(), State::fault);
  link.run_until(t0 + 2s);
  EXPECT_EQ(b.fsm.state(), State::master);
  a.connected = true;
  link.deliver(a, LinkUp{}, t0 + 2s);
  EXPECT_EQ(a.fsm.state(), State::backup);
  link.run_until(t0 + 3s);
  EXPECT_EQ(a.fsm.state(), State::master);
  EXPECT_EQ(b.fsm.state(), State::backup);
  EXPECT_EQ(a.fsm.last_transition()->reason, TransitionReason::master_down_timer);
}

TEST(VrrpPair, NoPreemptKeepsLowerMaster) {
  Node a("a", 150, "10.0.0.11", /*preempt=*/false);
  Node b("b", 100, "10.0.0.12");
  Link link(a, b);
  link.deliver(b, Startup{}, t0);
  link.run_until(t0 + 1s);
  ASSERT_EQ(b.fsm.state(), State::master);
  link.deliver(a, Startup{}, t0 + 1s);
  link.run_until(t0 + 5s);
  EXPECT_EQ(a.fsm.state(), State::backup);
  EXPECT_EQ(b.fsm.state(), State::master);
  EXPECT_EQ(a.fsm.master_address(), ip("10.0.0.12"));
}

// Preempt-delay: A hears the lower master and follows it for 1 s, then takes over.
TEST(VrrpPair, PreemptDelayThenTakeover) {
  Node a("a", 150, "10.0.0.11", true, 1000ms);
  Node b("b", 100, "10.0.0.12");
  Link link(a, b);
  link.deliver(b, Startup{}, t0);
  link.run_until(t0 + 1s);
  ASSERT_EQ(b.fsm.state(), State::master);
  link.deliver(a, Startup{}, t0 + 1s);
  link.run_until(t0 + 1s + 990ms);
  EXPECT_EQ(a.fsm.state(), State::backup);  // would have preempted at 1.34 s without the delay
  link.run_until(t0 + 4s);
  EXPECT_EQ(a.fsm.state(), State::master);
  EXPECT_EQ(b.fsm.state(), State::backup);
  EXPECT_EQ(a.fsm.last_transition()->reason, TransitionReason::preempt);
  // The first advert from B arrived at 1.0 s + up to 100 ms; the delay runs from there.
  ASSERT_TRUE(a.became_master.has_value());
  EXPECT_GE(*a.became_master, t0 + 2s);
  EXPECT_LE(*a.became_master, t0 + 2s + 100ms);
}

// Equal priorities: two masters (started apart) meet; the higher primary address wins (§6.4.3).
// Had they shared the link from the start, the first to time out would have won: a backup follows
// an equal priority without comparing addresses.
TEST(VrrpPair, EqualPriorityHigherAddressWins) {
  Node a("a", 100, "10.0.0.11");
  Node b("b", 100, "10.0.0.12");
  a.connected = false;
  Link link(a, b);
  link.deliver(a, Startup{}, t0);
  link.deliver(b, Startup{}, t0);
  link.run_until(t0 + 1s);
  ASSERT_EQ(a.fsm.state(), State::master);
  ASSERT_EQ(b.fsm.state(), State::master);
  a.connected = true;
  link.run_until(t0 + 2s);
  EXPECT_EQ(b.fsm.state(), State::master);
  EXPECT_EQ(a.fsm.state(), State::backup);
  EXPECT_FALSE(a.answering);
  EXPECT_TRUE(b.answering);
  EXPECT_EQ(a.fsm.master_address(), ip("10.0.0.12"));
}

}  // namespace
}  // namespace vipd::failover
