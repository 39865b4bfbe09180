// `vipd --explain` (the real binary) in a namespace with the seed's situation: a node with two
// links on one L2 domain (eth0 10.77.0.10/24, eth1 10.78.0.10/24 on one bridge). Exactly one
// link is SELECTED for 10.77.0.100 and the table says why eth1 is not.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "integration/lab.hpp"

namespace vipd {
namespace {

using testlab::Netns;

class ExplainLab : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testlab::is_root())
      GTEST_SKIP() << "needs root to build network namespaces (run as root or via sudo)";
    const std::string prefix = testlab::unique_name("h3e");
    sw_ = std::make_unique<testlab::Switch>(prefix);
    node_ = std::make_unique<Netns>(prefix + "n");
    sw_->plug(*node_, "eth0", "02:77:00:00:10:00");
    sw_->plug(*node_, "eth1", "02:77:00:00:10:01");
    node_->must("ip link set eth0 up");
    node_->must("ip link set eth1 up");
    node_->must("ip addr add 10.77.0.10/24 dev eth0");
    node_->must("ip addr add 10.78.0.10/24 dev eth1");
    config_ = "/tmp/" + prefix + ".yaml";
    std::ofstream(config_) << "address-pools:\n"
                              "  - name: layer2\n"
                              "    protocol: layer2\n"
                              "    addresses: [10.77.0.100-10.77.0.150]\n"
                              "  - name: default\n"
                              "    protocol: bgp\n"
                              "    addresses: [10.99.0.0/24]\n";
  }
  void TearDown() override {
    if (!config_.empty()) std::remove(config_.c_str());
  }
  testlab::CommandResult explain(const std::string& args) {
    return node_->run(std::string(VIPD_BINARY) + " --explain " + args + " --config " + config_);
  }

  std::unique_ptr<testlab::Switch> sw_;
  std::unique_ptr<Netns> node_;
  std::string config_;
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST_F(ExplainLab, SeedSituationSelectsExactlyOneLinkAndSaysWhyNotTheOther) {
  auto r = explain("10.77.0.100");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  int selected = 0;
  std::string eth0_line, eth1_line;
  for (const auto& line : lines_of(r.output)) {
    if (line.find("SELECTED") != std::string::npos) ++selected;
    if (line.rfind("eth0 ", 0) == 0) eth0_line = line;
    if (line.rfind("eth1 ", 0) == 0) eth1_line = line;
  }
  EXPECT_EQ(selected, 1) << r.output;
  EXPECT_THAT(r.output, ::testing::HasSubstr("VIP 10.77.0.100 (pool layer2): 1 link selected"));
  EXPECT_THAT(eth0_line, ::testing::HasSubstr("SELECTED: address 10.77.0.10/24 holds 10.77.0.100"))
      << r.output;
  EXPECT_THAT(eth0_line, ::testing::HasSubstr("veth"));
  EXPECT_THAT(eth1_line,
              ::testing::HasSubstr(
                  "excluded: no address on this link holds 10.77.0.100 (require-subnet; it has "
                  "10.78.0.10/24) — set require-subnet: false on pool layer2 if this VLAN carries no IP"))
      << r.output;
}

TEST_F(ExplainLab, Json) {
  auto r = explain("10.77.0.100 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, ::testing::StartsWith("{\"vip\":\"10.77.0.100\",\"pool\":\"layer2\",\"links\":["));
  EXPECT_THAT(r.output, ::testing::HasSubstr("{\"name\":\"eth0\",\"ifindex\":"));
  EXPECT_THAT(r.output, ::testing::HasSubstr("\"selected\":true,\"rule\":\"selected\""));
  EXPECT_THAT(r.output, ::testing::HasSubstr("\"selected\":false,\"rule\":\"no-subnet\""));
  EXPECT_THAT(r.output, ::testing::HasSubstr("\"selected\":false,\"rule\":\"loopback\""));
}

TEST_F(ExplainLab, NothingSelectedIsStillADecision) {
  node_->must("ip addr del 10.77.0.10/24 dev eth0");
  auto r = explain("10.77.0.120");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, ::testing::HasSubstr("0 links selected"));
  EXPECT_THAT(r.output, ::testing::Not(::testing::HasSubstr("SELECTED")));
}

TEST_F(ExplainLab, BadVipNoPoolAndBgpPool) {
  auto bad = explain("10.77.0.999");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.output, ::testing::HasSubstr("is not an IPv4 or IPv6 address"));
  auto none = explain("10.55.0.1");
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_THAT(none.output, ::testing::HasSubstr("10.55.0.1 is in no pool"));
  auto bgp = explain("10.99.0.5");
  EXPECT_EQ(bgp.exit_code, 0) << bgp.output;
  EXPECT_THAT(bgp.output, ::testing::HasSubstr("announced over BGP"));
}

TEST_F(ExplainLab, ConfigErrorExitsOne) {
  std::ofstream(config_)
      << "address-pools:\n  - name: layer2\n    protocol: layer2\n    addresses: [10.77.0.100-10.77.0.150]\n"
         "interfaces:\n  allow: [\"re:eth[0-\"]\n";
  auto r = explain("10.77.0.100");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, ::testing::HasSubstr("interfaces.allow[0]"));
}

}  // namespace
}  // namespace vipd
