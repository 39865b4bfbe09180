// The L2 plane against a fake LinkIoFactory and a FakeClock: no root, no sockets, no sleeping.
#include "vipd/daemon/l2_plane.hpp"

#include <gtest/gtest.h>
#include <linux/if.h>

#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "support/allocation_counter.hpp"
#include "vipd/common/fake_clock.hpp"
#include "vipd/l2/codec.hpp"

namespace vipd::daemon {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

net::IpAddress ip(const char* text) {
  return *net::IpAddress::parse(text);
}

netlink::MacAddress mac_of(int ifindex) {
  return {0x02, 0, 0, 0, 0, static_cast<std::uint8_t>(ifindex)};
}
const netlink::MacAddress peer_mac = {0x02, 0x99, 0, 0, 0, 0x01};

netlink::Link make_link(int ifindex, const std::string& name, std::vector<std::string> addresses) {
  netlink::Link l;
  l.ifindex = ifindex;
  l.name = name;
  l.kind = "veth";
  l.flags = IFF_UP | IFF_BROADCAST | IFF_MULTICAST | IFF_RUNNING | IFF_LOWER_UP;
  l.operstate = 6;  // IF_OPER_UP
  l.has_mac = true;
  l.mac = mac_of(ifindex);
  for (const auto& a : addresses) l.addresses.push_back({*net::Prefix::parse(a), 0});
  return l;
}

// Records every open, close, send, join and leave in one ordered log; can fail the next opens and
// stop a handle's reads as PacketIo does (on_read_stopped, later, from the loop).
class FakeLinks final : public l2::LinkIoFactory {
 public:
  struct Sent {
    int ifindex = 0;
    Bytes frame;
  };
  std::vector<std::string> events;
  std::vector<Sent> sent;
  int fail_next_opens = 0;
  int opens = 0;
  bool record_frames = true;  // false: sends are only counted (no allocation in the fake)
  std::function<void(const std::string&)> on_event;  // runs before the event takes effect

  class Handle final : public l2::LinkIo {
   public:
    Handle(FakeLinks& links, int ifindex, std::string name, l2::FrameHandler on_frame,
           std::function<void()> on_read_stopped)
        : links_(links),
          ifindex_(ifindex),
          name_(std::move(name)),
          on_frame_(std::move(on_frame)),
          on_read_stopped_(std::move(on_read_stopped)) {}
    ~Handle() override {
      links_.record("close " + name_);
      links_.open_.erase(ifindex_);
    }
    Result<void, std::string> send(std::span<const std::uint8_t> frame) override {
      ++stats_.sent;
      if (links_.record_frames) links_.sent.push_back({ifindex_, Bytes(frame.begin(), frame.end())});
      return {};
    }
    Result<void, std::string> join_multicast(const netlink::MacAddress& group) override {
      links_.record("join " + name_ + " " + netlink::to_string(group));
      return {};
    }
    Result<void, std::string> leave_multicast(const netlink::MacAddress& group) override {
      links_.record("leave " + name_ + " " + netlink::to_string(group));
      return {};
    }
    bool reading() const override { return reading_; }
    l2::LinkStats stats() const override { return stats_; }
    const std::string& name() const override { return name_; }
    int ifindex() const override { return ifindex_; }

    FakeLinks& links_;
    int ifindex_;
    std::string name_;
    l2::FrameHandler on_frame_;
    std::function<void()> on_read_stopped_;
    bool reading_ = true;
    l2::LinkStats stats_;
  };

  Result<std::unique_ptr<l2::LinkIo>, std::string> open(int ifindex, const std::string& name,
                                                        l2::FrameHandler on_frame,
                                                        std::function<void()> on_read_stopped) override {
    ++opens;
    if (fail_next_opens > 0) {
      --fail_next_opens;
      record("open failed " + name);
      return unexpected(name + ": no such device (fake)");
    }
    record("open " + name);
    auto handle =
        std::make_unique<Handle>(*this, ifindex, name, std::move(on_frame), std::move(on_read_stopped));
    open_[ifindex] = handle.get();
    return std::unique_ptr<l2::LinkIo>(std::move(handle));
  }

  bool is_open(int ifindex) const { return open_.count(ifindex) > 0; }
  // A frame received on the link (what PacketIo's reads hand over).
  void deliver(int ifindex, const Bytes& frame) {
    auto& h = *open_.at(ifindex);
    ++h.stats_.received;
    h.on_frame_(ifindex, frame);
  }
  // Reads failed for good: PacketIo stops reading and posts on_read_stopped.
  void stop_reading(int ifindex) {
    auto& h = *open_.at(ifindex);
    h.reading_ = false;
    auto callback = std::move(h.on_read_stopped_);
    callback();
  }
  std::size_t count_events(const std::string& prefix) const {
    return static_cast<std::size_t>(
        std::count_if(events.begin(), events.end(), [&](const auto& e) { return e.rfind(prefix, 0) == 0; }));
  }
  std::ptrdiff_t index_of(const std::string& event) const {
    const auto it = std::find(events.begin(), events.end(), event);
    return it == events.end() ? -1 : it - events.begin();
  }

 private:
  void record(std::string event) {
    if (on_event) on_event(event);
    events.push_back(std::move(event));
  }
  std::map<int, Handle*> open_;
};

// What a sent frame is: a gratuitous announcement of `vip`, or a reply answering for `vip`.
struct Classified {
  bool gratuitous = false;
  bool reply = false;
  net::IpAddress vip;
};
Classified classify(const Bytes& frame) {
  Classified c;
  const auto parsed = l2::parse_frame(frame);
  if (!parsed) return c;
  if (parsed->kind == l2::FrameKind::arp) {
    c.vip = l2::to_ip(parsed->arp.sender_ip);
    c.gratuitous = parsed->arp.sender_ip == parsed->arp.target_ip;
    c.reply = !c.gratuitous && parsed->arp.op == l2::ArpOp::reply;
  } else if (parsed->kind == l2::FrameKind::neighbor_advertisement) {
    c.vip = l2::to_ip(parsed->nd.target);
    c.gratuitous = !parsed->nd.solicited;
    c.reply = parsed->nd.solicited;
  }
  return c;
}

Bytes arp_request(const net::IpAddress& vip, const char* sender_ip) {
  l2::ArpPacket arp;
  arp.op = l2::ArpOp::request;
  arp.sender_mac = peer_mac;
  arp.sender_ip = l2::to_v4_bytes(ip(sender_ip));
  arp.target_ip = l2::to_v4_bytes(vip);
  Bytes frame(64);
  frame.resize(l2::write_arp_frame(frame, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, peer_mac, arp));
  return frame;
}

Bytes neighbor_solicitation(const net::IpAddress& vip, const char* source) {
  l2::NdPacket ns;
  ns.type = l2::icmpv6_neighbor_solicitation;
  ns.source = l2::to_v6_bytes(ip(source));
  ns.destination = l2::solicited_node_address(l2::to_v6_bytes(vip));
  ns.target = l2::to_v6_bytes(vip);
  ns.has_source_lla = true;
  ns.source_lla = peer_mac;
  Bytes frame(128);
  frame.resize(l2::write_nd_frame(frame, l2::ipv6_multicast_mac(ns.destination), peer_mac, ns));
  return frame;
}

class L2PlaneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto snapshot = std::make_shared<netlink::LinkSnapshot>();
    snapshot->links = {make_link(2, "eth0", {"10.77.0.10/24", "fd77::10/64"}),
                       make_link(3, "eth1", {"10.77.0.11/24"}), make_link(4, "eth2", {"10.78.0.10/24"})};
    links_ = snapshot;
    gratuitous_.count = 3;
    gratuitous_.interval = 1s;
    gratuitous_.refresh = 0s;
  }

  void apply(std::vector<l2::Binding> bindings, std::vector<int> standby = {}, const char* cause = "test") {
    DesiredL2 desired;
    desired.bindings = std::move(bindings);
    std::sort(desired.bindings.begin(), desired.bindings.end(), [](const auto& a, const auto& b) {
      return std::tie(a.ifindex, a.vip) < std::tie(b.ifindex, b.vip);
    });
    desired.standby_links = std::move(standby);
    plane_.apply(desired, links_, gratuitous_, cause);
  }
  bool answered(int ifindex, const net::IpAddress& vip) const {
    return plane_.responder().find(ifindex, vip) >= 0;
  }

  // Gratuitous frames sent since `from` (an index into links_io_.sent) for `vip`.
  std::size_t gratuitous_frames(std::size_t from, const net::IpAddress& vip) const {
    std::size_t n = 0;
    for (auto i = from; i < io_.sent.size(); ++i) {
      const auto c = classify(io_.sent[i].frame);
      n += c.gratuitous && c.vip == vip ? 1 : 0;
    }
    return n;
  }
  std::size_t replies(std::size_t from, const net::IpAddress& vip) const {
    std::size_t n = 0;
    for (auto i = from; i < io_.sent.size(); ++i) {
      const auto c = classify(io_.sent[i].frame);
      n += c.reply && c.vip == vip ? 1 : 0;
    }
    return n;
  }

  FakeLinks io_;
  FakeClock clock_;
  L2Plane plane_{io_, clock_};
  netlink::SnapshotPtr links_;
  config::Gratuitous gratuitous_;
  const net::IpAddress vip4_ = ip("10.77.0.100");
  const net::IpAddress vip6_ = ip("fd77::100");
};

TEST_F(L2PlaneTest, MoveOpensTheNewHandleBeforeClosingTheOldAndTheVipIsNeverUnanswered) {
  apply({{2, vip4_}});
  ASSERT_TRUE(answered(2, vip4_));
  io_.events.clear();
  std::size_t checks = 0;
  io_.on_event = [&](const std::string&) {
    ++checks;
    EXPECT_TRUE(answered(2, vip4_) || answered(3, vip4_)) << "unanswered at event " << io_.events.size();
  };
  apply({{3, vip4_}});
  io_.on_event = nullptr;

  const auto opened = io_.index_of("open eth1");
  const auto closed = io_.index_of("close eth0");
  ASSERT_GE(opened, 0);
  ASSERT_GE(closed, 0);
  EXPECT_LT(opened, closed);
  EXPECT_EQ(checks, 2u);
  EXPECT_FALSE(answered(2, vip4_));
  EXPECT_TRUE(answered(3, vip4_));
  EXPECT_TRUE(io_.is_open(3));
  EXPECT_FALSE(io_.is_open(2));
}

TEST_F(L2PlaneTest, SolicitedNodeMembershipsFollowTheIpv6Vips) {
  const auto group = netlink::to_string(l2::solicited_node_mac(l2::to_v6_bytes(vip6_)));
  apply({{2, vip4_}});
  EXPECT_EQ(io_.count_events("join"), 0u) << "an IPv4 VIP joins nothing";

  apply({{2, vip4_}, {2, vip6_}});
  EXPECT_EQ(io_.events.back(), "join eth0 " + group);
  EXPECT_EQ(io_.count_events("join"), 1u);
  EXPECT_EQ(plane_.memberships().size(), 1u);

  apply({{2, vip4_}});
  EXPECT_EQ(io_.events.back(), "leave eth0 " + group);
  EXPECT_EQ(io_.count_events("leave"), 1u);
  EXPECT_TRUE(plane_.memberships().empty());
  EXPECT_TRUE(io_.is_open(2));
}

TEST_F(L2PlaneTest, FailedOpenIsRetriedWithBackoffAndTheVipIsThenAnswered) {
  io_.fail_next_opens = 2;
  apply({{2, vip4_}});
  EXPECT_FALSE(io_.is_open(2));
  EXPECT_FALSE(answered(2, vip4_)) << "no handle, no binding in the responder";
  EXPECT_EQ(io_.opens, 1);

  clock_.advance(99ms);
  EXPECT_EQ(io_.opens, 1);
  clock_.advance(1ms);  // first retry at 100 ms: fails again
  EXPECT_EQ(io_.opens, 2);
  clock_.advance(199ms);  // the backoff doubled
  EXPECT_EQ(io_.opens, 2);
  clock_.advance(1ms);
  EXPECT_EQ(io_.opens, 3);
  ASSERT_TRUE(io_.is_open(2));
  EXPECT_TRUE(answered(2, vip4_));
  EXPECT_EQ(gratuitous_frames(0, vip4_), 2u) << "announced once open (ARP request + reply)";

  const auto before = io_.sent.size();
  io_.deliver(2, arp_request(vip4_, "10.77.0.1"));
  EXPECT_EQ(replies(before, vip4_), 1u);
  const auto parsed = l2::parse_frame(io_.sent.back().frame);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->ethernet.destination, peer_mac);
  EXPECT_EQ(parsed->arp.sender_mac, mac_of(2));

  clock_.advance(10s);
  EXPECT_EQ(io_.opens, 3) << "no retry once open";
}

TEST_F(L2PlaneTest, ReplyPathAllocatesNothing) {
  apply({{2, vip4_}, {2, vip6_}});
  const auto arp = arp_request(vip4_, "10.77.0.1");
  const auto ns = neighbor_solicitation(vip6_, "fd77::1");
  io_.deliver(2, arp);  // warm up
  io_.record_frames = false;
  const auto before = vipd::test::allocation_count();
  for (int i = 0; i < 100; ++i) {
    io_.deliver(2, arp);
    io_.deliver(2, ns);
  }
  const auto allocated = vipd::test::allocation_count() - before;
  io_.record_frames = true;
  EXPECT_EQ(allocated, 0u);
  const auto index = plane_.responder().find(2, vip4_);
  EXPECT_EQ(plane_.responder().counters(static_cast<std::size_t>(index)).replies, 101u);
  EXPECT_EQ(plane_.responder().counters(static_cast<std::size_t>(plane_.responder().find(2, vip6_))).replies,
            100u);
}

TEST_F(L2PlaneTest, RetryStopsWhenTheLinkIsNoLongerNeeded) {
  io_.fail_next_opens = 1;
  apply({{2, vip4_}});
  EXPECT_EQ(clock_.pending_timers(), 1u);
  apply({});
  EXPECT_EQ(clock_.pending_timers(), 0u);
  clock_.advance(10s);
  EXPECT_EQ(io_.opens, 1);
}

TEST_F(L2PlaneTest, HandleThatStopsReadingIsReopenedWithItsMembershipsAndVips) {
  apply({{2, vip4_}, {2, vip6_}});
  const auto group = netlink::to_string(l2::solicited_node_mac(l2::to_v6_bytes(vip6_)));
  clock_.advance(5s);  // the takeover announcements are over
  io_.events.clear();

  io_.fail_next_opens = 1;
  io_.stop_reading(2);
  EXPECT_EQ(io_.events.front(), "close eth0");
  EXPECT_FALSE(io_.is_open(2));
  EXPECT_FALSE(answered(2, vip4_));
  EXPECT_TRUE(plane_.memberships().empty());

  clock_.advance(100ms);  // first reopen fails: backoff doubles
  EXPECT_EQ(io_.events.back(), "open failed eth0");
  const auto sent_before = io_.sent.size();
  clock_.advance(199ms);
  EXPECT_FALSE(io_.is_open(2));
  clock_.advance(1ms);
  ASSERT_TRUE(io_.is_open(2));
  EXPECT_EQ(io_.events.back(), "join eth0 " + group) << "membership restored on the new handle";
  EXPECT_EQ(plane_.memberships().size(), 1u);
  EXPECT_TRUE(answered(2, vip4_));
  EXPECT_TRUE(answered(2, vip6_));
  EXPECT_EQ(gratuitous_frames(sent_before, vip4_), 2u);
  EXPECT_EQ(gratuitous_frames(sent_before, vip6_), 1u);

  const auto before = io_.sent.size();
  io_.deliver(2, neighbor_solicitation(vip6_, "fd77::1"));
  io_.deliver(2, arp_request(vip4_, "10.77.0.1"));
  EXPECT_EQ(replies(before, vip6_), 1u);
  EXPECT_EQ(replies(before, vip4_), 1u);
}

TEST_F(L2PlaneTest, BackupKeepsStandbyHandlesOpenAndTakeoverOpensNothing) {
  apply({}, {2, 3});
  EXPECT_TRUE(io_.is_open(2));
  EXPECT_TRUE(io_.is_open(3));
  EXPECT_TRUE(plane_.bindings().empty());
  EXPECT_TRUE(plane_.responder().bindings().empty());
  EXPECT_TRUE(io_.sent.empty());
  const auto opens = io_.opens;

  apply({{2, vip4_}, {3, vip4_}}, {2, 3}, "failover: master");
  EXPECT_EQ(io_.opens, opens) << "takeover only swaps the responder's table";
  EXPECT_EQ(io_.count_events("close"), 0u);
  EXPECT_TRUE(answered(2, vip4_));
  EXPECT_TRUE(answered(3, vip4_));
  EXPECT_EQ(gratuitous_frames(0, vip4_), 4u);

  apply({}, {2, 3}, "failover: released");
  EXPECT_TRUE(plane_.responder().bindings().empty());
  EXPECT_EQ(io_.count_events("close"), 0u);
}

TEST_F(L2PlaneTest, AnnouncementsAreCountBurstsOneIntervalApart) {
  apply({{2, vip4_}});
  EXPECT_EQ(gratuitous_frames(0, vip4_), 2u);  // t=0: ARP request + reply
  clock_.advance(999ms);
  EXPECT_EQ(gratuitous_frames(0, vip4_), 2u);
  clock_.advance(1ms);  // t=interval
  EXPECT_EQ(gratuitous_frames(0, vip4_), 4u);
  clock_.advance(1s);  // t=2*interval, the third and last burst
  EXPECT_EQ(gratuitous_frames(0, vip4_), 6u);
  EXPECT_EQ(plane_.announcement_waves(), 0u);
  EXPECT_EQ(clock_.pending_timers(), 0u);
  clock_.advance(10s);
  EXPECT_EQ(gratuitous_frames(0, vip4_), 6u);
  const auto index = plane_.responder().find(2, vip4_);
  EXPECT_EQ(plane_.responder().counters(static_cast<std::size_t>(index)).gratuitous, 6u);
}

TEST_F(L2PlaneTest, ThousandBindingsAddedInOneApplyUseOneTimer) {
  std::vector<l2::Binding> bindings;
  for (std::uint32_t i = 0; i < 1000; ++i) bindings.push_back({2, net::IpAddress::v4(0x0a4d1000u + i)});
  apply(bindings);
  EXPECT_EQ(plane_.bindings().size(), 1000u);
  EXPECT_EQ(io_.sent.size(), 2000u);
  EXPECT_EQ(clock_.pending_timers(), 1u);
  EXPECT_EQ(plane_.announcement_waves(), 1u);
  clock_.advance(1s);
  EXPECT_EQ(io_.sent.size(), 4000u);
  EXPECT_EQ(clock_.pending_timers(), 1u);
}

TEST_F(L2PlaneTest, RemovedBindingStopsBeingAnnounced) {
  const auto other = ip("10.77.0.101");
  apply({{2, vip4_}, {2, other}});
  apply({{2, other}});
  const auto from = io_.sent.size();
  clock_.advance(5s);
  EXPECT_EQ(gratuitous_frames(from, vip4_), 0u);
  EXPECT_EQ(gratuitous_frames(from, other), 4u);
}

TEST_F(L2PlaneTest, BindingAnnouncedAgainLeavesItsOlderWave) {
  const auto other = ip("10.77.0.101");
  apply({{2, vip4_}, {2, other}});  // wave 1 at t=0, 1 s, 2 s
  clock_.advance(500ms);
  plane_.reannounce({vip4_});  // wave 2 at t=0.5 s, 1.5 s, 2.5 s: vip4_ only
  EXPECT_EQ(plane_.announcement_waves(), 2u);
  EXPECT_EQ(gratuitous_frames(0, vip4_), 4u);

  auto from = io_.sent.size();
  clock_.advance(500ms);  // t=1 s: wave 1 sends `other` only
  EXPECT_EQ(gratuitous_frames(from, vip4_), 0u);
  EXPECT_EQ(gratuitous_frames(from, other), 2u);
  from = io_.sent.size();
  clock_.advance(500ms);  // t=1.5 s: wave 2
  EXPECT_EQ(gratuitous_frames(from, vip4_), 2u);
  EXPECT_EQ(gratuitous_frames(from, other), 0u);
  clock_.advance(5s);
  EXPECT_EQ(gratuitous_frames(0, vip4_), 8u);  // 1 burst of wave 1 + 3 of wave 2
  EXPECT_EQ(gratuitous_frames(0, other), 6u);

  // Removed and added again: a new wave, the whole burst count again.
  apply({{2, other}});
  apply({{2, other}, {2, vip4_}});
  clock_.advance(5s);
  EXPECT_EQ(gratuitous_frames(0, vip4_), 14u);
  EXPECT_EQ(plane_.announcement_waves(), 0u);
}

TEST_F(L2PlaneTest, RefreshReannouncesEveryBindingWithOneTimer) {
  gratuitous_.count = 1;
  gratuitous_.refresh = 30s;
  const auto other = ip("10.77.0.101");
  apply({{2, vip4_}, {3, other}});
  EXPECT_EQ(clock_.pending_timers(), 1u) << "the refresh timer only";
  const auto from = io_.sent.size();
  clock_.advance(29s);
  EXPECT_EQ(io_.sent.size(), from);
  clock_.advance(1s);
  EXPECT_EQ(gratuitous_frames(from, vip4_), 2u);
  EXPECT_EQ(gratuitous_frames(from, other), 2u);
  clock_.advance(30s);
  EXPECT_EQ(gratuitous_frames(from, vip4_), 4u);
  EXPECT_EQ(clock_.pending_timers(), 1u);

  gratuitous_.refresh = 0s;
  apply({{2, vip4_}, {3, other}});
  EXPECT_EQ(clock_.pending_timers(), 0u);
}

TEST_F(L2PlaneTest, ConflictIsRecordedPerVip) {
  apply({{2, vip4_}});
  clock_.advance(5s);
  // A gratuitous ARP from another MAC claiming our VIP.
  l2::ArpPacket arp;
  arp.op = l2::ArpOp::reply;
  arp.sender_mac = peer_mac;
  arp.sender_ip = l2::to_v4_bytes(vip4_);
  arp.target_ip = l2::to_v4_bytes(vip4_);
  Bytes frame(64);
  frame.resize(l2::write_arp_frame(frame, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, peer_mac, arp));
  io_.deliver(2, frame);
  const auto& conflicts = plane_.last_conflicts();
  ASSERT_EQ(conflicts.count(vip4_), 1u);
  EXPECT_EQ(conflicts.at(vip4_).mac, peer_mac);
  EXPECT_EQ(conflicts.at(vip4_).ifindex, 2);
  EXPECT_EQ(conflicts.at(vip4_).at, clock_.now());
}

TEST_F(L2PlaneTest, ReleaseAllLeavesGroupsEmptiesTheTableAndClosesHandles) {
  apply({{2, vip4_}, {2, vip6_}, {3, vip4_}});
  plane_.release_all();
  EXPECT_EQ(io_.count_events("leave eth0"), 1u);
  EXPECT_EQ(io_.count_events("close"), 2u);
  EXPECT_TRUE(plane_.bindings().empty());
  EXPECT_TRUE(plane_.responder().bindings().empty());
  EXPECT_EQ(plane_.handle_count(), 0u);
  EXPECT_EQ(clock_.pending_timers(), 0u) << "announcements stopped";
}

TEST_F(L2PlaneTest, StatusAccessors) {
  apply({{2, vip4_}, {2, vip6_}, {3, vip4_}});
  EXPECT_EQ(plane_.vip_count(), 2u);
  const auto by_vip = plane_.links_by_vip();
  EXPECT_EQ(by_vip.at(vip4_), (std::vector<int>{2, 3}));
  const auto links = plane_.link_status();
  ASSERT_EQ(links.size(), 2u);
  EXPECT_EQ(links[0].name, "eth0");
  EXPECT_EQ(links[0].vips, 2u);
  EXPECT_EQ(links[0].multicast_groups, 1u);
  EXPECT_EQ(links[0].stats.sent, 3u);  // ARP request + reply, one NA
  EXPECT_EQ(links[1].vips, 1u);
  EXPECT_EQ(links[1].multicast_groups, 0u);
}

}  // namespace
}  // namespace vipd::daemon
