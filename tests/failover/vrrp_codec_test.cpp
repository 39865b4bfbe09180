// VRRPv3 codec: golden vectors captured from keepalived 2.2.7, round trips and every named
// malformation.
//
// The golden packets were captured on this machine kind: keepalived 2.2.7 (`vrrp_version 3`) in a
// network namespace on a veth pair (10.77.0.11/24, fd77::11/64, MAC 02:77:00:00:00:11), tcpdump on
// the peer end, as in shared/recipes/l2-lab/topo-failover.sh. Instances: vrid 77 multicast
// advert_int 0.1 priority 100 with VIPs 10.77.0.100-101; vrid 78 unicast to 10.77.0.12 advert_int 1
// priority 150 with 10.77.0.102; vrid 79 IPv6 advert_int 0.5 priority 200 with fd77::100; the
// priority-0 adverts are the ones keepalived sent on SIGTERM.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "vipd/failover/vrrp_codec.hpp"

namespace vipd::failover {
namespace {

using Bytes = std::vector<std::uint8_t>;

net::IpAddress ip(const char* text) {
  return *net::IpAddress::parse(text);
}

// keepalived, vrid 77, multicast, priority 100, 2 addresses, IPv4 header included.
const Bytes ka_v4_multicast_prio100 = {
    0x45, 0xc0,              // IPv4, IHL 5; tos 0xc0 (DSCP CS6)
    0x00, 0x24,              // total length 36
    0x00, 0x01,              // identification 1
    0x00, 0x00,              // no flags, fragment offset 0
    0xff,                    // TTL 255
    0x70,                    // protocol 112 (VRRP)
    0xd0, 0x3e,              // header checksum
    0x0a, 0x4d, 0x00, 0x0b,  // source 10.77.0.11 (primary address of the link)
    0xe0, 0x00, 0x00, 0x12,  // destination 224.0.0.18
    0x31,                    // version 3, type 1 (advertisement)
    0x4d,                    // VRID 77
    0x64,                    // priority 100
    0x02,                    // count IPv4 addresses 2
    0x00, 0x0a,              // reserved 0, max advert interval 10 cs (100 ms)
    0x6a, 0x58,              // checksum (IPv4 pseudo-header + message)
    0x0a, 0x4d, 0x00, 0x64,  // 10.77.0.100
    0x0a, 0x4d, 0x00, 0x65,  // 10.77.0.101
};

// Same instance on SIGTERM: priority 0 ("master stops"), IP ID 0x30.
const Bytes ka_v4_multicast_prio0 = {
    0x45, 0xc0, 0x00, 0x24,  // IPv4, tos 0xc0, total length 36
    0x00, 0x30, 0x00, 0x00,  // identification 0x30, no fragment
    0xff, 0x70, 0xd0, 0x0f,  // TTL 255, protocol 112, header checksum
    0x0a, 0x4d, 0x00, 0x0b,  // 10.77.0.11
    0xe0, 0x00, 0x00, 0x12,  // 224.0.0.18
    0x31, 0x4d,              // v3 advertisement, VRID 77
    0x00,                    // priority 0
    0x02,                    // 2 addresses
    0x00, 0x0a,              // 10 cs
    0xce, 0x58,              // checksum
    0x0a, 0x4d, 0x00, 0x64,  // 10.77.0.100
    0x0a, 0x4d, 0x00, 0x65,  // 10.77.0.101
};

// keepalived, vrid 78, unicast to the peer 10.77.0.12, priority 150, advert_int 1 s.
const Bytes ka_v4_unicast_prio150 = {
    0x45, 0xc0, 0x00, 0x20,  // IPv4, tos 0xc0, total length 32
    0x00, 0x01, 0x00, 0x00,  // identification 1, no fragment
    0xff, 0x70, 0xa5, 0xfc,  // TTL 255 (also for unicast), protocol 112, header checksum
    0x0a, 0x4d, 0x00, 0x0b,  // 10.77.0.11
    0x0a, 0x4d, 0x00, 0x0c,  // 10.77.0.12 (unicast peer)
    0x31, 0x4e,              // v3 advertisement, VRID 78
    0x96,                    // priority 150
    0x01,                    // 1 address
    0x00, 0x64,              // 100 cs (1 s)
    0x18, 0x6c,              // checksum
    0x0a, 0x4d, 0x00, 0x66,  // 10.77.0.102
};

// keepalived, vrid 79, IPv6 payload (hop limit 255 in the IPv6 header), from the link-local
// fe80::77:ff:fe00:11 to ff02::12, priority 200, advert_int 0.5.
const Bytes ka_v6_prio200 = {
    0x31, 0x4f,                                      // v3 advertisement, VRID 79
    0xc8,                                            // priority 200
    0x01,                                            // 1 address
    0x00, 0x32,                                      // 50 cs (500 ms)
    0x0a, 0x5f,                                      // checksum (IPv6 pseudo-header + message)
    0xfd, 0x77, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // fd77::100
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
};

// The same on SIGTERM: priority 0.
const Bytes ka_v6_prio0 = {
    0x31, 0x4f, 0x00, 0x01,                          // v3 advertisement, VRID 79, priority 0, 1 address
    0x00, 0x32, 0xd2, 0x5f,                          // 50 cs, checksum
    0xfd, 0x77, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // fd77::100
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
};

const net::IpAddress v6_source = ip("fe80::77:ff:fe00:11");
const net::IpAddress v6_group = ip("ff02::12");

Bytes v4_payload(const Bytes& packet) {
  return Bytes(packet.begin() + 20, packet.end());
}

// Recomputes the VRRP checksum of an IPv4 packet (IHL 5), so that a malformation is reported by
// the check it targets and not by the checksum.
Bytes fix_v4_checksum(Bytes packet) {
  packet[26] = packet[27] = 0;
  const std::span<const std::uint8_t> msg(packet.data() + 20, packet.size() - 20);
  const auto sum =
      vrrp_checksum(net::IpAddress::v4_bytes(std::span<const std::uint8_t, 4>(packet.data() + 12, 4)),
                    net::IpAddress::v4_bytes(std::span<const std::uint8_t, 4>(packet.data() + 16, 4)), msg);
  packet[26] = static_cast<std::uint8_t>(sum >> 8);
  packet[27] = static_cast<std::uint8_t>(sum & 0xff);
  return packet;
}

// ---------------------------------------------------------------------------------------------
// Golden vectors

TEST(VrrpCodec, KeepalivedIpv4MulticastAdvert) {
  auto r = parse_ipv4_packet(ka_v4_multicast_prio100);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->source, ip("10.77.0.11"));
  EXPECT_EQ(r->destination, ip("224.0.0.18"));
  EXPECT_EQ(r->ttl, 255);
  EXPECT_EQ(r->advert.family, net::Family::v4);
  EXPECT_EQ(r->advert.vrid, 77);
  EXPECT_EQ(r->advert.priority, 100);
  EXPECT_EQ(r->advert.max_advert_interval_cs, 10);
  EXPECT_EQ(r->advert.addresses, (std::vector<net::IpAddress>{ip("10.77.0.100"), ip("10.77.0.101")}));
}

TEST(VrrpCodec, KeepalivedPriorityZeroAndUnicastAdverts) {
  auto zero = parse_ipv4_packet(ka_v4_multicast_prio0);
  ASSERT_TRUE(zero.ok()) << to_string(zero.error());
  EXPECT_EQ(zero->advert.priority, 0);
  EXPECT_EQ(zero->advert.addresses.size(), 2u);

  auto unicast = parse_ipv4_packet(ka_v4_unicast_prio150);
  ASSERT_TRUE(unicast.ok()) << to_string(unicast.error());
  EXPECT_EQ(unicast->destination, ip("10.77.0.12"));
  EXPECT_EQ(unicast->advert.vrid, 78);
  EXPECT_EQ(unicast->advert.priority, 150);
  EXPECT_EQ(unicast->advert.max_advert_interval_cs, 100);
  EXPECT_EQ(unicast->advert.addresses, std::vector<net::IpAddress>{ip("10.77.0.102")});
}

TEST(VrrpCodec, KeepalivedIpv6Adverts) {
  auto r = parse_ipv6_payload(ka_v6_prio200, v6_source, v6_group, 255);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->advert.family, net::Family::v6);
  EXPECT_EQ(r->advert.vrid, 79);
  EXPECT_EQ(r->advert.priority, 200);
  EXPECT_EQ(r->advert.max_advert_interval_cs, 50);
  EXPECT_EQ(r->advert.addresses, std::vector<net::IpAddress>{ip("fd77::100")});
  EXPECT_EQ(r->source, v6_source);

  auto zero = parse_ipv6_payload(ka_v6_prio0, v6_source, v6_group, 255);
  ASSERT_TRUE(zero.ok()) << to_string(zero.error());
  EXPECT_EQ(zero->advert.priority, 0);
}

// Our writers produce keepalived's bytes exactly: the IPv4 pseudo-header checksum matches the one
// keepalived computes, and so does the IP header (tos, TTL, no DF).
TEST(VrrpCodec, WritersReproduceKeepalivedBytes) {
  const Advert v4{net::Family::v4, 77, 100, 10, {ip("10.77.0.100"), ip("10.77.0.101")}};
  std::array<std::uint8_t, vrrp_max_ipv4_packet_size> buf{};
  auto n = write_ipv4_packet(buf, v4, ip("10.77.0.11"), ip("224.0.0.18"), 1);
  EXPECT_EQ(Bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)), ka_v4_multicast_prio100);

  Advert released = v4;
  released.priority = 0;
  n = write_ipv4_packet(buf, released, ip("10.77.0.11"), ip("224.0.0.18"), 0x30);
  EXPECT_EQ(Bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)), ka_v4_multicast_prio0);

  const Advert unicast{net::Family::v4, 78, 150, 100, {ip("10.77.0.102")}};
  n = write_ipv4_packet(buf, unicast, ip("10.77.0.11"), ip("10.77.0.12"), 1);
  EXPECT_EQ(Bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)), ka_v4_unicast_prio150);

  // The VRRP message alone (what a raw socket without IP_HDRINCL sends).
  n = write_vrrp_message(buf, v4, ip("10.77.0.11"), ip("224.0.0.18"));
  EXPECT_EQ(Bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)),
            v4_payload(ka_v4_multicast_prio100));

  const Advert v6{net::Family::v6, 79, 200, 50, {ip("fd77::100")}};
  n = write_vrrp_message(buf, v6, v6_source, v6_group);
  EXPECT_EQ(Bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)), ka_v6_prio200);
}

// The checksum covers the pseudo-header: the same message from another source, or summed without
// the pseudo-header as some pre-erratum VRRPv3 stacks do for IPv4, does not verify.
TEST(VrrpCodec, ChecksumCoversPseudoHeader) {
  const Bytes msg = v4_payload(ka_v4_multicast_prio100);
  EXPECT_EQ(vrrp_checksum(ip("10.77.0.11"), ip("224.0.0.18"), msg), 0);
  EXPECT_NE(vrrp_checksum(ip("10.77.0.12"), ip("224.0.0.18"), msg), 0);
  auto other_source = parse_vrrp_message(msg, ip("10.77.0.12"), ip("224.0.0.18"));
  ASSERT_FALSE(other_source.ok());
  EXPECT_EQ(other_source.error(), VrrpError::bad_checksum);

  // VRRPv2-style: one's complement of the message alone.
  Bytes v2_style = msg;
  v2_style[6] = v2_style[7] = 0;
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < v2_style.size(); i += 2) sum += (v2_style[i] << 8) | v2_style[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  v2_style[6] = static_cast<std::uint8_t>((~sum >> 8) & 0xff);
  v2_style[7] = static_cast<std::uint8_t>(~sum & 0xff);
  auto r = parse_vrrp_message(v2_style, ip("10.77.0.11"), ip("224.0.0.18"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), VrrpError::bad_checksum);

  // IPv6: a different link-local source breaks it too.
  EXPECT_EQ(vrrp_checksum(v6_source, v6_group, ka_v6_prio200), 0);
  EXPECT_NE(vrrp_checksum(ip("fe80::77:ff:fe00:12"), v6_group, ka_v6_prio200), 0);
}

// ---------------------------------------------------------------------------------------------
// Malformations: one named case per error, each a small edit of a valid packet.

struct Malformation {
  const char* name;
  std::function<Bytes()> make;  // a whole IPv4 packet
  VrrpError expected;
};

Bytes edit(Bytes b, std::size_t at, std::uint8_t v) {
  b[at] = v;
  return b;
}

class VrrpIpv4Malformations : public ::testing::TestWithParam<Malformation> {};

TEST_P(VrrpIpv4Malformations, RefusedWithNamedError) {
  const auto& m = GetParam();
  auto r = parse_ipv4_packet(m.make());
  ASSERT_FALSE(r.ok()) << m.name;
  EXPECT_EQ(r.error(), m.expected) << m.name << ": got " << to_string(r.error());
}

const Bytes& good() {
  return ka_v4_multicast_prio100;
}

INSTANTIATE_TEST_SUITE_P(
    Table, VrrpIpv4Malformations,
    ::testing::Values(
        Malformation{"empty", [] { return Bytes{}; }, VrrpError::ip_too_short},
        Malformation{"ip_header_cut", [] { return Bytes(good().begin(), good().begin() + 19); },
                     VrrpError::ip_too_short},
        Malformation{"ipv6_version", [] { return edit(good(), 0, 0x65); }, VrrpError::bad_ip_version},
        Malformation{"ihl_4", [] { return edit(good(), 0, 0x44); }, VrrpError::bad_ip_header_length},
        Malformation{"ihl_past_packet", [] { return edit(good(), 0, 0x4f); },
                     VrrpError::bad_ip_header_length},
        Malformation{"total_length_past_packet", [] { return edit(good(), 3, 0x25); },
                     VrrpError::bad_ip_total_length},
        Malformation{"total_length_below_header", [] { return edit(good(), 3, 0x13); },
                     VrrpError::bad_ip_total_length},
        Malformation{"more_fragments", [] { return edit(good(), 6, 0x20); }, VrrpError::fragmented},
        Malformation{"fragment_offset", [] { return edit(good(), 7, 0x01); }, VrrpError::fragmented},
        Malformation{"udp_not_vrrp", [] { return edit(good(), 9, 17); }, VrrpError::not_vrrp},
        Malformation{"ttl_254_routed", [] { return edit(good(), 8, 254); }, VrrpError::bad_ttl},
        Malformation{"ttl_1", [] { return edit(good(), 8, 1); }, VrrpError::bad_ttl},
        Malformation{"no_vrrp_header", [] { return edit(Bytes(good().begin(), good().begin() + 20), 3, 20); },
                     VrrpError::too_short},
        Malformation{"vrrp_header_cut",
                     [] { return edit(Bytes(good().begin(), good().begin() + 27), 3, 27); },
                     VrrpError::too_short},
        Malformation{"vrrpv2", [] { return fix_v4_checksum(edit(good(), 20, 0x21)); },
                     VrrpError::bad_version},
        Malformation{"type_2", [] { return fix_v4_checksum(edit(good(), 20, 0x32)); }, VrrpError::bad_type},
        Malformation{"vrid_0", [] { return fix_v4_checksum(edit(good(), 21, 0)); }, VrrpError::bad_vrid},
        Malformation{"interval_0", [] { return fix_v4_checksum(edit(good(), 25, 0)); },
                     VrrpError::bad_interval},
        Malformation{"count_too_high", [] { return fix_v4_checksum(edit(good(), 23, 3)); },
                     VrrpError::count_mismatch},
        Malformation{"count_too_low", [] { return fix_v4_checksum(edit(good(), 23, 1)); },
                     VrrpError::count_mismatch},
        Malformation{"count_zero_with_addresses", [] { return fix_v4_checksum(edit(good(), 23, 0)); },
                     VrrpError::count_mismatch},
        Malformation{"address_cut",
                     [] { return fix_v4_checksum(edit(Bytes(good().begin(), good().end() - 1), 3, 35)); },
                     VrrpError::count_mismatch},
        Malformation{"checksum_flipped", [] { return edit(good(), 27, 0x59); }, VrrpError::bad_checksum},
        Malformation{"address_changed_in_flight", [] { return edit(good(), 35, 0x66); },
                     VrrpError::bad_checksum},
        Malformation{"priority_changed_in_flight", [] { return edit(good(), 22, 150); },
                     VrrpError::bad_checksum}),
    [](const ::testing::TestParamInfo<Malformation>& info) { return std::string(info.param.name); });

TEST(VrrpCodec, Ipv6PayloadChecks) {
  auto hop = parse_ipv6_payload(ka_v6_prio200, v6_source, v6_group, 254);
  ASSERT_FALSE(hop.ok());
  EXPECT_EQ(hop.error(), VrrpError::bad_ttl);

  auto family = parse_ipv6_payload(ka_v6_prio200, ip("10.77.0.11"), v6_group, 255);
  ASSERT_FALSE(family.ok());
  EXPECT_EQ(family.error(), VrrpError::family_mismatch);

  auto mixed = parse_vrrp_message(v4_payload(good()), ip("10.77.0.11"), v6_group);
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.error(), VrrpError::family_mismatch);

  // An IPv4-sized message read as IPv6: 2 x 16 bytes expected, 8 present.
  auto short_list = parse_ipv6_payload(v4_payload(good()), v6_source, v6_group, 255);
  ASSERT_FALSE(short_list.ok());
  EXPECT_EQ(short_list.error(), VrrpError::count_mismatch);

  Bytes longer = ka_v6_prio200;
  longer.push_back(0);
  auto trailing = parse_ipv6_payload(longer, v6_source, v6_group, 255);
  ASSERT_FALSE(trailing.ok());
  EXPECT_EQ(trailing.error(), VrrpError::count_mismatch);

  auto empty = parse_ipv6_payload(Bytes{}, v6_source, v6_group, 255);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error(), VrrpError::too_short);
}

// RFC 5798 §5.2.5: the 4 reserved bits are ignored on receipt (and written as zero).
TEST(VrrpCodec, ReservedBitsIgnored) {
  auto r = parse_ipv4_packet(fix_v4_checksum(edit(good(), 24, 0xf0)));
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->advert.max_advert_interval_cs, 10);
}

// Trailing bytes after the IPv4 total length (padding) are not part of the advert; IPv4 options
// (IHL 6) are skipped.
TEST(VrrpCodec, Ipv4PaddingAndOptions) {
  Bytes padded = good();
  padded.insert(padded.end(), {0, 0, 0, 0});
  auto r = parse_ipv4_packet(padded);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->advert.addresses.size(), 2u);

  Bytes with_option(good().begin(), good().begin() + 20);
  with_option[0] = 0x46;
  with_option[3] = 40;
  with_option.insert(with_option.end(), {0x94, 0x04, 0x00, 0x00});  // router alert option
  with_option.insert(with_option.end(), good().begin() + 20, good().end());
  auto o = parse_ipv4_packet(with_option);
  ASSERT_TRUE(o.ok()) << to_string(o.error());
  EXPECT_EQ(o->advert.vrid, 77);
}

// ---------------------------------------------------------------------------------------------
// Round trips and writer refusals

std::vector<net::IpAddress> v4_list(std::size_t n) {
  std::vector<net::IpAddress> out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(net::IpAddress::v4(0x0a000000u + static_cast<std::uint32_t>(i)));
  return out;
}

std::vector<net::IpAddress> v6_list(std::size_t n) {
  std::vector<net::IpAddress> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(net::IpAddress::from_value(net::Family::v6, 0xfd00u + i));
  return out;
}

TEST(VrrpCodec, RoundTripIpv4) {
  for (std::size_t count : {0u, 1u, 2u, 255u}) {
    const Advert a{net::Family::v4, 255, 254, vrrp_max_interval_cs, v4_list(count)};
    std::array<std::uint8_t, vrrp_max_ipv4_packet_size> buf{};
    const auto n = write_ipv4_packet(buf, a, ip("192.0.2.1"), ip("224.0.0.18"), 7);
    ASSERT_EQ(n, 20 + 8 + 4 * count);
    auto r = parse_ipv4_packet(std::span<const std::uint8_t>(buf.data(), n));
    ASSERT_TRUE(r.ok()) << count << ": " << to_string(r.error());
    EXPECT_EQ(r->advert, a);
    EXPECT_EQ(r->source, ip("192.0.2.1"));
  }
}

TEST(VrrpCodec, RoundTripIpv6) {
  for (std::size_t count : {0u, 1u, 3u, 255u}) {
    const Advert a{net::Family::v6, 1, 1, 1, v6_list(count)};
    std::array<std::uint8_t, vrrp_max_message_size> buf{};
    const auto n = write_vrrp_message(buf, a, v6_source, v6_group);
    ASSERT_EQ(n, 8 + 16 * count);
    ASSERT_EQ(n, vrrp_message_size(a));
    auto r = parse_ipv6_payload(std::span<const std::uint8_t>(buf.data(), n), v6_source, v6_group, 255);
    ASSERT_TRUE(r.ok()) << count << ": " << to_string(r.error());
    EXPECT_EQ(r->advert, a);
  }
}

TEST(VrrpCodec, WriterRefusesWhatCannotBeEncoded) {
  const Advert good_advert{net::Family::v4, 77, 100, 10, {ip("10.77.0.100")}};
  std::array<std::uint8_t, vrrp_max_message_size> buf{};
  const auto src = ip("10.77.0.11");
  const auto dst = ip("224.0.0.18");
  ASSERT_EQ(write_vrrp_message(buf, good_advert, src, dst), 12u);

  EXPECT_EQ(write_vrrp_message(std::span<std::uint8_t>(buf.data(), 11), good_advert, src, dst), 0u);
  EXPECT_EQ(write_ipv4_packet(std::span<std::uint8_t>(buf.data(), 31), good_advert, src, dst), 0u);
  auto bad = good_advert;
  bad.vrid = 0;
  EXPECT_EQ(write_vrrp_message(buf, bad, src, dst), 0u);
  bad = good_advert;
  bad.max_advert_interval_cs = 0;
  EXPECT_EQ(write_vrrp_message(buf, bad, src, dst), 0u);
  bad.max_advert_interval_cs = 4096;
  EXPECT_EQ(write_vrrp_message(buf, bad, src, dst), 0u);
  bad = good_advert;
  bad.addresses.push_back(ip("fd77::100"));
  EXPECT_EQ(write_vrrp_message(buf, bad, src, dst), 0u);
  bad = good_advert;
  bad.addresses = v4_list(256);
  EXPECT_EQ(write_vrrp_message(buf, bad, src, dst), 0u);
  EXPECT_EQ(write_vrrp_message(buf, good_advert, v6_source, v6_group), 0u);
  EXPECT_EQ(write_vrrp_message(buf, good_advert, src, v6_group), 0u);
  const Advert v6{net::Family::v6, 79, 200, 50, {ip("fd77::100")}};
  EXPECT_EQ(write_ipv4_packet(buf, v6, v6_source, v6_group), 0u);
}

TEST(VrrpCodec, MulticastGroups) {
  EXPECT_EQ(vrrp_multicast_group(net::Family::v4), ip("224.0.0.18"));
  EXPECT_EQ(vrrp_multicast_group(net::Family::v6), ip("ff02::12"));
}

TEST(VrrpCodec, ErrorNamesAreDistinct) {
  std::set<std::string_view> names;
  for (int e = 0; e <= static_cast<int>(VrrpError::family_mismatch); ++e) {
    const auto name = to_string(static_cast<VrrpError>(e));
    EXPECT_NE(name, "unknown");
    names.insert(name);
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(VrrpError::family_mismatch) + 1);
  EXPECT_EQ(to_string(VrrpError::bad_ttl), "bad_ttl");
}

}  // namespace
}  // namespace vipd::failover
