// plan_failover: which VRRP instances a config asks for, and the status/metrics they feed.
#include <net/if.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "vipd/config/loader.hpp"
#include "vipd/daemon/failover_groups.hpp"
#include "vipd/daemon/metrics.hpp"

namespace vipd::daemon {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

net::IpAddress ip(const char* text) {
  return *net::IpAddress::parse(text);
}

pool::Assignment assignment(const char* service, const char* pool, const char* vip,
                            config::Protocol protocol = config::Protocol::layer2) {
  return {service, pool, protocol, ip(vip), true};
}

config::Model model_with_groups() {
  config::Model model;
  config::VrrpGroup lan;
  lan.name = "lan";
  lan.interface = "eth1";
  lan.vrid = 51;
  lan.priority = 150;
  lan.advert_interval = std::chrono::milliseconds(100);
  lan.preempt = false;
  lan.preempt_delay = std::chrono::seconds(2);
  lan.pools = {"web", "web6"};
  lan.unicast_peers = {ip("10.0.0.2"), ip("fe80::2")};
  config::VrrpGroup dmz;
  dmz.name = "dmz";
  dmz.interface = "eth2";
  dmz.vrid = 52;
  dmz.pools = {"dmz"};
  model.failover.vrrp = {lan, dmz};
  return model;
}

TEST(PlanFailover, OneInstancePerGroupAndFamilyThatHasVips) {
  const auto plan = plan_failover(model_with_groups(), {
                                                           assignment("b", "web", "10.0.0.101"),
                                                           assignment("a", "web", "10.0.0.100"),
                                                           assignment("c", "web6", "fd00::100"),
                                                           assignment("d", "other", "10.0.9.1"),
                                                       });
  ASSERT_EQ(plan.size(), 2u);  // dmz has no VIP: no instance
  const auto& v4 = plan[0].settings;
  EXPECT_EQ(v4.name, "lan");
  EXPECT_EQ(v4.family, net::Family::v4);
  EXPECT_EQ(v4.interface, "eth1");
  EXPECT_EQ(v4.vrid, 51);
  EXPECT_EQ(v4.priority, 150);
  EXPECT_EQ(v4.advert_interval, std::chrono::milliseconds(100));
  EXPECT_FALSE(v4.preempt);
  EXPECT_EQ(v4.preempt_delay, std::chrono::milliseconds(2000));
  EXPECT_THAT(v4.addresses,
              ElementsAre(ip("10.0.0.100"), ip("10.0.0.101")));  // sorted, the group's pools only
  EXPECT_THAT(v4.unicast_peers, ElementsAre(ip("10.0.0.2")));    // the other family's peer left out
  EXPECT_THAT(plan[0].pools, ElementsAre("web", "web6"));
  const auto& v6 = plan[1].settings;
  EXPECT_EQ(v6.family, net::Family::v6);
  EXPECT_THAT(v6.addresses, ElementsAre(ip("fd00::100")));
  EXPECT_THAT(v6.unicast_peers, ElementsAre(ip("fe80::2")));
}

TEST(PlanFailover, BgpVipsOfANamedPoolAreNotFailoverVips) {
  const auto plan =
      plan_failover(model_with_groups(), {assignment("a", "web", "10.0.0.100", config::Protocol::bgp)});
  EXPECT_TRUE(plan.empty());
}

TEST(PlanFailover, NoFailoverSectionNoInstances) {
  EXPECT_TRUE(plan_failover(config::Model{}, {assignment("a", "web", "10.0.0.100")}).empty());
}

TEST(SameVrrpSettings, OnlyTheVipListMayDifferForALiveUpdate) {
  const auto plan = plan_failover(model_with_groups(), {assignment("a", "web", "10.0.0.100")});
  ASSERT_EQ(plan.size(), 1u);
  auto other = plan[0].settings;
  other.addresses.push_back(ip("10.0.0.200"));
  EXPECT_TRUE(same_vrrp_settings(plan[0].settings, other));
  other.priority = 100;
  EXPECT_FALSE(same_vrrp_settings(plan[0].settings, other));
  other = plan[0].settings;
  other.advert_interval = std::chrono::milliseconds(20);
  EXPECT_FALSE(same_vrrp_settings(plan[0].settings, other));
  other = plan[0].settings;
  other.unicast_peers.clear();
  EXPECT_FALSE(same_vrrp_settings(plan[0].settings, other));
}

// FailoverGroups without a link table: nothing starts, a gated pool is not owned, other pools are
// not its business.
TEST(FailoverGroups, GatedPoolsAreNotOwnedUntilMaster) {
  boost::asio::io_context io;
  int changes = 0;
  FailoverGroups groups(io, [&](const FailoverGroups::Change&) { ++changes; });
  auto model = model_with_groups();
  auto policy = selector::Policy::compile(model);
  ASSERT_TRUE(policy);
  groups.configure(plan_failover(model, {assignment("a", "web", "10.0.0.100")}), {"web", "web6", "dmz"},
                   nullptr, *policy);
  EXPECT_EQ(groups.owns("web", net::Family::v4), false);
  EXPECT_EQ(groups.owns("dmz", net::Family::v4), false);  // in a group without VIPs: still gated
  EXPECT_EQ(groups.owns("other", net::Family::v4), std::nullopt);
  const auto status = groups.status();
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0]["group"], "lan");
  EXPECT_EQ(status[0]["family"], "ipv4");
  EXPECT_EQ(status[0]["state"], "initialize");
  EXPECT_EQ(status[0]["vips"], nlohmann::json::array({"10.0.0.100"}));
  EXPECT_EQ(groups.summary(), "lan/ipv4 initialize");
  bool done = false;
  groups.shutdown([&] { done = true; });
  io.run();
  EXPECT_TRUE(done);
  EXPECT_TRUE(groups.stopped());
  EXPECT_EQ(changes, 0);
}

TEST(FailoverGroups, MissingLinkWaitsAndOwnsNothing) {
  boost::asio::io_context io;
  FailoverGroups groups(io, [](const FailoverGroups::Change&) {});
  auto model = model_with_groups();
  auto policy = selector::Policy::compile(model);
  ASSERT_TRUE(policy);
  netlink::LinkSnapshot links;  // no eth1
  groups.configure(plan_failover(model, {assignment("a", "web", "10.0.0.100")}), {"web"}, &links, *policy);
  const auto status = groups.status();
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0]["waiting_for"], "link");
  EXPECT_EQ(groups.owns("web", net::Family::v4), false);
}

netlink::Link lan_link(std::vector<const char*> addresses) {
  netlink::Link link;
  link.ifindex = 7;
  link.name = "eth1";
  link.flags = IFF_UP | IFF_RUNNING | IFF_BROADCAST | IFF_MULTICAST;
  link.operstate = 6;
  link.has_mac = true;
  link.mac = {2, 0, 0, 0, 0, 7};
  for (const char* a : addresses) {
    const auto prefix = *net::Prefix::parse(a);
    link.addresses.push_back(
        {prefix, static_cast<std::uint8_t>(prefix.address.is_v6_link_local() ? 253 : 0)});
  }
  return link;
}

// The group's link passes the link rules; the subnet rule is about VIPs and must not refuse an
// IPv6 group, whose adverts come from a link-local address no configured prefix holds. (Starting
// then fails on the synthetic ifindex, which is the point: it got past the policy.)
TEST(FailoverGroups, Ipv6GroupLinkIsNotRefusedForItsLinkLocalSource) {
  boost::asio::io_context io;
  FailoverGroups groups(io, [](const FailoverGroups::Change&) {});
  auto model = model_with_groups();
  auto policy = selector::Policy::compile(model);
  ASSERT_TRUE(policy);
  netlink::LinkSnapshot links;
  links.links.push_back(lan_link({"fe80::7/64", "fd00::7/64"}));
  groups.configure(plan_failover(model, {assignment("c", "web6", "fd00::100")}), {"web6"}, &links, *policy);
  const auto status = groups.status();
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0]["family"], "ipv6");
  EXPECT_THAT(status[0]["waiting_for"].get<std::string>(), Not(HasSubstr("policy")));
}

TEST(FailoverGroups, DeniedGroupLinkIsRefused) {
  boost::asio::io_context io;
  FailoverGroups groups(io, [](const FailoverGroups::Change&) {});
  auto model = model_with_groups();
  model.interfaces.deny = {"eth*"};
  auto policy = selector::Policy::compile(model);
  ASSERT_TRUE(policy);
  netlink::LinkSnapshot links;
  links.links.push_back(lan_link({"10.0.0.1/24"}));
  groups.configure(plan_failover(model, {assignment("a", "web", "10.0.0.100")}), {"web"}, &links, *policy);
  const auto status = groups.status();
  ASSERT_EQ(status.size(), 1u);
  EXPECT_THAT(status[0]["waiting_for"].get<std::string>(), HasSubstr("policy"));
  EXPECT_EQ(groups.owns("web", net::Family::v4), false);
}

TEST(FailoverMetrics, RenderedPerGroupAndFamily) {
  MetricsSnapshot s;
  MetricsSnapshot::FailoverGroup g;
  g.group = "lan";
  g.family = "ipv4";
  g.master = true;
  g.adverts_received = 7;
  g.transitions_to = {0, 1, 2, 1, 0};
  s.failover.push_back(g);
  const auto text = render_snapshot(s);
  EXPECT_THAT(text, HasSubstr("# TYPE vipd_failover_master gauge\n"));
  EXPECT_THAT(text, HasSubstr("vipd_failover_master{group=\"lan\",family=\"ipv4\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("vipd_failover_adverts_received_total{group=\"lan\",family=\"ipv4\"} 7\n"));
  EXPECT_THAT(text,
              HasSubstr("vipd_failover_transitions_total{group=\"lan\",family=\"ipv4\",to=\"master\"} 2\n"));
  EXPECT_THAT(
      text, HasSubstr("vipd_failover_transitions_total{group=\"lan\",family=\"ipv4\",to=\"releasing\"} 1\n"));
}

TEST(BgpMetrics, SessionPrefixesUpdatesAndNotificationsByCode) {
  MetricsSnapshot s;
  MetricsSnapshot::BgpPeer p;
  p.peer = "router";
  p.up = true;
  p.announced_prefixes = 3;
  p.updates_sent = 5;
  p.notifications_sent[6] = 1;
  p.notifications_received[4] = 2;
  s.bgp.push_back(p);
  const auto text = render_snapshot(s);
  EXPECT_THAT(text, HasSubstr("vipd_bgp_session_up{peer=\"router\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("vipd_bgp_announced_prefixes{peer=\"router\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("vipd_bgp_updates_sent_total{peer=\"router\"} 5\n"));
  EXPECT_THAT(text,
              HasSubstr("vipd_bgp_notifications_total{peer=\"router\",direction=\"sent\",code=\"6\"} 1\n"));
  EXPECT_THAT(
      text, HasSubstr("vipd_bgp_notifications_total{peer=\"router\",direction=\"received\",code=\"4\"} 2\n"));
  EXPECT_THAT(text, Not(HasSubstr("code=\"1\"")));
}

}  // namespace
}  // namespace vipd::daemon
