// l2::PacketIo against a real link: a veth pair between a node namespace (where the capture
// handle is opened) and a peer namespace where real tools (arping, ping, ndisc6, tcpdump) run.
// The test drives the io_context itself (run_for in small steps) so everything stays on one thread.

#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "integration/lab.hpp"
#include "vipd/l2/packet_io.hpp"

namespace vipd::l2 {
namespace {

using namespace std::chrono_literals;
using testlab::EnterNetns;
using testlab::Netns;
using testlab::Process;

constexpr netlink::MacAddress kNodeMac{0x02, 0x77, 0x00, 0x00, 0x10, 0x00};
constexpr netlink::MacAddress kPeerMac{0x02, 0x77, 0x00, 0x00, 0x00, 0x02};
// Solicited-node group of fd77::100 (ff02::1:ff00:100): the node's kernel owns no address with
// those low 24 bits, so it is only in this group if the PacketIo joins it.
constexpr netlink::MacAddress kGroup{0x33, 0x33, 0xff, 0x00, 0x01, 0x00};

// A captured frame, copied out of pcap's buffer for later checks.
struct Frame {
  int ifindex = 0;
  std::vector<std::uint8_t> bytes;

  std::uint16_t u16(std::size_t at) const {
    return at + 1 < bytes.size() ? static_cast<std::uint16_t>(bytes[at] << 8 | bytes[at + 1]) : 0;
  }
  std::uint16_t ethertype() const { return u16(12); }
  bool src_is(const netlink::MacAddress& mac) const {
    return bytes.size() >= 12 && std::equal(mac.begin(), mac.end(), bytes.begin() + 6);
  }
  bool dst_is(const netlink::MacAddress& mac) const {
    return bytes.size() >= 6 && std::equal(mac.begin(), mac.end(), bytes.begin());
  }
  bool is_arp() const { return ethertype() == 0x0806 && bytes.size() >= 42; }
  std::uint16_t arp_op() const { return u16(20); }
  std::array<std::uint8_t, 4> arp_target_ip() const { return {bytes[38], bytes[39], bytes[40], bytes[41]}; }
  // ICMPv6 type when this is IPv6 + ICMPv6 without extension headers, else -1.
  int icmp6_type() const {
    if (ethertype() != 0x86dd || bytes.size() < 55 || bytes[20] != 58) return -1;
    return bytes[54];
  }
  std::array<std::uint8_t, 16> ns_target() const {
    std::array<std::uint8_t, 16> t{};
    if (bytes.size() >= 78) std::copy(bytes.begin() + 62, bytes.begin() + 78, t.begin());
    return t;
  }
};

class PacketIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testlab::is_root()) GTEST_SKIP() << "needs root (network namespaces)";
    node_.emplace(testlab::unique_name("pion"));
    peer_.emplace(testlab::unique_name("piop"));
    testlab::must("ip link add n0 netns " + node_->name() + " type veth peer name c0 netns " + peer_->name());
    node_->must("ip link set n0 address 02:77:00:00:10:00");
    peer_->must("ip link set c0 address 02:77:00:00:00:02");
    node_->must("ip addr add 10.77.0.10/24 dev n0");
    node_->must("ip addr add fd77::10/64 dev n0 nodad");
    peer_->must("ip addr add 10.77.0.2/24 dev c0");
    peer_->must("ip addr add fd77::2/64 dev c0 nodad");
    node_->must("ip link set n0 up");
    peer_->must("ip link set c0 up");
    // IPv6 on a link that just came up has no link-local address and no multicast route for a few
    // milliseconds: an NS sent then fails with "Network is unreachable".
    for (const auto& [ns, link] : {std::pair{&*node_, "n0"}, std::pair{&*peer_, "c0"}}) {
      ASSERT_TRUE(testlab::wait_until(
          [&] {
            return ns->run(std::string("ip -6 route show table local dev ") + link)
                       .output.find("multicast ff00::/8") != std::string::npos;
          },
          2s))
          << link << " never got its IPv6 multicast route";
    }
  }

  // Opens a PacketIo on the node's n0; frames are copied into frames_.
  std::unique_ptr<PacketIo> open_node(PacketIo::FrameHandler handler = {}) {
    EnterNetns inside(*node_);
    ifindex_ = static_cast<int>(if_nametoindex("n0"));
    if (!handler)
      handler = [this](int ifindex, std::span<const std::uint8_t> frame) {
        frames_.push_back(Frame{ifindex, {frame.begin(), frame.end()}});
      };
    auto io = PacketIo::open(io_, ifindex_, "n0", std::move(handler));
    EXPECT_TRUE(io.ok()) << (io.ok() ? "" : io.error());
    return io.ok() ? std::move(io).value() : nullptr;
  }

  // Runs the loop in 10 ms steps until `done` holds or `timeout` passes.
  template <class Done>
  bool run_until(Done done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(10ms);
    }
    return done();
  }
  void run_for(std::chrono::milliseconds d) {
    run_until([] { return false; }, d);
  }
  // Runs the handlers that are ready now (e.g. a cancelled wait's completion), without waiting.
  void run_ready() {
    io_.restart();
    io_.poll();
  }

  // Sends a frame from the peer's c0 through a packet socket inside the peer namespace.
  bool send_from_peer(const std::vector<std::uint8_t>& frame) {
    EnterNetns inside(*peer_);
    const int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_ll addr{};
    addr.sll_family = AF_PACKET;
    addr.sll_ifindex = static_cast<int>(if_nametoindex("c0"));
    addr.sll_halen = 6;
    const auto sent =
        ::sendto(fd, frame.data(), frame.size(), 0, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    ::close(fd);
    return sent == static_cast<ssize_t>(frame.size());
  }
  // A marker from the peer (ARP: who has 10.77.0.<tag>, an address nobody holds) and the loop run
  // until the handler has it. Frames reach the handle in the order they crossed the link, so every
  // frame sent before the marker has been handled by then: checks that a frame did NOT arrive
  // rest on this, not on a guessed wait.
  ::testing::AssertionResult sync(std::uint8_t tag) {
    const std::vector<std::uint8_t> marker = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // destination: broadcast
        0x02, 0x77, 0x00, 0x00, 0x00, 0x02,  // source: peer c0
        0x08, 0x06,                          // ethertype ARP
        0x00, 0x01, 0x08, 0x00, 6,    4,     // Ethernet, IPv4, hlen 6, plen 4
        0x00, 0x01,                          // op: request
        0x02, 0x77, 0x00, 0x00, 0x00, 0x02,  // sender MAC
        10,   77,   0,    2,                 // sender IP
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // target MAC: unknown
        10,   77,   0,    tag,               // target IP
    };
    if (!send_from_peer(marker)) return ::testing::AssertionFailure() << "cannot send the marker";
    if (run_until(
            [&] {
              return std::any_of(frames_.begin(), frames_.end(),
                                 [&](const Frame& f) { return is_marker(f, tag); });
            },
            3s))
      return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "marker 10.77.0." << int{tag} << " never reached the handler";
  }
  static bool is_marker(const Frame& f, std::uint8_t tag) {
    return f.is_arp() && f.arp_op() == 1 && f.src_is(kPeerMac) &&
           f.arp_target_ip() == std::array<std::uint8_t, 4>{10, 77, 0, tag};
  }

  std::string log_path(const std::string& what) const {
    return "/tmp/" + node_->name() + "-" + what + ".log";
  }

  std::size_t count(bool (*pred)(const Frame&)) const {
    return static_cast<std::size_t>(std::count_if(frames_.begin(), frames_.end(), pred));
  }

  boost::asio::io_context io_;
  std::optional<Netns> node_;
  std::optional<Netns> peer_;
  int ifindex_ = 0;
  std::vector<Frame> frames_;
};

TEST_F(PacketIoTest, ArpRequestFromPeerReachesHandlerAndOwnRepliesDoNot) {
  auto io = open_node();
  ASSERT_NE(io, nullptr);
  EXPECT_EQ(io->ifindex(), ifindex_);
  EXPECT_EQ(io->name(), "n0");

  // The node's kernel owns 10.77.0.10 and answers: the request must arrive, the kernel's reply
  // (outgoing on n0) must not (inbound direction only).
  Process arping(&*peer_, {"arping", "-c", "1", "-w", "1", "-I", "c0", "10.77.0.10"}, log_path("arping"));
  const auto is_request = [](const Frame& f) {
    return f.is_arp() && f.arp_op() == 1 && f.src_is(kPeerMac) &&
           f.arp_target_ip() == std::array<std::uint8_t, 4>{10, 77, 0, 10};
  };
  ASSERT_TRUE(run_until([&] { return std::any_of(frames_.begin(), frames_.end(), is_request); }, 3s));
  EXPECT_EQ(arping.stop(15, 3s), 0) << "the kernel answered, arping should succeed: " << arping.log();
  // The kernel's reply left n0 before arping got it, so before the marker.
  ASSERT_TRUE(sync(250));

  for (const auto& f : frames_) {
    EXPECT_EQ(f.ifindex, ifindex_);
    EXPECT_FALSE(f.src_is(kNodeMac)) << "saw one of the node's own frames";
  }
  const auto st = io->stats();
  EXPECT_EQ(st.received, frames_.size());
  EXPECT_EQ(st.kernel_drops, 0u);
  EXPECT_TRUE(io->reading());
}

TEST_F(PacketIoTest, SentFrameIsSeenOnPeer) {
  auto io = open_node();
  ASSERT_NE(io, nullptr);
  Process tcpdump(&*peer_,
                  {"timeout", "5", "tcpdump", "-l", "-nn", "-e", "-c", "1", "-i", "c0",
                   "arp and ether src 02:77:00:00:10:00"},
                  log_path("tcpdump"));
  ASSERT_TRUE(
      testlab::wait_until([&] { return tcpdump.log().find("listening on") != std::string::npos; }, 3s))
      << tcpdump.log();

  // ARP request: who has 10.77.0.123, tell 10.77.0.10 (from the node's MAC).
  const std::vector<std::uint8_t> frame = {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // destination: broadcast
      0x02, 0x77, 0x00, 0x00, 0x10, 0x00,  // source: node n0
      0x08, 0x06,                          // ethertype ARP
      0x00, 0x01, 0x08, 0x00, 6,    4,     // Ethernet, IPv4, hlen 6, plen 4
      0x00, 0x01,                          // op: request
      0x02, 0x77, 0x00, 0x00, 0x10, 0x00,  // sender MAC
      10,   77,   0,    10,                // sender IP
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // target MAC: unknown
      10,   77,   0,    123,               // target IP
  };
  auto sent = io->send(frame);
  ASSERT_TRUE(sent.ok()) << sent.error();
  EXPECT_TRUE(testlab::wait_until([&] { return !tcpdump.running(); }, 3s));
  const std::string out = tcpdump.log();
  EXPECT_NE(out.find("02:77:00:00:10:00 > ff:ff:ff:ff:ff:ff"), std::string::npos) << out;
  EXPECT_NE(out.find("who-has 10.77.0.123 tell 10.77.0.10"), std::string::npos) << out;
  EXPECT_EQ(io->stats().sent, 1u);
  EXPECT_EQ(io->stats().send_errors, 0u);

  // Our own send never comes back to us: it left before the marker arrived.
  ASSERT_TRUE(sync(250));
  for (const auto& f : frames_) EXPECT_FALSE(f.src_is(kNodeMac));
}

// Frames sent from inside the handler are queued and leave together (one sendmmsg) once the
// handler has seen the whole pcap_dispatch batch, in the order they were sent.
TEST_F(PacketIoTest, RepliesFromTheHandlerLeaveAfterTheBatchInOrder) {
  std::unique_ptr<PacketIo> io;
  std::uint8_t next = 120;
  int queued_in_handler = 0;
  io = open_node([&](int, std::span<const std::uint8_t> bytes) {
    const Frame f{0, {bytes.begin(), bytes.end()}};
    if (!f.is_arp() || f.arp_op() != 1 || !f.src_is(kPeerMac) || next >= 123) return;
    // Who has 10.77.0.<next>, tell 10.77.0.10 (from the node's MAC).
    const std::vector<std::uint8_t> frame = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x77, 0x00, 0x00, 0x10, 0x00, 0x08, 0x06,
        0x00, 0x01, 0x08, 0x00, 6,    4,    0x00, 0x01, 0x02, 0x77, 0x00, 0x00, 0x10, 0x00,
        10,   77,   0,    10,   0,    0,    0,    0,    0,    0,    10,   77,   0,    next++};
    const auto before = io->stats().sent;
    ASSERT_TRUE(io->send(frame).ok());
    if (io->stats().sent == before) ++queued_in_handler;
  });
  ASSERT_NE(io, nullptr);
  Process tcpdump(&*peer_,
                  {"timeout", "8", "tcpdump", "-l", "-nn", "-e", "-c", "3", "-i", "c0",
                   "arp and ether src 02:77:00:00:10:00 and arp[6:2] = 1"},
                  log_path("tcpdump"));
  ASSERT_TRUE(
      testlab::wait_until([&] { return tcpdump.log().find("listening on") != std::string::npos; }, 3s))
      << tcpdump.log();
  // Three requests (1 s apart) wait in the ring while the loop is not running: one batch.
  peer_->run("arping -b -c 3 -w 3 -I c0 10.77.0.10");
  ASSERT_TRUE(run_until([&] { return next == 123; }, 3s)) << "handler saw " << int(next - 120) << " requests";
  EXPECT_EQ(queued_in_handler, 3) << "sends from the handler went out at once";
  EXPECT_TRUE(testlab::wait_until([&] { return !tcpdump.running(); }, 5s)) << tcpdump.log();
  const std::string out = tcpdump.log();
  const auto a = out.find("who-has 10.77.0.120 "), b = out.find("who-has 10.77.0.121 "),
             c = out.find("who-has 10.77.0.122 ");
  ASSERT_NE(a, std::string::npos) << out;
  ASSERT_NE(b, std::string::npos) << out;
  ASSERT_NE(c, std::string::npos) << out;
  EXPECT_LT(a, b) << out;
  EXPECT_LT(b, c) << out;
  EXPECT_EQ(io->stats().sent, 3u);
  EXPECT_EQ(io->stats().send_errors, 0u);
}

TEST_F(PacketIoTest, FilterPassesOnlyArpAndNeighbourDiscovery) {
  auto io = open_node();
  ASSERT_NE(io, nullptr);
  // IPv4 and IPv6 echo requests (answered by the node's kernel) plus the ARP / NS that resolve them.
  peer_->must("ping -c 3 -i 0.2 -W 1 10.77.0.10 >/dev/null");
  peer_->must("ping -6 -c 3 -i 0.2 -W 1 fd77::10 >/dev/null");
  ASSERT_TRUE(sync(250));  // every echo request crossed the link before the marker

  const auto is_ipv4 = [](const Frame& f) { return f.ethertype() == 0x0800; };
  const auto is_echo6 = [](const Frame& f) { return f.icmp6_type() == 128; };
  const auto is_arp = [](const Frame& f) {
    return f.is_arp() && f.arp_target_ip() == std::array<std::uint8_t, 4>{10, 77, 0, 10};
  };
  const auto is_ns = [](const Frame& f) {
    return f.icmp6_type() == 135 &&
           f.ns_target() ==
               std::array<std::uint8_t, 16>{0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
  };
  EXPECT_EQ(count(is_ipv4), 0u) << "IPv4 reached the handler";
  EXPECT_EQ(count(is_echo6), 0u) << "ICMPv6 echo reached the handler";
  EXPECT_GE(count(is_arp), 1u) << "the ARP resolving 10.77.0.10 should have passed";
  EXPECT_GE(count(is_ns), 1u) << "the NS resolving fd77::10 should have passed";
  for (const auto& f : frames_) EXPECT_TRUE(f.is_arp() || f.icmp6_type() == 135 || f.icmp6_type() == 136);
}

// Link-layer membership of the group as the kernel reports it for n0.
bool node_in_group(const Netns& node) {
  return node.run("ip maddr show dev n0").output.find("link  33:33:ff:00:01:00") != std::string::npos;
}

TEST_F(PacketIoTest, MulticastMembershipIsRefCountedAndDeliversNs) {
  auto io = open_node();
  ASSERT_NE(io, nullptr);
  // A veth delivers every frame to packet sockets whatever its multicast list holds, so the proof
  // of membership is the device's link-layer list; the NS arriving shows the path works end to end.
  ASSERT_FALSE(node_in_group(*node_)) << node_->run("ip maddr show dev n0").output;

  ASSERT_TRUE(io->join_multicast(kGroup).ok());
  ASSERT_TRUE(io->join_multicast(kGroup).ok());  // a second VIP with the same low 24 bits
  EXPECT_EQ(io->multicast_refs(kGroup), 2);
  EXPECT_TRUE(node_in_group(*node_)) << node_->run("ip maddr show dev n0").output;

  // ndisc6 solicits fd77::100 at its solicited-node group; nobody answers (exit 2), that is fine.
  const auto ndisc = peer_->run("ndisc6 -n -r 1 -w 300 fd77::100 c0");
  const std::array<std::uint8_t, 16> target = {0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00};
  EXPECT_TRUE(run_until(
      [&] {
        return std::any_of(frames_.begin(), frames_.end(), [&](const Frame& f) {
          return f.icmp6_type() == 135 && f.dst_is(kGroup) && f.ns_target() == target;
        });
      },
      2s))
      << ndisc.output << " frames: " << frames_.size();

  ASSERT_TRUE(io->leave_multicast(kGroup).ok());
  EXPECT_EQ(io->multicast_refs(kGroup), 1);
  EXPECT_TRUE(node_in_group(*node_)) << "left after the first of two leaves";
  ASSERT_TRUE(io->leave_multicast(kGroup).ok());
  EXPECT_EQ(io->multicast_refs(kGroup), 0);
  EXPECT_FALSE(node_in_group(*node_)) << node_->run("ip maddr show dev n0").output;

  EXPECT_FALSE(io->leave_multicast(kGroup).ok()) << "leaving a group not joined is an error";
  EXPECT_FALSE(io->join_multicast(kNodeMac).ok()) << "a unicast MAC is not a group";
}

// The device's all-multicast count (`ip -d link`: IFLA_ALLMULTI, Linux >= 6.5); the IFF_ALLMULTI flag
// only shows what user space set with `ip link set allmulticast`.
bool node_allmulti(const Netns& node) {
  const auto out = node.run("ip -d link show dev n0").output;
  const auto at = out.find(" allmulti ");
  return at != std::string::npos && out.compare(at, 12, " allmulti 0 ") != 0;
}

// Past allmulti_threshold groups one all-multicast membership replaces the per-group ones (the
// kernel's per-socket list is linear: 50,000 joins took ~20 s); at half of it, back to per group.
TEST_F(PacketIoTest, ManyGroupsSwitchToAllMulticastAndBack) {
  if (node_->run("ip -d link show dev n0").output.find(" allmulti ") == std::string::npos)
    GTEST_SKIP() << "the device's all-multicast count is not reported (Linux < 6.5 or old iproute2)";
  std::unique_ptr<PacketIo> io;
  {
    EnterNetns inside(*node_);
    ifindex_ = static_cast<int>(if_nametoindex("n0"));
    PacketIo::Options options;
    options.allmulti_threshold = 4;
    auto opened = PacketIo::open(
        io_, ifindex_, "n0",
        [this](int ifindex, std::span<const std::uint8_t> frame) {
          frames_.push_back(Frame{ifindex, {frame.begin(), frame.end()}});
        },
        options);
    ASSERT_TRUE(opened.ok()) << opened.error();
    io = std::move(opened).value();
  }
  auto group = [](std::uint8_t low) { return netlink::MacAddress{0x33, 0x33, 0xff, 0x00, 0x02, low}; };
  ASSERT_TRUE(io->join_multicast(kGroup).ok());
  for (std::uint8_t i = 0; i < 3; ++i) ASSERT_TRUE(io->join_multicast(group(i)).ok());
  EXPECT_FALSE(io->all_multicast());
  EXPECT_FALSE(node_allmulti(*node_));
  EXPECT_TRUE(node_in_group(*node_)) << node_->run("ip maddr show dev n0").output;

  ASSERT_TRUE(io->join_multicast(group(3)).ok());  // the fifth group: over the threshold
  EXPECT_TRUE(io->all_multicast());
  EXPECT_TRUE(node_allmulti(*node_)) << node_->run("ip -d link show dev n0").output;
  EXPECT_FALSE(node_in_group(*node_))
      << "per-group membership kept: " << node_->run("ip maddr show dev n0").output;
  EXPECT_EQ(io->multicast_refs(kGroup), 1);
  ASSERT_TRUE(io->join_multicast(kGroup).ok());  // counted, not joined
  EXPECT_EQ(io->multicast_refs(kGroup), 2);

  // An NS to a counted group still arrives.
  const auto ndisc = peer_->run("ndisc6 -n -r 1 -w 300 fd77::100 c0");
  EXPECT_TRUE(run_until(
      [&] {
        return std::any_of(frames_.begin(), frames_.end(),
                           [&](const Frame& f) { return f.icmp6_type() == 135 && f.dst_is(kGroup); });
      },
      2s))
      << ndisc.output << " frames: " << frames_.size();

  // Down to 3 groups: still all-multicast (hysteresis); down to 2 (half of 4): per group again.
  ASSERT_TRUE(io->leave_multicast(group(3)).ok());
  ASSERT_TRUE(io->leave_multicast(group(2)).ok());
  EXPECT_TRUE(io->all_multicast());
  ASSERT_TRUE(io->leave_multicast(group(1)).ok());
  EXPECT_FALSE(io->all_multicast());
  EXPECT_FALSE(node_allmulti(*node_)) << node_->run("ip -d link show dev n0").output;
  EXPECT_TRUE(node_in_group(*node_)) << node_->run("ip maddr show dev n0").output;
  EXPECT_EQ(io->multicast_refs(kGroup), 2);

  // Closing in all-multicast mode releases it too.
  for (std::uint8_t i = 1; i < 4; ++i) ASSERT_TRUE(io->join_multicast(group(i)).ok());
  EXPECT_TRUE(io->all_multicast());
  io.reset();
  EXPECT_FALSE(node_allmulti(*node_)) << "all-multicast outlived the handle";
  run_ready();  // the cancelled wait completes without touching the closed handle
}

TEST_F(PacketIoTest, ClosingReleasesMembershipAndHandle) {
  auto io = open_node();
  ASSERT_NE(io, nullptr);
  ASSERT_TRUE(io->join_multicast(kGroup).ok());
  EXPECT_TRUE(node_in_group(*node_));
  io.reset();
  EXPECT_FALSE(node_in_group(*node_)) << "membership outlived the handle";
  run_ready();  // the cancelled wait completes without touching the closed handle
}

TEST_F(PacketIoTest, HandlerMayCloseTheHandle) {
  std::unique_ptr<PacketIo> io;
  int calls = 0;
  io = open_node([&](int, std::span<const std::uint8_t>) {
    ++calls;
    io.reset();  // e.g. the daemon deselects the link while handling a frame
  });
  ASSERT_NE(io, nullptr);
  // Several frames waiting in one batch: three NS 100 ms apart, sent while the loop is not running.
  peer_->run("ndisc6 -n -r 3 -w 100 fd77::200 c0");
  ASSERT_TRUE(run_until([&] { return calls > 0; }, 2s));
  // Proving that the handler is NOT called again needs the loop to run a while: the handle is gone,
  // so no marker can pass through it.
  run_for(100ms);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(io, nullptr);
}

TEST_F(PacketIoTest, OpenFailsWithTheInterfaceNamed) {
  EnterNetns inside(*node_);
  auto missing = PacketIo::open(io_, 4242, "nosuch0", [](int, std::span<const std::uint8_t>) {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("nosuch0"), std::string::npos) << missing.error();

  const int real = static_cast<int>(if_nametoindex("n0"));
  auto mismatch = PacketIo::open(io_, real + 100, "n0", [](int, std::span<const std::uint8_t>) {});
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.error().find("n0"), std::string::npos) << mismatch.error();
}

}  // namespace
}  // namespace vipd::l2
