// The layer-2 responder against real tools: vipd runs in a node namespace whose links share one
// bridge with a client (the seed's situation: several node links on one L2 domain), and iputils
// arping, ndisc6, tcpdump and ip neigh in other namespaces observe what answers.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <regex>
#include <set>

#include "integration/l2_lab.hpp"
#include "vipd/l2/codec.hpp"

namespace vipd::testlab {
namespace {

using namespace std::chrono_literals;

TEST_F(L2Lab, SeedSituationOnlyTheSubnetLinkAnswersArp) {
  start_vipd(kBaseConfig, 2);
  // tcpdump on the client sees every ARP reply on the wire, whichever MAC sends it.
  Process capture(client_.get(), {"tcpdump", "-l", "-nn", "-e", "-i", "eth0", "arp[6:2] = 2"},
                  dir_ + "/cap.txt");
  ASSERT_TRUE(wait_until([&] { return capture.log().find("listening on") != std::string::npos; }, 3s,
                         "tcpdump to listen"))
      << capture.log();
  const auto r = arping("10.77.0.100");
  // The capture holds the three replies arping got before it stops (SIGINT flushes the rest).
  const auto replies_seen = [&] {
    const auto wire = capture.log();
    const std::string from_eth0 = std::string(kEth0Mac) + " > ";
    int n = 0;
    for (auto at = wire.find(from_eth0); at != std::string::npos; at = wire.find(from_eth0, at + 1)) ++n;
    return n;
  };
  EXPECT_TRUE(wait_until([&] { return replies_seen() >= 3; }, 3s, "three replies from eth0 in the capture"))
      << capture.log();
  capture.stop(SIGINT);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const auto macs = arping_reply_macs(r.output);
  EXPECT_EQ(macs.size(), 3u) << r.output;  // exactly one reply per probe
  EXPECT_EQ(macs.count(kEth0Mac), macs.size()) << r.output;
  const auto wire = capture.log();
  EXPECT_NE(wire.find(kEth0Mac), std::string::npos) << wire;
  EXPECT_EQ(wire.find(kEth1Mac), std::string::npos) << wire;
  EXPECT_EQ(wire.find(kEth2Mac), std::string::npos) << wire;
}

TEST_F(L2Lab, SeedSituationOnlyTheSubnetLinkAnswersNdp) {
  start_vipd(kBaseConfig, 2);
  const auto r = client_->run("ndisc6 -m -n -r 1 -w 1000 fd77::100 eth0");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const auto macs = ndisc_target_macs(r.output);
  ASSERT_EQ(macs.size(), 1u) << r.output;
  EXPECT_EQ(*macs.begin(), kEth0Mac);
}

TEST_F(L2Lab, AllowlistWithoutSubnetSelectsOnlyThatLink) {
  start_vipd(std::string(kBaseConfig) + "interfaces: {allow: [eth1], require-subnet: false}\n", 2);
  const auto r = arping("10.77.0.100");
  const auto macs = arping_reply_macs(r.output);
  EXPECT_EQ(macs.size(), 3u) << r.output;
  EXPECT_EQ(macs.count(kEth1Mac), macs.size()) << r.output;
}

TEST_F(L2Lab, ClientLearnsTheVipFromTheGratuitousBurstWithoutAsking) {
  // A second client that never sends ARP for the VIP; arp_accept=1 lets gratuitous ARP create entries.
  auto watcher = std::make_unique<Netns>(node_->name() + "w");
  sw_->plug(*watcher, "eth0", "02:77:00:00:00:03");
  watcher->must("sysctl -qw net.ipv4.conf.all.arp_accept=1 net.ipv4.conf.eth0.arp_accept=1");
  watcher->must("ip addr add 10.77.0.3/24 dev eth0");
  watcher->must("ip link set eth0 up");
  start_vipd(kBaseConfig, 2);
  EXPECT_TRUE(wait_until(
      [&] {
        return watcher->run("ip neigh show 10.77.0.100 dev eth0").output.find(kEth0Mac) != std::string::npos;
      },
      2s))
      << watcher->run("ip neigh show").output;
}

TEST_F(L2Lab, NothingIsAnsweredForNonVipsOrBgpPools) {
  start_vipd(kBaseConfig, 2);
  const auto unassigned = arping("10.77.0.150", 2);  // inside the pool but no service
  EXPECT_NE(unassigned.exit_code, 0) << unassigned.output;
  EXPECT_TRUE(arping_reply_macs(unassigned.output).empty()) << unassigned.output;
  const auto bgp = arping("10.77.0.201", 2);  // a service of a bgp pool
  EXPECT_NE(bgp.exit_code, 0) << bgp.output;
  EXPECT_TRUE(arping_reply_macs(bgp.output).empty()) << bgp.output;
}

TEST_F(L2Lab, FollowsLinkStateAndAddresses) {
  start_vipd(kBaseConfig, 2);
  ASSERT_EQ(arping_reply_macs(arping("10.77.0.100", 1).output).size(), 1u);

  // Address removed (require-subnet): the binding goes, replies stop.
  node_->must("ip addr del 10.77.0.10/24 dev eth0");
  ASSERT_TRUE(wait_until([&] { return vip_links("10.77.0.100").empty(); }, 2s, "eth0 to be unbound"))
      << vip("10.77.0.100").dump();
  auto r = arping("10.77.0.100", 2);
  EXPECT_TRUE(arping_reply_macs(r.output).empty()) << r.output;

  // Restored: answered again, with a new gratuitous burst (a new binding's counters start at 0).
  node_->must("ip addr add 10.77.0.10/24 dev eth0");
  ASSERT_TRUE(wait_until(
      [&] {
        const auto v = vip("10.77.0.100");
        return v.is_object() && v["links"] == nlohmann::json::array({"eth0"}) &&
               v["gratuitous"].is_number() && v["gratuitous"].get<long long>() > 0;
      },
      2s, "eth0 bound again and announced"))
      << vip("10.77.0.100").dump();
  r = arping("10.77.0.100", 1);
  EXPECT_EQ(arping_reply_macs(r.output).count(kEth0Mac), 1u) << r.output;

  // Link down: no replies from it.
  node_->must("ip link set eth0 down");
  ASSERT_TRUE(wait_until([&] { return vip_links("10.77.0.100").empty(); }, 2s, "eth0 to be unbound"))
      << vip("10.77.0.100").dump();
  r = arping("10.77.0.100", 2);
  EXPECT_TRUE(arping_reply_macs(r.output).empty()) << r.output;
  node_->must("ip link set eth0 up");
  EXPECT_TRUE(wait_until([&] { return arping_reply_macs(arping("10.77.0.100", 1).output).size() == 1; }, 3s));
}

TEST_F(L2Lab, AnotherHostClaimingTheVipIsAConflict) {
  start_vipd(kBaseConfig, 2);
  auto intruder = std::make_unique<Netns>(node_->name() + "x");
  sw_->plug(*intruder, "eth0", "02:77:00:00:99:99");
  intruder->must("ip addr add 10.77.0.100/24 dev eth0");
  intruder->must("ip link set eth0 up");
  intruder->run("arping -U -c 2 -w 2 -I eth0 -s 10.77.0.100 10.77.0.100");
  EXPECT_TRUE(wait_until([&] { return vip_counter("10.77.0.100", "conflicts") > 0; }, 2s,
                         "a conflict counted for 10.77.0.100"))
      << vip("10.77.0.100").dump();
  const auto v = vip("10.77.0.100");
  ASSERT_TRUE(v.is_object() && v["last_conflict"].is_object()) << v.dump();
  EXPECT_EQ(v["last_conflict"].value("mac", ""), "02:77:00:00:99:99") << v.dump();
  EXPECT_EQ(v["last_conflict"].value("interface", ""), "eth0") << v.dump();
}

// More IPv6 VIPs on a link than PacketIo's per-group limit (64): the handle receives all multicast
// instead of joining 100 solicited-node groups; a VIP is still answered, a non-VIP is not.
TEST_F(L2Lab, ManyIpv6VipsOnALinkAreAnsweredThroughAllMulticast) {
  std::string config =
      "address-pools:\n  - {name: lab, protocol: layer2, addresses: [\"fd77::100-fd77::1ff\"]}\nservices:\n";
  for (int i = 0; i < 100; ++i) {
    char line[96];
    std::snprintf(line, sizeof line, "  - {name: v6-%d, pool: lab, address: \"fd77::%x\"}\n", i, 0x100 + i);
    config += line;
  }
  config += "gratuitous: {count: 1, interval: 200ms}\n";
  start_vipd(config, 100, 1);

  const auto vip = client_->run("ndisc6 -m -n -r 2 -w 1000 fd77::150 eth0");
  EXPECT_EQ(vip.exit_code, 0) << vip.output;
  const auto macs = ndisc_target_macs(vip.output);
  ASSERT_EQ(macs.size(), 1u) << vip.output;
  EXPECT_EQ(*macs.begin(), kEth0Mac);

  const auto other = client_->run("ndisc6 -m -n -r 2 -w 300 fd77::1f0 eth0");  // in the pool, no service
  EXPECT_NE(other.exit_code, 0) << other.output;
  EXPECT_TRUE(ndisc_target_macs(other.output).empty()) << other.output;

  // The kernel's view of the link: all-multicast on (IFLA_ALLMULTI, shown by Linux >= 6.5).
  const auto link = node_->run("ip -d link show dev eth0").output;
  if (link.find(" allmulti ") == std::string::npos)
    GTEST_SKIP() << "the device's all-multicast count is not reported (Linux < 6.5 or old iproute2)";
  EXPECT_EQ(link.find(" allmulti 0 "), std::string::npos) << link;
}

// Unicast NS (a NUD probe) straight to the node's MAC and the VIP: answered (MetalLB #2920).
TEST_F(L2Lab, UnicastNudProbeIsAnswered) {
  start_vipd(kBaseConfig, 2);
  EnterNetns in_client(*client_);
  const int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
  ASSERT_GE(fd, 0);
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_ALL);
  addr.sll_ifindex = static_cast<int>(if_nametoindex("eth0"));
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);

  const netlink::MacAddress client_mac{0x02, 0x77, 0, 0, 0, 0x02};
  const netlink::MacAddress node_mac{0x02, 0x77, 0, 0, 0x10, 0x00};
  const auto vip = *net::IpAddress::parse("fd77::100");
  l2::NdPacket ns;
  ns.type = l2::icmpv6_neighbor_solicitation;
  ns.source = l2::to_v6_bytes(*net::IpAddress::parse("fd77::2"));
  ns.destination = l2::to_v6_bytes(vip);  // unicast to the VIP itself, as a NUD probe is
  ns.target = l2::to_v6_bytes(vip);
  ns.has_source_lla = true;
  ns.source_lla = client_mac;
  std::array<std::uint8_t, l2::max_frame_size> frame{};
  const auto size = l2::write_nd_frame(frame, node_mac, client_mac, ns);
  ASSERT_GT(size, 0u);
  ASSERT_EQ(send(fd, frame.data(), size, 0), static_cast<ssize_t>(size));

  bool answered = false;
  const auto deadline = std::chrono::steady_clock::now() + 1s;
  std::array<std::uint8_t, 2048> buf{};
  while (!answered && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    const auto n = recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) continue;
    auto parsed = l2::parse_frame(std::span<const std::uint8_t>(buf.data(), static_cast<std::size_t>(n)));
    if (!parsed) continue;
    if (parsed->kind == l2::FrameKind::neighbor_advertisement && parsed->nd.target == l2::to_v6_bytes(vip) &&
        parsed->ethernet.source == node_mac && parsed->nd.solicited)
      answered = true;
  }
  close(fd);
  EXPECT_TRUE(answered);
}

}  // namespace
}  // namespace vipd::testlab
