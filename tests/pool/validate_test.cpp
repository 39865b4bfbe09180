#include "vipd/pool/validate.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pool/model_builder.hpp"

namespace vipd::pool {
namespace {

using ::testing::IsEmpty;
using testing::make_pool;
using testing::make_service;
using testing::range;

std::vector<std::string> texts(const config::Diagnostics& ds) {
  std::vector<std::string> out;
  for (const auto& d : ds) out.push_back(d.format());
  return out;
}

config::Model two_pools_model() {
  config::Model m;
  m.pools.push_back(make_pool("default", {}, /*avoid_buggy=*/true));
  m.pools[0].addresses.push_back(range("192.168.10.0/24", {"a.yaml", 5, 7}));
  m.pools.push_back(make_pool("layer2", {}));
  m.pools[1].addresses.push_back(range("192.168.20.100-192.168.20.150", {"a.yaml", 11, 7}));
  m.pools[1].addresses.push_back(range("fd00:20::100-fd00:20::1ff", {"a.yaml", 12, 7}));
  m.pools.push_back(make_pool("manual", {"10.9.0.0/29"}, false, /*auto_assign=*/false));
  return m;
}

TEST(Validate, CleanModelHasNoDiagnostics) {
  auto m = two_pools_model();
  m.services.push_back(make_service("web", "layer2", "192.168.20.100"));
  m.services.push_back(make_service("web6", "layer2", "fd00:20::1ff"));
  m.services.push_back(make_service("api", "default"));
  m.services.push_back(make_service("fixed", "manual", "10.9.0.3"));
  EXPECT_THAT(validate(m), IsEmpty());
}

TEST(Validate, OverlappingPoolsNameBothPoolsAndLocations) {
  auto m = two_pools_model();
  m.pools.push_back(make_pool("extra", {}));
  m.pools[3].addresses.push_back(range("192.168.10.128/25", {"b.yaml", 3, 9}));
  EXPECT_THAT(
      texts(validate(m)),
      ::testing::ElementsAre(
          "b.yaml:3:9: error: address-pools[3].addresses[0]: pool \"extra\" range \"192.168.10.128/25\" "
          "overlaps pool \"default\" range \"192.168.10.0/24\" (a.yaml:5:7, address-pools[0].addresses[0]) "
          "(pools must not share addresses)"));
}

TEST(Validate, OverlapFoundWhenTheLaterPoolStartsFirst) {
  config::Model m;
  m.pools.push_back(make_pool("a", {"10.0.0.50-10.0.0.60"}));
  m.pools.push_back(make_pool("b", {"10.0.0.0-10.0.0.10", "10.0.0.20-10.0.0.55"}));
  const auto ds = validate(m);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].path, "address-pools[1].addresses[1]");
  EXPECT_THAT(ds[0].message,
              ::testing::HasSubstr("pool \"b\" range \"10.0.0.20-10.0.0.55\" overlaps pool \"a\""));
}

TEST(Validate, EveryOverlappingPairIsReportedOnce) {
  config::Model m;
  m.pools.push_back(make_pool("a", {"10.0.0.0/24", "10.0.1.0/24"}));
  m.pools.push_back(make_pool("b", {"10.0.0.10-10.0.1.10"}));
  m.pools.push_back(make_pool("c", {"10.0.0.200-10.0.0.210"}));
  const auto ds = validate(m);
  EXPECT_EQ(ds.size(), 3u) << ::testing::PrintToString(texts(ds));  // a-b, a-c, b-c
}

TEST(Validate, AdjacentPoolsAndOverlapInsideOnePoolAreFine) {
  config::Model m;
  m.pools.push_back(make_pool("a", {"10.0.0.0/25", "10.0.0.64/26"}));  // overlap within one pool merges
  m.pools.push_back(make_pool("b", {"10.0.0.128/25"}));
  m.pools.push_back(make_pool("c", {"::a00:0/120"}));  // numerically equal to a's range, other family
  EXPECT_THAT(validate(m), IsEmpty());
}

TEST(Validate, ServiceAddressOutsideItsPool) {
  auto m = two_pools_model();
  m.services.push_back(make_service("a", "layer2"));
  m.services.push_back(make_service("b", "layer2", "192.168.20.100"));
  m.services.push_back(make_service("c", "layer2", "192.168.10.5", config::SourceLocation{"a.yaml", 20, 5}));
  EXPECT_THAT(
      texts(validate(m)),
      ::testing::ElementsAre("a.yaml:20:5: error: services[2].address: \"192.168.10.5\" is not inside pool "
                             "\"layer2\" (192.168.20.100-192.168.20.150, fd00:20::100-fd00:20::1ff)"));
}

TEST(Validate, BuggyAddressInAvoidBuggyPool) {
  auto m = two_pools_model();
  m.services.push_back(
      make_service("x", "default", "192.168.10.255", config::SourceLocation{"a.yaml", 30, 5}));
  EXPECT_THAT(
      texts(validate(m)),
      ::testing::ElementsAre("a.yaml:30:5: error: services[0].address: \"192.168.10.255\" is excluded by "
                             "avoid-buggy-ips in pool \"default\" (addresses ending in .0 or .255 are not "
                             "used)"));
}

TEST(Validate, TwoServicesOnOneAddress) {
  auto m = two_pools_model();
  m.services.push_back(
      make_service("web", "layer2", "192.168.20.120", config::SourceLocation{"a.yaml", 30, 5}));
  m.services.push_back(make_service("db", "layer2"));
  m.services.push_back(
      make_service("web2", "layer2", "192.168.20.120", config::SourceLocation{"b.yaml", 4, 5}));
  EXPECT_THAT(
      texts(validate(m)),
      ::testing::ElementsAre("b.yaml:4:5: error: services[2].address: \"192.168.20.120\" is already the "
                             "address of service \"web\" (a.yaml:30:5, services[0]) (each service needs its "
                             "own address)"));
}

TEST(Validate, AutoAssignFalsePoolNeedsExplicitAddress) {
  auto m = two_pools_model();
  m.services.push_back(make_service("ok", "manual", "10.9.0.1"));
  m.services.push_back(
      make_service("missing", "manual", std::nullopt, config::SourceLocation{"a.yaml", 40, 5}));
  EXPECT_THAT(
      texts(validate(m)),
      ::testing::ElementsAre("a.yaml:40:5: error: services[1]: service \"missing\" has no address, but pool "
                             "\"manual\" has auto-assign: false (give the service an address from the "
                             "pool)"));
}

TEST(Validate, UnknownPool) {
  auto m = two_pools_model();
  m.services.push_back(make_service("x", "nope"));
  const auto ds = validate(m);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].path, "services[0].pool");
}

TEST(Validate, ReportsAllErrorsNotOnlyTheFirst) {
  auto m = two_pools_model();
  m.pools.push_back(make_pool("clash", {"192.168.20.140-192.168.20.160"}));
  m.services.push_back(make_service("a", "layer2", "10.1.1.1"));
  m.services.push_back(make_service("b", "manual"));
  EXPECT_EQ(validate(m).size(), 3u);
}

}  // namespace
}  // namespace vipd::pool
