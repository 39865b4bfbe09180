#include "vipd/ownership/ownership.hpp"

#include <gtest/gtest.h>

namespace vipd::ownership {
namespace {

pool::Assignment l2(const std::string& service, const std::string& pool, const char* vip) {
  return {service, pool, config::Protocol::layer2, *net::IpAddress::parse(vip), true};
}
pool::Assignment bgp(const std::string& service, const std::string& pool, const char* vip) {
  return {service, pool, config::Protocol::bgp, *net::IpAddress::parse(vip), true};
}

Inputs with_group(const std::string& pool, net::Family family, const std::string& state, bool master) {
  Inputs in;
  in.failover_pools.insert(pool);
  in.groups[{pool, family}] = {"lan", family, state, master};
  return in;
}

TEST(Ownership, SingleNodeOwnsEveryVipUntilDrained) {
  Inputs in;
  const auto web = l2("web", "lan", "10.0.0.10");
  auto v = decide(web, in);
  EXPECT_TRUE(v.owned);
  ASSERT_EQ(v.reasons.size(), 1u);
  EXPECT_EQ(v.reasons[0], (Reason{Source::admin, "serving", Effect::allows}));
  EXPECT_EQ(v.deciding(), nullptr);
  EXPECT_EQ(v.deciding_text(), "");

  in.drained = true;
  v = decide(web, in);
  EXPECT_FALSE(v.owned);
  EXPECT_EQ(v.reasons[0], (Reason{Source::admin, "drained", Effect::blocks}));
  EXPECT_EQ(v.deciding_text(), "admin: drained");
}

TEST(Ownership, FailoverPoolIsOwnedOnlyWhileItsGroupIsMaster) {
  const auto web = l2("web", "lan", "10.0.0.10");
  auto v = decide(web, with_group("lan", net::Family::v4, "master", true));
  EXPECT_TRUE(v.owned);
  ASSERT_EQ(v.reasons.size(), 2u);
  EXPECT_EQ(v.reasons[1], (Reason{Source::failover, "group lan/ipv4 master", Effect::allows}));

  for (const char* state : {"backup", "initialize", "fault"}) {
    v = decide(web, with_group("lan", net::Family::v4, state, false));
    EXPECT_FALSE(v.owned) << state;
    EXPECT_EQ(v.deciding_text(), std::string("failover: group lan/ipv4 ") + state);
  }
  // The group's other family does not gate this VIP.
  v = decide(web, with_group("lan", net::Family::v6, "master", true));
  EXPECT_FALSE(v.owned);
  EXPECT_EQ(v.deciding_text(), "failover: pool lan has no running ipv4 group");
}

TEST(Ownership, DrainOfAFailoverPoolIsCarriedOutByTheGroupHandover) {
  const auto web = l2("web", "lan", "10.0.0.10");
  auto in =
      with_group("lan", net::Family::v4, "releasing", true);  // priority 0 sent, new master not heard yet
  in.drained = true;
  auto v = decide(web, in);
  EXPECT_TRUE(v.owned) << "make-before-break: still answering until the new master is heard";
  EXPECT_EQ(v.reasons[0].effect, Effect::defers);
  in.groups.begin()->second = {"lan", net::Family::v4, "initialize", false};
  v = decide(web, in);
  EXPECT_FALSE(v.owned);
  EXPECT_EQ(v.deciding()->source, Source::failover);
}

TEST(Ownership, BgpVipsAreAnnouncedUnlessDrainedAndIgnoreFailoverGroups) {
  const auto api = bgp("api", "lan", "10.1.0.1");
  auto in = with_group("lan", net::Family::v4, "backup", false);
  auto v = decide(api, in);
  EXPECT_TRUE(v.owned) << "BGP is active-active: a failover group does not gate it";
  EXPECT_EQ(v.reasons.size(), 1u);
  in.drained = true;
  v = decide(api, in);
  EXPECT_FALSE(v.owned) << "a drained node withdraws its BGP VIPs";
  EXPECT_EQ(v.deciding_text(), "admin: drained");
}

TEST(Ownership, HealthChecksGateByServiceAndPoolAndUnknownChecksBlock) {
  const auto web = l2("web", "lan", "10.0.0.10");
  const auto api = bgp("api", "anycast", "10.1.0.1");
  Inputs in;
  in.health = HealthInputs{};
  in.health->by_service["web"] = {"http"};
  in.health->by_pool["lan"] = {"http", "maintenance"};  // "http" counted once
  in.health->by_pool["anycast"] = {"tcp"};
  in.health->checks["http"] = {true, "3/3"};
  in.health->checks["maintenance"] = {true, ""};
  in.health->checks["tcp"] = {false, "connection refused"};

  auto v = decide(web, in);
  EXPECT_TRUE(v.owned);
  ASSERT_EQ(v.reasons.size(), 3u);
  EXPECT_EQ(v.reasons[1], (Reason{Source::health, "check http up (3/3)", Effect::allows}));
  EXPECT_EQ(v.reasons[2], (Reason{Source::health, "check maintenance up", Effect::allows}));

  v = decide(api, in);
  EXPECT_FALSE(v.owned) << "a down check withdraws a bgp VIP";
  EXPECT_EQ(v.deciding_text(), "health: check tcp down (connection refused)");

  in.health->checks.erase("maintenance");
  v = decide(web, in);
  EXPECT_FALSE(v.owned);
  EXPECT_EQ(v.deciding_text(), "health: check maintenance has no result yet");
}

TEST(Ownership, ClusterDecidesOnlyItsPools) {
  const auto web = l2("web", "lan", "10.0.0.10");
  const auto other = l2("db", "local", "10.0.0.20");
  Inputs in;
  in.cluster = ClusterInputs{};
  in.cluster->pools = {"lan"};
  EXPECT_FALSE(decide(web, in).owned);
  EXPECT_EQ(decide(web, in).deciding_text(), "cluster: no claim held");
  EXPECT_TRUE(decide(other, in).owned);
  in.cluster->claims[web.vip] = {true, "claim held (lease 7f3a)"};
  EXPECT_TRUE(decide(web, in).owned);
  in.cluster->claims[web.vip] = {false, "claimed by node-b"};
  EXPECT_EQ(decide(web, in).deciding_text(), "cluster: claimed by node-b");
}

TEST(Ownership, EverySourceMustAgreeAndTheFirstBlockingOneDecides) {
  const auto web = l2("web", "lan", "10.0.0.10");
  auto in = with_group("lan", net::Family::v4, "backup", false);
  in.health = HealthInputs{};
  in.health->by_service["web"] = {"http"};
  in.health->checks["http"] = {false, ""};
  in.cluster = ClusterInputs{{"lan"}, {}};
  auto v = decide(web, in);
  EXPECT_FALSE(v.owned);
  ASSERT_EQ(v.reasons.size(), 4u);
  EXPECT_EQ(v.deciding()->source, Source::failover);
  // Each source alone blocks.
  in.groups.begin()->second.master = true;
  EXPECT_EQ(decide(web, in).deciding()->source, Source::health);
  in.health->checks["http"].up = true;
  EXPECT_EQ(decide(web, in).deciding()->source, Source::cluster);
  in.cluster->claims[web.vip] = {true, ""};
  EXPECT_TRUE(decide(web, in).owned);
}

TEST(Ownership, DecideAllKeepsTheOrderOfAssignments) {
  const std::vector<pool::Assignment> all{l2("a", "lan", "10.0.0.1"), bgp("b", "anycast", "10.1.0.1"),
                                          l2("c", "lan", "fd00::1")};
  auto in = with_group("lan", net::Family::v6, "master", true);
  const auto verdicts = decide_all(all, in);
  ASSERT_EQ(verdicts.size(), 3u);
  EXPECT_FALSE(verdicts[0].owned);  // lan/ipv4 has no group instance
  EXPECT_TRUE(verdicts[1].owned);
  EXPECT_TRUE(verdicts[2].owned);
}

TEST(Ownership, ExplainBlockAndJson) {
  const auto web = l2("web", "lan", "10.0.0.10");
  const auto v = decide(web, with_group("lan", net::Family::v4, "backup", false));
  EXPECT_EQ(format_block(web, v),
            "Ownership: not owned (silent on every link): failover: group lan/ipv4 backup\n"
            "  admin     serving                allows\n"
            "  failover  group lan/ipv4 backup  blocks\n");
  nlohmann::json j = {{"vip", "10.0.0.10"}};
  add_to_json(j, v);
  EXPECT_EQ(j.dump(),
            R"({"owned":false,"ownership":[{"effect":"allows","source":"admin","state":"serving"},)"
            R"({"effect":"blocks","source":"failover","state":"group lan/ipv4 backup"}],"vip":"10.0.0.10"})");
  const auto api = bgp("api", "anycast", "10.1.0.1");
  EXPECT_EQ(format_block(api, decide(api, Inputs{})),
            "Ownership: announced to BGP peers\n  admin  serving  allows\n");
}

}  // namespace
}  // namespace vipd::ownership
