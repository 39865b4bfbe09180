#include "vipd/failover/vrrp_codec.hpp"

#include <algorithm>

namespace vipd::failover {
namespace {

std::uint16_t read16(std::span<const std::uint8_t> b, std::size_t at) noexcept {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

void write16(std::span<std::uint8_t> b, std::size_t at, std::uint16_t v) noexcept {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v & 0xff);
}

// RFC 1071 running sum: big-endian 16-bit words, an odd last byte padded with zero.
std::uint32_t add_words(std::uint32_t sum, std::span<const std::uint8_t> bytes) noexcept {
  std::size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) sum += static_cast<std::uint32_t>((bytes[i] << 8) | bytes[i + 1]);
  if (i < bytes.size()) sum += static_cast<std::uint32_t>(bytes[i] << 8);
  return sum;
}

std::uint16_t fold(std::uint32_t sum) noexcept {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

std::size_t address_size(net::Family f) noexcept {
  return f == net::Family::v4 ? ipv4_address_size : ipv6_address_size;
}

}  // namespace

net::IpAddress vrrp_multicast_group(net::Family family) {
  if (family == net::Family::v4) return net::IpAddress::v4_bytes(vrrp_ipv4_multicast);
  return net::IpAddress::v6_bytes(vrrp_ipv6_multicast);
}

std::string_view to_string(VrrpError error) noexcept {
  switch (error) {
    case VrrpError::too_short:
      return "too_short";
    case VrrpError::bad_version:
      return "bad_version";
    case VrrpError::bad_type:
      return "bad_type";
    case VrrpError::bad_vrid:
      return "bad_vrid";
    case VrrpError::bad_interval:
      return "bad_interval";
    case VrrpError::count_mismatch:
      return "count_mismatch";
    case VrrpError::bad_checksum:
      return "bad_checksum";
    case VrrpError::bad_ttl:
      return "bad_ttl";
    case VrrpError::ip_too_short:
      return "ip_too_short";
    case VrrpError::bad_ip_version:
      return "bad_ip_version";
    case VrrpError::bad_ip_header_length:
      return "bad_ip_header_length";
    case VrrpError::bad_ip_total_length:
      return "bad_ip_total_length";
    case VrrpError::fragmented:
      return "fragmented";
    case VrrpError::not_vrrp:
      return "not_vrrp";
    case VrrpError::family_mismatch:
      return "family_mismatch";
  }
  return "unknown";
}

std::uint16_t vrrp_checksum(const net::IpAddress& source, const net::IpAddress& destination,
                            std::span<const std::uint8_t> message) noexcept {
  std::uint32_t sum = 0;
  sum = add_words(sum, source.bytes());
  sum = add_words(sum, destination.bytes());
  // IPv4: zero + protocol, 16-bit length. IPv6: 32-bit length, 3 zero bytes + next header. Both
  // reduce to the same two words for a message shorter than 64 KiB (see the header).
  sum += vrrp_ip_protocol;
  sum += static_cast<std::uint32_t>(message.size() & 0xffff);
  sum += static_cast<std::uint32_t>(message.size() >> 16);
  sum = add_words(sum, message);
  return fold(sum);
}

Result<Advert, VrrpError> parse_vrrp_message(std::span<const std::uint8_t> message,
                                             const net::IpAddress& source,
                                             const net::IpAddress& destination) {
  if (source.family() != destination.family()) return unexpected(VrrpError::family_mismatch);
  if (message.size() < vrrp_header_size) return unexpected(VrrpError::too_short);
  if ((message[0] >> 4) != vrrp_version) return unexpected(VrrpError::bad_version);
  if ((message[0] & 0x0f) != vrrp_type_advertisement) return unexpected(VrrpError::bad_type);
  Advert advert;
  advert.family = source.family();
  advert.vrid = message[1];
  if (advert.vrid == 0) return unexpected(VrrpError::bad_vrid);
  advert.priority = message[2];
  const std::size_t count = message[3];
  advert.max_advert_interval_cs = read16(message, 4) & 0x0fff;  // the 4 reserved bits are ignored
  if (advert.max_advert_interval_cs == 0) return unexpected(VrrpError::bad_interval);
  const std::size_t size = address_size(advert.family);
  if (message.size() - vrrp_header_size != count * size) return unexpected(VrrpError::count_mismatch);
  if (vrrp_checksum(source, destination, message) != 0) return unexpected(VrrpError::bad_checksum);
  advert.addresses.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t at = vrrp_header_size + i * size;
    if (advert.family == net::Family::v4) {
      advert.addresses.push_back(net::IpAddress::v4_bytes(message.subspan(at).first<4>()));
    } else {
      advert.addresses.push_back(net::IpAddress::v6_bytes(message.subspan(at).first<16>()));
    }
  }
  return advert;
}

Result<ReceivedAdvert, VrrpError> parse_ipv4_packet(std::span<const std::uint8_t> packet) {
  if (packet.size() < ipv4_min_header_size) return unexpected(VrrpError::ip_too_short);
  if ((packet[0] >> 4) != 4) return unexpected(VrrpError::bad_ip_version);
  const std::size_t header_size = static_cast<std::size_t>(packet[0] & 0x0f) * 4;
  if (header_size < ipv4_min_header_size || header_size > packet.size()) {
    return unexpected(VrrpError::bad_ip_header_length);
  }
  const std::size_t total = read16(packet, 2);
  if (total < header_size || total > packet.size()) return unexpected(VrrpError::bad_ip_total_length);
  const std::uint16_t fragment = read16(packet, 6);
  if ((fragment & 0x2000) != 0 || (fragment & 0x1fff) != 0) return unexpected(VrrpError::fragmented);
  if (packet[9] != vrrp_ip_protocol) return unexpected(VrrpError::not_vrrp);
  // TTL after the protocol so that non-VRRP traffic is reported as such, before the payload so
  // that an off-link advert is refused whatever it contains.
  if (packet[8] != vrrp_required_ttl) return unexpected(VrrpError::bad_ttl);
  // The header checksum is not verified: the kernel drops IPv4 packets with a bad one before any
  // raw socket sees them.
  ReceivedAdvert received;
  received.source = net::IpAddress::v4_bytes(packet.subspan(12).first<4>());
  received.destination = net::IpAddress::v4_bytes(packet.subspan(16).first<4>());
  received.ttl = packet[8];
  auto advert = parse_vrrp_message(packet.subspan(header_size, total - header_size), received.source,
                                   received.destination);
  if (!advert) return unexpected(advert.error());
  received.advert = std::move(advert).value();
  return received;
}

Result<ReceivedAdvert, VrrpError> parse_ipv6_payload(std::span<const std::uint8_t> payload,
                                                     const net::IpAddress& source,
                                                     const net::IpAddress& destination,
                                                     std::uint8_t hop_limit) {
  if (!source.is_v6() || !destination.is_v6()) return unexpected(VrrpError::family_mismatch);
  if (hop_limit != vrrp_required_ttl) return unexpected(VrrpError::bad_ttl);
  auto advert = parse_vrrp_message(payload, source, destination);
  if (!advert) return unexpected(advert.error());
  return ReceivedAdvert{std::move(advert).value(), source, destination, hop_limit};
}

std::size_t vrrp_message_size(const Advert& advert) noexcept {
  return vrrp_header_size + advert.addresses.size() * address_size(advert.family);
}

std::size_t write_vrrp_message(std::span<std::uint8_t> out, const Advert& advert,
                               const net::IpAddress& source, const net::IpAddress& destination) noexcept {
  if (source.family() != advert.family || destination.family() != advert.family) return 0;
  if (advert.vrid == 0 || advert.max_advert_interval_cs == 0 ||
      advert.max_advert_interval_cs > vrrp_max_interval_cs) {
    return 0;
  }
  if (advert.addresses.size() > vrrp_max_addresses) return 0;
  const bool same_family = std::all_of(advert.addresses.begin(), advert.addresses.end(),
                                       [&](const net::IpAddress& a) { return a.family() == advert.family; });
  if (!same_family) return 0;
  const std::size_t size = vrrp_message_size(advert);
  if (out.size() < size) return 0;
  out[0] = static_cast<std::uint8_t>((vrrp_version << 4) | vrrp_type_advertisement);
  out[1] = advert.vrid;
  out[2] = advert.priority;
  out[3] = static_cast<std::uint8_t>(advert.addresses.size());
  write16(out, 4, advert.max_advert_interval_cs);  // reserved bits zero (interval <= 4095)
  write16(out, 6, 0);
  std::size_t at = vrrp_header_size;
  for (const auto& a : advert.addresses) {
    const auto bytes = a.bytes();
    std::copy(bytes.begin(), bytes.end(), out.begin() + static_cast<std::ptrdiff_t>(at));
    at += bytes.size();
  }
  write16(out, 6, vrrp_checksum(source, destination, out.first(size)));
  return size;
}

std::size_t write_ipv4_packet(std::span<std::uint8_t> out, const Advert& advert, const net::IpAddress& source,
                              const net::IpAddress& destination, std::uint16_t identification) noexcept {
  if (advert.family != net::Family::v4) return 0;
  const std::size_t message = vrrp_message_size(advert);
  if (out.size() < ipv4_min_header_size + message) return 0;
  if (write_vrrp_message(out.subspan(ipv4_min_header_size), advert, source, destination) != message) {
    return 0;
  }
  const std::size_t total = ipv4_min_header_size + message;
  out[0] = 0x45;  // version 4, IHL 5
  out[1] = 0xc0;  // DSCP CS6 (network control)
  write16(out, 2, static_cast<std::uint16_t>(total));
  write16(out, 4, identification);
  write16(out, 6, 0);  // no flags, offset 0
  out[8] = vrrp_required_ttl;
  out[9] = vrrp_ip_protocol;
  write16(out, 10, 0);
  std::copy_n(source.bytes().begin(), 4, out.begin() + 12);
  std::copy_n(destination.bytes().begin(), 4, out.begin() + 16);
  write16(out, 10, fold(add_words(0, out.first(ipv4_min_header_size))));
  return total;
}

}  // namespace vipd::failover
