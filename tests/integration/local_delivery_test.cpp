// Local delivery against a real kernel: in a node namespace LocalDelivery adds VIPs to lo, a web
// server bound to the VIP answers curl from a client namespace routed through the node, the
// arp_ignore/arp_announce sysctls are set while on and restored after stop(), the kernel stops
// answering ARP for the VIP (the seed's two-MAC bug), and a previous run's stale addresses are
// removed on start.
#include "vipd/daemon/local_delivery.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <regex>
#include <set>

#include "integration/lab.hpp"

namespace vipd::testlab {
namespace {

using namespace std::chrono_literals;
using daemon::LocalDelivery;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kEth0Mac = "02:88:00:00:10:00";
constexpr const char* kEth1Mac = "02:88:00:00:10:01";

net::IpAddress ip(const char* text) {
  return *net::IpAddress::parse(text);
}

std::set<std::string> arping_reply_macs(const std::string& output) {
  std::set<std::string> macs;
  static const std::regex reply(R"(reply from [0-9.]+ \[([0-9A-Fa-f:]+)\])");
  for (auto it = std::sregex_iterator(output.begin(), output.end(), reply); it != std::sregex_iterator();
       ++it) {
    std::string mac = (*it)[1];
    for (auto& c : mac) c = static_cast<char>(std::tolower(c));
    macs.insert(mac);
  }
  return macs;
}

// Node with eth0 (10.88.0.1/24) and eth1 (10.89.0.1/24) on one bridge with a client (10.88.0.2):
// the seed's situation, where the kernel answers ARP for an address on lo from both links.
class LocalDeliveryLab : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!is_root()) GTEST_SKIP() << "network-namespace tests need root (run ./scripts/test.sh as root)";
    const std::string prefix = unique_name("vld");
    sw_ = std::make_unique<Switch>(prefix);
    node_ = std::make_unique<Netns>(prefix + "node");
    client_ = std::make_unique<Netns>(prefix + "cli");
    sw_->plug(*node_, "eth0", kEth0Mac);
    sw_->plug(*node_, "eth1", kEth1Mac);
    sw_->plug(*client_, "eth0");
    node_->must("ip addr add 10.88.0.1/24 dev eth0");
    node_->must("ip addr add fd88::1/64 dev eth0 nodad");
    node_->must("ip addr add 10.89.0.1/24 dev eth1");
    // One command per call: wrap() prefixes only the first command of a shell list.
    node_->must("ip link set eth0 up");
    node_->must("ip link set eth1 up");
    client_->must("ip addr add 10.88.0.2/24 dev eth0");
    client_->must("ip addr add fd88::2/64 dev eth0 nodad");
    client_->must("ip link set eth0 up");
    // Routed VIPs (outside every link's subnet) reach the node through the client's routes.
    client_->must("ip route add 10.99.0.0/24 via 10.88.0.1");
    client_->must("ip -6 route add fd99::/64 via fd88::1");
    // A non-default original, so that "restored" is distinguishable from "reset to 0".
    node_->must("sysctl -qw net.ipv4.conf.all.arp_announce=1");
    dir_ = "/tmp/" + prefix;
    must("mkdir -p " + dir_ + "/state " + dir_ + "/www");
    std::ofstream(dir_ + "/www/marker.txt") << "served-by-vip\n";
  }

  void TearDown() override {
    server_.reset();
    if (!dir_.empty()) run("rm -rf " + dir_);
  }

  std::string lo_addresses() const { return node_->must("ip -o addr show dev lo"); }
  std::string sysctl(const std::string& name) const {
    auto v = node_->must("sysctl -n " + name);
    while (!v.empty() && v.back() == '\n') v.pop_back();
    return v;
  }
  std::string state_dir() const { return dir_ + "/state"; }
  std::string record_path() const { return state_dir() + "/local-delivery.json"; }

  void serve(const std::string& vip, int port) {
    server_ = std::make_unique<Process>(
        node_.get(),
        std::vector<std::string>{"python3", "-m", "http.server", std::to_string(port), "--bind", vip,
                                 "--directory", dir_ + "/www"},
        dir_ + "/http.log");
  }
  CommandResult curl(const std::string& url) const { return client_->run("curl -sS -g --max-time 2 " + url); }

  std::unique_ptr<Switch> sw_;
  std::unique_ptr<Netns> node_;
  std::unique_ptr<Netns> client_;
  std::unique_ptr<Process> server_;
  std::string dir_;
};

TEST_F(LocalDeliveryLab, CurlReachesAServerBoundToTheVipAndStopCleansUp) {
  ASSERT_EQ(sysctl("net.ipv4.conf.all.arp_ignore"), "0");
  const int port = 18000 + static_cast<int>(::getpid() % 1000);
  {
    EnterNetns inside(*node_);
    LocalDelivery ld({true, "lo"}, state_dir());
    const auto started = ld.start();
    ASSERT_TRUE(started.ok()) << started.error();
    const auto applied = ld.apply({ip("10.99.0.100"), ip("fd99::100")});
    ASSERT_TRUE(applied.ok()) << applied.error();

    EXPECT_THAT(lo_addresses(), HasSubstr("inet 10.99.0.100/32"));
    EXPECT_THAT(lo_addresses(), HasSubstr("inet6 fd99::100/128"));
    EXPECT_THAT(lo_addresses(), Not(HasSubstr("tentative")));  // nodad: usable at once
    EXPECT_EQ(sysctl("net.ipv4.conf.all.arp_ignore"), "1");
    EXPECT_EQ(sysctl("net.ipv4.conf.all.arp_announce"), "2");
    std::ifstream record(record_path());
    std::string text((std::istreambuf_iterator<char>(record)), std::istreambuf_iterator<char>());
    EXPECT_THAT(text, HasSubstr("\"10.99.0.100\""));
    EXPECT_THAT(text, HasSubstr("\"net/ipv4/conf/all/arp_announce\": \"1\""));

    // A server bound to the VIP can only bind because the address is local now.
    serve("10.99.0.100", port);
    const std::string url = "http://10.99.0.100:" + std::to_string(port) + "/marker.txt";
    ASSERT_TRUE(wait_until([&] { return curl(url).output == "served-by-vip\n"; }, 10s))
        << curl(url).output << server_->log();
    server_ = nullptr;
    serve("fd99::100", port);
    const std::string url6 = "http://[fd99::100]:" + std::to_string(port) + "/marker.txt";
    ASSERT_TRUE(wait_until([&] { return curl(url6).output == "served-by-vip\n"; }, 10s))
        << curl(url6).output << server_->log();
    server_ = nullptr;

    // Released: gone from lo, the other stays.
    ASSERT_TRUE(ld.apply({ip("fd99::100")}).ok());
    EXPECT_THAT(lo_addresses(), Not(HasSubstr("10.99.0.100")));
    EXPECT_THAT(lo_addresses(), HasSubstr("fd99::100/128"));
    EXPECT_NE(curl("http://10.99.0.100:" + std::to_string(port) + "/").exit_code, 0);

    ld.stop();
    EXPECT_THAT(lo_addresses(), Not(HasSubstr("fd99::100")));
  }
  EXPECT_EQ(sysctl("net.ipv4.conf.all.arp_ignore"), "0");
  EXPECT_EQ(sysctl("net.ipv4.conf.all.arp_announce"), "1");
  EXPECT_NE(::access(record_path().c_str(), F_OK), 0) << "nothing outstanding, no record file";
}

TEST_F(LocalDeliveryLab, KernelStopsAnsweringArpForTheVipOnEveryLink) {
  // Without local delivery's sysctls an address on lo is answered by the kernel from both links on
  // the bridge: two MACs (the bug vipd exists to fix).
  node_->must("ip addr add 10.88.0.100/32 dev lo");
  const auto before = arping_reply_macs(client_->run("arping -b -c 2 -w 2 -I eth0 10.88.0.100").output);
  EXPECT_EQ(before, (std::set<std::string>{kEth0Mac, kEth1Mac}));
  node_->must("ip addr del 10.88.0.100/32 dev lo");

  EnterNetns inside(*node_);
  LocalDelivery ld({true, "lo"}, state_dir());
  ASSERT_TRUE(ld.start());
  ASSERT_TRUE(ld.apply({ip("10.88.0.100"), ip("fd88::100")}).ok());
  // The kernel is silent now; vipd's responder is the one MAC that answers (lead's end-to-end test).
  const auto arp = client_->run("arping -b -c 2 -w 2 -I eth0 10.88.0.100");
  EXPECT_TRUE(arping_reply_macs(arp.output).empty()) << arp.output;
  // IPv6: Linux answers a Neighbour Solicitation only for addresses on the receiving link.
  const auto nd = client_->run("ndisc6 -1 -r 2 -w 500 fd88::100 eth0");
  EXPECT_THAT(nd.output, Not(HasSubstr("Target link-layer address"))) << nd.output;
  // The node's own addresses still resolve: arp_ignore=1 only hides addresses of other links.
  EXPECT_EQ(arping_reply_macs(client_->run("arping -c 1 -w 2 -I eth0 10.88.0.1").output),
            (std::set<std::string>{kEth0Mac}));
  ld.stop();
}

TEST_F(LocalDeliveryLab, StaleAddressesFromAPreviousRunAreRemovedOnStart) {
  // A previous run added .7 and .8 and died with its sysctls in force; .9 is the operator's own.
  node_->must("ip addr add 10.99.0.7/32 dev lo");
  node_->must("ip addr add 10.99.0.8/32 dev lo");
  node_->must("ip addr add fd99::7/128 dev lo nodad");
  node_->must("ip addr add 10.99.0.9/32 dev lo");
  node_->must("sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2");
  std::ofstream(record_path()) << R"({"version": 1, "link": "lo",
      "addresses": ["10.99.0.7", "10.99.0.8", "fd99::7"],
      "sysctls": {"net/ipv4/conf/all/arp_ignore": "0", "net/ipv4/conf/all/arp_announce": "1"}})";

  EnterNetns inside(*node_);
  LocalDelivery ld({true, "lo"}, state_dir());
  ASSERT_TRUE(ld.start());
  EXPECT_THAT(lo_addresses(), Not(HasSubstr("10.99.0.7/32")));
  EXPECT_THAT(lo_addresses(), Not(HasSubstr("10.99.0.8/32")));
  EXPECT_THAT(lo_addresses(), Not(HasSubstr("fd99::7/128")));
  EXPECT_THAT(lo_addresses(), HasSubstr("10.99.0.9/32"));

  // Owning the operator's address leaves it theirs: not recorded, not removed on stop.
  ASSERT_TRUE(ld.apply({ip("10.99.0.8"), ip("10.99.0.9")}).ok());
  EXPECT_EQ(ld.added(), std::vector<net::IpAddress>{ip("10.99.0.8")});
  ld.stop();
  EXPECT_THAT(lo_addresses(), Not(HasSubstr("10.99.0.8/32")));
  EXPECT_THAT(lo_addresses(), HasSubstr("10.99.0.9/32"));
  // The originals from the file, not the values the crashed run left.
  EXPECT_EQ(sysctl("net.ipv4.conf.all.arp_ignore"), "0");
  EXPECT_EQ(sysctl("net.ipv4.conf.all.arp_announce"), "1");
}

TEST_F(LocalDeliveryLab, ReloadMovingToAnotherLinkMovesTheAddresses) {
  // This kernel has no dummy devices; an empty bridge holds addresses just as well.
  if (node_->run("ip link add vip0 type dummy").exit_code != 0) node_->must("ip link add vip0 type bridge");
  node_->must("ip link set vip0 up");
  EnterNetns inside(*node_);
  LocalDelivery ld({true, "lo"}, state_dir());
  ASSERT_TRUE(ld.start());
  ASSERT_TRUE(ld.apply({ip("10.99.0.100")}).ok());
  const auto moved = ld.reconfigure({true, "vip0"}, {ip("10.99.0.100")});
  ASSERT_TRUE(moved.ok()) << moved.error();
  EXPECT_THAT(lo_addresses(), Not(HasSubstr("10.99.0.100")));
  EXPECT_THAT(node_->must("ip -o addr show dev vip0"), HasSubstr("inet 10.99.0.100/32"));
  ASSERT_TRUE(ld.reconfigure({false, "vip0"}, {ip("10.99.0.100")}).ok());
  EXPECT_THAT(node_->must("ip -o addr show dev vip0"), Not(HasSubstr("10.99.0.100")));
  EXPECT_EQ(sysctl("net.ipv4.conf.all.arp_ignore"), "0");
  EXPECT_EQ(sysctl("net.ipv4.conf.all.arp_announce"), "1");
}

}  // namespace
}  // namespace vipd::testlab
