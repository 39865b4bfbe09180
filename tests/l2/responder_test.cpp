// Responder core: every rule of design §5 / issue 4 §3, each drop reason, counters across rebuilds.
// Link 1's MAC is the kernel's MAC in the captured frames, so our replies must equal the kernel's.

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "l2/golden_frames.hpp"
#include "support/allocation_counter.hpp"
#include "vipd/l2/responder.hpp"

namespace vipd::l2 {
namespace {

using golden::Bytes;

constexpr MacAddress peer_mac{0x02, 0x44, 0x00, 0x00, 0x00, 0x0a};   // the golden requester
constexpr MacAddress link1_mac{0x02, 0x44, 0x00, 0x00, 0x00, 0x0b};  // = the golden responder
constexpr MacAddress link2_mac{0x02, 0x44, 0x00, 0x00, 0x01, 0x0b};
constexpr MacAddress link3_mac{0x02, 0x44, 0x00, 0x00, 0x02, 0x0b};
constexpr MacAddress other_mac{0x02, 0x44, 0x00, 0x00, 0x00, 0x0c};  // another host

net::IpAddress ip(const char* text) {
  return net::IpAddress::parse(text).value();
}

Bytes arp_frame(ArpOp op, const MacAddress& src, const char* sender, const char* target,
                const MacAddress& eth_dst = broadcast_mac) {
  Bytes out(max_frame_size);
  out.resize(write_arp_frame(out, eth_dst, src,
                             {op, src, to_v4_bytes(ip(sender)), zero_mac, to_v4_bytes(ip(target))}));
  return out;
}

struct NsSpec {
  MacAddress src = peer_mac;
  const char* source = "fd44::a";
  const char* target = "fd44::b";
  const char* destination = nullptr;    // default: solicited-node group of the target
  const MacAddress* eth_dst = nullptr;  // default: the group MAC of the destination
  bool source_lla = true;
  std::uint8_t hop_limit = 255;
};

Bytes ns_frame(const NsSpec& s) {
  NdPacket ns;
  ns.type = icmpv6_neighbor_solicitation;
  ns.hop_limit = s.hop_limit;
  ns.source = to_v6_bytes(ip(s.source));
  ns.target = to_v6_bytes(ip(s.target));
  ns.destination = s.destination ? to_v6_bytes(ip(s.destination)) : solicited_node_address(ns.target);
  ns.has_source_lla = s.source_lla;
  ns.source_lla = s.src;
  const MacAddress dst = s.eth_dst ? *s.eth_dst : ipv6_multicast_mac(ns.destination);
  Bytes out(max_frame_size);
  out.resize(write_nd_frame(out, dst, s.src, ns));
  return out;
}

class ResponderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    r.set_links({{1, link1_mac}, {2, link2_mac}, {3, link3_mac}});
    r.set_bindings({{1, ip("10.44.0.11")}, {1, ip("fd44::b")}, {1, ip("10.44.0.12")}, {2, ip("10.44.0.12")}});
  }

  Outcome handle(int ifindex, const Bytes& frame) {
    reply.assign(max_frame_size, 0);
    Outcome o = r.handle(ifindex, frame, reply);
    reply.resize(o.reply_size);
    return o;
  }

  void expect_drop(int ifindex, const Bytes& frame, DropReason reason) {
    const std::uint64_t before = r.drops(ifindex, reason);
    const Outcome o = handle(ifindex, frame);
    EXPECT_EQ(o.action, Action::none) << to_string(reason);
    EXPECT_EQ(o.drop, reason) << "got " << to_string(o.drop) << ", want " << to_string(reason);
    EXPECT_EQ(o.reply_size, 0u);
    EXPECT_EQ(r.drops(ifindex, reason), before + 1) << to_string(reason);
  }

  Responder r;
  Bytes reply;
};

// ---- ARP --------------------------------------------------------------------------------------

TEST_F(ResponderTest, ArpRequestOnSelectedLinkIsAnsweredLikeTheKernel) {
  const Outcome o = handle(1, golden::arping_request);
  EXPECT_EQ(o.action, Action::reply);
  EXPECT_EQ(o.drop, DropReason::none);
  EXPECT_EQ(o.binding, 0);
  EXPECT_EQ(o.vip, ip("10.44.0.11"));
  EXPECT_EQ(o.peer_mac, peer_mac);
  EXPECT_EQ(reply, golden::kernel_arp_reply);
  EXPECT_EQ(r.counters(0), (BindingCounters{1, 1, 0, 0}));
}

TEST_F(ResponderTest, ReplyUsesTheIngressLinksMac) {
  const Outcome o = handle(2, arp_frame(ArpOp::request, peer_mac, "10.44.0.10", "10.44.0.12"));
  ASSERT_EQ(o.action, Action::reply);
  EXPECT_EQ(o.binding, 3);
  auto parsed = parse_frame(reply);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->ethernet.source, link2_mac);
  EXPECT_EQ(parsed->ethernet.destination, peer_mac);  // unicast to the requester
  EXPECT_EQ(parsed->arp.sender_mac, link2_mac);
  EXPECT_EQ(r.counters(3).replies, 1u);
  EXPECT_EQ(r.counters(2).replies, 0u);  // same VIP on link 1 untouched
}

TEST_F(ResponderTest, NotSelectedVersusNotOwned) {
  expect_drop(2, golden::arping_request, DropReason::not_selected);  // 10.44.0.11 is ours on link 1 only
  expect_drop(3, golden::arping_request, DropReason::not_selected);
  expect_drop(1, arp_frame(ArpOp::request, peer_mac, "10.44.0.10", "10.44.0.99"), DropReason::not_owned);
  expect_drop(3, ns_frame({}), DropReason::not_selected);
  expect_drop(1, ns_frame({.target = "fd44::99"}), DropReason::not_owned);
  EXPECT_EQ(r.counters(0).requests, 0u);
}

TEST_F(ResponderTest, UnknownLink) {
  const Outcome o = handle(42, golden::arping_request);
  EXPECT_EQ(o.drop, DropReason::unknown_link);
  EXPECT_EQ(r.drops(0, DropReason::unknown_link), 1u);
  EXPECT_EQ(r.drops(42, DropReason::unknown_link), 0u);
}

TEST_F(ResponderTest, MalformedAndForeignFrames) {
  expect_drop(1, Bytes{}, DropReason::malformed);
  expect_drop(1, Bytes(golden::arping_request.begin(), golden::arping_request.end() - 1),
              DropReason::malformed);
  Bytes bad_checksum = golden::kernel_ns;
  bad_checksum.back() ^= 1;
  expect_drop(1, bad_checksum, DropReason::malformed);
  expect_drop(1, ns_frame({.hop_limit = 254}), DropReason::malformed);
  // A requester "at" a group MAC: a unicast reply to it would flood the segment.
  expect_drop(1, arp_frame(ArpOp::request, {0x01, 0x00, 0x5e, 0, 0, 1}, "10.44.0.10", "10.44.0.11"),
              DropReason::malformed);
  // Fuzzer find: an NS "from" a multicast address would make us send a solicited NA to a group.
  expect_drop(1, ns_frame({.source = "ff02::1"}), DropReason::malformed);
  Bytes ipv4 = golden::arping_request;
  ipv4[13] = 0x00;  // ethertype 0x0800
  expect_drop(1, ipv4, DropReason::not_arp_or_nd);
  Bytes echo = golden::kernel_ns;
  echo[54] = 128;
  expect_drop(1, echo, DropReason::not_arp_or_nd);
  EXPECT_EQ(r.counters(0).requests, 0u);
}

TEST_F(ResponderTest, VlanTaggedFramesAreIgnored) {
  Bytes t(golden::arping_request.begin(), golden::arping_request.begin() + 12);
  t.insert(t.end(), {0x81, 0x00, 0x00, 0x64});
  t.insert(t.end(), golden::arping_request.begin() + 12, golden::arping_request.end());
  expect_drop(1, t, DropReason::vlan_tagged);
}

TEST_F(ResponderTest, OwnMacIsNeverAnswered) {
  // Our own link 2 asking (a gratuitous ARP of ours looping over a bridge, or the kernel resolving).
  expect_drop(1, arp_frame(ArpOp::request, link2_mac, "10.44.0.10", "10.44.0.11"), DropReason::own_mac);
  // Ethernet source foreign but the ARP sender MAC is ours.
  Bytes spoofed = golden::arping_request;
  std::copy(link3_mac.begin(), link3_mac.end(), spoofed.begin() + 22);
  expect_drop(1, spoofed, DropReason::own_mac);
  // Our own announcement seen on link 1 (gratuitous reply with link 1's MAC).
  expect_drop(1, golden::arping_unsolicited_reply, DropReason::own_mac);
  expect_drop(1, ns_frame({.src = link3_mac}), DropReason::own_mac);
  expect_drop(1, golden::kernel_na, DropReason::own_mac);  // NA from link 1's MAC
}

TEST_F(ResponderTest, ArpDestinationMustBeBroadcastOrOurMac) {
  expect_drop(1, arp_frame(ArpOp::request, peer_mac, "10.44.0.10", "10.44.0.11", other_mac),
              DropReason::wrong_destination);
  expect_drop(1, arp_frame(ArpOp::request, peer_mac, "10.44.0.10", "10.44.0.11", link2_mac),
              DropReason::wrong_destination);  // our other link's MAC is not this link's
  // Unicast refresh to our MAC (Linux re-validating its cache entry) is answered.
  EXPECT_EQ(handle(1, arp_frame(ArpOp::request, peer_mac, "10.44.0.10", "10.44.0.11", link1_mac)).action,
            Action::reply);
}

TEST_F(ResponderTest, ArpProbeIsAnsweredAndCountedAsConflict) {
  const Outcome o = handle(1, golden::arping_probe);
  EXPECT_EQ(o.action, Action::reply_and_conflict);
  EXPECT_EQ(o.drop, DropReason::none);
  EXPECT_EQ(o.peer_mac, peer_mac);
  EXPECT_EQ(reply, golden::kernel_probe_reply);
  EXPECT_EQ(r.counters(0), (BindingCounters{1, 1, 0, 1}));
}

TEST_F(ResponderTest, GratuitousArpFromAnotherMacIsAConflict) {
  const Outcome o = handle(1, golden::kernel_gratuitous_request);  // 02:44:00:00:00:0c claims .11
  EXPECT_EQ(o.action, Action::conflict);
  EXPECT_EQ(o.drop, DropReason::sender_is_vip);
  EXPECT_EQ(o.peer_mac, other_mac);
  EXPECT_EQ(o.vip, ip("10.44.0.11"));
  EXPECT_EQ(o.reply_size, 0u);
  EXPECT_EQ(r.counters(0), (BindingCounters{0, 0, 0, 1}));
  EXPECT_EQ(r.drops(1, DropReason::sender_is_vip), 1u);
  // A request for another address, sourced from our VIP, is the same claim.
  EXPECT_EQ(handle(1, arp_frame(ArpOp::request, other_mac, "10.44.0.12", "10.44.0.11")).action,
            Action::conflict);
  EXPECT_EQ(r.counters(2).conflicts, 1u);
  EXPECT_EQ(r.counters(0).requests, 0u);
}

TEST_F(ResponderTest, ArpReplyFromAnotherMacClaimingOurVipIsAConflict) {
  Bytes claim(max_frame_size);
  claim.resize(build_gratuitous_arp_reply(claim, other_mac, to_v4_bytes(ip("10.44.0.11"))));
  const Outcome o = handle(1, claim);
  EXPECT_EQ(o.action, Action::conflict);
  EXPECT_EQ(o.drop, DropReason::conflict);
  EXPECT_EQ(o.peer_mac, other_mac);
  EXPECT_EQ(r.counters(0).conflicts, 1u);
  // The same claim on a link where the VIP is not selected is no business of this link.
  expect_drop(3, claim, DropReason::not_request);
  // A reply about an address that is not ours.
  expect_drop(1, arp_frame(ArpOp::reply, other_mac, "10.44.0.50", "10.44.0.10"), DropReason::not_request);
}

TEST_F(ResponderTest, ReplyBufferTooSmall) {
  std::array<std::uint8_t, 10> tiny{};
  const Outcome o = r.handle(1, golden::arping_request, tiny);
  EXPECT_EQ(o.action, Action::none);
  EXPECT_EQ(o.drop, DropReason::reply_too_large);
  EXPECT_EQ(tiny, (std::array<std::uint8_t, 10>{}));
  EXPECT_EQ(r.counters(0).replies, 0u);
}

// ---- NDP --------------------------------------------------------------------------------------

TEST_F(ResponderTest, NsIsAnsweredLikeTheKernel) {
  Outcome o = handle(1, golden::kernel_ns);
  EXPECT_EQ(o.action, Action::reply);
  EXPECT_EQ(o.binding, 1);
  EXPECT_EQ(o.vip, ip("fd44::b"));
  EXPECT_EQ(reply, golden::kernel_na);
  o = handle(1, golden::ndisc6_ns);  // from a link-local source
  EXPECT_EQ(o.action, Action::reply);
  EXPECT_EQ(reply, golden::kernel_na_to_link_local);
  EXPECT_EQ(r.counters(1), (BindingCounters{2, 2, 0, 0}));
}

TEST_F(ResponderTest, NaGoesToTheSourceLlaOrElseTheFrameSource) {
  // Source LL option names a different MAC than the frame (a proxy, or a bridge rewriting): trust
  // the option, as RFC 4861 §7.2.3 does.
  NsSpec spec;
  spec.src = other_mac;
  Bytes f = ns_frame(spec);
  std::copy(peer_mac.begin(), peer_mac.end(), f.begin() + 6);  // frame source = peer, option = other
  ASSERT_EQ(handle(1, f).action, Action::reply);
  EXPECT_EQ(parse_frame(reply)->ethernet.destination, other_mac);
  ASSERT_EQ(handle(1, ns_frame({.source_lla = false})).action, Action::reply);
  EXPECT_EQ(parse_frame(reply)->ethernet.destination, peer_mac);
}

TEST_F(ResponderTest, UnicastNudNsIsAnswered) {
  const Outcome o = handle(1, ns_frame({.destination = "fd44::b", .eth_dst = &link1_mac}));
  ASSERT_EQ(o.action, Action::reply);
  auto na = parse_frame(reply);
  ASSERT_TRUE(na);
  EXPECT_TRUE(na->nd.solicited);
  EXPECT_TRUE(na->nd.override_flag);
  EXPECT_EQ(na->nd.destination, to_v6_bytes(ip("fd44::a")));
  EXPECT_EQ(na->nd.target_lla, link1_mac);
  EXPECT_EQ(na->ethernet.destination, peer_mac);
  // A NUD probe to the multicast group MAC, or to another MAC, is not for us.
  const MacAddress group = solicited_node_mac(to_v6_bytes(ip("fd44::b")));
  expect_drop(1, ns_frame({.destination = "fd44::b", .eth_dst = &group}), DropReason::wrong_destination);
  expect_drop(1, ns_frame({.destination = "fd44::b", .eth_dst = &other_mac}), DropReason::wrong_destination);
}

TEST_F(ResponderTest, NsDestinationRules) {
  // Solicited-node group address at our unicast MAC: accepted (what a host with a stale entry sends).
  EXPECT_EQ(handle(1, ns_frame({.eth_dst = &link1_mac})).action, Action::reply);
  expect_drop(1, ns_frame({.eth_dst = &other_mac}), DropReason::wrong_destination);
  expect_drop(1, ns_frame({.destination = "ff02::1"}), DropReason::wrong_destination);
  expect_drop(1, ns_frame({.destination = "fd44::c", .eth_dst = &link1_mac}), DropReason::wrong_destination);
  expect_drop(1, ns_frame({.destination = "ff02::1:ff00:c"}), DropReason::wrong_destination);  // other group
}

TEST_F(ResponderTest, DadNsIsAnsweredToAllNodesAndCountedAsConflict) {
  NdPacket dad;
  dad.type = icmpv6_neighbor_solicitation;
  dad.target = to_v6_bytes(ip("fd44::b"));
  dad.destination = solicited_node_address(dad.target);
  Bytes f(max_frame_size);
  f.resize(write_nd_frame(f, solicited_node_mac(dad.target), other_mac, dad));
  const Outcome o = handle(1, f);
  EXPECT_EQ(o.action, Action::reply_and_conflict);
  EXPECT_EQ(o.peer_mac, other_mac);
  Bytes expected(max_frame_size);
  expected.resize(build_all_nodes_na(expected, link1_mac, dad.target));
  EXPECT_EQ(reply, expected);
  auto na = parse_frame(reply);
  EXPECT_FALSE(na->nd.solicited);
  EXPECT_TRUE(na->nd.override_flag);
  EXPECT_EQ(r.counters(1), (BindingCounters{1, 1, 0, 1}));
  // The kernel's DAD for an address that is not ours (fd44::c) is not answered.
  Bytes kernel_dad = golden::kernel_dad_ns;
  std::copy(other_mac.begin(), other_mac.end(), kernel_dad.begin() + 6);
  expect_drop(1, kernel_dad, DropReason::not_owned);
}

TEST_F(ResponderTest, NaFromAnotherMacForOurVipIsAConflict) {
  const Outcome o = handle(1, golden::kernel_unsolicited_na);  // 02:44:00:00:00:0c announces fd44::b
  EXPECT_EQ(o.action, Action::conflict);
  EXPECT_EQ(o.drop, DropReason::conflict);
  EXPECT_EQ(o.peer_mac, other_mac);
  EXPECT_EQ(o.vip, ip("fd44::b"));
  EXPECT_EQ(r.counters(1).conflicts, 1u);
  expect_drop(2, golden::kernel_unsolicited_na, DropReason::not_request);  // not selected there
  r.set_bindings({{1, ip("10.44.0.11")}});
  expect_drop(1, golden::kernel_unsolicited_na, DropReason::not_request);
}

TEST_F(ResponderTest, NsSourcedFromOurVipByAnotherHostIsAConflict) {
  r.set_bindings({{1, ip("fd44::b")}, {1, ip("fd44::a")}});
  const Outcome o = handle(1, golden::kernel_ns);  // source fd44::a is now our VIP, peer MAC foreign
  EXPECT_EQ(o.action, Action::conflict);
  EXPECT_EQ(o.drop, DropReason::sender_is_vip);
  EXPECT_EQ(o.vip, ip("fd44::a"));
  EXPECT_EQ(r.counters(1).conflicts, 1u);
  EXPECT_EQ(r.counters(0).requests, 0u);
}

// ---- tables, counters, announcements -----------------------------------------------------------

TEST_F(ResponderTest, CountersAreKeptAcrossSetBindings) {
  handle(1, golden::arping_request);
  handle(1, golden::arping_request);
  handle(1, golden::kernel_ns);
  handle(1, golden::arping_probe);
  r.count_gratuitous(0, 5);
  const BindingCounters v4 = r.counters(0);
  const BindingCounters v6 = r.counters(1);
  EXPECT_EQ(v4, (BindingCounters{3, 3, 5, 1}));
  // Reordered, one removed, one added.
  r.set_bindings({{3, ip("10.44.0.13")}, {1, ip("fd44::b")}, {1, ip("10.44.0.11")}});
  ASSERT_EQ(r.bindings().size(), 3u);
  EXPECT_EQ(r.find(1, ip("10.44.0.11")), 2);
  EXPECT_EQ(r.counters(2), v4);
  EXPECT_EQ(r.counters(1), v6);
  EXPECT_EQ(r.counters(0), BindingCounters{});
  EXPECT_EQ(r.find(2, ip("10.44.0.12")), -1);
  // Removed and re-added starts from zero.
  r.set_bindings({{1, ip("10.44.0.11")}});
  r.set_bindings({{1, ip("10.44.0.11")}, {1, ip("fd44::b")}});
  EXPECT_EQ(r.counters(0), v4);
  EXPECT_EQ(r.counters(1), BindingCounters{});
}

TEST_F(ResponderTest, DropCountersAreKeptAcrossSetLinks) {
  handle(2, golden::arping_request);
  EXPECT_EQ(r.drops(2, DropReason::not_selected), 1u);
  r.set_links({{2, link2_mac}, {1, link1_mac}, {4, other_mac}});
  EXPECT_EQ(r.drops(2, DropReason::not_selected), 1u);
  EXPECT_EQ(r.drops(3, DropReason::not_selected), 0u);  // link 3 is gone
  handle(3, golden::arping_request);
  EXPECT_EQ(r.drops(0, DropReason::unknown_link), 1u);
  // The new link's MAC is now "ours".
  expect_drop(1, arp_frame(ArpOp::request, other_mac, "10.44.0.10", "10.44.0.11"), DropReason::own_mac);
}

TEST_F(ResponderTest, DuplicateBindingsAreCollapsed) {
  r.set_bindings({{1, ip("10.44.0.11")}, {1, ip("10.44.0.11")}, {2, ip("10.44.0.11")}});
  ASSERT_EQ(r.bindings().size(), 2u);
  EXPECT_EQ(r.find(2, ip("10.44.0.11")), 1);
}

TEST_F(ResponderTest, AnnouncementFrames) {
  r.count_gratuitous(0, 2);
  EXPECT_EQ(r.counters(0).gratuitous, 2u);
  const Announcement v4 = r.announcement(3);  // 10.44.0.12 on link 2
  ASSERT_EQ(v4.count, 2u);
  Bytes request(max_frame_size);
  request.resize(build_gratuitous_arp_request(request, link2_mac, to_v4_bytes(ip("10.44.0.12"))));
  Bytes grat_reply(max_frame_size);
  grat_reply.resize(build_gratuitous_arp_reply(grat_reply, link2_mac, to_v4_bytes(ip("10.44.0.12"))));
  EXPECT_EQ(Bytes(v4.frame(0).begin(), v4.frame(0).end()), request);
  EXPECT_EQ(Bytes(v4.frame(1).begin(), v4.frame(1).end()), grat_reply);
  const Announcement v6 = r.announcement(1);
  ASSERT_EQ(v6.count, 1u);
  Bytes na(max_frame_size);
  na.resize(build_all_nodes_na(na, link1_mac, to_v6_bytes(ip("fd44::b"))));
  EXPECT_EQ(Bytes(v6.frame(0).begin(), v6.frame(0).end()), na);
  r.set_bindings({{9, ip("10.44.0.11")}});
  EXPECT_EQ(r.announcement(0).count, 0u);  // link unknown
  EXPECT_THROW(r.announcement(5), std::out_of_range);
}

TEST(ResponderTable, LargeTableFindsEveryBindingAndNoOther) {
  Responder r;
  std::vector<LinkInfo> links;
  for (int i = 1; i <= 8; ++i) links.push_back({i, {0x02, 0, 0, 0, 0, static_cast<std::uint8_t>(i)}});
  r.set_links(links);
  std::vector<Binding> bindings;
  for (std::uint32_t i = 0; i < 50'000; ++i) {
    bindings.push_back({static_cast<int>(1 + i % 7), net::IpAddress::v4(0x0a000000 + i)});
    bindings.push_back({static_cast<int>(1 + i % 7),
                        net::IpAddress::from_value(net::Family::v6, (net::Uint128{0xfd00} << 112) + i)});
  }
  r.set_bindings(bindings);
  ASSERT_EQ(r.bindings().size(), bindings.size());
  for (std::size_t i = 0; i < bindings.size(); ++i)
    ASSERT_EQ(r.find(bindings[i].ifindex, bindings[i].vip), static_cast<std::int32_t>(i));
  for (std::uint32_t i = 0; i < 50'000; i += 97) {
    EXPECT_EQ(r.find(8, net::IpAddress::v4(0x0a000000 + i)), -1);                // link 8 holds none
    EXPECT_EQ(r.find(1 + (i + 1) % 7, net::IpAddress::v4(0x0a000000 + i)), -1);  // wrong link
    EXPECT_EQ(r.find(1, net::IpAddress::v4(0x0b000000 + i)), -1);                // not a VIP
  }
  // The IPv4 and IPv6 key spaces stay apart even when the leading bytes match.
  EXPECT_EQ(r.find(1, net::IpAddress::from_value(net::Family::v6, net::Uint128{0x0a000000} << 96)), -1);
  // And the rules see them: not_selected on link 8, not_owned for 11.0.0.0.
  Bytes reply(max_frame_size);
  Bytes f(max_frame_size);
  const MacAddress peer{0x02, 9, 9, 9, 9, 9};
  f.resize(write_arp_frame(f, broadcast_mac, peer,
                           {ArpOp::request, peer, {10, 0, 0, 1}, zero_mac, {10, 0, 0, 7}}));
  EXPECT_EQ(r.handle(8, f, reply).drop, DropReason::not_selected);
  EXPECT_EQ(r.handle(1, f, reply).action, Action::reply);  // 10.0.0.7: i = 7, link 1 + 7 % 7 = 1
}

TEST_F(ResponderTest, HandleNeverAllocates) {
  std::vector<Bytes> frames = {
      golden::arping_request, golden::arping_probe,     golden::kernel_gratuitous_request,
      golden::kernel_ns,      golden::ndisc6_ns,        golden::kernel_unsolicited_na,
      golden::kernel_dad_ns,  golden::kernel_arp_reply, Bytes(7, 0)};
  std::array<std::uint8_t, max_frame_size> out{};
  std::uint64_t replies = 0;
  const std::uint64_t before = vipd::test::allocation_count();
  for (int ifindex : {1, 2, 3, 42})
    for (const Bytes& f : frames) replies += r.handle(ifindex, f, out).reply_size != 0;
  EXPECT_EQ(vipd::test::allocation_count(), before);
  EXPECT_GT(replies, 0u);
}

TEST(ResponderNames, EveryReasonHasADistinctName) {
  std::vector<std::string_view> names;
  for (std::size_t i = 0; i < drop_reason_count; ++i) {
    const auto name = to_string(static_cast<DropReason>(i));
    EXPECT_NE(name, "unknown");
    EXPECT_EQ(std::count(names.begin(), names.end(), name), 0) << name;
    names.push_back(name);
  }
  EXPECT_EQ(to_string(Action::reply_and_conflict), "reply_and_conflict");
}

}  // namespace
}  // namespace vipd::l2
