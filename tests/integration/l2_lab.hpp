#pragma once
// The seed's lab for layer-2 tests: a node namespace whose three links (eth0 in 10.77.0.0/24, eth1
// in 10.78.0.0/24, eth2 without address) share one bridge with a client, and vipd started in the
// node namespace with a config the test writes.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "integration/lab.hpp"

namespace vipd::testlab {

using namespace std::chrono_literals;

inline constexpr const char* kEth0Mac = "02:77:00:00:10:00";
inline constexpr const char* kEth1Mac = "02:77:00:00:10:01";
inline constexpr const char* kEth2Mac = "02:77:00:00:10:02";
inline constexpr const char* kClientMac = "02:77:00:00:00:02";

inline constexpr const char* kBaseConfig = R"(address-pools:
  - name: lab
    protocol: layer2
    addresses: [10.77.0.100-10.77.0.199, "fd77::100-fd77::1ff"]
  - name: routed
    protocol: bgp
    addresses: [10.77.0.200/29]
services:
  - {name: web, pool: lab, address: 10.77.0.100}
  - {name: web6, pool: lab, address: "fd77::100"}
  - {name: api, pool: routed, address: 10.77.0.201}
gratuitous: {count: 3, interval: 200ms}
)";

// Counts "Unicast reply from IP [MAC]" lines of iputils arping per MAC.
inline std::multiset<std::string> arping_reply_macs(const std::string& output) {
  std::multiset<std::string> macs;
  static const std::regex reply(R"(reply from [0-9.]+ \[([0-9A-Fa-f:]+)\])");
  for (auto it = std::sregex_iterator(output.begin(), output.end(), reply); it != std::sregex_iterator();
       ++it) {
    std::string mac = (*it)[1];
    for (auto& c : mac) c = static_cast<char>(std::tolower(c));
    macs.insert(mac);
  }
  return macs;
}

inline std::multiset<std::string> ndisc_target_macs(const std::string& output) {
  std::multiset<std::string> macs;
  static const std::regex target(R"(Target link-layer address: ([0-9A-Fa-f:]+))");
  for (auto it = std::sregex_iterator(output.begin(), output.end(), target); it != std::sregex_iterator();
       ++it) {
    std::string mac = (*it)[1];
    for (auto& c : mac) c = static_cast<char>(std::tolower(c));
    macs.insert(mac);
  }
  return macs;
}

class L2Lab : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!is_root()) GTEST_SKIP() << "network-namespace tests need root (run ./scripts/test.sh as root)";
    const std::string prefix = unique_name("vl2");
    sw_ = std::make_unique<Switch>(prefix);
    node_ = std::make_unique<Netns>(prefix + "node");
    client_ = std::make_unique<Netns>(prefix + "cli");
    sw_->plug(*node_, "eth0", kEth0Mac);
    sw_->plug(*node_, "eth1", kEth1Mac);
    sw_->plug(*node_, "eth2", kEth2Mac);
    sw_->plug(*client_, "eth0", kClientMac);
    node_->must("ip addr add 10.77.0.10/24 dev eth0");
    node_->must("ip addr add fd77::10/64 dev eth0 nodad");
    node_->must("ip addr add 10.78.0.10/24 dev eth1");
    node_->must("ip addr add fd78::10/64 dev eth1 nodad");
    for (const char* l : {"eth0", "eth1", "eth2"}) node_->must(std::string("ip link set ") + l + " up");
    client_->must("ip addr add 10.77.0.2/24 dev eth0");
    client_->must("ip addr add 10.78.0.2/24 dev eth0");
    client_->must("ip addr add fd77::2/64 dev eth0 nodad");
    client_->must("ip link set eth0 up");
    dir_ = "/tmp/" + prefix;
    must("mkdir -p " + dir_);
  }

  void TearDown() override {
    if (vipd_) vipd_->stop();
    if (!dir_.empty() && HasFailure() && vipd_) std::cerr << "vipd log:\n" << vipd_->log() << '\n';
    if (!dir_.empty()) run("rm -rf " + dir_);
  }

  // Starts vipd in the node namespace, waits until its status shows `expected_bindings` (link, VIP)
  // bindings and every bound VIP's gratuitous burst (`burst` announcements per link: 2 frames for
  // IPv4, 1 for IPv6) sent, so probes count only solicited answers.
  void start_vipd(const std::string& config, int expected_bindings, int burst = 3) {
    {
      std::ofstream out(dir_ + "/vipd.yaml");
      out << config;
      // Each lab's control socket lives in its own directory, never the host's /run/vipd.
      if (config.find("control:") == std::string::npos) out << "control: {socket: " << socket_path() << "}\n";
    }
    vipd_ = std::make_unique<Process>(
        node_.get(),
        std::vector<std::string>{VIPD_BINARY, "--config", dir_ + "/vipd.yaml", "--state-dir", dir_ + "/state",
                                 "--log-level", "debug"},
        dir_ + "/vipd.log");
    ASSERT_TRUE(wait_until([&] { return bindings(status()) >= expected_bindings; }, 5s,
                           std::to_string(expected_bindings) + " bindings in the status"))
        << status().dump() << '\n'
        << vipd_->log();
    ASSERT_TRUE(wait_until([&] { return bursts_sent(status(), burst); }, 5s, "the gratuitous bursts"))
        << status().dump();
  }

  std::string socket_path() const { return dir_ + "/vipd.sock"; }
  nlohmann::json status() const { return vipd_status(socket_path()); }
  // The status entry of `vip` (null when absent) and the links it is answered on.
  nlohmann::json vip(const std::string& address) const { return vip_status(status(), address); }
  // A counter of `address` in the status (requests, replies, gratuitous, conflicts); -1 when absent.
  long long vip_counter(const std::string& address, const char* key) const {
    const auto v = vip(address);
    return v.is_object() && v.contains(key) && v[key].is_number() ? v[key].get<long long>() : -1;
  }
  std::vector<std::string> vip_links(const std::string& address) const {
    const auto v = vip(address);
    return v.is_object() ? v["links"].get<std::vector<std::string>>()
                         : std::vector<std::string>{"<no status>"};
  }

  // (link, VIP) bindings in a status (-1 when there is none).
  static int bindings(const nlohmann::json& s) {
    if (!s.is_object()) return -1;
    int n = 0;
    for (const auto& v : s["vips"]) n += static_cast<int>(v["links"].size());
    return n;
  }
  // Every bound VIP has sent at least `burst` announcements on each of its links.
  static bool bursts_sent(const nlohmann::json& s, int burst) {
    if (!s.is_object()) return false;
    for (const auto& v : s["vips"]) {
      const int frames = v["vip"].get<std::string>().find(':') == std::string::npos ? 2 : 1;
      if (v["gratuitous"].get<int>() < burst * frames * static_cast<int>(v["links"].size())) return false;
    }
    return true;
  }

  CommandResult arping(const std::string& target, int count = 3) const {
    return client_->run("arping -b -c " + std::to_string(count) + " -w " + std::to_string(count) +
                        " -I eth0 " + target);
  }

  std::unique_ptr<Switch> sw_;
  std::unique_ptr<Netns> node_;
  std::unique_ptr<Netns> client_;
  std::unique_ptr<Process> vipd_;
  std::string dir_;
};

}  // namespace vipd::testlab
