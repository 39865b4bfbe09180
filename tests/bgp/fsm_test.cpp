// BGP session FSM: every table cell driven with a fake clock and scripted peer bytes
// (parameterised), then scenarios: the full handshake byte for byte, hold-timer enforcement,
// hold/keepalive negotiation, OPEN validation, backoff, collisions, admin shutdown. Never sleeps.
#include "vipd/bgp/fsm.hpp"

#include <gtest/gtest.h>

#include <string>

#include "bgp/golden.hpp"

namespace vipd::bgp {
namespace {

using namespace std::chrono_literals;
using golden::msg;

constexpr std::uint32_t our_id = 0xc0a8010a;  // 192.168.1.10

FsmConfig ibgp_config() {
  FsmConfig c;
  c.local.local_asn = 64512;
  c.local.peer_asn = 64512;
  c.local.router_id = our_id;
  c.local.hold_time = 90s;
  c.shutdown_message = "bye";
  c.jitter_seed = 42;
  return c;
}

// A peer OPEN: AS `asn` (2-octet field + capability 65), hold time, identifier.
Bytes peer_open(std::uint32_t asn, std::uint16_t hold, std::uint32_t id, bool four_octet = true) {
  OpenMessage o = make_open(asn, hold, id, std::array{ipv4_unicast}, true);
  if (!four_octet) o.capabilities.four_octet_as.reset();
  return build_open(o);
}

const Bytes bad_marker = [] {
  Bytes b = golden::keepalive;
  b[0] = 0;
  return b;
}();

struct Harness {
  explicit Harness(FsmConfig c = ibgp_config()) : fsm(std::move(c)) {}
  Fsm fsm;
  TimePoint now{};  // the fake clock
  Actions handle(Event e) { return fsm.handle(e, now); }
  Actions feed(const Bytes& b) { return fsm.receive(b, now); }
};

template <class T>
std::vector<T> all(const Actions& actions) {
  std::vector<T> out;
  for (const auto& a : actions)
    if (const auto* t = std::get_if<T>(&a)) out.push_back(*t);
  return out;
}
template <class T>
bool has(const Actions& actions) {
  return !all<T>(actions).empty();
}
std::vector<Bytes> sent(const Actions& actions) {
  std::vector<Bytes> out;
  for (const auto& s : all<Send>(actions)) out.push_back(s.bytes);
  return out;
}
std::optional<NotificationMessage> sent_notification(const Actions& actions) {
  for (const auto& b : sent(actions)) {
    auto m = parse_message(b);
    if (m.ok())
      if (auto* n = std::get_if<NotificationMessage>(&m.value())) return *n;
  }
  return std::nullopt;
}

void drive(Harness& h, State s) {
  switch (s) {
    case State::idle:
      return;
    case State::connect:
      h.handle(Event::manual_start);
      break;
    case State::active:
      h.handle(Event::manual_start_passive);
      break;
    case State::open_sent:
      h.handle(Event::manual_start);
      h.handle(Event::tcp_connected);
      break;
    case State::open_confirm:
      drive(h, State::open_sent);
      h.feed(golden::open_frr_style);
      break;
    case State::established:
      drive(h, State::open_confirm);
      h.feed(golden::keepalive);
      break;
  }
  ASSERT_EQ(h.fsm.state(), s);
}

Actions fire(Harness& h, Event e) {
  switch (e) {
    case Event::open_received:
      return h.feed(golden::open_frr_style);
    case Event::keepalive_received:
      return h.feed(golden::keepalive);
    case Event::update_received:
      return h.feed(golden::update_v4);
    case Event::notification_received:
      return h.feed(golden::notification_shutdown);
    case Event::route_refresh_received:
      return h.feed(golden::route_refresh_v6);
    case Event::message_error:
      return h.feed(bad_marker);
    case Event::hold_timer_expired:
      h.now += 240s;
      return h.handle(e);  // past any hold deadline
    default:
      return h.handle(e);
  }
}

// ---------------------------------------------------------------------------------------------
// Every cell of FSM[state][event], expectations written from RFC 4271 §8.2.2 (+ RFC 6608).

enum : std::uint8_t { none = 0, connect = 1, close = 2, up = 4, down = 8, deliver = 16 };
struct Cell {
  State state;
  Event event;
  State next;
  int sends;                           // message type sent first, 0 for none
  std::uint8_t code = 0, subcode = 0;  // for a NOTIFICATION
  std::uint8_t flags = none;
};

using S = State;
using E = Event;
const std::vector<Cell> expected_cells{
    {S::idle, E::manual_start, S::connect, 0, 0, 0, connect},
    {S::idle, E::manual_start_passive, S::active, 0},
    {S::idle, E::manual_stop, S::idle, 0, 0, 0, close},
    {S::connect, E::manual_stop, S::idle, 0, 0, 0, close},
    {S::connect, E::connect_retry_expired, S::connect, 0, 0, 0, connect | close},
    {S::connect, E::tcp_connected, S::open_sent, 1},
    {S::connect, E::tcp_failed, S::active, 0, 0, 0, close},
    {S::active, E::manual_stop, S::idle, 0, 0, 0, close},
    {S::active, E::connect_retry_expired, S::connect, 0, 0, 0, connect},
    {S::active, E::tcp_connected, S::open_sent, 1},
    {S::open_sent, E::manual_stop, S::idle, 3, 6, 2, close},
    {S::open_sent, E::hold_timer_expired, S::idle, 3, 4, 0, close},
    {S::open_sent, E::tcp_failed, S::active, 0, 0, 0, close},
    {S::open_sent, E::open_received, S::open_confirm, 4},
    {S::open_sent, E::keepalive_received, S::idle, 3, 5, 1, close},
    {S::open_sent, E::update_received, S::idle, 3, 5, 1, close},
    {S::open_sent, E::route_refresh_received, S::idle, 3, 5, 1, close},
    {S::open_sent, E::notification_received, S::idle, 0, 0, 0, close},
    {S::open_sent, E::message_error, S::idle, 3, 1, 1, close},
    {S::open_sent, E::open_collision_dump, S::idle, 3, 6, 7, close},
    {S::open_confirm, E::manual_stop, S::idle, 3, 6, 2, close},
    {S::open_confirm, E::hold_timer_expired, S::idle, 3, 4, 0, close},
    {S::open_confirm, E::keepalive_timer_expired, S::open_confirm, 4},
    {S::open_confirm, E::tcp_failed, S::idle, 0, 0, 0, close},
    {S::open_confirm, E::open_received, S::idle, 3, 5, 2, close},
    {S::open_confirm, E::keepalive_received, S::established, 0, 0, 0, up},
    {S::open_confirm, E::update_received, S::idle, 3, 5, 2, close},
    {S::open_confirm, E::route_refresh_received, S::idle, 3, 5, 2, close},
    {S::open_confirm, E::notification_received, S::idle, 0, 0, 0, close},
    {S::open_confirm, E::message_error, S::idle, 3, 1, 1, close},
    {S::open_confirm, E::open_collision_dump, S::idle, 3, 6, 7, close},
    {S::established, E::manual_stop, S::idle, 3, 6, 2, close | down},
    {S::established, E::hold_timer_expired, S::idle, 3, 4, 0, close | down},
    {S::established, E::keepalive_timer_expired, S::established, 4},
    {S::established, E::tcp_failed, S::idle, 0, 0, 0, close | down},
    {S::established, E::open_received, S::idle, 3, 5, 3, close | down},
    {S::established, E::keepalive_received, S::established, 0},
    {S::established, E::update_received, S::established, 0, 0, 0, deliver},
    {S::established, E::route_refresh_received, S::established, 0, 0, 0, deliver},
    {S::established, E::notification_received, S::idle, 0, 0, 0, close | down},
    {S::established, E::message_error, S::idle, 3, 1, 1, close | down},
    {S::established, E::open_collision_dump, S::idle, 3, 6, 7, close | down},
};

struct CellParam {
  State state;
  Event event;
};

void PrintTo(const CellParam& p, std::ostream* os) {
  *os << to_string(p.state) << "/" << to_string(p.event);
}

class FsmCell : public ::testing::TestWithParam<CellParam> {};

TEST_P(FsmCell, MatchesRfc) {
  const auto [state, event] = GetParam();
  const Cell* cell = nullptr;
  for (const auto& c : expected_cells)
    if (c.state == state && c.event == event) cell = &c;
  Harness h;
  drive(h, state);
  const Actions out = fire(h, event);
  if (!cell) {  // ignored in place
    // Idle + ConnectRetryTimerExpires is the automatic restart: a never-started Fsm ignores it
    // (BgpFsm.HoldTimerEnforcedOnReceive covers the restart).
    if (!(state == State::idle && event == Event::connect_retry_expired)) {
      EXPECT_EQ(transition(state, event).step, Step::ignore);
    }
    EXPECT_EQ(h.fsm.state(), state);
    EXPECT_TRUE(out.empty());
    return;
  }
  EXPECT_EQ(h.fsm.state(), cell->next);
  const auto bytes = sent(out);
  if (cell->sends == 0) {
    EXPECT_TRUE(bytes.empty());
  } else {
    ASSERT_FALSE(bytes.empty());
    EXPECT_EQ(bytes.front()[18], cell->sends);
    if (cell->sends == 3) {
      auto n = sent_notification(out);
      ASSERT_TRUE(n);
      EXPECT_EQ(n->code, cell->code);
      EXPECT_EQ(n->subcode, cell->subcode);
    }
  }
  EXPECT_EQ(has<ConnectTcp>(out), (cell->flags & connect) != 0);
  EXPECT_EQ(has<CloseTcp>(out), (cell->flags & close) != 0);
  EXPECT_EQ(has<SessionUp>(out), (cell->flags & up) != 0);
  EXPECT_EQ(has<SessionDown>(out), (cell->flags & down) != 0);
  EXPECT_EQ(has<DeliverUpdate>(out) || has<DeliverRouteRefresh>(out), (cell->flags & deliver) != 0);
}

std::vector<CellParam> all_cells() {
  std::vector<CellParam> out;
  for (std::size_t s = 0; s < state_count; ++s)
    for (std::size_t e = 0; e < event_count; ++e)
      out.push_back({static_cast<State>(s), static_cast<Event>(e)});
  return out;
}

INSTANTIATE_TEST_SUITE_P(AllCells, FsmCell, ::testing::ValuesIn(all_cells()),
                         [](const ::testing::TestParamInfo<CellParam>& info) {
                           return std::string(to_string(info.param.state)) + "_" +
                                  std::string(to_string(info.param.event));
                         });

// ---------------------------------------------------------------------------------------------
// Scenarios

TEST(BgpFsm, HandshakeByteForByte) {
  Harness h;
  auto out = h.handle(Event::manual_start);
  ASSERT_EQ(out.size(), 2u);
  const auto retry = std::get<StartTimer>(out[0]);
  EXPECT_EQ(retry.timer, Timer::connect_retry);
  EXPECT_GE(retry.after, 750ms);  // 1 s jittered into [0.75, 1]
  EXPECT_LE(retry.after, 1000ms);
  EXPECT_EQ(out[1], Action{ConnectTcp{}});

  out = h.handle(Event::tcp_connected);
  const Actions expected{StopTimer{Timer::connect_retry}, Send{golden::open_64512},
                         StartTimer{Timer::hold, 240s}};
  EXPECT_EQ(out, expected);

  h.now += 1s;
  out = h.feed(golden::open_frr_style);  // peer hold 180 -> min(90, 180) = 90, keepalive 30
  const Actions expected_open{Send{golden::keepalive}, StartTimer{Timer::hold, 90s},
                              StartTimer{Timer::keepalive, 30s}};
  EXPECT_EQ(out, expected_open);
  EXPECT_EQ(h.fsm.state(), State::open_confirm);

  h.now += 1s;
  out = h.feed(golden::keepalive);
  ASSERT_EQ(out.size(), 2u);
  const Action hold = StartTimer{Timer::hold, 90s};
  EXPECT_EQ(out[0], hold);
  const auto up = std::get<SessionUp>(out[1]).params;
  EXPECT_EQ(up.peer_asn, 64512u);
  EXPECT_EQ(up.peer_router_id, 0x0a000002u);
  EXPECT_EQ(up.hold_time, 90s);
  EXPECT_EQ(up.keepalive_time, 30s);
  EXPECT_TRUE(up.four_octet_as);
  EXPECT_TRUE(up.route_refresh);
  EXPECT_TRUE(up.ibgp);
  EXPECT_EQ(up.families, std::vector<AfiSafi>{ipv4_unicast});  // the peer offered IPv4 only
  ASSERT_TRUE(up.peer_graceful_restart);
  EXPECT_EQ(h.fsm.established_since(), h.now);
}

// MetalLB #777: a silent peer must be dropped when the hold time runs out, and only then.
TEST(BgpFsm, HoldTimerEnforcedOnReceive) {
  Harness h;
  drive(h, State::established);
  const TimePoint up = h.now;
  h.now = up + 89s;
  auto out = h.feed(golden::update_v4);  // any message restarts the hold timer
  const Action restart_hold = StartTimer{Timer::hold, 90s};
  EXPECT_EQ(out.front(), restart_hold);
  ASSERT_TRUE(has<DeliverUpdate>(out));

  h.now = up + 90s;  // a stale expiry of the old timer (queued before the restart): ignored
  EXPECT_TRUE(h.handle(Event::hold_timer_expired).empty());
  EXPECT_EQ(h.fsm.state(), State::established);

  h.now = up + 89s + 90s;  // exactly the hold time after the last message
  out = h.handle(Event::hold_timer_expired);
  EXPECT_EQ(sent(out), std::vector<Bytes>{golden::notification_hold_expired});
  EXPECT_TRUE(has<CloseTcp>(out));
  const auto down = all<SessionDown>(out);
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0].reason, DownReason::hold_timer_expired);
  EXPECT_EQ(h.fsm.state(), State::idle);
  // Automatic restart after the backoff delay.
  const auto restart = all<StartTimer>(out);
  ASSERT_EQ(restart.size(), 1u);
  EXPECT_EQ(restart[0].timer, Timer::connect_retry);
  out = h.handle(Event::connect_retry_expired);
  EXPECT_TRUE(has<ConnectTcp>(out));
  EXPECT_EQ(h.fsm.state(), State::connect);
}

TEST(BgpFsm, MessageEventsNeedTheMessage) {
  Harness h;
  drive(h, State::open_sent);
  for (Event e : {Event::open_received, Event::keepalive_received, Event::update_received,
                  Event::notification_received, Event::route_refresh_received, Event::message_error})
    EXPECT_TRUE(h.handle(e).empty());
  EXPECT_EQ(h.fsm.state(), State::open_sent);
}

TEST(BgpFsm, KeepaliveTimerSendsAndRearms) {
  Harness h;
  drive(h, State::established);
  const auto out = h.handle(Event::keepalive_timer_expired);
  const Actions expected{Send{golden::keepalive}, StartTimer{Timer::keepalive, 30s}};
  EXPECT_EQ(out, expected);
}

struct HoldCase {
  std::chrono::seconds ours;
  std::optional<std::chrono::seconds> keepalive;
  std::uint16_t peers;
  std::chrono::seconds hold;
  std::chrono::seconds keepalive_expected;
};

TEST(BgpFsm, HoldTimeNegotiation) {
  const std::vector<HoldCase> cases{
      {90s, std::nullopt, 180, 90s, 30s},                            // min(ours, peer's), keepalive hold/3
      {90s, std::nullopt, 30, 30s, 10s},  {90s, 60s, 90, 90s, 30s},  // configured keepalive capped to hold/3
      {90s, 10s, 90, 90s, 10s},                                      // configured keepalive below hold/3 kept
      {90s, std::nullopt, 3, 3s, 1s},                                // the smallest legal hold time
      {90s, std::nullopt, 0, 0s, 0s},                                // 0 disables hold and keepalives
      {0s, std::nullopt, 90, 0s, 0s},
  };
  for (const auto& c : cases) {
    auto cfg = ibgp_config();
    cfg.local.hold_time = c.ours;
    cfg.local.keepalive_time = c.keepalive;
    Harness h(cfg);
    drive(h, State::open_sent);
    const auto out = h.feed(peer_open(64512, c.peers, 0x0a000002));
    ASSERT_EQ(h.fsm.state(), State::open_confirm) << c.peers;
    EXPECT_EQ(h.fsm.negotiated()->hold_time, c.hold);
    EXPECT_EQ(h.fsm.negotiated()->keepalive_time, c.keepalive_expected);
    if (c.hold == 0s) {
      const Actions expected{Send{golden::keepalive}, StopTimer{Timer::hold}, StopTimer{Timer::keepalive}};
      EXPECT_EQ(out, expected);
      h.now += 10000s;  // no hold timer: an expiry event (should never come) changes nothing
      EXPECT_TRUE(h.handle(Event::hold_timer_expired).empty());
    } else {
      const Actions expected{Send{golden::keepalive}, StartTimer{Timer::hold, c.hold},
                             StartTimer{Timer::keepalive, c.keepalive_expected}};
      EXPECT_EQ(out, expected);
    }
  }
}

struct OpenRejectCase {
  const char* name;
  FsmConfig config;
  Bytes open;
  std::uint8_t subcode;
  Bytes data;
};

TEST(BgpFsm, OpenValidation) {
  auto ebgp = ibgp_config();
  ebgp.local.peer_asn = 64513;
  auto require_mp = ibgp_config();
  require_mp.local.required_capabilities = {capability_code::four_octet_as};
  const std::vector<OpenRejectCase> cases{
      {"wrong peer AS", ibgp_config(), peer_open(64513, 90, 0x0a000002), 2, {}},
      {"4-octet AS differs although My AS matches",
       ibgp_config(),
       [] {
         OpenMessage o = make_open(64512, 90, 0x0a000002, std::array{ipv4_unicast});
         o.capabilities.four_octet_as = 4200000000u;
         return build_open(o);
       }(),
       2,
       {}},
      {"identifier 0", ibgp_config(), peer_open(64512, 90, 0), 3, {}},
      {"identifier equal to ours on iBGP", ibgp_config(), peer_open(64512, 90, our_id), 3, {}},
      {"hold time 1", ibgp_config(), peer_open(64512, 1, 0x0a000002), 6, {}},
      {"hold time 2", ibgp_config(), peer_open(64512, 2, 0x0a000002), 6, {}},
      {"required 4-octet AS capability missing",
       require_mp,
       peer_open(64512, 90, 0x0a000002, false),
       7,
       {65, 4, 0x00, 0x00, 0xfc, 0x00}},
      {"version 3",
       ibgp_config(),
       [] {
         Bytes b = peer_open(64512, 90, 0x0a000002);
         b[19] = 3;
         return b;
       }(),
       1,
       {0x00, 0x04}},
  };
  for (const auto& c : cases) {
    Harness h(c.config);
    drive(h, State::open_sent);
    const auto out = h.feed(c.open);
    EXPECT_EQ(h.fsm.state(), State::idle) << c.name;
    const auto n = sent_notification(out);
    ASSERT_TRUE(n) << c.name;
    EXPECT_EQ(n->code, 2) << c.name;
    EXPECT_EQ(n->subcode, c.subcode) << c.name;
    EXPECT_EQ(n->data, c.data) << c.name;
    EXPECT_TRUE(has<CloseTcp>(out)) << c.name;
    EXPECT_EQ(h.fsm.last_notification(), n) << c.name;
  }
  // eBGP: the same identifier as ours is allowed (RFC 6286), the right AS accepted.
  Harness h(ebgp);
  drive(h, State::open_sent);
  h.feed(peer_open(64513, 90, our_id));
  EXPECT_EQ(h.fsm.state(), State::open_confirm);
  EXPECT_FALSE(h.fsm.negotiated()->ibgp);
}

TEST(BgpFsm, FourOctetPeerAsAndTwoOctetSessions) {
  auto cfg = ibgp_config();
  cfg.local.peer_asn = 4200000000u;
  Harness h(cfg);
  drive(h, State::open_sent);
  h.feed(golden::open_as4);  // My AS = AS_TRANS, capability 65 = 4200000000, hold 0
  ASSERT_EQ(h.fsm.state(), State::open_confirm);
  EXPECT_EQ(h.fsm.negotiated()->peer_asn, 4200000000u);

  // A peer without capability 65: UPDATEs carry 2-octet AS_PATHs and are decoded as such.
  auto cfg2 = ibgp_config();
  cfg2.local.peer_asn = 64513;
  Harness h2(cfg2);
  drive(h2, State::open_sent);
  h2.feed(peer_open(64513, 90, 0x0a000002, false));
  h2.feed(golden::keepalive);
  ASSERT_EQ(h2.fsm.state(), State::established);
  EXPECT_FALSE(h2.fsm.negotiated()->four_octet_as);
  UpdateMessage u;
  u.attributes.origin = Origin::igp;
  u.attributes.as_path = AsPath{{AsSegmentType::as_sequence, {64513, 65001}}};
  u.attributes.next_hop = net::IpAddress::v4(0x0a000002);
  u.nlri = {*net::Prefix::parse("198.51.100.0/24")};
  const auto out = h2.feed(*build_update(u, DecodeContext{false}));
  const auto delivered = all<DeliverUpdate>(out);
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0].update, u);
  EXPECT_TRUE(delivered[0].update.errors.empty());
}

TEST(BgpFsm, Rfc7606ErrorsKeepTheSessionUp) {
  Harness h;
  drive(h, State::established);
  Bytes bad_origin = golden::update_v4;
  bad_origin[26] = 0x07;  // ORIGIN value 7
  const auto out = h.feed(bad_origin);
  EXPECT_EQ(h.fsm.state(), State::established);
  EXPECT_TRUE(sent(out).empty());
  const auto delivered = all<DeliverUpdate>(out);
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_TRUE(delivered[0].update.treat_as_withdraw());
}

TEST(BgpFsm, SessionResetErrorsSendTheirNotification) {
  Harness h;
  drive(h, State::established);
  Bytes bad = golden::update_v4;
  bad[22] = 0xff;  // total path attribute length far past the message: 3/1
  const auto out = h.feed(bad);
  EXPECT_EQ(h.fsm.state(), State::idle);
  const auto n = sent_notification(out);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->code, 3);
  EXPECT_EQ(n->subcode, 1);
  EXPECT_EQ(all<SessionDown>(out).at(0).reason, DownReason::notification_sent);
}

TEST(BgpFsm, AdministrativeShutdownCarriesTheMessage) {
  Harness h;
  drive(h, State::established);
  const auto out = h.fsm.stop("maintenance", h.now);
  EXPECT_EQ(sent(out), std::vector<Bytes>{golden::notification_shutdown});
  EXPECT_EQ(all<SessionDown>(out).at(0).reason, DownReason::manual_stop);
  EXPECT_TRUE(has<StopTimer>(out));
  EXPECT_FALSE(has<StartTimer>(out));  // no automatic restart after a manual stop
  EXPECT_TRUE(h.handle(Event::connect_retry_expired).empty());
  EXPECT_EQ(h.fsm.state(), State::idle);
  // The configured default message is used by Event::manual_stop.
  Harness h2;
  drive(h2, State::open_confirm);
  const auto n = sent_notification(h2.handle(Event::manual_stop));
  ASSERT_TRUE(n);
  EXPECT_EQ(shutdown_communication(*n), "bye");
}

TEST(BgpFsm, PeerNotificationIsReported) {
  Harness h;
  drive(h, State::established);
  const auto out = h.feed(golden::notification_shutdown);
  const auto down = all<SessionDown>(out);
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0].reason, DownReason::notification_received);
  ASSERT_TRUE(down[0].notification);
  EXPECT_EQ(shutdown_communication(*down[0].notification), "maintenance");
  EXPECT_TRUE(sent(out).empty());  // never answer a NOTIFICATION with one
}

TEST(BgpFsm, RouteRefreshIsDelivered) {
  Harness h;
  drive(h, State::established);
  const auto out = h.feed(golden::route_refresh_v6);
  EXPECT_EQ(all<DeliverRouteRefresh>(out).at(0).refresh, (RouteRefreshMessage{ipv6_unicast, 0}));
}

TEST(BgpFsm, ConnectRetryBacksOffAndResetsWhenEstablished) {
  Harness h;
  std::vector<Duration> delays;
  auto record = [&](const Actions& out) {
    for (const auto& t : all<StartTimer>(out))
      if (t.timer == Timer::connect_retry) delays.push_back(t.after);
  };
  record(h.handle(Event::manual_start));
  for (int i = 0; i < 9; ++i) {
    h.handle(Event::tcp_failed);  // Connect -> Active, the retry timer keeps running
    ASSERT_EQ(h.fsm.state(), State::active);
    record(h.handle(Event::connect_retry_expired));  // Active -> Connect, next delay
  }
  const std::vector<long> base{1, 2, 4, 8, 16, 32, 64, 120, 120, 120};
  ASSERT_EQ(delays.size(), base.size());
  for (std::size_t i = 0; i < base.size(); ++i) {
    EXPECT_GE(delays[i].count(), base[i] * 750) << i;
    EXPECT_LE(delays[i].count(), base[i] * 1000) << i;
  }
  EXPECT_NE(delays[8], delays[9]);  // jittered, not lockstep
  // Established resets the backoff: the next failure starts again at ~1 s.
  h.handle(Event::tcp_connected);
  h.feed(golden::open_frr_style);
  h.feed(golden::keepalive);
  ASSERT_EQ(h.fsm.state(), State::established);
  const auto out = h.handle(Event::tcp_failed);
  const auto restart = all<StartTimer>(out).at(0);
  EXPECT_EQ(restart.timer, Timer::connect_retry);
  EXPECT_LE(restart.after, 1000ms);
}

TEST(BgpFsm, BackoffIsDeterministicPerSeed) {
  Backoff a(1s, 120s, 1), b(1s, 120s, 1), c(1s, 120s, 2);
  std::vector<Duration> da, db, dc;
  for (int i = 0; i < 10; ++i) {
    da.push_back(a.next());
    db.push_back(b.next());
    dc.push_back(c.next());
  }
  EXPECT_EQ(da, db);
  EXPECT_NE(da, dc);
  a.reset();
  EXPECT_LE(a.next(), 1000ms);
}

TEST(BgpFsm, PassiveStartWaitsForThePeer) {
  Harness h;
  auto out = h.handle(Event::manual_start_passive);
  EXPECT_FALSE(has<ConnectTcp>(out));
  EXPECT_EQ(h.fsm.state(), State::active);
  out = h.handle(Event::tcp_connected);  // the peer connected to us
  EXPECT_EQ(sent(out), std::vector<Bytes>{golden::open_64512});
  EXPECT_EQ(h.fsm.state(), State::open_sent);
  // After an error, a passive session restarts passively.
  h.feed(golden::notification_shutdown);
  out = h.handle(Event::connect_retry_expired);
  EXPECT_FALSE(has<ConnectTcp>(out));
  EXPECT_EQ(h.fsm.state(), State::active);
}

TEST(BgpFsm, CollisionResolution) {
  // RFC 4271 §6.8: the connection initiated by the higher identifier survives.
  EXPECT_EQ(connection_to_keep(10, 20), Connection::remotely_initiated);
  EXPECT_EQ(connection_to_keep(20, 10), Connection::locally_initiated);
  EXPECT_EQ(connection_to_keep(0xc0a8010a, 0x0a000002), Connection::locally_initiated);  // unsigned compare
  EXPECT_EQ(connection_to_keep(0x0a000002, 0xc0a8010a), Connection::remotely_initiated);
  Harness h;
  drive(h, State::open_confirm);
  const auto out = h.handle(Event::open_collision_dump);
  EXPECT_EQ(sent_notification(out), (NotificationMessage{6, 7, {}}));
  EXPECT_EQ(h.fsm.state(), State::idle);
  EXPECT_TRUE(h.handle(Event::connect_retry_expired).empty());  // the loser does not restart
}

TEST(BgpFsm, TableIsTotal) {
  // Every non-ignored cell of the table is covered by expected_cells, and vice versa.
  std::size_t non_ignored = 0;
  for (std::size_t s = 0; s < state_count; ++s)
    for (std::size_t e = 0; e < event_count; ++e)
      if (fsm_table[s][e].step != Step::ignore) ++non_ignored;
  // Idle + connect_retry_expired (automatic restart) is in the table but a fresh Fsm ignores it.
  EXPECT_EQ(non_ignored, expected_cells.size() + 1);
  static_assert(transition(State::established, Event::hold_timer_expired).step == Step::hold_expired);
  static_assert(transition(State::open_confirm, Event::keepalive_received).next == State::established);
}

}  // namespace
}  // namespace vipd::bgp
