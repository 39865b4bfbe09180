// The speaker's pure parts: which routes each peer should hold (AdvertPlan), table diffs, grouping
// by attributes, per-session attributes and the reload rule.
#include <gtest/gtest.h>

#include "vipd/bgp/codec.hpp"
#include "vipd/bgp/plan.hpp"

namespace vipd::bgp {
namespace {

net::IpAddress ip(std::string_view t) {
  return *net::IpAddress::parse(t);
}
net::Prefix pfx(std::string_view t) {
  return *net::Prefix::parse(t);
}

config::Peer peer(std::string name, std::string_view address, std::uint32_t asn = 64512) {
  config::Peer p;
  p.name = std::move(name);
  p.peer_address = ip(address);
  p.peer_asn = asn;
  p.my_asn = 64512;
  return p;
}

config::Pool bgp_pool(std::string name, std::vector<config::BgpAdvertisement> advs) {
  config::Pool p;
  p.name = std::move(name);
  p.protocol = config::Protocol::bgp;
  p.bgp_advertisements = std::move(advs);
  return p;
}

pool::Assignment vip(std::string service, std::string pool_name, std::string_view address,
                     config::Protocol protocol = config::Protocol::bgp) {
  return pool::Assignment{std::move(service), std::move(pool_name), protocol, ip(address), false};
}

config::Model two_peer_model() {
  config::Model m;
  m.peers = {peer("r1", "10.99.0.1"), peer("r2", "10.99.0.3", 64513)};
  config::BgpAdvertisement all;
  all.localpref = 200;
  all.communities = {(65535u << 16) | 65282u};
  all.large_communities = {config::LargeCommunity{64512, 1, 2}};
  config::BgpAdvertisement only_r2;
  only_r2.aggregation_length = 24;
  only_r2.aggregation_length_v6 = 64;
  only_r2.peers = {"10.99.0.3"};
  m.pools = {bgp_pool("pub", {all}), bgp_pool("agg", {only_r2})};
  config::Pool l2;
  l2.name = "l2";
  m.pools.push_back(l2);
  return m;
}

TEST(AdvertPlan, AnnouncesOnlyBgpVipsSortedWithAdvertisementAttributes) {
  const auto m = two_peer_model();
  const AdvertPlan plan(
      m, {vip("web", "pub", "192.168.10.7"), vip("api", "pub", "192.168.10.1"), vip("v6", "pub", "fd00::5"),
          vip("lan", "l2", "192.168.20.1", config::Protocol::layer2)});
  const auto& r1 = plan.routes_for("r1");
  ASSERT_EQ(r1.size(), 3u);
  EXPECT_EQ(r1[0].prefix, pfx("192.168.10.1/32"));
  EXPECT_EQ(r1[1].prefix, pfx("192.168.10.7/32"));
  EXPECT_EQ(r1[2].prefix, pfx("fd00::5/128"));
  EXPECT_EQ(r1[0].local_pref, 200u);
  EXPECT_EQ(r1[0].communities, std::vector<std::uint32_t>{0xFFFFFF02u});
  EXPECT_EQ(r1[0].large_communities, (std::vector<LargeCommunity>{{64512, 1, 2}}));
  EXPECT_TRUE(plan.routes_for("nobody").empty());
}

TEST(AdvertPlan, AggregatesAndHonoursThePeerList) {
  const auto m = two_peer_model();
  const AdvertPlan plan(m, {vip("a", "agg", "192.168.30.9"), vip("b", "agg", "192.168.30.200"),
                            vip("c", "agg", "fd00:1:2:3::9")});
  EXPECT_TRUE(plan.routes_for("r1").empty());  // the advertisement names r2 only (by address)
  const auto& r2 = plan.routes_for("r2");
  ASSERT_EQ(r2.size(), 2u);  // two VIPs of one /24 collapse into one aggregate
  EXPECT_EQ(r2[0].prefix, pfx("192.168.30.0/24"));
  EXPECT_EQ(r2[1].prefix, pfx("fd00:1:2:3::/64"));
  EXPECT_EQ(r2[0].local_pref, std::nullopt);
}

TEST(AdvertPlan, PoolWithoutAdvertisementsUsesDefaultsAndFirstAdvertisementWins) {
  config::Model m;
  m.peers = {peer("r1", "10.99.0.1")};
  config::BgpAdvertisement first;
  first.localpref = 300;
  config::BgpAdvertisement second;
  second.localpref = 50;
  m.pools = {bgp_pool("plain", {}), bgp_pool("twice", {first, second})};
  const AdvertPlan plan(m, {vip("x", "plain", "10.1.1.1"), vip("y", "twice", "10.2.2.2")});
  const auto& r = plan.routes_for("r1");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].prefix, pfx("10.1.1.1/32"));
  EXPECT_EQ(r[0].local_pref, std::nullopt);
  EXPECT_EQ(r[1].local_pref, 300u);
}

TEST(AdvertisesTo, MatchesNameOrAddress) {
  config::BgpAdvertisement a;
  EXPECT_TRUE(advertises_to(a, peer("r1", "10.0.0.1")));
  a.peers = {"r1"};
  EXPECT_TRUE(advertises_to(a, peer("r1", "10.0.0.1")));
  EXPECT_FALSE(advertises_to(a, peer("r2", "10.0.0.2")));
  a.peers = {"10.0.0.2"};
  EXPECT_TRUE(advertises_to(a, peer("r2", "10.0.0.2")));
}

TEST(DiffTables, AnnouncesNewAndChangedWithdrawsRemoved) {
  Route a{pfx("10.0.0.1/32"), 100, {}, {}};
  Route b{pfx("10.0.0.2/32"), 100, {}, {}};
  Route c{pfx("10.0.0.3/32"), 100, {}, {}};
  Route b2 = b;
  b2.local_pref = 50;
  const auto d = diff_tables({a, b}, {b2, c});
  EXPECT_EQ(d.withdraw, std::vector<net::Prefix>{a.prefix});
  EXPECT_EQ(d.announce, (RouteTable{b2, c}));
  EXPECT_TRUE(diff_tables({a, b}, {a, b}).empty());
  EXPECT_EQ(diff_tables({}, {a}).announce, RouteTable{a});
  EXPECT_EQ(diff_tables({a, c}, {}).withdraw, (std::vector<net::Prefix>{a.prefix, c.prefix}));
}

TEST(GroupByAttributes, SharesOneGroupPerAttributeSet) {
  Route a{pfx("10.0.0.1/32"), 100, {1}, {}};
  Route b{pfx("10.0.0.2/32"), 200, {1}, {}};
  Route c{pfx("fd00::1/128"), 100, {1}, {}};
  const auto g = group_by_attributes({a, b, c});
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0].prefixes, (std::vector<net::Prefix>{a.prefix, c.prefix}));
  EXPECT_EQ(g[1].prefixes, std::vector<net::Prefix>{b.prefix});
}

TEST(RouteAttributes, IbgpAndEbgpDiffer) {
  Route r{pfx("10.0.0.1/32"), std::nullopt, {7}, {{1, 2, 3}}};
  const auto i = route_attributes(r, 64512, true, ip("10.99.0.2"), ip("fd99::2"));
  EXPECT_EQ(i.origin, Origin::incomplete);
  EXPECT_TRUE(i.as_path.empty());
  EXPECT_EQ(i.local_pref, 100u);  // default on iBGP
  EXPECT_EQ(i.next_hop_v4, ip("10.99.0.2"));
  EXPECT_EQ(i.next_hop_v6, ip("fd99::2"));
  EXPECT_EQ(i.communities, std::vector<std::uint32_t>{7});
  const auto e = route_attributes(r, 64512, false, ip("10.99.0.2"), std::nullopt);
  ASSERT_EQ(e.as_path.size(), 1u);
  EXPECT_EQ(e.as_path[0].asns, std::vector<std::uint32_t>{64512});
  EXPECT_EQ(e.local_pref, std::nullopt);  // never on eBGP
}

TEST(RouteAttributes, EncodeToOneUpdateWithBothFamilies) {
  Route r{pfx("10.0.0.1/32"), 150, {}, {}};
  const auto attrs = route_attributes(r, 64512, true, ip("10.99.0.2"), ip("fd99::2"));
  const std::vector<net::Prefix> prefixes{pfx("10.0.0.1/32"), pfx("fd00::1/128")};
  auto msgs = build_announcements(attrs, prefixes);
  ASSERT_TRUE(msgs);
  ASSERT_EQ(msgs->size(), 2u);  // IPv4 NLRI message, then MP_REACH message
  auto v6 = parse_message(std::span<const std::uint8_t>((*msgs)[1]));
  ASSERT_TRUE(v6);
  const auto& u = std::get<UpdateMessage>(*v6);
  ASSERT_TRUE(u.attributes.mp_reach);
  EXPECT_EQ(u.attributes.mp_reach->next_hop, ip("fd99::2"));
  EXPECT_EQ(u.attributes.local_pref, 150u);
  EXPECT_TRUE(u.nlri.empty());
}

TEST(SameSessionSettings, OnlyPeerSettingsCount) {
  auto a = peer("r1", "10.0.0.1");
  auto b = a;
  b.where.line = 42;  // location is not a setting
  EXPECT_TRUE(same_session_settings(a, b));
  b.password = "x";
  EXPECT_FALSE(same_session_settings(a, b));
  b = a;
  b.hold_time = std::chrono::seconds(3);
  EXPECT_FALSE(same_session_settings(a, b));
  b = a;
  b.passive = true;
  EXPECT_FALSE(same_session_settings(a, b));
}

}  // namespace
}  // namespace vipd::bgp
