// Selector rules (design §4) over synthetic link tables, including link kinds this kernel cannot
// create (bond, team, VLAN, OVS, macvlan).
#include "vipd/selector/selector.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/if.h>

#include <map>
#include <sstream>
#include <stdexcept>

namespace vipd::selector {
namespace {

using netlink::Link;
using netlink::LinkAddress;
using netlink::LinkSnapshot;

constexpr std::uint32_t kUsable = IFF_UP | IFF_BROADCAST | IFF_MULTICAST | IFF_RUNNING | IFF_LOWER_UP;
constexpr std::uint8_t kOperUp = 6;
constexpr std::uint8_t kOperDown = 2;
constexpr std::uint8_t kOperUnknown = 0;

net::IpAddress ip(const char* text) {
  return *net::IpAddress::parse(text);
}

LinkAddress addr(const char* prefix, std::uint8_t scope = 0) {
  return LinkAddress{*net::Prefix::parse(prefix), scope};
}

Link link(int ifindex, std::string name, std::string kind = "", std::vector<LinkAddress> addresses = {}) {
  Link l;
  l.ifindex = ifindex;
  l.name = std::move(name);
  l.kind = std::move(kind);
  l.flags = kUsable;
  l.operstate = kOperUp;
  l.mtu = 1500;
  l.has_mac = true;
  l.mac = {0x02, 0, 0, 0, 0, static_cast<std::uint8_t>(ifindex)};
  l.addresses = std::move(addresses);
  return l;
}

Link enslaved(Link l, int master, std::string master_kind) {
  l.master_ifindex = master;
  l.master_kind = std::move(master_kind);
  return l;
}

LinkSnapshot snapshot(std::vector<Link> links) {
  LinkSnapshot s;
  s.generation = 1;
  std::sort(links.begin(), links.end(), [](const Link& a, const Link& b) { return a.ifindex < b.ifindex; });
  s.links = std::move(links);
  return s;
}

config::Model model_with(std::vector<std::string> allow = {}, std::vector<std::string> deny = {},
                         std::vector<std::string> pool_interfaces = {},
                         std::optional<bool> pool_require_subnet = {}) {
  config::Model m;
  m.interfaces.allow = std::move(allow);
  m.interfaces.deny = std::move(deny);
  config::Pool pool;
  pool.name = "layer2";
  pool.protocol = config::Protocol::layer2;
  pool.addresses.push_back(
      {*net::IpRange::parse("192.168.20.100-192.168.20.150"), "192.168.20.100-192.168.20.150", {}});
  pool.addresses.push_back(
      {*net::IpRange::parse("fd00:20::100-fd00:20::1ff"), "fd00:20::100-fd00:20::1ff", {}});
  pool.interfaces = std::move(pool_interfaces);
  pool.require_subnet = pool_require_subnet;
  m.pools.push_back(pool);
  return m;
}

Policy compile(const config::Model& m) {
  auto p = Policy::compile(m);
  EXPECT_TRUE(p.ok());
  return std::move(p).value();
}

const LinkDecision& find(const Decision& d, const std::string& name) {
  for (const auto& l : d.links)
    if (l.name == name) return l;
  throw std::runtime_error("no link " + name);
}

const auto kVip = ip("192.168.20.100");
const auto kVip6 = ip("fd00:20::100");

// ---- each rule on its own ----

TEST(SelectorRules, LinkHoldingTheSubnetIsSelectedOthersNeedTheSubnet) {
  auto snap = snapshot({link(2, "eth0", "", {addr("192.168.20.10/24")}),
                        link(3, "eth1", "", {addr("10.1.0.10/24")}), link(4, "eth2")});
  auto d = select(compile(model_with()), snap, kVip, "layer2");
  EXPECT_THAT(d.selected, ::testing::ElementsAre(2));
  EXPECT_EQ(d.selected_ifindexes(), std::vector<int>{2});
  EXPECT_EQ(find(d, "eth0").reason, "address 192.168.20.10/24 holds 192.168.20.100");
  EXPECT_EQ(find(d, "eth1").rule, Rule::no_subnet);
  EXPECT_EQ(find(d, "eth1").reason,
            "no address on this link holds 192.168.20.100 (require-subnet; it has 10.1.0.10/24) — set "
            "require-subnet: false on pool layer2 if this VLAN carries no IP");
  EXPECT_EQ(find(d, "eth2").rule, Rule::no_subnet);
  EXPECT_FALSE(find(d, "eth2").selected);
}

TEST(SelectorRules, Deny) {
  auto snap = snapshot({link(2, "veth12", "veth", {addr("192.168.20.10/24")})});
  auto d = select(compile(model_with({}, {"docker*", "veth*"})), snap, kVip, "layer2");
  EXPECT_EQ(find(d, "veth12").rule, Rule::denied);
  EXPECT_EQ(find(d, "veth12").reason, "matches interfaces.deny pattern \"veth*\"");
  EXPECT_TRUE(d.selected.empty());
}

TEST(SelectorRules, AllowGlobAndRegex) {
  auto snap = snapshot({link(2, "eth0", "", {addr("192.168.20.10/24")}),
                        link(3, "ens5", "", {addr("192.168.20.11/24")}),
                        link(4, "wlan0", "", {addr("192.168.20.12/24")})});
  auto d = select(compile(model_with({"eth*", "re:ens[0-9]+"})), snap, kVip, "layer2");
  EXPECT_THAT(d.selected, ::testing::ElementsAre(2, 3));
  EXPECT_EQ(find(d, "wlan0").rule, Rule::not_in_allow);
  EXPECT_EQ(find(d, "wlan0").reason, "matches no interfaces.allow pattern (eth*, re:ens[0-9]+)");
}

TEST(SelectorRules, RegexIsAFullMatch) {
  auto snap = snapshot({link(2, "xeth0", "", {addr("192.168.20.10/24")})});
  auto d = select(compile(model_with({"re:eth[0-9]"})), snap, kVip, "layer2");
  EXPECT_EQ(find(d, "xeth0").rule, Rule::not_in_allow);
}

TEST(SelectorRules, PatternsMatchAltnames) {
  auto l = link(2, "eth0", "", {addr("192.168.20.10/24")});
  l.altnames = {"enp3s0f0"};
  auto snap = snapshot({l});
  EXPECT_EQ(find(select(compile(model_with({"enp3s0*"})), snap, kVip, "layer2"), "eth0").rule,
            Rule::selected);
  EXPECT_EQ(find(select(compile(model_with({}, {"enp*"})), snap, kVip, "layer2"), "eth0").rule, Rule::denied);
}

TEST(SelectorRules, PoolInterfaces) {
  auto snap = snapshot(
      {link(2, "eth0", "", {addr("192.168.20.10/24")}), link(3, "eth1", "", {addr("192.168.20.11/24")})});
  auto d = select(compile(model_with({}, {}, {"eth1"})), snap, kVip, "layer2");
  EXPECT_THAT(d.selected, ::testing::ElementsAre(3));
  EXPECT_EQ(find(d, "eth0").rule, Rule::not_in_pool_interfaces);
  EXPECT_EQ(find(d, "eth0").reason, "matches none of pool layer2's interfaces (eth1)");
  // A VIP outside any pool only sees the global policy.
  EXPECT_THAT(select(compile(model_with({}, {}, {"eth1"})), snap, ip("192.168.20.200"), "").selected,
              ::testing::ElementsAre(2, 3));
}

TEST(SelectorRules, Loopback) {
  auto lo = link(1, "lo", "", {addr("127.0.0.1/8", 254), addr("192.168.20.100/32")});
  lo.flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_LOWER_UP;
  lo.operstate = kOperUnknown;
  auto d = select(compile(model_with()), snapshot({lo}), kVip, "layer2");
  EXPECT_EQ(find(d, "lo").rule, Rule::loopback);
}

TEST(SelectorRules, Noarp) {
  auto wg = link(5, "wg0", "wireguard", {addr("192.168.20.1/24")});
  wg.flags = IFF_UP | IFF_NOARP | IFF_POINTOPOINT | IFF_RUNNING;
  auto d = select(compile(model_with()), snapshot({wg}), kVip, "layer2");
  EXPECT_EQ(find(d, "wg0").rule, Rule::noarp);
}

TEST(SelectorRules, NoBroadcastOnlyMattersForIpv4NoMulticastOnlyForIpv6) {
  auto nb = link(2, "nb0", "", {addr("192.168.20.1/24"), addr("fd00:20::1/64")});
  nb.flags &= ~static_cast<std::uint32_t>(IFF_BROADCAST);
  auto nm = link(3, "nm0", "", {addr("192.168.20.2/24"), addr("fd00:20::2/64")});
  nm.flags &= ~static_cast<std::uint32_t>(IFF_MULTICAST);
  auto snap = snapshot({nb, nm});
  auto policy = compile(model_with());
  auto d4 = select(policy, snap, kVip, "layer2");
  EXPECT_EQ(find(d4, "nb0").rule, Rule::no_broadcast);
  EXPECT_EQ(find(d4, "nm0").rule, Rule::selected);
  auto d6 = select(policy, snap, kVip6, "layer2");
  EXPECT_EQ(find(d6, "nb0").rule, Rule::selected);
  EXPECT_EQ(find(d6, "nm0").rule, Rule::no_multicast);
}

TEST(SelectorRules, AdminDown) {
  auto down = link(2, "eth0", "", {addr("192.168.20.10/24")});
  down.flags &= ~static_cast<std::uint32_t>(IFF_UP | IFF_RUNNING | IFF_LOWER_UP);
  down.operstate = kOperDown;
  auto d = select(compile(model_with()), snapshot({down}), kVip, "layer2");
  EXPECT_EQ(find(d, "eth0").rule, Rule::admin_down);
  EXPECT_EQ(find(d, "eth0").reason, "administratively down (ip link set eth0 up)");
}

TEST(SelectorRules, OperStateMustBeUpOrUnknown) {
  auto nocarrier = link(2, "eth0", "", {addr("192.168.20.10/24")});
  nocarrier.operstate = kOperDown;
  nocarrier.flags &= ~static_cast<std::uint32_t>(IFF_RUNNING | IFF_LOWER_UP);
  auto dormant = link(3, "eth1", "", {addr("192.168.20.11/24")});
  dormant.operstate = 5;
  auto unknown = link(4, "tap0", "tun", {addr("192.168.20.12/24")});
  unknown.operstate = kOperUnknown;
  auto d = select(compile(model_with()), snapshot({nocarrier, dormant, unknown}), kVip, "layer2");
  EXPECT_EQ(find(d, "eth0").rule, Rule::oper_not_up);
  EXPECT_EQ(find(d, "eth0").reason, "operational state is down (no carrier or lower link down)");
  EXPECT_EQ(find(d, "eth1").rule, Rule::oper_not_up);
  EXPECT_EQ(find(d, "tap0").rule, Rule::selected);
}

TEST(SelectorRules, RequireSubnetPoolOverridesGlobal) {
  auto snap = snapshot({link(2, "eth0"), link(3, "eth1", "", {addr("10.0.0.1/24")})});
  auto m = model_with({}, {}, {}, false);
  auto d = select(compile(m), snap, kVip, "layer2");
  EXPECT_THAT(d.selected, ::testing::ElementsAre(2, 3));
  EXPECT_EQ(find(d, "eth0").reason, "passes every rule (require-subnet is off for pool layer2)");
  // Global off, pool unset: off. Global off, pool on: on.
  auto global_off = model_with();
  global_off.interfaces.require_subnet = false;
  EXPECT_THAT(select(compile(global_off), snap, kVip, "layer2").selected, ::testing::ElementsAre(2, 3));
  global_off.pools[0].require_subnet = true;
  EXPECT_TRUE(select(compile(global_off), snap, kVip, "layer2").selected.empty());
}

TEST(SelectorRules, AddressFamilyMustMatchTheVip) {
  auto snap = snapshot(
      {link(2, "eth0", "", {addr("192.168.20.10/24")}), link(3, "eth1", "", {addr("fd00:20::1/64")})});
  auto policy = compile(model_with());
  EXPECT_THAT(select(policy, snap, kVip, "layer2").selected, ::testing::ElementsAre(2));
  EXPECT_THAT(select(policy, snap, kVip6, "layer2").selected, ::testing::ElementsAre(3));
}

TEST(SelectorRules, PrefixBoundariesAreExact) {
  auto snap = snapshot(
      {link(2, "eth0", "", {addr("192.168.20.64/26")}), link(3, "eth1", "", {addr("192.168.20.128/25")})});
  auto policy = compile(model_with());
  EXPECT_THAT(select(policy, snap, ip("192.168.20.127"), "layer2").selected, ::testing::ElementsAre(2));
  EXPECT_THAT(select(policy, snap, ip("192.168.20.128"), "layer2").selected, ::testing::ElementsAre(3));
  EXPECT_TRUE(select(policy, snap, ip("192.168.20.63"), "layer2").selected.empty());
}

// ---- link kinds the test kernel cannot create ----

TEST(SelectorKinds, BondWithSlaves) {
  auto snap =
      snapshot({enslaved(link(2, "eth0", "", {}), 4, "bond"), enslaved(link(3, "eth1", "", {}), 4, "bond"),
                link(4, "bond0", "bond", {addr("192.168.20.5/24")})});
  auto d = select(compile(model_with()), snap, kVip, "layer2");
  EXPECT_THAT(d.selected, ::testing::ElementsAre(4));
  EXPECT_EQ(find(d, "eth0").rule, Rule::bond_member);
  EXPECT_EQ(find(d, "eth0").reason, "member of bond bond0: the bond answers, not its members");
  EXPECT_EQ(find(d, "eth1").rule, Rule::bond_member);
}

TEST(SelectorKinds, BondMemberStaysExcludedEvenWhenNamedInAllow) {
  auto snap = snapshot({enslaved(link(2, "eth0", "", {addr("192.168.20.6/24")}), 4, "bond"),
                        link(4, "bond0", "bond", {addr("192.168.20.5/24")})});
  auto d = select(compile(model_with({"eth0", "bond0"})), snap, kVip, "layer2");
  EXPECT_EQ(find(d, "eth0").rule, Rule::bond_member);
  EXPECT_THAT(d.selected, ::testing::ElementsAre(4));
}

TEST(SelectorKinds, Team) {
  auto snap =
      snapshot({enslaved(link(2, "eth0"), 3, "team"), link(3, "team0", "team", {addr("192.168.20.5/24")})});
  auto d = select(compile(model_with()), snap, kVip, "layer2");
  EXPECT_EQ(find(d, "eth0").rule, Rule::bond_member);
  EXPECT_EQ(find(d, "eth0").reason, "member of team team0: the team answers, not its members");
  EXPECT_THAT(d.selected, ::testing::ElementsAre(3));
}

TEST(SelectorKinds, VlanOnABond) {
  // The VLAN carries the VIP's subnet; the bond itself only carries another one.
  auto snap = snapshot({enslaved(link(2, "eth0"), 4, "bond"), enslaved(link(3, "eth1"), 4, "bond"),
                        link(4, "bond0", "bond", {addr("10.0.0.5/24")}),
                        link(5, "bond0.20", "vlan", {addr("192.168.20.5/24")})});
  auto d = select(compile(model_with()), snap, kVip, "layer2");
  EXPECT_THAT(d.selected, ::testing::ElementsAre(5));
  EXPECT_EQ(find(d, "bond0").rule, Rule::no_subnet);
  EXPECT_EQ(find(d, "eth0").rule, Rule::bond_member);
}

TEST(SelectorKinds, OvsBridgeWithInternalPortHoldingTheIp) {
  // MetalLB #871: the NIC is an OVS port, br-ex (an internal port, kind openvswitch, also
  // enslaved to the datapath) holds the IP. Only br-ex may answer.
  auto dp = link(2, "ovs-system", "openvswitch");
  dp.flags = IFF_BROADCAST | IFF_MULTICAST;
  dp.operstate = kOperDown;
  auto snap =
      snapshot({dp, enslaved(link(3, "eth0"), 2, "openvswitch"),
                enslaved(link(4, "br-ex", "openvswitch", {addr("192.168.20.5/24")}), 2, "openvswitch")});
  auto d = select(compile(model_with()), snap, kVip, "layer2");
  EXPECT_THAT(d.selected, ::testing::ElementsAre(4));
  EXPECT_EQ(find(d, "eth0").rule, Rule::bridge_port);
  EXPECT_EQ(
      find(d, "eth0").reason,
      "port of Open vSwitch datapath ovs-system: the bridge's own interface answers; name eth0 exactly in "
      "interfaces.allow to answer on this port");
  EXPECT_EQ(find(d, "ovs-system").rule, Rule::admin_down);
}

TEST(SelectorKinds, BridgeWithPorts) {
  auto snap = snapshot({enslaved(link(2, "eth0", "", {addr("192.168.20.6/24")}), 4, "bridge"),
                        enslaved(link(3, "veth1", "veth"), 4, "bridge"),
                        link(4, "br0", "bridge", {addr("192.168.20.5/24")})});
  auto d = select(compile(model_with()), snap, kVip, "layer2");
  EXPECT_THAT(d.selected, ::testing::ElementsAre(4));
  EXPECT_EQ(find(d, "eth0").rule, Rule::bridge_port);
  EXPECT_EQ(find(d, "veth1").rule, Rule::bridge_port);
}

TEST(SelectorKinds, BridgePortNamedExactlyInAllowAnswers) {
  auto snap = snapshot({enslaved(link(2, "eth0", "", {addr("192.168.20.6/24")}), 4, "bridge"),
                        enslaved(link(3, "eth1", "", {addr("192.168.20.7/24")}), 4, "bridge"),
                        link(4, "br0", "bridge", {addr("192.168.20.5/24")})});
  // "eth0" names it exactly; "eth*" matches eth1 but is not an exact name.
  auto d = select(compile(model_with({"eth0", "eth*", "br0"})), snap, kVip, "layer2");
  EXPECT_THAT(d.selected, ::testing::ElementsAre(2, 4));
  EXPECT_EQ(find(d, "eth1").rule, Rule::bridge_port);
  // A regex is not an exact name either.
  auto r = select(compile(model_with({"re:eth0", "br0"})), snap, kVip, "layer2");
  EXPECT_EQ(find(r, "eth0").rule, Rule::bridge_port);
  // The pool's own interfaces list counts as naming it too.
  auto p = select(compile(model_with({}, {}, {"eth1"})), snap, kVip, "layer2");
  EXPECT_THAT(p.selected, ::testing::ElementsAre(3));
}

TEST(SelectorKinds, Macvlan) {
  auto snap = snapshot(
      {link(2, "eth0", "", {addr("10.0.0.5/24")}), link(3, "mv0", "macvlan", {addr("192.168.20.5/24")})});
  auto d = select(compile(model_with()), snap, kVip, "layer2");
  EXPECT_THAT(d.selected, ::testing::ElementsAre(3));
}

TEST(SelectorKinds, OnlyLinkLocalIpv6DoesNotCount) {
  auto snap = snapshot(
      {link(2, "eth0", "", {addr("fe80::1/64", 253)}), link(3, "eth1", "", {addr("fd00:20::5/64")})});
  auto d = select(compile(model_with()), snap, kVip6, "layer2");
  EXPECT_THAT(d.selected, ::testing::ElementsAre(3));
  EXPECT_EQ(find(d, "eth0").rule, Rule::no_subnet);
  EXPECT_THAT(find(d, "eth0").reason, ::testing::HasSubstr("IPv6 link-local addresses do not count"));
  // Even a link-local VIP is not "held" by a link-local address.
  EXPECT_TRUE(select(compile(model_with()), snap, ip("fe80::99"), "layer2").selected.empty());
}

// ---- ordering: the first applicable rule is the one reported ----

TEST(SelectorOrder, FirstRuleWins) {
  auto everything_wrong = link(2, "veth9", "veth");
  everything_wrong.flags = IFF_NOARP | IFF_LOOPBACK;
  everything_wrong.operstate = kOperDown;
  everything_wrong.master_ifindex = 9;
  everything_wrong.master_kind = "bond";
  auto snap = snapshot({everything_wrong});
  const auto rule_with = [&](const config::Model& m) {
    return find(select(compile(m), snap, kVip, "layer2"), "veth9").rule;
  };
  EXPECT_EQ(rule_with(model_with({"eth*"}, {"veth*"}, {"eth0"})), Rule::denied);
  EXPECT_EQ(rule_with(model_with({"eth*"}, {}, {"eth0"})), Rule::not_in_allow);
  EXPECT_EQ(rule_with(model_with({}, {}, {"eth0"})), Rule::not_in_pool_interfaces);
  EXPECT_EQ(rule_with(model_with()), Rule::loopback);
  snap.links[0].flags = IFF_NOARP;
  EXPECT_EQ(rule_with(model_with()), Rule::noarp);
  snap.links[0].flags = IFF_MULTICAST;
  EXPECT_EQ(rule_with(model_with()), Rule::no_broadcast);
  snap.links[0].flags = IFF_BROADCAST;
  EXPECT_EQ(rule_with(model_with()), Rule::admin_down);
  snap.links[0].flags = IFF_BROADCAST | IFF_UP;
  EXPECT_EQ(rule_with(model_with()), Rule::oper_not_up);
  snap.links[0].operstate = kOperUp;
  EXPECT_EQ(rule_with(model_with()), Rule::bond_member);
  snap.links[0].master_kind = "bridge";
  EXPECT_EQ(rule_with(model_with()), Rule::bridge_port);
  snap.links[0].master_ifindex = 0;
  EXPECT_EQ(rule_with(model_with()), Rule::no_subnet);
  snap.links[0].addresses = {addr("192.168.20.9/24")};
  EXPECT_EQ(rule_with(model_with()), Rule::selected);
}

// ---- policy compilation ----

TEST(SelectorPolicy, BadRegexIsAnErrorWithLocationAndPath) {
  auto m = model_with({"eth0", "re:eth[0-"});
  m.interfaces.where = {"/etc/vipd/vipd.yaml", 3, 3};
  m.pools[0].interfaces = {"re:(unclosed"};
  m.pools[0].where = {"/etc/vipd/vipd.yaml", 20, 5};
  auto p = Policy::compile(m);
  ASSERT_FALSE(p.ok());
  ASSERT_EQ(p.error().size(), 2u);
  EXPECT_EQ(p.error()[0].path, "interfaces.allow[1]");
  EXPECT_EQ(p.error()[0].where.line, 3);
  EXPECT_THAT(p.error()[0].message, ::testing::HasSubstr("\"re:eth[0-\" is not a valid regular expression"));
  EXPECT_EQ(p.error()[1].path, "address-pools[0].interfaces[0]");
  EXPECT_EQ(p.error()[1].where.line, 20);
}

TEST(SelectorPolicy, PatternKinds) {
  auto glob = Pattern::compile("eth[01]");
  ASSERT_TRUE(glob.ok());
  EXPECT_TRUE(glob->matches(link(2, "eth1")));
  EXPECT_FALSE(glob->matches(link(2, "eth2")));
  EXPECT_FALSE(glob->names_exactly(link(2, "eth1")));
  auto literal = Pattern::compile("eth1");
  ASSERT_TRUE(literal.ok());
  EXPECT_TRUE(literal->names_exactly(link(2, "eth1")));
  EXPECT_FALSE(literal->matches(link(2, "eth10")));
  EXPECT_FALSE(Pattern::compile("").ok());
}

// ---- select_all ----

TEST(SelectorAll, AgreesWithSelectForEveryVip) {
  auto snap = snapshot({link(2, "eth0", "", {addr("192.168.20.10/24"), addr("fd00:20::10/64")}),
                        link(3, "eth1", "", {addr("192.168.21.10/24")}),
                        enslaved(link(4, "eth2", "", {addr("192.168.20.11/24")}), 5, "bridge"),
                        link(5, "br0", "bridge", {addr("192.168.20.12/24")})});
  config::Model m = model_with();
  config::Pool other;
  other.name = "other";
  other.interfaces = {"eth1"};
  m.pools.push_back(other);
  auto policy = compile(m);
  std::vector<std::pair<net::IpAddress, std::string>> vips = {{kVip, "layer2"},
                                                              {kVip6, "layer2"},
                                                              {ip("192.168.21.100"), "other"},
                                                              {ip("192.168.20.101"), "other"},
                                                              {ip("192.168.21.101"), "layer2"}};
  auto compact = select_all(policy, snap, vips);
  auto full = select_all(policy, snap, vips, Detail::full);
  ASSERT_EQ(compact.size(), vips.size());
  for (std::size_t i = 0; i < vips.size(); ++i) {
    auto one = select(policy, snap, vips[i].first, vips[i].second);
    EXPECT_EQ(compact[i].vip, vips[i].first);
    EXPECT_EQ(compact[i].pool, vips[i].second);
    EXPECT_EQ(compact[i].selected, one.selected) << i;
    EXPECT_TRUE(compact[i].links.empty());
    EXPECT_EQ(full[i].selected, one.selected);
    ASSERT_EQ(full[i].links.size(), one.links.size());
    for (std::size_t l = 0; l < one.links.size(); ++l)
      EXPECT_EQ(full[i].links[l].reason, one.links[l].reason);
  }
  EXPECT_THAT(compact[0].selected, ::testing::ElementsAre(2, 5));
  EXPECT_THAT(compact[1].selected, ::testing::ElementsAre(2));
  EXPECT_THAT(compact[2].selected, ::testing::ElementsAre(3));
  EXPECT_TRUE(compact[3].selected.empty());
  EXPECT_THAT(compact[4].selected, ::testing::ElementsAre(3));
}

// ---- output ----

TEST(SelectorOutput, TableShowsOneSelectedLineAndReasons) {
  auto snap = snapshot({link(2, "eth0", "veth", {addr("192.168.20.10/24")}),
                        link(3, "eth1", "veth", {addr("10.1.0.10/24")}),
                        enslaved(link(4, "port0", "veth"), 5, "bridge"), link(5, "br9", "bridge")});
  auto d = select(compile(model_with()), snap, kVip, "layer2");
  const auto table = format_table(d, snap);
  std::size_t selected_lines = 0;
  std::istringstream in(table);
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (line.find("SELECTED") != std::string::npos) ++selected_lines;
  }
  EXPECT_EQ(selected_lines, 1u);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0], "VIP 192.168.20.100 (pool layer2): 1 link selected");
  EXPECT_THAT(lines[2], ::testing::StartsWith("eth0 "));
  EXPECT_THAT(lines[2], ::testing::HasSubstr("192.168.20.10/24"));
  EXPECT_THAT(lines[2], ::testing::HasSubstr("up/up"));
  EXPECT_THAT(lines[2], ::testing::HasSubstr("SELECTED: address 192.168.20.10/24 holds 192.168.20.100"));
  EXPECT_THAT(lines[3], ::testing::HasSubstr("excluded: no address on this link holds 192.168.20.100"));
  EXPECT_THAT(lines[4], ::testing::HasSubstr("br9 (bridge)"));
  EXPECT_THAT(lines[4], ::testing::HasSubstr("excluded: port of bridge br9"));
}

TEST(SelectorOutput, Json) {
  auto snap = snapshot({link(2, "eth0", "", {addr("192.168.20.10/24")}), link(3, "e\"1", "")});
  auto d = select(compile(model_with()), snap, kVip, "layer2");
  EXPECT_EQ(
      to_json(d),
      "{\"vip\":\"192.168.20.100\",\"pool\":\"layer2\",\"links\":["
      "{\"name\":\"eth0\",\"ifindex\":2,\"selected\":true,\"rule\":\"selected\","
      "\"reason\":\"address 192.168.20.10/24 holds 192.168.20.100\"},"
      "{\"name\":\"e\\\"1\",\"ifindex\":3,\"selected\":false,\"rule\":\"no-subnet\","
      "\"reason\":\"no address on this link holds 192.168.20.100 (require-subnet) — set require-subnet: "
      "false on pool layer2 if this VLAN carries no IP\"}]}");
}

}  // namespace
}  // namespace vipd::selector
