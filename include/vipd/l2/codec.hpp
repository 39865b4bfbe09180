#pragma once
// Layer-2 codec: Ethernet II (+ one 802.1Q tag), ARP (RFC 826, Ethernet/IPv4 only), IPv6 +
// ICMPv6 Neighbour Solicitation / Advertisement (RFC 4861). Plain functions over byte spans:
// no state, no allocation, no I/O. Parsers return a value or a named ParseError; writers fill a
// caller-provided buffer and return the frame size (0 when the buffer is too small).
//
// Choices, checked against real traffic captured on a veth pair (see tests/l2/codec_test.cpp):
// - Frames are written without Ethernet padding (42 bytes for ARP, 86 for NA): the NIC or driver pads
//   to 60 on real wire, veth doesn't, and the Linux kernel sends 42-byte ARP too.
// - Gratuitous ARP request: target MAC 00:00:00:00:00:00, as the Linux kernel sends it (arp_notify,
//   RFC 5227 §2.3 "SHOULD be zero"); iputils `arping -U` puts ff:ff:ff:ff:ff:ff there instead, and
//   receivers ignore the field in a request either way.
// - Gratuitous ARP reply: target MAC = our MAC (sender = target entirely), as iputils `arping -A`
//   sends it and RFC 5944 §4.6 specifies ("the Target Hardware Address is also set to the link-layer
//   address to which this cached ARP entry should be updated"). Some stacks only refresh a cache
//   entry from the target fields of a reply, so ff:ff:ff:ff:ff:ff would be the wrong choice there.
// - Our NA's IPv6 source is the VIP itself (global or ULA), never a link-local address: NDP does not
//   require link-local sources for NA (RFC 4861 §7.2.4 "the source address... is an address assigned
//   to the interface"), the kernel answers from the target address too, and a VIP-sourced NA needs no
//   link-local address on the link (links selected by vipd may have none).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "vipd/common/ip.hpp"
#include "vipd/common/result.hpp"
#include "vipd/netlink/snapshot.hpp"

namespace vipd::l2 {

using MacAddress = netlink::MacAddress;
using Ipv4Bytes = std::array<std::uint8_t, 4>;
using Ipv6Bytes = std::array<std::uint8_t, 16>;

inline constexpr MacAddress broadcast_mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
inline constexpr MacAddress zero_mac{};
inline constexpr MacAddress all_nodes_mac{0x33, 0x33, 0x00, 0x00, 0x00, 0x01};  // ff02::1
inline constexpr Ipv6Bytes all_nodes_address{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};

inline constexpr std::uint16_t ethertype_ipv4 = 0x0800;
inline constexpr std::uint16_t ethertype_arp = 0x0806;
inline constexpr std::uint16_t ethertype_vlan = 0x8100;
inline constexpr std::uint16_t ethertype_ipv6 = 0x86dd;

inline constexpr std::size_t ethernet_header_size = 14;
inline constexpr std::size_t vlan_tag_size = 4;
inline constexpr std::size_t arp_packet_size = 28;
inline constexpr std::size_t ipv6_header_size = 40;
inline constexpr std::size_t nd_message_size = 24;  // ICMPv6 header + reserved/flags + target
inline constexpr std::size_t lla_option_size = 8;   // type, length (units of 8), MAC
inline constexpr std::size_t arp_frame_size = ethernet_header_size + arp_packet_size;  // 42
inline constexpr std::size_t nd_frame_size =                                           // 86
    ethernet_header_size + ipv6_header_size + nd_message_size + lla_option_size;
// Large enough for every frame the builders write.
inline constexpr std::size_t max_frame_size = nd_frame_size;

inline constexpr std::uint8_t icmpv6_neighbor_solicitation = 135;
inline constexpr std::uint8_t icmpv6_neighbor_advertisement = 136;
inline constexpr std::uint8_t nd_option_source_lla = 1;
inline constexpr std::uint8_t nd_option_target_lla = 2;

enum class ArpOp : std::uint16_t { request = 1, reply = 2 };

// Every way a frame can be refused, each malformation named.
enum class ParseError : std::uint8_t {
  too_short,                  // shorter than an Ethernet header (includes empty)
  vlan_too_short,             // 802.1Q TPID but the tag or inner ethertype is cut
  group_source_mac,           // Ethernet source, ARP sender MAC or an NDP link-layer option is a
                              // group (multicast/broadcast) address: no station has one, and a
                              // "unicast" reply to it would flood
  bad_ethertype,              // neither ARP nor IPv6 (also: a second, stacked VLAN tag)
  arp_too_short,              // fewer than 28 bytes of ARP
  bad_arp_hardware_type,      // htype != 1 (Ethernet)
  bad_arp_protocol_type,      // ptype != 0x0800 (IPv4)
  bad_arp_address_length,     // hlen != 6 or plen != 4
  bad_arp_opcode,             // op not 1 (request) or 2 (reply)
  ipv6_too_short,             // fewer than 40 bytes of IPv6 header
  bad_ip_version,             // version nibble != 6
  bad_payload_length,         // IPv6 payload length runs past the frame
  ipv6_extension_headers,     // next header is an extension header: not supported for NDP here
  not_icmpv6,                 // next header is another upper-layer protocol
  multicast_source,           // IPv6 source is multicast (RFC 4291 §2.7: never a source)
  icmpv6_too_short,           // payload shorter than an NS/NA (24 bytes)
  not_neighbor_discovery,     // ICMPv6 type other than NS (135) / NA (136)
  bad_hop_limit,              // RFC 4861 §7.1: hop limit must be 255 (sent on-link)
  bad_icmpv6_code,            // code != 0
  bad_checksum,               // ICMPv6 checksum over the pseudo-header does not verify
  multicast_target,           // target address is multicast
  bad_option_length,          // option length 0, or an option runs past the payload
  bad_lla_option_length,      // source/target link-layer option not exactly 8 bytes (Ethernet)
  dad_with_source_lla,        // NS from :: carrying a source link-layer option (§7.1.1)
  dad_not_to_solicited_node,  // NS from :: not sent to a solicited-node multicast address
  solicited_na_to_multicast,  // NA with S=1 to a multicast destination (§7.1.2)
};

std::string_view to_string(ParseError error) noexcept;

struct EthernetHeader {
  MacAddress destination{};
  MacAddress source{};
  std::uint16_t ethertype = 0;  // inner ethertype when tagged
  bool vlan_tagged = false;
  std::uint16_t vlan_id = 0;                        // 12-bit VID (priority and DEI dropped)
  std::uint8_t header_size = ethernet_header_size;  // 14 or 18: where the payload starts
};

struct ArpPacket {
  ArpOp op = ArpOp::request;
  MacAddress sender_mac{};
  Ipv4Bytes sender_ip{};
  MacAddress target_mac{};
  Ipv4Bytes target_ip{};
};

// An NS or an NA with its IPv6 header fields.
struct NdPacket {
  std::uint8_t type = icmpv6_neighbor_solicitation;  // 135 or 136
  std::uint8_t hop_limit = 255;
  Ipv6Bytes source{};
  Ipv6Bytes destination{};
  Ipv6Bytes target{};
  bool router = false;  // NA flags (false in an NS)
  bool solicited = false;
  bool override_flag = false;
  bool has_source_lla = false;
  MacAddress source_lla{};
  bool has_target_lla = false;
  MacAddress target_lla{};

  bool is_solicitation() const noexcept { return type == icmpv6_neighbor_solicitation; }
};

enum class FrameKind : std::uint8_t { arp, neighbor_solicitation, neighbor_advertisement };

struct ParsedFrame {
  EthernetHeader ethernet;
  FrameKind kind = FrameKind::arp;
  ArpPacket arp;  // valid when kind == arp
  NdPacket nd;    // valid otherwise
};

// Parsers. Trailing bytes after the packet (Ethernet padding to 60 bytes) are accepted; for IPv6
// the payload length decides where the ICMPv6 message ends.
Result<EthernetHeader, ParseError> parse_ethernet(std::span<const std::uint8_t> frame) noexcept;
Result<ArpPacket, ParseError> parse_arp(std::span<const std::uint8_t> payload) noexcept;
// From the IPv6 header on. Validates as RFC 4861 §7.1.1/§7.1.2 say a receiver must.
Result<NdPacket, ParseError> parse_ipv6_nd(std::span<const std::uint8_t> payload) noexcept;
Result<ParsedFrame, ParseError> parse_frame(std::span<const std::uint8_t> frame) noexcept;

// ICMPv6 checksum (RFC 4443 §2.3) over the IPv6 pseudo-header and `message` (whose checksum field
// is included as it is: a message with a correct checksum sums to 0).
std::uint16_t icmpv6_checksum(const Ipv6Bytes& source, const Ipv6Bytes& destination,
                              std::span<const std::uint8_t> message) noexcept;

// Writers: Ethernet header + packet, no padding. Return the frame size or 0 if `out` is too small.
std::size_t write_arp_frame(std::span<std::uint8_t> out, const MacAddress& eth_destination,
                            const MacAddress& eth_source, const ArpPacket& arp) noexcept;
// Writes an NS or NA per `nd.type`, with at most one link-layer option (source for NS when
// has_source_lla, target for NA when has_target_lla), and computes the checksum.
std::size_t write_nd_frame(std::span<std::uint8_t> out, const MacAddress& eth_destination,
                           const MacAddress& eth_source, const NdPacket& nd) noexcept;

// Builders of the frames the responder sends.
// ARP reply to `request`, unicast to its sender; answers for request.target_ip with `our_mac`.
std::size_t build_arp_reply(std::span<std::uint8_t> out, const MacAddress& our_mac,
                            const ArpPacket& request) noexcept;
// Gratuitous ARP, Ethernet destination broadcast, sender IP = target IP = vip (see the top).
std::size_t build_gratuitous_arp_request(std::span<std::uint8_t> out, const MacAddress& our_mac,
                                         const Ipv4Bytes& vip) noexcept;
std::size_t build_gratuitous_arp_reply(std::span<std::uint8_t> out, const MacAddress& our_mac,
                                       const Ipv4Bytes& vip) noexcept;
// Solicited NA (S=1, O=1, target LL option) from the VIP to the soliciting node.
std::size_t build_solicited_na(std::span<std::uint8_t> out, const MacAddress& our_mac, const Ipv6Bytes& vip,
                               const MacAddress& peer_mac, const Ipv6Bytes& peer_ip) noexcept;
// NA to all nodes (S=0, O=1, target LL option, ff02::1 / 33:33:00:00:00:01): answer to DAD and
// unsolicited announcement.
std::size_t build_all_nodes_na(std::span<std::uint8_t> out, const MacAddress& our_mac,
                               const Ipv6Bytes& vip) noexcept;

// Solicited-node multicast address ff02::1:ffXX:XXXX (RFC 4291 §2.7.1) and its Ethernet group
// 33:33:ff:XX:XX:XX (RFC 2464 §7): the low 24 bits of the address, whatever its prefix (global,
// ULA or link-local VIPs map the same way).
Ipv6Bytes solicited_node_address(const Ipv6Bytes& address) noexcept;
MacAddress solicited_node_mac(const Ipv6Bytes& address) noexcept;
// 33:33 + the low 32 bits of any IPv6 multicast address (RFC 2464 §7).
MacAddress ipv6_multicast_mac(const Ipv6Bytes& multicast) noexcept;
bool is_solicited_node_address(const Ipv6Bytes& address) noexcept;

// Conversions to and from the project's address type.
net::IpAddress to_ip(const Ipv4Bytes& bytes);
net::IpAddress to_ip(const Ipv6Bytes& bytes);
Ipv4Bytes to_v4_bytes(const net::IpAddress& address) noexcept;  // IPv4 only
Ipv6Bytes to_v6_bytes(const net::IpAddress& address) noexcept;  // IPv6 only

}  // namespace vipd::l2
