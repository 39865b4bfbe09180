// The whole path `vipd --check` takes: loader, then pool validation, errors with exact positions.
#include "vipd/daemon/loaded_config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace vipd::daemon {
namespace {

class LoadedConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vipd-loaded-config-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& text) {
    const auto path = dir_ + "/vipd.yaml";
    std::ofstream(path) << text;
    return path;
  }
  std::string dir_;
};

TEST_F(LoadedConfigTest, OverlapAndOutOfPoolAddressPointAtTheirValues) {
  const auto path = write(R"(address-pools:
  - name: c
    protocol: layer2
    addresses: [10.0.2.0/24]
  - name: d
    protocol: layer2
    addresses: [10.0.2.128/25]
services:
  - name: x
    pool: c
    address: 10.9.9.9
)");
  auto loaded = load_config({path}, dir_ + "/state");
  ASSERT_FALSE(loaded);
  ASSERT_EQ(loaded.error().size(), 2u);
  EXPECT_EQ(
      loaded.error()[0].format(),
      path +
          ":7:17: error: address-pools[1].addresses[0]: pool \"d\" range \"10.0.2.128/25\" overlaps pool "
          "\"c\" range \"10.0.2.0/24\" (" +
          path +
          ":4:17, address-pools[0].addresses[0]) (pools must "
          "not share addresses)");
  EXPECT_EQ(loaded.error()[1].format(),
            path + ":11:14: error: services[0].address: \"10.9.9.9\" is not inside pool \"c\" (10.0.2.0/24)");
}

TEST_F(LoadedConfigTest, AllocatesTheLowestFreeAddress) {
  const auto path = write(R"(address-pools: [{name: p, protocol: layer2, addresses: [10.0.0.0/30]}]
services: [{name: b, pool: p}]
)");
  auto first = load_config({path}, dir_ + "/state");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->assignments.size(), 1u);
  EXPECT_EQ(first->assignments[0].vip.to_string(), "10.0.0.0");
}

}  // namespace
}  // namespace vipd::daemon
