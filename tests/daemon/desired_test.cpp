#include "vipd/daemon/desired.hpp"

#include <gtest/gtest.h>
#include <linux/if.h>
#include <linux/if.h>  // IFF_LOWER_UP (not in glibc net/if.h)

namespace vipd::daemon {
namespace {

netlink::Link make_link(int ifindex, const std::string& name, const std::string& address) {
  netlink::Link l;
  l.ifindex = ifindex;
  l.name = name;
  l.kind = "veth";
  l.flags = IFF_UP | IFF_BROADCAST | IFF_MULTICAST | IFF_RUNNING | IFF_LOWER_UP;
  l.operstate = 6;  // IF_OPER_UP
  l.has_mac = true;
  l.mac = {0x02, 0, 0, 0, 0, static_cast<std::uint8_t>(ifindex)};
  if (!address.empty()) l.addresses.push_back({*net::Prefix::parse(address), 0});
  return l;
}

config::Model model_with_pools() {
  config::Model m;
  config::Pool l2;
  l2.name = "lab";
  l2.protocol = config::Protocol::layer2;
  m.pools.push_back(l2);
  config::Pool bgp;
  bgp.name = "routed";
  bgp.protocol = config::Protocol::bgp;
  m.pools.push_back(bgp);
  return m;
}

pool::Assignment assignment(const std::string& service, const std::string& pool, config::Protocol protocol,
                            const std::string& vip) {
  return {service, pool, protocol, *net::IpAddress::parse(vip), true};
}

class DesiredL2 : public ::testing::Test {
 protected:
  void SetUp() override {
    links_.links = {make_link(2, "eth0", "10.77.0.10/24"), make_link(3, "eth1", "10.78.0.10/24"),
                    make_link(4, "eth2", ""), make_link(5, "eth3", "fd77::10/64")};
    auto compiled = selector::Policy::compile(model_with_pools());
    ASSERT_TRUE(compiled);
    policy_ = *compiled;
  }
  netlink::LinkSnapshot links_;
  selector::Policy policy_;
};

TEST_F(DesiredL2, BindsEachLayer2VipToTheLinksHoldingItsSubnet) {
  const std::vector<pool::Assignment> assignments = {
      assignment("web", "lab", config::Protocol::layer2, "10.77.0.100"),
      assignment("web6", "lab", config::Protocol::layer2, "fd77::100"),
      assignment("other", "lab", config::Protocol::layer2, "10.78.0.100"),
  };
  const auto desired = desired_l2(policy_, links_, assignments, /*drained=*/false);
  ASSERT_EQ(desired.bindings.size(), 3u);
  EXPECT_EQ(desired.bindings[0], (l2::Binding{2, *net::IpAddress::parse("10.77.0.100")}));
  EXPECT_EQ(desired.bindings[1], (l2::Binding{3, *net::IpAddress::parse("10.78.0.100")}));
  EXPECT_EQ(desired.bindings[2], (l2::Binding{5, *net::IpAddress::parse("fd77::100")}));
  EXPECT_EQ(desired.decisions.size(), 3u);
}

TEST_F(DesiredL2, BgpPoolsAreNeverAnsweredOnLayer2) {
  const std::vector<pool::Assignment> assignments = {
      assignment("api", "routed", config::Protocol::bgp, "10.77.0.201")};
  EXPECT_TRUE(desired_l2(policy_, links_, assignments, false).bindings.empty());
}

TEST_F(DesiredL2, DrainedNodeAnswersNothing) {
  const std::vector<pool::Assignment> assignments = {
      assignment("web", "lab", config::Protocol::layer2, "10.77.0.100")};
  EXPECT_EQ(desired_l2(policy_, links_, assignments, false).bindings.size(), 1u);
  EXPECT_TRUE(desired_l2(policy_, links_, assignments, true).bindings.empty());
}

// A failover backup: its VIPs are not answered, but their links are kept as standby links.
TEST_F(DesiredL2, StandbyVipsOnlyContributeTheirLinks) {
  const std::vector<pool::Assignment> assignments = {
      assignment("web", "lab", config::Protocol::layer2, "10.77.0.100"),
      assignment("other", "lab", config::Protocol::layer2, "10.78.0.100"),
  };
  const auto owns = [](const std::string&, net::Family family) { return family == net::Family::v6; };
  const auto standby = [](const std::string&, net::Family) { return true; };
  const auto desired = desired_l2(policy_, links_, assignments, owns, standby);
  EXPECT_TRUE(desired.bindings.empty());
  EXPECT_TRUE(desired.decisions.empty());
  EXPECT_EQ(desired.standby_links, (std::vector<int>{2, 3}));
  EXPECT_TRUE(desired_l2(policy_, links_, assignments, OwnsPool(owns)).standby_links.empty());
}

TEST_F(DesiredL2, VipOutsideEverySubnetHasNoBinding) {
  const std::vector<pool::Assignment> assignments = {
      assignment("lost", "lab", config::Protocol::layer2, "192.0.2.1")};
  const auto desired = desired_l2(policy_, links_, assignments, false);
  EXPECT_TRUE(desired.bindings.empty());
  ASSERT_EQ(desired.decisions.size(), 1u);
  EXPECT_TRUE(desired.decisions[0].selected.empty());
}

}  // namespace
}  // namespace vipd::daemon
