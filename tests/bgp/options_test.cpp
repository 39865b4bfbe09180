// ORIGIN from the advertisement, `next-hop-v6` overriding the automatic IPv6 next hop (down to the
// UPDATE bytes), and the GTSM / TTL socket options a session applies.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>

#include "vipd/bgp/codec.hpp"
#include "vipd/bgp/plan.hpp"
#include "vipd/bgp/session.hpp"

namespace vipd::bgp {
namespace {

net::IpAddress ip(std::string_view t) {
  return *net::IpAddress::parse(t);
}
net::Prefix pfx(std::string_view t) {
  return *net::Prefix::parse(t);
}

config::Peer peer(std::uint32_t peer_asn = 64512) {
  config::Peer p;
  p.name = "r1";
  p.peer_address = ip("10.99.0.1");
  p.peer_asn = peer_asn;
  p.my_asn = 64512;
  return p;
}

config::Model model_with(std::vector<config::BgpAdvertisement> advs_a,
                         std::vector<config::BgpAdvertisement> advs_b) {
  config::Model m;
  m.peers = {peer()};
  config::Pool a;
  a.name = "a";
  a.protocol = config::Protocol::bgp;
  a.bgp_advertisements = std::move(advs_a);
  config::Pool b = a;
  b.name = "b";
  b.bgp_advertisements = std::move(advs_b);
  m.pools = {a, b};
  return m;
}

pool::Assignment vip(std::string pool_name, std::string_view address) {
  return pool::Assignment{"svc-" + std::string(address), std::move(pool_name), config::Protocol::bgp,
                          ip(address), false};
}

UpdateMessage parse_update_bytes(const Bytes& bytes) {
  auto m = parse_message(std::span<const std::uint8_t>(bytes));
  EXPECT_TRUE(m);
  if (!m || !std::holds_alternative<UpdateMessage>(*m)) return {};
  return std::get<UpdateMessage>(*m);
}

TEST(Origin, ComesFromTheAdvertisementAndDefaultsToIncomplete) {
  config::BgpAdvertisement igp;
  igp.origin = config::BgpOrigin::igp;
  config::BgpAdvertisement egp;
  egp.origin = config::BgpOrigin::egp;
  const AdvertPlan plan(model_with({igp}, {egp}), {vip("a", "10.0.0.1"), vip("b", "10.0.0.2")});
  const auto& t = plan.routes_for("r1");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].origin, Origin::igp);
  EXPECT_EQ(t[1].origin, Origin::egp);
  EXPECT_EQ(route_attributes(t[0], 64512, true, ip("10.99.0.2"), std::nullopt).origin, Origin::igp);
  EXPECT_EQ(route_attributes(t[1], 64512, false, ip("10.99.0.2"), std::nullopt).origin, Origin::egp);

  const AdvertPlan defaults(model_with({}, {config::BgpAdvertisement{}}),
                            {vip("a", "10.0.0.1"), vip("b", "10.0.0.2")});
  const auto& routes = defaults.routes_for("r1");
  ASSERT_EQ(routes.size(), 2u);  // pool a without advertisements uses the defaults too
  for (const auto& r : routes) EXPECT_EQ(r.origin, Origin::incomplete);
}

TEST(Origin, ChangedOriginIsReannouncedAndSplitsUpdates) {
  config::BgpAdvertisement igp;
  igp.origin = config::BgpOrigin::igp;
  const auto assignments = std::vector<pool::Assignment>{vip("a", "10.0.0.1"), vip("b", "10.0.0.2")};
  const AdvertPlan before(model_with({}, {}), assignments);
  const AdvertPlan after(model_with({igp}, {}), assignments);
  const auto d = diff_tables(before.routes_for("r1"), after.routes_for("r1"));
  ASSERT_EQ(d.announce.size(), 1u);  // only pool a's route changed attributes
  EXPECT_EQ(d.announce[0].prefix, pfx("10.0.0.1/32"));

  // Same LOCAL_PREF and communities, different ORIGIN: two groups, two UPDATEs on the wire.
  const auto groups = group_by_attributes(after.routes_for("r1"));
  ASSERT_EQ(groups.size(), 2u);
  std::vector<Origin> on_wire;
  for (const auto& g : groups) {
    auto msgs = build_announcements(
        route_attributes(g.attributes, 64512, true, ip("10.99.0.2"), std::nullopt), g.prefixes);
    ASSERT_TRUE(msgs);
    ASSERT_EQ(msgs->size(), 1u);
    const auto u = parse_update_bytes((*msgs)[0]);
    ASSERT_TRUE(u.attributes.origin);
    EXPECT_EQ(u.nlri, g.prefixes);
    on_wire.push_back(*u.attributes.origin);
  }
  EXPECT_EQ(on_wire, (std::vector<Origin>{Origin::igp, Origin::incomplete}));
}

TEST(Origin, IgpIsEncodedAsZero) {
  Route r;
  r.prefix = pfx("10.0.0.1/32");
  r.origin = Origin::igp;
  auto msgs = build_announcements(route_attributes(r, 64512, true, ip("10.99.0.2"), std::nullopt),
                                  std::vector<net::Prefix>{r.prefix});
  ASSERT_TRUE(msgs);
  ASSERT_EQ(msgs->size(), 1u);
  const Bytes& b = (*msgs)[0];
  // ORIGIN: flags 0x40 (well-known transitive), type 1, length 1, value 0 (IGP).
  const std::array<std::uint8_t, 4> origin_igp{0x40, 0x01, 0x01, 0x00};
  EXPECT_NE(std::search(b.begin(), b.end(), origin_igp.begin(), origin_igp.end()), b.end());
}

TEST(NextHopV6, AutomaticChoiceWithoutOverride) {
  auto p = peer();
  auto v4_session = session_next_hops(p, ip("10.99.0.2"), ip("fd99::2"));
  EXPECT_EQ(v4_session.v4, ip("10.99.0.2"));
  EXPECT_EQ(v4_session.v6, ip("fd99::2"));
  auto v6_session = session_next_hops(p, ip("fd99::2"), ip("10.99.0.2"));
  EXPECT_EQ(v6_session.v4, ip("10.99.0.2"));
  EXPECT_EQ(v6_session.v6, ip("fd99::2"));
  auto link_local = session_next_hops(p, ip("fe80::2"), std::nullopt);
  EXPECT_EQ(link_local.v6, std::nullopt);
  EXPECT_EQ(session_next_hops(p, ip("10.99.0.2"), std::nullopt).v6, std::nullopt);
}

TEST(NextHopV6, OverrideReplacesTheLinkAddressOnBothSessionFamilies) {
  auto p = peer();
  p.next_hop_v6 = ip("fd99::2:1");
  auto v4_session = session_next_hops(p, ip("10.99.0.2"), ip("fd99::2"));
  EXPECT_EQ(v4_session.v4, ip("10.99.0.2"));  // IPv4 next hop untouched
  EXPECT_EQ(v4_session.v6, ip("fd99::2:1"));
  EXPECT_EQ(session_next_hops(p, ip("10.99.0.2"), std::nullopt).v6, ip("fd99::2:1"));  // no v6 on the link
  EXPECT_EQ(session_next_hops(p, ip("fd99::2"), std::nullopt).v6, ip("fd99::2:1"));
  EXPECT_EQ(session_next_hops(p, ip("fe80::2"), std::nullopt).v6, ip("fd99::2:1"));
}

TEST(NextHopV6, OverrideIsTheMpReachNextHopInTheUpdateBytes) {
  auto p = peer();
  p.next_hop_v6 = ip("fd99::2:1");
  const auto hops = session_next_hops(p, ip("10.99.0.2"), ip("fd99::2"));
  Route r;
  r.prefix = pfx("fd00:10::1/128");
  auto msgs = build_announcements(route_attributes(r, 64512, true, hops.v4, hops.v6),
                                  std::vector<net::Prefix>{r.prefix});
  ASSERT_TRUE(msgs);
  ASSERT_EQ(msgs->size(), 1u);
  const Bytes& b = (*msgs)[0];
  // MP_REACH_NLRI body: AFI 2, SAFI 1, next hop length 16, then fd99::2:1.
  std::vector<std::uint8_t> expected{0x00, 0x02, 0x01, 0x10};
  const auto override_address = ip("fd99::2:1");
  const auto nh = override_address.bytes();
  expected.insert(expected.end(), nh.begin(), nh.end());
  EXPECT_NE(std::search(b.begin(), b.end(), expected.begin(), expected.end()), b.end());
  const auto link_address = ip("fd99::2");
  const auto link = link_address.bytes();
  EXPECT_EQ(std::search(b.begin(), b.end(), link.begin(), link.end()), b.end()) << "the link address leaked";
  const auto u = parse_update_bytes(b);
  ASSERT_TRUE(u.attributes.mp_reach);
  EXPECT_EQ(u.attributes.mp_reach->next_hop, ip("fd99::2:1"));
  EXPECT_TRUE(u.nlri.empty());  // a v6 prefix never in the IPv4 NLRI field
}

TEST(SameSessionSettings, GtsmAndNextHopV6ResetThePeer) {
  const auto a = peer();
  auto b = a;
  b.gtsm = true;
  EXPECT_FALSE(same_session_settings(a, b));
  b = a;
  b.next_hop_v6 = ip("fd99::2:1");
  EXPECT_FALSE(same_session_settings(a, b));
}

// A plain socket of the family, closed at scope exit (no traffic: only options are read back).
struct Fd {
  explicit Fd(int family) : fd(::socket(family, SOCK_STREAM, 0)) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  int fd;
};

int get_int(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  EXPECT_EQ(getsockopt(fd, level, name, &v, &len), 0);
  return v;
}

TEST(TtlPolicy, GtsmOnIpv4SendsWith255AndRequires254) {
  Fd s(AF_INET);
  ASSERT_GE(s.fd, 0);
  auto p = peer();
  p.gtsm = true;
  ASSERT_TRUE(apply_ttl_policy(s.fd, p));
  EXPECT_EQ(get_int(s.fd, IPPROTO_IP, IP_TTL), 255);
  EXPECT_EQ(get_int(s.fd, IPPROTO_IP, IP_MINTTL), 254);
}

TEST(TtlPolicy, GtsmOnIpv6SendsWith255AndRequires254) {
  Fd s(AF_INET6);
  if (s.fd < 0) GTEST_SKIP() << "no IPv6 sockets here";
  auto p = peer();
  p.peer_address = ip("fd99::1");
  p.peer_asn = 64513;  // eBGP: GTSM wins over the single-hop TTL 1
  p.gtsm = true;
  ASSERT_TRUE(apply_ttl_policy(s.fd, p));
  EXPECT_EQ(get_int(s.fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS), 255);
  EXPECT_EQ(get_int(s.fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT), 254);
}

TEST(TtlPolicy, WithoutGtsmEbgpIsTtl1AndIbgpUntouched) {
  Fd ebgp(AF_INET);
  ASSERT_TRUE(apply_ttl_policy(ebgp.fd, peer(64513)));
  EXPECT_EQ(get_int(ebgp.fd, IPPROTO_IP, IP_TTL), 1);
  EXPECT_EQ(get_int(ebgp.fd, IPPROTO_IP, IP_MINTTL), 0);

  Fd ibgp(AF_INET);
  const int before = get_int(ibgp.fd, IPPROTO_IP, IP_TTL);
  ASSERT_TRUE(apply_ttl_policy(ibgp.fd, peer()));
  EXPECT_EQ(get_int(ibgp.fd, IPPROTO_IP, IP_TTL), before);
  EXPECT_EQ(get_int(ibgp.fd, IPPROTO_IP, IP_MINTTL), 0);

  Fd multihop(AF_INET);
  auto p = peer(64513);
  p.ebgp_multihop = true;
  ASSERT_TRUE(apply_ttl_policy(multihop.fd, p));
  EXPECT_EQ(get_int(multihop.fd, IPPROTO_IP, IP_TTL), before);
}

}  // namespace
}  // namespace vipd::bgp
