// link_view(): what a VRRP group takes from the link table (carrier + advert source address).
#include <gtest/gtest.h>
#include <net/if.h>

#include "vipd/failover/vrrp_group.hpp"

namespace vipd::failover {
namespace {

net::IpAddress ip(const char* text) {
  return *net::IpAddress::parse(text);
}

netlink::LinkAddress addr(const char* prefix, std::uint8_t scope = 0) {
  return netlink::LinkAddress{*net::Prefix::parse(prefix), scope};
}

netlink::Link link(std::uint32_t flags, std::vector<netlink::LinkAddress> addresses) {
  netlink::Link l;
  l.ifindex = 3;
  l.name = "eth1";
  l.flags = flags;
  l.addresses = std::move(addresses);
  return l;
}

constexpr std::uint32_t up_running = IFF_UP | IFF_RUNNING;

TEST(VrrpLinkView, Ipv4PrimaryIsTheFirstIpv4Address) {
  const auto l = link(up_running, {addr("fd00::5/64"), addr("fe80::1/64", 253), addr("192.168.1.10/24"),
                                   addr("192.168.1.11/24")});
  const auto v = link_view(l, net::Family::v4);
  EXPECT_TRUE(v.usable);
  EXPECT_EQ(v.primary_address, ip("192.168.1.10"));
}

TEST(VrrpLinkView, Ipv6SourceIsTheLinkLocalNotTheGlobal) {
  const auto l = link(up_running, {addr("192.168.1.10/24"), addr("fd00::5/64"), addr("fe80::1/64", 253)});
  const auto v = link_view(l, net::Family::v6);
  EXPECT_TRUE(v.usable);
  EXPECT_EQ(v.primary_address, ip("fe80::1"));
}

TEST(VrrpLinkView, NoCarrierIsNotUsableButKeepsTheAddress) {
  const auto l = link(IFF_UP, {addr("192.168.1.10/24")});  // up, peer/cable gone: no IFF_RUNNING
  const auto v = link_view(l, net::Family::v4);
  EXPECT_FALSE(v.usable);
  EXPECT_EQ(v.primary_address, ip("192.168.1.10"));
  EXPECT_FALSE(link_view(link(IFF_RUNNING, {addr("192.168.1.10/24")}), net::Family::v4).usable)
      << "admin down";
}

TEST(VrrpLinkView, NoAddressOfTheFamilyIsNotUsable) {
  const auto v4 = link_view(link(up_running, {addr("fd00::5/64"), addr("fe80::1/64", 253)}), net::Family::v4);
  EXPECT_FALSE(v4.usable);
  EXPECT_TRUE(v4.primary_address.is_unspecified());
  const auto v6 = link_view(link(up_running, {addr("192.168.1.10/24"), addr("fd00::5/64")}), net::Family::v6);
  EXPECT_FALSE(v6.usable) << "a global IPv6 address is no VRRP source";
  EXPECT_TRUE(v6.primary_address.is_unspecified());
  EXPECT_TRUE(v6.primary_address.is_v6());
}

TEST(VrrpLinkView, HostScopeAddressesAreSkipped) {
  const auto l = link(up_running, {addr("127.0.0.1/8", 254), addr("10.1.0.1/32")});
  EXPECT_EQ(link_view(l, net::Family::v4).primary_address, ip("10.1.0.1"));
}

}  // namespace
}  // namespace vipd::failover
