#include "vipd/pool/allocator.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <unordered_set>

#include "pool/model_builder.hpp"
#include "pool/temp_dir.hpp"
#include "vipd/pool/address_set.hpp"
#include "vipd/pool/state_store.hpp"
#include "vipd/pool/validate.hpp"

namespace vipd::pool {
namespace {

using ::testing::HasSubstr;
using testing::ip;
using ::testing::IsEmpty;
using testing::make_pool;
using testing::make_service;

std::map<std::string, std::string> vips(const AllocationResult& r) {
  std::map<std::string, std::string> out;
  for (const auto& a : r.assignments) out[a.service] = a.vip.to_string();
  return out;
}

using Vips = std::map<std::string, std::string>;

config::Model base_model() {
  config::Model m;
  m.pools.push_back(make_pool("l2", {"192.168.20.100-192.168.20.150"}));
  m.pools.push_back(make_pool("bgp", {"192.168.10.0/24"}, /*avoid_buggy=*/true, true, config::Protocol::bgp));
  return m;
}

TEST(Allocate, LowestFreeAddressInServiceNameOrder) {
  auto m = base_model();
  m.services.push_back(make_service("charlie", "l2"));
  m.services.push_back(make_service("alpha", "l2"));
  m.services.push_back(make_service("bravo", "bgp"));
  m.services.push_back(make_service("delta", "bgp"));
  const auto r = allocate(m, {});
  EXPECT_THAT(r.errors, IsEmpty());
  EXPECT_THAT(r.warnings, IsEmpty());
  EXPECT_EQ(vips(r), (Vips{{"alpha", "192.168.20.100"},
                           {"bravo", "192.168.10.1"},  // .0 skipped: avoid-buggy-ips
                           {"charlie", "192.168.20.101"},
                           {"delta", "192.168.10.2"}}));
  ASSERT_EQ(r.assignments.size(), 4u);
  EXPECT_EQ(r.assignments[0].service, "alpha");  // sorted by name
  EXPECT_EQ(r.assignments[1], (Assignment{"bravo", "bgp", config::Protocol::bgp, ip("192.168.10.1"), false}));
  EXPECT_EQ(r.state.allocations.size(), 4u);
  EXPECT_EQ(r.state.allocations.at("charlie"), ip("192.168.20.101"));
}

TEST(Allocate, ExplicitAddressesWinAndAreSkipped) {
  auto m = base_model();
  m.services.push_back(make_service("a", "l2"));
  m.services.push_back(make_service("z-fixed", "l2", "192.168.20.100"));
  m.services.push_back(make_service("b", "l2"));
  m.services.push_back(make_service("y-fixed", "l2", "192.168.20.102"));
  const auto r = allocate(m, {});
  EXPECT_THAT(r.errors, IsEmpty());
  EXPECT_EQ(vips(r), (Vips{{"a", "192.168.20.101"},
                           {"b", "192.168.20.103"},
                           {"y-fixed", "192.168.20.102"},
                           {"z-fixed", "192.168.20.100"}}));
  for (const auto& a : r.assignments)
    EXPECT_EQ(a.explicit_address, a.service.ends_with("-fixed")) << a.service;
}

TEST(Allocate, AddingAServiceThatSortsFirstMovesNoExistingVip) {
  auto m = base_model();
  m.services.push_back(make_service("mail", "l2"));
  m.services.push_back(make_service("web", "l2"));
  const auto first = allocate(m, {});
  EXPECT_EQ(vips(first), (Vips{{"mail", "192.168.20.100"}, {"web", "192.168.20.101"}}));

  m.services.push_back(make_service("api", "l2"));
  const auto grown = allocate(m, first.state);
  EXPECT_THAT(grown.errors, IsEmpty());
  EXPECT_THAT(grown.warnings, IsEmpty());
  EXPECT_EQ(vips(grown),
            (Vips{{"api", "192.168.20.102"}, {"mail", "192.168.20.100"}, {"web", "192.168.20.101"}}));

  // Without the state the newcomer would have taken mail's address: the state is what keeps VIPs put.
  EXPECT_EQ(vips(allocate(m, {})).at("api"), "192.168.20.100");
}

TEST(Allocate, FreedAddressIsReusedWithoutMovingOthers) {
  auto m = base_model();
  for (const char* name : {"a", "b", "c"}) m.services.push_back(make_service(name, "l2"));
  const auto first = allocate(m, {});
  m.services.erase(m.services.begin() + 1);  // drop "b" (192.168.20.101)
  m.services.push_back(make_service("d", "l2"));
  const auto next = allocate(m, first.state);
  EXPECT_EQ(vips(next), (Vips{{"a", "192.168.20.100"}, {"c", "192.168.20.102"}, {"d", "192.168.20.101"}}));
  ASSERT_EQ(next.warnings.size(), 1u);
  EXPECT_EQ(
      next.warnings[0].format(),
      "warning: previous allocation 192.168.20.101 of service \"b\" dropped: the service no longer exists");
  EXPECT_FALSE(next.state.allocations.contains("b"));
}

TEST(Allocate, RestartThroughTheStateFileGivesTheSameVips) {
  testing::TempDir dir;
  auto m = base_model();
  m.pools.push_back(make_pool("v6", {"fd00:20::100-fd00:20::1ff"}));
  for (int i = 0; i < 20; ++i)
    m.services.push_back(make_service("svc" + std::to_string(i), i % 3 == 0 ? "v6" : "l2"));
  const auto first = allocate(m, {});
  ASSERT_THAT(first.errors, IsEmpty());
  StateStore store(dir.path() + "/state");
  ASSERT_TRUE(store.save(first.state).ok());

  // "Restart": a new store object, services listed in another order, one new service sorting first.
  std::reverse(m.services.begin(), m.services.end());
  m.services.push_back(make_service("aaa", "l2"));
  const auto loaded = StateStore(dir.path() + "/state").load();
  EXPECT_THAT(loaded.warnings, IsEmpty());
  EXPECT_EQ(loaded.state, first.state);
  const auto again = allocate(m, loaded.state);
  auto expected = vips(first);
  expected["aaa"] = "192.168.20.113";  // the 13 l2 services hold .100-.112
  EXPECT_EQ(vips(again), expected);
}

TEST(Allocate, ServiceOrderInTheModelDoesNotMatter) {
  auto m = base_model();
  for (int i = 0; i < 40; ++i)
    m.services.push_back(make_service("s" + std::to_string(i), i % 2 ? "l2" : "bgp"));
  const auto reference = allocate(m, {});
  std::mt19937 rng(42);
  for (int round = 0; round < 5; ++round) {
    std::shuffle(m.services.begin(), m.services.end(), rng);
    EXPECT_EQ(allocate(m, {}).assignments, reference.assignments);
  }
}

TEST(Allocate, PreviousAllocationOutsideTheNewPoolIsDroppedWithAWarning) {
  auto m = base_model();
  m.services.push_back(make_service("web", "l2", std::nullopt, config::SourceLocation{"a.yaml", 9, 5}));
  State previous;
  previous.allocations["web"] = ip("192.168.10.7");  // it used to be in pool "bgp", since moved
  const auto r = allocate(m, previous);
  EXPECT_EQ(vips(r), (Vips{{"web", "192.168.20.100"}}));
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(
      r.warnings[0].format(),
      "a.yaml:9:5: warning: services[0]: previous allocation 192.168.10.7 of service \"web\" dropped: it is "
      "not a usable address of pool \"l2\"");
}

TEST(Allocate, PreviousAllocationOfARemovedPoolIsDropped) {
  auto m = base_model();
  m.services.push_back(make_service("a", "bgp"));
  State previous;
  previous.allocations["a"] = ip("10.99.0.5");  // from a pool that no longer exists
  previous.allocations["gone"] = ip("192.168.10.9");
  const auto r = allocate(m, previous);
  EXPECT_EQ(vips(r), (Vips{{"a", "192.168.10.1"}}));
  EXPECT_EQ(r.warnings.size(), 2u);
  EXPECT_EQ(r.state.allocations, (std::map<std::string, net::IpAddress>{{"a", ip("192.168.10.1")}}));
}

TEST(Allocate, ExplicitAddressTakesOverAPreviousAllocation) {
  auto m = base_model();
  m.services.push_back(make_service("old", "l2"));
  m.services.push_back(make_service("new", "l2", "192.168.20.100"));
  State previous;
  previous.allocations["old"] = ip("192.168.20.100");
  const auto r = allocate(m, previous);
  EXPECT_EQ(vips(r), (Vips{{"new", "192.168.20.100"}, {"old", "192.168.20.101"}}));
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_THAT(r.warnings[0].message, HasSubstr("it is now the address of service \"new\""));
}

TEST(Allocate, PreviousAllocationOnABuggyAddressIsNotKept) {
  auto m = base_model();
  m.services.push_back(make_service("x", "bgp"));
  State previous;
  previous.allocations["x"] = ip("192.168.10.255");  // pool became avoid-buggy-ips
  EXPECT_EQ(vips(allocate(m, previous)), (Vips{{"x", "192.168.10.1"}}));
}

TEST(Allocate, BuggyAddressesAreSkippedAcrossOctets) {
  config::Model m;
  m.pools.push_back(make_pool("p", {"192.168.1.254-192.168.2.2"}, /*avoid_buggy=*/true));
  for (const char* name : {"a", "b", "c"}) m.services.push_back(make_service(name, "p"));
  EXPECT_EQ(vips(allocate(m, {})),
            (Vips{{"a", "192.168.1.254"}, {"b", "192.168.2.1"}, {"c", "192.168.2.2"}}));
}

TEST(Allocate, ExhaustedPoolNamesServiceAndPool) {
  config::Model m;
  m.pools.push_back(make_pool("tiny", {"10.0.0.0/31"}));
  m.services.push_back(make_service("a", "tiny"));
  m.services.push_back(make_service("b", "tiny", "10.0.0.1"));
  m.services.push_back(make_service("c", "tiny", std::nullopt, config::SourceLocation{"a.yaml", 7, 5}));
  m.services.push_back(make_service("d", "tiny"));
  const auto r = allocate(m, {});
  EXPECT_EQ(vips(r), (Vips{{"a", "10.0.0.0"}, {"b", "10.0.0.1"}}));
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(
      r.errors[0].format(),
      "a.yaml:7:5: error: services[2]: pool \"tiny\" is exhausted: no free address for service \"c\" (2 "
      "usable addresses, all in use)");
  EXPECT_THAT(r.errors[1].message, HasSubstr("service \"d\""));
  EXPECT_FALSE(r.state.allocations.contains("c"));
}

TEST(Allocate, AutoAssignFalseServesOnlyExplicitAddresses) {
  config::Model m;
  m.pools.push_back(make_pool("manual", {"10.9.0.0/29"}, false, /*auto_assign=*/false));
  m.services.push_back(make_service("fixed", "manual", "10.9.0.5"));
  m.services.push_back(make_service("floating", "manual"));
  State previous;
  previous.allocations["floating"] = ip("10.9.0.1");
  const auto r = allocate(m, previous);
  EXPECT_EQ(vips(r), (Vips{{"fixed", "10.9.0.5"}}));
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].path, "services[1]");
  EXPECT_THAT(r.errors[0].message, HasSubstr("auto-assign: false"));
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_THAT(r.warnings[0].message, HasSubstr("dropped: pool \"manual\" has auto-assign: false"));
}

TEST(Allocate, DualStackPoolFillsIpv4ThenIpv6) {
  config::Model m;
  m.pools.push_back(make_pool("ds", {"fd00::10-fd00::11", "10.0.0.1-10.0.0.2"}));
  for (const char* name : {"a", "b", "c", "d", "e"}) m.services.push_back(make_service(name, "ds"));
  const auto r = allocate(m, {});
  EXPECT_EQ(vips(r), (Vips{{"a", "10.0.0.1"}, {"b", "10.0.0.2"}, {"c", "fd00::10"}, {"d", "fd00::11"}}));
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_THAT(r.errors[0].message, HasSubstr("service \"e\""));
}

TEST(Allocate, TopOfTheAddressSpace) {
  config::Model m;
  m.pools.push_back(make_pool("top", {"255.255.255.254/31", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}));
  for (const char* name : {"a", "b", "c", "d"}) m.services.push_back(make_service(name, "top"));
  const auto r = allocate(m, {});
  EXPECT_EQ(vips(r), (Vips{{"a", "255.255.255.254"},
                           {"b", "255.255.255.255"},
                           {"c", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}}));
  EXPECT_EQ(r.errors.size(), 1u);
}

TEST(Allocate, InvalidExplicitAddressAndUnknownPoolAreErrorsNotCrashes) {
  auto m = base_model();
  m.services.push_back(make_service("out", "l2", "10.0.0.1"));
  m.services.push_back(make_service("dup1", "l2", "192.168.20.110"));
  m.services.push_back(make_service("dup2", "l2", "192.168.20.110"));
  m.services.push_back(make_service("lost", "nope"));
  m.services.push_back(make_service("twin", "l2"));
  m.services.push_back(make_service("twin", "l2"));
  const auto r = allocate(m, {});
  EXPECT_EQ(vips(r), (Vips{{"dup1", "192.168.20.110"}, {"twin", "192.168.20.100"}}));
  EXPECT_EQ(r.errors.size(), 4u);
}

TEST(Allocate, ManyServicesOverManyPoolsAreUniqueAndInsideTheirPools) {
  config::Model m;
  for (int p = 0; p < 20; ++p)
    m.pools.push_back(
        make_pool("pool" + std::to_string(p), {"10." + std::to_string(p) + ".0.0/16"}, p % 2 == 0));
  for (int s = 0; s < 2000; ++s)
    m.services.push_back(make_service("svc" + std::to_string(s), "pool" + std::to_string(s % 20)));
  ASSERT_THAT(validate(m), IsEmpty());
  const auto r = allocate(m, {});
  ASSERT_THAT(r.errors, IsEmpty());
  ASSERT_EQ(r.assignments.size(), 2000u);
  std::unordered_set<net::IpAddress> seen;
  for (const auto& a : r.assignments) {
    EXPECT_TRUE(AddressSet::from_pool(*m.find_pool(a.pool)).contains(a.vip)) << a.vip.to_string();
    EXPECT_TRUE(seen.insert(a.vip).second) << a.vip.to_string();
  }
  EXPECT_EQ(allocate(m, r.state).assignments, r.assignments);
}

}  // namespace
}  // namespace vipd::pool
