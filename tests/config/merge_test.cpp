// load_files: several --config files merge; duplicates across files name both locations.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "config/config_test_util.hpp"
#include "vipd/config/loader.hpp"

namespace vipd::config {
namespace {

using test_util::formatted;

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class MergeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("vipd_config_merge_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const auto p = (dir_ / name).string();
    std::ofstream(p) << text;
    return p;
  }
  std::filesystem::path dir_;
};

TEST_F(MergeTest, ListsMergeAcrossFilesAndReferencesResolveAcrossThem) {
  const auto a = write("a.yaml",
                       "address-pools:\n  - {name: p1, protocol: bgp, addresses: [10.0.0.0/24],\n"
                       "     bgp-advertisements: [{communities: [mine], peers: [r2]}]}\n"
                       "peers:\n  - {peer-address: 10.1.0.1, peer-asn: 1, my-asn: 1}\n"
                       "gratuitous: {count: 2}\n");
  const auto b = write("b.yaml",
                       "address-pools:\n  - {name: p2, protocol: layer2, addresses: [10.0.1.0/24]}\n"
                       "peers:\n  - {name: r2, peer-address: 10.1.0.2, peer-asn: 1, my-asn: 1}\n"
                       "bgp-communities: {mine: \"1:2\"}\n"
                       "services:\n  - {name: s, pool: p1}\n"
                       "failover: {vrrp: [{name: g, interface: eth1, vrid: 1, pools: [p2]}]}\n"
                       "log-level: warn\n");
  auto r = load_files({a, b});
  ASSERT_TRUE(r.ok()) << r.error()[0].format();
  const Model& m = r->model;
  ASSERT_EQ(m.pools.size(), 2u);
  EXPECT_EQ(m.pools[1].name, "p2");
  EXPECT_EQ(m.pools[1].where.file, b);
  EXPECT_EQ(m.peers.size(), 2u);
  EXPECT_THAT(m.pools[0].bgp_advertisements[0].communities,
              ElementsAre((1u << 16) | 2u));  // alias from b.yaml
  EXPECT_EQ(m.gratuitous.count, 2);
  EXPECT_EQ(m.log_level, "warn");
  EXPECT_EQ(m.services.size(), 1u);
}

TEST_F(MergeTest, DuplicatePoolAcrossFilesNamesBothLocations) {
  const auto a =
      write("a.yaml", "address-pools:\n  - {name: p, protocol: layer2, addresses: [10.0.0.0/24]}\n");
  const auto b =
      write("b.yaml", "\naddress-pools:\n  - name: p\n    protocol: layer2\n    addresses: [10.0.1.0/24]\n");
  auto r = load_files({a, b});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(formatted(r.error()),
              ElementsAre(b +
                          ":3:11: error: address-pools[0]: duplicate pool name \"p\" (first "
                          "defined at " +
                          a + ":2:12)"));
}

TEST_F(MergeTest, DuplicatePeerAndCommunityAcrossFiles) {
  const auto a = write(
      "a.yaml", "peers: [{peer-address: 10.1.0.1, peer-asn: 1, my-asn: 1}]\nbgp-communities: {c: \"1:1\"}\n");
  const auto b = write(
      "b.yaml", "peers: [{peer-address: 10.1.0.1, peer-asn: 2, my-asn: 1}]\nbgp-communities: {c: \"1:2\"}\n");
  auto r = load_files({a, b});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(
      formatted(r.error()),
      ElementsAre(
          b + ":1:9: error: peers[0]: duplicate peer name \"10.1.0.1\" (first defined at " + a + ":1:9)",
          b + ":2:22: error: bgp-communities.c: community alias \"c\" is already defined at " + a + ":2:22"));
}

TEST_F(MergeTest, ScalarSectionInTwoFilesIsAnError) {
  const auto a = write("a.yaml", "interfaces: {deny: [\"docker*\"]}\n");
  const auto b = write("b.yaml", "log-level: info\ninterfaces: {deny: [\"veth*\"]}\n");
  auto r = load_files({a, b});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(
      formatted(r.error()),
      ElementsAre(b + ":2:13: error: interfaces: section \"interfaces\" is already given at " + a +
                  ":1:13 (each of interfaces, gratuitous, control, metrics, local-delivery, log-level may "
                  "appear once across all files)"));
}

TEST_F(MergeTest, UnreadableFileIsReportedAndOthersStillChecked) {
  const auto a = write("a.yaml", "log-level: nope\n");
  const auto missing = (dir_ / "missing.yaml").string();
  auto r = load_files({missing, a});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(
      formatted(r.error()),
      ElementsAre(missing + ": error: cannot read \"" + missing + "\": No such file or directory",
                  a + ":1:12: error: log-level: \"nope\" is not a log level (expected trace, debug, info, "
                      "warn, error, critical or off)"));
  auto d = load_files({dir_.string()});
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.error()[0].message, HasSubstr("is a directory"));
}

TEST_F(MergeTest, FailoverExampleLoadsWithoutErrorsOrWarnings) {
  auto r = load_files({std::string(VIPD_TEST_DATA_DIR) + "/../../../config/failover.example.yaml"});
  ASSERT_TRUE(r.ok()) << r.error()[0].format();
  EXPECT_THAT(formatted(r->warnings), ::testing::IsEmpty());
  ASSERT_EQ(r->model.failover.vrrp.size(), 1u);
  const auto& g = r->model.failover.vrrp[0];
  EXPECT_EQ(g.name, "lan");
  EXPECT_EQ(g.vrid, 51);
  EXPECT_EQ(g.priority, 150);
  EXPECT_EQ(g.advert_interval, std::chrono::milliseconds(100));
  EXPECT_EQ(g.pools, std::vector<std::string>{"lan"});
}

TEST_F(MergeTest, ExampleConfigLoadsWithoutErrorsOrWarnings) {
  auto r = load_files({std::string(VIPD_TEST_DATA_DIR) + "/../../../config/vipd.example.yaml"});
  ASSERT_TRUE(r.ok()) << r.error()[0].format();
  EXPECT_THAT(formatted(r->warnings), ::testing::IsEmpty());
  const Model& m = r->model;
  ASSERT_EQ(m.pools.size(), 2u);
  EXPECT_EQ(m.pools[0].protocol, Protocol::bgp);
  EXPECT_TRUE(m.pools[0].avoid_buggy_ips);
  EXPECT_EQ(m.pools[1].protocol, Protocol::layer2);
  EXPECT_FALSE(m.pools[1].interfaces.empty());
  EXPECT_EQ(m.peers.size(), 1u);
  EXPECT_EQ(m.services.size(), 2u);
}

}  // namespace
}  // namespace vipd::config
