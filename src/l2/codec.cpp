#include "vipd/l2/codec.hpp"

#include <algorithm>
#include <cstring>

namespace vipd::l2 {
namespace {

std::uint16_t load16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

void store16(std::uint8_t* p, std::uint16_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v & 0xff);
}

template <std::size_t N>
void copy_out(std::uint8_t* p, const std::array<std::uint8_t, N>& a) noexcept {
  std::memcpy(p, a.data(), N);
}

template <std::size_t N>
std::array<std::uint8_t, N> copy_in(const std::uint8_t* p) noexcept {
  std::array<std::uint8_t, N> a;
  std::memcpy(a.data(), p, N);
  return a;
}

// IPv6 extension headers (RFC 8200 §4 and the IANA "IPv6 Extension Header Types" registry). An NDP
// message behind one of these is legal but never sent by real stacks; refusing it keeps the parser
// simple and the rejection explicit.
bool is_extension_header(std::uint8_t next_header) noexcept {
  switch (next_header) {
    case 0:
    case 43:
    case 44:
    case 50:
    case 51:
    case 60:
    case 135:
    case 139:
    case 140:
    case 253:
    case 254:
      return true;
    default:
      return false;
  }
}

bool is_group(const MacAddress& mac) noexcept {
  return (mac[0] & 0x01) != 0;
}

bool is_unspecified(const Ipv6Bytes& a) noexcept {
  return std::all_of(a.begin(), a.end(), [](std::uint8_t b) { return b == 0; });
}

std::uint32_t sum_words(std::uint32_t sum, const std::uint8_t* p, std::size_t n) noexcept {
  for (; n >= 2; p += 2, n -= 2) sum += load16(p);
  if (n == 1) sum += static_cast<std::uint32_t>(p[0]) << 8;
  return sum;
}

}  // namespace

std::string_view to_string(ParseError error) noexcept {
  switch (error) {
    case ParseError::too_short:
      return "too_short";
    case ParseError::vlan_too_short:
      return "vlan_too_short";
    case ParseError::group_source_mac:
      return "group_source_mac";
    case ParseError::bad_ethertype:
      return "bad_ethertype";
    case ParseError::arp_too_short:
      return "arp_too_short";
    case ParseError::bad_arp_hardware_type:
      return "bad_arp_hardware_type";
    case ParseError::bad_arp_protocol_type:
      return "bad_arp_protocol_type";
    case ParseError::bad_arp_address_length:
      return "bad_arp_address_length";
    case ParseError::bad_arp_opcode:
      return "bad_arp_opcode";
    case ParseError::ipv6_too_short:
      return "ipv6_too_short";
    case ParseError::bad_ip_version:
      return "bad_ip_version";
    case ParseError::bad_payload_length:
      return "bad_payload_length";
    case ParseError::ipv6_extension_headers:
      return "ipv6_extension_headers";
    case ParseError::not_icmpv6:
      return "not_icmpv6";
    case ParseError::multicast_source:
      return "multicast_source";
    case ParseError::icmpv6_too_short:
      return "icmpv6_too_short";
    case ParseError::not_neighbor_discovery:
      return "not_neighbor_discovery";
    case ParseError::bad_hop_limit:
      return "bad_hop_limit";
    case ParseError::bad_icmpv6_code:
      return "bad_icmpv6_code";
    case ParseError::bad_checksum:
      return "bad_checksum";
    case ParseError::multicast_target:
      return "multicast_target";
    case ParseError::bad_option_length:
      return "bad_option_length";
    case ParseError::bad_lla_option_length:
      return "bad_lla_option_length";
    case ParseError::dad_with_source_lla:
      return "dad_with_source_lla";
    case ParseError::dad_not_to_solicited_node:
      return "dad_not_to_solicited_node";
    case ParseError::solicited_na_to_multicast:
      return "solicited_na_to_multicast";
  }
  return "unknown";
}

Result<EthernetHeader, ParseError> parse_ethernet(std::span<const std::uint8_t> frame) noexcept {
  if (frame.size() < ethernet_header_size) return unexpected(ParseError::too_short);
  EthernetHeader h;
  h.destination = copy_in<6>(frame.data());
  h.source = copy_in<6>(frame.data() + 6);
  if (is_group(h.source)) return unexpected(ParseError::group_source_mac);
  h.ethertype = load16(frame.data() + 12);
  if (h.ethertype == ethertype_vlan) {
    if (frame.size() < ethernet_header_size + vlan_tag_size) return unexpected(ParseError::vlan_too_short);
    h.vlan_tagged = true;
    h.vlan_id = load16(frame.data() + 14) & 0x0fff;
    h.ethertype = load16(frame.data() + 16);
    h.header_size = ethernet_header_size + vlan_tag_size;
  }
  return h;
}

Result<ArpPacket, ParseError> parse_arp(std::span<const std::uint8_t> p) noexcept {
  if (p.size() < arp_packet_size) return unexpected(ParseError::arp_too_short);
  if (load16(p.data()) != 1) return unexpected(ParseError::bad_arp_hardware_type);
  if (load16(p.data() + 2) != ethertype_ipv4) return unexpected(ParseError::bad_arp_protocol_type);
  if (p[4] != 6 || p[5] != 4) return unexpected(ParseError::bad_arp_address_length);
  const std::uint16_t op = load16(p.data() + 6);
  if (op != 1 && op != 2) return unexpected(ParseError::bad_arp_opcode);
  ArpPacket a;
  a.op = static_cast<ArpOp>(op);
  a.sender_mac = copy_in<6>(p.data() + 8);
  if (is_group(a.sender_mac)) return unexpected(ParseError::group_source_mac);
  a.sender_ip = copy_in<4>(p.data() + 14);
  a.target_mac = copy_in<6>(p.data() + 18);
  a.target_ip = copy_in<4>(p.data() + 24);
  return a;
}

Result<NdPacket, ParseError> parse_ipv6_nd(std::span<const std::uint8_t> p) noexcept {
  if (p.size() < ipv6_header_size) return unexpected(ParseError::ipv6_too_short);
  if ((p[0] >> 4) != 6) return unexpected(ParseError::bad_ip_version);
  const std::size_t payload_length = load16(p.data() + 4);
  if (ipv6_header_size + payload_length > p.size()) return unexpected(ParseError::bad_payload_length);
  const std::uint8_t next_header = p[6];
  if (next_header != 58) {
    return unexpected(is_extension_header(next_header) ? ParseError::ipv6_extension_headers
                                                       : ParseError::not_icmpv6);
  }
  NdPacket nd;
  nd.hop_limit = p[7];
  nd.source = copy_in<16>(p.data() + 8);
  nd.destination = copy_in<16>(p.data() + 24);
  // A reply to a multicast "source" would itself be a solicited NA to a group (found by fuzzing).
  if (nd.source[0] == 0xff) return unexpected(ParseError::multicast_source);

  const std::span<const std::uint8_t> icmp = p.subspan(ipv6_header_size, payload_length);
  if (icmp.empty()) return unexpected(ParseError::icmpv6_too_short);
  nd.type = icmp[0];
  if (nd.type != icmpv6_neighbor_solicitation && nd.type != icmpv6_neighbor_advertisement)
    return unexpected(ParseError::not_neighbor_discovery);
  if (icmp.size() < nd_message_size) return unexpected(ParseError::icmpv6_too_short);
  if (nd.hop_limit != 255) return unexpected(ParseError::bad_hop_limit);
  if (icmp[1] != 0) return unexpected(ParseError::bad_icmpv6_code);
  if (icmpv6_checksum(nd.source, nd.destination, icmp) != 0) return unexpected(ParseError::bad_checksum);
  nd.target = copy_in<16>(icmp.data() + 8);
  if (nd.target[0] == 0xff) return unexpected(ParseError::multicast_target);
  if (nd.type == icmpv6_neighbor_advertisement) {
    nd.router = (icmp[4] & 0x80) != 0;
    nd.solicited = (icmp[4] & 0x40) != 0;
    nd.override_flag = (icmp[4] & 0x20) != 0;
  }

  // Options: type, length in units of 8 bytes (0 is malformed, §4.6), value. Unknown ones skipped.
  for (std::size_t off = nd_message_size; off < icmp.size();) {
    if (icmp.size() - off < 2) return unexpected(ParseError::bad_option_length);
    const std::uint8_t type = icmp[off];
    const std::size_t length = std::size_t{icmp[off + 1]} * 8;
    if (length == 0 || length > icmp.size() - off) return unexpected(ParseError::bad_option_length);
    if (type == nd_option_source_lla || type == nd_option_target_lla) {
      if (length != lla_option_size) return unexpected(ParseError::bad_lla_option_length);
      const MacAddress mac = copy_in<6>(icmp.data() + off + 2);
      if (is_group(mac)) return unexpected(ParseError::group_source_mac);
      if (type == nd_option_source_lla) {
        nd.has_source_lla = true;
        nd.source_lla = mac;
      } else {
        nd.has_target_lla = true;
        nd.target_lla = mac;
      }
    }
    off += length;
  }

  if (nd.is_solicitation()) {
    if (is_unspecified(nd.source)) {
      if (!is_solicited_node_address(nd.destination))
        return unexpected(ParseError::dad_not_to_solicited_node);
      if (nd.has_source_lla) return unexpected(ParseError::dad_with_source_lla);
    }
  } else if (nd.destination[0] == 0xff && nd.solicited) {
    return unexpected(ParseError::solicited_na_to_multicast);
  }
  return nd;
}

Result<ParsedFrame, ParseError> parse_frame(std::span<const std::uint8_t> frame) noexcept {
  auto eth = parse_ethernet(frame);
  if (!eth) return unexpected(eth.error());
  ParsedFrame f;
  f.ethernet = eth.value();
  const auto payload = frame.subspan(f.ethernet.header_size);
  if (f.ethernet.ethertype == ethertype_arp) {
    auto arp = parse_arp(payload);
    if (!arp) return unexpected(arp.error());
    f.kind = FrameKind::arp;
    f.arp = arp.value();
    return f;
  }
  if (f.ethernet.ethertype == ethertype_ipv6) {
    auto nd = parse_ipv6_nd(payload);
    if (!nd) return unexpected(nd.error());
    f.nd = nd.value();
    f.kind = f.nd.is_solicitation() ? FrameKind::neighbor_solicitation : FrameKind::neighbor_advertisement;
    return f;
  }
  return unexpected(ParseError::bad_ethertype);
}

std::uint16_t icmpv6_checksum(const Ipv6Bytes& source, const Ipv6Bytes& destination,
                              std::span<const std::uint8_t> message) noexcept {
  std::uint32_t sum = 0;
  sum = sum_words(sum, source.data(), source.size());
  sum = sum_words(sum, destination.data(), destination.size());
  const auto length = static_cast<std::uint32_t>(message.size());
  sum += length >> 16;
  sum += length & 0xffff;
  sum += 58;  // next header
  sum = sum_words(sum, message.data(), message.size());
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

std::size_t write_arp_frame(std::span<std::uint8_t> out, const MacAddress& eth_destination,
                            const MacAddress& eth_source, const ArpPacket& arp) noexcept {
  if (out.size() < arp_frame_size) return 0;
  std::uint8_t* p = out.data();
  copy_out(p, eth_destination);
  copy_out(p + 6, eth_source);
  store16(p + 12, ethertype_arp);
  p += ethernet_header_size;
  store16(p, 1);  // htype Ethernet
  store16(p + 2, ethertype_ipv4);
  p[4] = 6;  // hlen
  p[5] = 4;  // plen
  store16(p + 6, static_cast<std::uint16_t>(arp.op));
  copy_out(p + 8, arp.sender_mac);
  copy_out(p + 14, arp.sender_ip);
  copy_out(p + 18, arp.target_mac);
  copy_out(p + 24, arp.target_ip);
  return arp_frame_size;
}

std::size_t write_nd_frame(std::span<std::uint8_t> out, const MacAddress& eth_destination,
                           const MacAddress& eth_source, const NdPacket& nd) noexcept {
  const bool solicitation = nd.is_solicitation();
  const bool with_option = solicitation ? nd.has_source_lla : nd.has_target_lla;
  const std::size_t icmp_size = nd_message_size + (with_option ? lla_option_size : 0);
  const std::size_t size = ethernet_header_size + ipv6_header_size + icmp_size;
  if (out.size() < size) return 0;
  std::uint8_t* p = out.data();
  copy_out(p, eth_destination);
  copy_out(p + 6, eth_source);
  store16(p + 12, ethertype_ipv6);
  p += ethernet_header_size;
  p[0] = 0x60;  // version 6, traffic class 0, flow label 0 (as the kernel sends NDP)
  p[1] = p[2] = p[3] = 0;
  store16(p + 4, static_cast<std::uint16_t>(icmp_size));
  p[6] = 58;
  p[7] = nd.hop_limit;
  copy_out(p + 8, nd.source);
  copy_out(p + 24, nd.destination);
  std::uint8_t* icmp = p + ipv6_header_size;
  icmp[0] = nd.type;
  icmp[1] = 0;
  icmp[2] = icmp[3] = 0;  // checksum, filled below
  icmp[4] = solicitation ? 0
                         : static_cast<std::uint8_t>((nd.router ? 0x80 : 0) | (nd.solicited ? 0x40 : 0) |
                                                     (nd.override_flag ? 0x20 : 0));
  icmp[5] = icmp[6] = icmp[7] = 0;
  copy_out(icmp + 8, nd.target);
  if (with_option) {
    icmp[24] = solicitation ? nd_option_source_lla : nd_option_target_lla;
    icmp[25] = 1;
    copy_out(icmp + 26, solicitation ? nd.source_lla : nd.target_lla);
  }
  store16(icmp + 2, icmpv6_checksum(nd.source, nd.destination, {icmp, icmp_size}));
  return size;
}

std::size_t build_arp_reply(std::span<std::uint8_t> out, const MacAddress& our_mac,
                            const ArpPacket& request) noexcept {
  ArpPacket reply;
  reply.op = ArpOp::reply;
  reply.sender_mac = our_mac;
  reply.sender_ip = request.target_ip;
  reply.target_mac = request.sender_mac;
  reply.target_ip = request.sender_ip;  // 0.0.0.0 for a probe, as the kernel answers it
  return write_arp_frame(out, request.sender_mac, our_mac, reply);
}

std::size_t build_gratuitous_arp_request(std::span<std::uint8_t> out, const MacAddress& our_mac,
                                         const Ipv4Bytes& vip) noexcept {
  const ArpPacket arp{ArpOp::request, our_mac, vip, zero_mac, vip};
  return write_arp_frame(out, broadcast_mac, our_mac, arp);
}

std::size_t build_gratuitous_arp_reply(std::span<std::uint8_t> out, const MacAddress& our_mac,
                                       const Ipv4Bytes& vip) noexcept {
  const ArpPacket arp{ArpOp::reply, our_mac, vip, our_mac, vip};
  return write_arp_frame(out, broadcast_mac, our_mac, arp);
}

std::size_t build_solicited_na(std::span<std::uint8_t> out, const MacAddress& our_mac, const Ipv6Bytes& vip,
                               const MacAddress& peer_mac, const Ipv6Bytes& peer_ip) noexcept {
  NdPacket na;
  na.type = icmpv6_neighbor_advertisement;
  na.source = vip;
  na.destination = peer_ip;
  na.target = vip;
  na.solicited = true;
  na.override_flag = true;
  na.has_target_lla = true;
  na.target_lla = our_mac;
  return write_nd_frame(out, peer_mac, our_mac, na);
}

std::size_t build_all_nodes_na(std::span<std::uint8_t> out, const MacAddress& our_mac,
                               const Ipv6Bytes& vip) noexcept {
  NdPacket na;
  na.type = icmpv6_neighbor_advertisement;
  na.source = vip;
  na.destination = all_nodes_address;
  na.target = vip;
  na.override_flag = true;
  na.has_target_lla = true;
  na.target_lla = our_mac;
  return write_nd_frame(out, all_nodes_mac, our_mac, na);
}

Ipv6Bytes solicited_node_address(const Ipv6Bytes& address) noexcept {
  Ipv6Bytes a{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, 0, 0, 0};
  a[13] = address[13];
  a[14] = address[14];
  a[15] = address[15];
  return a;
}

MacAddress solicited_node_mac(const Ipv6Bytes& address) noexcept {
  return {0x33, 0x33, 0xff, address[13], address[14], address[15]};
}

MacAddress ipv6_multicast_mac(const Ipv6Bytes& multicast) noexcept {
  return {0x33, 0x33, multicast[12], multicast[13], multicast[14], multicast[15]};
}

bool is_solicited_node_address(const Ipv6Bytes& a) noexcept {
  static constexpr std::array<std::uint8_t, 13> prefix{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};
  return std::equal(prefix.begin(), prefix.end(), a.begin());
}

net::IpAddress to_ip(const Ipv4Bytes& bytes) {
  return net::IpAddress::v4_bytes(bytes);
}
net::IpAddress to_ip(const Ipv6Bytes& bytes) {
  return net::IpAddress::v6_bytes(bytes);
}

Ipv4Bytes to_v4_bytes(const net::IpAddress& address) noexcept {
  Ipv4Bytes b{};
  const auto s = address.bytes();
  std::copy_n(s.begin(), std::min<std::size_t>(4, s.size()), b.begin());
  return b;
}

Ipv6Bytes to_v6_bytes(const net::IpAddress& address) noexcept {
  Ipv6Bytes b{};
  const auto s = address.bytes();
  std::copy_n(s.begin(), std::min<std::size_t>(16, s.size()), b.begin());
  return b;
}

}  // namespace vipd::l2
