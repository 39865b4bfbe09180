// LinkTable over synthetic rtnetlink messages built with libnl: every Link field, renames,
// deletions, addresses, AF_BRIDGE port notifications.
#include "vipd/netlink/table.hpp"

#include <gtest/gtest.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <sys/socket.h>

#include <memory>

namespace vipd::netlink {
namespace {

struct MsgDeleter {
  void operator()(nl_msg* m) const { nlmsg_free(m); }
};
using Msg = std::unique_ptr<nl_msg, MsgDeleter>;

struct LinkSpec {
  int type = RTM_NEWLINK;
  unsigned char family = AF_UNSPEC;
  int ifindex = 0;
  std::string name;
  unsigned flags = IFF_UP | IFF_BROADCAST | IFF_MULTICAST;
  std::string kind;
  std::vector<std::string> altnames;
  std::uint32_t master = 0;
  std::uint8_t operstate = 6;
  std::uint32_t mtu = 1500;
  MacAddress mac{0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
  bool has_mac = true;
};

Msg link_msg(const LinkSpec& s) {
  Msg m(nlmsg_alloc_simple(s.type, 0));
  ifinfomsg ifi{};
  ifi.ifi_family = s.family;
  ifi.ifi_index = s.ifindex;
  ifi.ifi_flags = s.flags;
  nlmsg_append(m.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO);
  if (!s.name.empty()) nla_put_string(m.get(), IFLA_IFNAME, s.name.c_str());
  nla_put_u32(m.get(), IFLA_MTU, s.mtu);
  nla_put_u8(m.get(), IFLA_OPERSTATE, s.operstate);
  if (s.has_mac) nla_put(m.get(), IFLA_ADDRESS, static_cast<int>(s.mac.size()), s.mac.data());
  if (s.master) nla_put_u32(m.get(), IFLA_MASTER, s.master);
  if (!s.kind.empty()) {
    nlattr* info = nla_nest_start(m.get(), IFLA_LINKINFO);
    nla_put_string(m.get(), IFLA_INFO_KIND, s.kind.c_str());
    nla_nest_end(m.get(), info);
  }
  if (!s.altnames.empty()) {
    nlattr* props = nla_nest_start(m.get(), IFLA_PROP_LIST);
    for (const auto& a : s.altnames) nla_put_string(m.get(), IFLA_ALT_IFNAME, a.c_str());
    nla_nest_end(m.get(), props);
  }
  return m;
}

Msg addr_msg(int type, int ifindex, const char* prefix_text, std::uint8_t scope = RT_SCOPE_UNIVERSE,
             const char* peer = nullptr) {
  const auto prefix = *net::Prefix::parse(prefix_text);
  Msg m(nlmsg_alloc_simple(type, 0));
  ifaddrmsg ifa{};
  ifa.ifa_family = prefix.address.is_v4() ? AF_INET : AF_INET6;
  ifa.ifa_prefixlen = prefix.length;
  ifa.ifa_scope = scope;
  ifa.ifa_index = static_cast<unsigned>(ifindex);
  nlmsg_append(m.get(), &ifa, sizeof ifa, NLMSG_ALIGNTO);
  const auto bytes = prefix.address.bytes();
  if (prefix.address.is_v4()) {
    nla_put(m.get(), IFA_LOCAL, 4, bytes.data());
    // Point-to-point: IFA_ADDRESS is the peer, IFA_LOCAL ours.
    const auto p = peer ? *net::IpAddress::parse(peer) : prefix.address;
    nla_put(m.get(), IFA_ADDRESS, 4, p.bytes().data());
  } else {
    nla_put(m.get(), IFA_ADDRESS, 16, bytes.data());
  }
  return m;
}

bool feed(LinkTable& t, const Msg& m) {
  return t.apply(nlmsg_hdr(m.get()));
}

LinkSpec spec(int ifindex, std::string name, int type = RTM_NEWLINK) {
  LinkSpec s;
  s.type = type;
  s.ifindex = ifindex;
  s.name = std::move(name);
  return s;
}

template <class Edit>
LinkSpec spec_with(int ifindex, std::string name, Edit edit) {
  LinkSpec s = spec(ifindex, std::move(name));
  edit(s);
  return s;
}

TEST(NetlinkParse, EveryLinkField) {
  LinkSpec s;
  s.ifindex = 7;
  s.name = "eth0";
  s.kind = "veth";
  s.altnames = {"enp3s0f0", "ens1"};
  s.master = 9;
  s.operstate = 2;
  s.mtu = 9000;
  s.flags = IFF_UP | IFF_BROADCAST | IFF_MULTICAST | IFF_NOARP;
  auto link = parse_link_message(nlmsg_hdr(link_msg(s).get()));
  ASSERT_TRUE(link.has_value());
  EXPECT_EQ(link->ifindex, 7);
  EXPECT_EQ(link->name, "eth0");
  EXPECT_EQ(link->kind, "veth");
  EXPECT_EQ(link->altnames, (std::vector<std::string>{"enp3s0f0", "ens1"}));
  EXPECT_EQ(link->master_ifindex, 9);
  EXPECT_EQ(link->operstate, 2);
  EXPECT_EQ(link->mtu, 9000u);
  EXPECT_EQ(link->flags, static_cast<std::uint32_t>(IFF_UP | IFF_BROADCAST | IFF_MULTICAST | IFF_NOARP));
  EXPECT_TRUE(link->has_mac);
  EXPECT_EQ(to_string(link->mac), "02:11:22:33:44:55");
}

TEST(NetlinkParse, LinkWithoutMacOrKind) {
  LinkSpec s;
  s.ifindex = 3;
  s.name = "wg0";
  s.has_mac = false;
  auto link = parse_link_message(nlmsg_hdr(link_msg(s).get()));
  ASSERT_TRUE(link.has_value());
  EXPECT_FALSE(link->has_mac);
  EXPECT_EQ(link->kind, "");
  EXPECT_TRUE(link->altnames.empty());
}

TEST(NetlinkParse, RejectsBridgePortNotificationsAndNamelessLinks) {
  LinkSpec s;
  s.ifindex = 3;
  s.name = "p0";
  s.family = AF_BRIDGE;
  EXPECT_FALSE(parse_link_message(nlmsg_hdr(link_msg(s).get())).has_value());
  LinkSpec nameless;
  nameless.ifindex = 3;
  EXPECT_FALSE(parse_link_message(nlmsg_hdr(link_msg(nameless).get())).has_value());
}

TEST(NetlinkParse, Ipv4UsesLocalNotPeer) {
  auto a = parse_address_message(nlmsg_hdr(addr_msg(RTM_NEWADDR, 4, "10.0.0.1/32", 0, "10.0.0.2").get()));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->ifindex, 4);
  EXPECT_EQ(a->address.prefix.to_string(), "10.0.0.1/32");
  auto v6 = parse_address_message(nlmsg_hdr(addr_msg(RTM_NEWADDR, 4, "fe80::1/64", RT_SCOPE_LINK).get()));
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->address.prefix.to_string(), "fe80::1/64");
  EXPECT_EQ(v6->address.scope, RT_SCOPE_LINK);
}

TEST(LinkTable, BuildsSortedSnapshotWithAddressesAndMasterKind) {
  LinkTable t;
  auto br = spec_with(10, "br0", [](LinkSpec& s) { s.kind = "bridge"; });
  auto port = spec_with(4, "veth0", [](LinkSpec& s) {
    s.kind = "veth";
    s.master = 10;
  });
  EXPECT_TRUE(feed(t, link_msg(br)));
  EXPECT_TRUE(feed(t, link_msg(port)));
  EXPECT_TRUE(feed(t, addr_msg(RTM_NEWADDR, 10, "192.168.20.1/24")));
  EXPECT_TRUE(feed(t, addr_msg(RTM_NEWADDR, 10, "fd00::1/64")));
  EXPECT_TRUE(feed(t, addr_msg(RTM_NEWADDR, 10, "10.0.0.1/8")));
  EXPECT_FALSE(feed(t, addr_msg(RTM_NEWADDR, 10, "10.0.0.1/8")));  // same again: no change
  auto snap = t.snapshot(5);
  EXPECT_EQ(snap.generation, 5u);
  ASSERT_EQ(snap.links.size(), 2u);
  EXPECT_EQ(snap.links[0].name, "veth0");
  EXPECT_EQ(snap.links[0].master_kind, "bridge");
  EXPECT_EQ(snap.links[1].name, "br0");
  ASSERT_EQ(snap.links[1].addresses.size(), 3u);
  EXPECT_EQ(snap.links[1].addresses[0].prefix.to_string(), "10.0.0.1/8");
  EXPECT_EQ(snap.links[1].addresses[1].prefix.to_string(), "192.168.20.1/24");
  EXPECT_EQ(snap.links[1].addresses[2].prefix.to_string(), "fd00::1/64");
}

TEST(LinkTable, RenameKeepsIfindexAndAddresses) {
  LinkTable t;
  feed(t, link_msg(spec(5, "eth0")));
  feed(t, addr_msg(RTM_NEWADDR, 5, "192.168.20.1/24"));
  EXPECT_TRUE(feed(t, link_msg(spec(5, "lan0"))));
  auto snap = t.snapshot(1);
  ASSERT_EQ(snap.links.size(), 1u);
  EXPECT_EQ(snap.links[0].name, "lan0");
  EXPECT_EQ(snap.links[0].addresses.size(), 1u);
  EXPECT_EQ(snap.find("eth0"), nullptr);
}

TEST(LinkTable, DeleteRemovesLinkAndAddressesRecreateIsNew) {
  LinkTable t;
  feed(t, link_msg(spec(5, "eth0")));
  feed(t, addr_msg(RTM_NEWADDR, 5, "192.168.20.1/24"));
  EXPECT_TRUE(feed(t, link_msg(spec(5, "eth0", RTM_DELLINK))));
  EXPECT_TRUE(t.snapshot(1).links.empty());
  feed(t, link_msg(spec(6, "eth0")));
  auto snap = t.snapshot(2);
  ASSERT_EQ(snap.links.size(), 1u);
  EXPECT_EQ(snap.links[0].ifindex, 6);
  EXPECT_TRUE(snap.links[0].addresses.empty());
}

TEST(LinkTable, BridgeDellinkOnlyMeansLeftTheBridge) {
  LinkTable t;
  feed(t, link_msg(spec(5, "p0")));
  EXPECT_FALSE(feed(t, link_msg(spec_with(5, "p0", [](LinkSpec& s) {
                      s.type = RTM_DELLINK;
                      s.family = AF_BRIDGE;
                    }))));
  EXPECT_EQ(t.snapshot(1).links.size(), 1u);
}

TEST(LinkTable, DelAddrRemovesOnlyThatPrefix) {
  LinkTable t;
  feed(t, link_msg(spec(5, "eth0")));
  feed(t, addr_msg(RTM_NEWADDR, 5, "192.168.20.1/24"));
  feed(t, addr_msg(RTM_NEWADDR, 5, "192.168.20.2/24"));
  EXPECT_TRUE(feed(t, addr_msg(RTM_DELADDR, 5, "192.168.20.1/24")));
  EXPECT_FALSE(feed(t, addr_msg(RTM_DELADDR, 5, "192.168.20.1/24")));
  auto snap = t.snapshot(1);
  ASSERT_EQ(snap.links[0].addresses.size(), 1u);
  EXPECT_EQ(snap.links[0].addresses[0].prefix.to_string(), "192.168.20.2/24");
}

TEST(LinkTable, UnchangedLinkMessageIsNoChange) {
  LinkTable t;
  EXPECT_TRUE(feed(t, link_msg(spec(5, "eth0"))));
  EXPECT_FALSE(feed(t, link_msg(spec(5, "eth0"))));
  EXPECT_TRUE(feed(t, link_msg(spec_with(5, "eth0", [](LinkSpec& s) { s.operstate = 2; }))));
}

}  // namespace
}  // namespace vipd::netlink
