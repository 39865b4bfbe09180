#pragma once
// VRRPv3 advertisement codec (RFC 5798 §5) for IPv4 and IPv6. Plain functions over byte spans: no
// state, no I/O. Parsers return a value or a named VrrpError; writers fill a caller-provided buffer
// and return the number of bytes written (0 when the buffer is too small or the advert cannot be
// encoded).
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |Version| Type  | Virtual Rtr ID|   Priority    |Count IPvX Addr|
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |(rsvd) |     Max Adver Int     |          Checksum             |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                      IPvX Address(es)  ...                    |
//
// Checksum (RFC 5798 §5.2.8): one's complement over a pseudo-header + the VRRP message. The RFC
// text points at the IPv6 pseudo-header (RFC 2460 §8.1) for both families; for IPv4 we use the
// IPv4 pseudo-header (src, dst, 0, 112, length), as keepalived 2.2.7 does (verified against a
// captured advert, tests/failover/vrrp_codec_test.cpp). The two give the same one's complement sum
// for 4-byte addresses: the IPv6 form's 32-bit length has a zero high half and its "3 zero bytes +
// next header" word is 0x0070 like the IPv4 form's "zero + protocol" word. What is NOT compatible
// is the pre-erratum practice of some VRRPv3 stacks of summing the IPv4 message alone (VRRPv2
// style); such adverts fail with bad_checksum, as they do in keepalived by default.
//
// Receive-side checks (RFC 5798 §7.1): TTL / hop limit 255, version 3, type 1 (advertisement),
// checksum, count matching the length. The VRID match and the address-list comparison belong to
// the state machine (vrrp_fsm.hpp), which knows the configured group.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "vipd/common/ip.hpp"
#include "vipd/common/result.hpp"

namespace vipd::failover {

inline constexpr std::uint8_t vrrp_ip_protocol = 112;  // IANA "VRRP", IPv4 protocol / IPv6 next header
inline constexpr std::uint8_t vrrp_version = 3;
inline constexpr std::uint8_t vrrp_type_advertisement = 1;
inline constexpr std::uint8_t vrrp_required_ttl = 255;  // TTL / hop limit on send and on receipt
inline constexpr std::size_t vrrp_header_size = 8;
inline constexpr std::size_t ipv4_min_header_size = 20;
inline constexpr std::size_t ipv4_address_size = 4;
inline constexpr std::size_t ipv6_address_size = 16;
inline constexpr std::size_t vrrp_max_addresses = 255;       // the count field is one byte
inline constexpr std::uint16_t vrrp_max_interval_cs = 4095;  // 12 bits of centiseconds (40.95 s)
inline constexpr std::uint8_t vrrp_priority_release = 0;     // "master stops": RFC 5798 §5.2.4
inline constexpr std::uint8_t vrrp_priority_owner = 255;     // address owner (not supported locally)

// Largest message/packet the writers can produce.
inline constexpr std::size_t vrrp_max_message_size =
    vrrp_header_size + vrrp_max_addresses * ipv6_address_size;  // 4088
inline constexpr std::size_t vrrp_max_ipv4_packet_size =
    ipv4_min_header_size + vrrp_header_size + vrrp_max_addresses * ipv4_address_size;  // 1048

// Multicast destinations (RFC 5798 §5.1.1.2 / §5.1.2.2).
inline constexpr std::array<std::uint8_t, 4> vrrp_ipv4_multicast{224, 0, 0, 18};
inline constexpr std::array<std::uint8_t, 16> vrrp_ipv6_multicast{0xff, 0x02, 0, 0, 0, 0, 0, 0,
                                                                  0,    0,    0, 0, 0, 0, 0, 0x12};
net::IpAddress vrrp_multicast_group(net::Family family);

// Every way a packet can be refused, each malformation named.
enum class VrrpError : std::uint8_t {
  too_short,             // fewer than 8 bytes of VRRP message (includes empty)
  bad_version,           // version nibble != 3 (VRRPv2 adverts land here)
  bad_type,              // type nibble != 1 (advertisement)
  bad_vrid,              // VRID 0 (RFC 5798 §5.2.3: 1-255)
  bad_interval,          // Max Adver Int 0: would make every timer zero
  count_mismatch,        // count x address size != bytes after the header (short or long)
  bad_checksum,          // checksum over pseudo-header + message does not verify
  bad_ttl,               // IPv4 TTL / IPv6 hop limit != 255 (RFC 5798 §7.1: sent on-link)
  ip_too_short,          // fewer than 20 bytes of IPv4 header
  bad_ip_version,        // IPv4 header version nibble != 4
  bad_ip_header_length,  // IHL < 5 or the header runs past the packet
  bad_ip_total_length,   // total length < header length or > bytes received
  fragmented,            // MF set or fragment offset != 0 (the kernel reassembles before us)
  not_vrrp,              // IPv4 protocol != 112
  family_mismatch,       // source/destination of different families
};

std::string_view to_string(VrrpError error) noexcept;

// One advertisement as it travels, independent of the IP header around it.
struct Advert {
  net::Family family = net::Family::v4;
  std::uint8_t vrid = 1;
  std::uint8_t priority = 100;
  std::uint16_t max_advert_interval_cs = 100;  // centiseconds, 12 bits
  std::vector<net::IpAddress> addresses;       // all of `family`

  friend bool operator==(const Advert&, const Advert&) = default;
};

// An advert with the IP header fields that matter to the receiver.
struct ReceivedAdvert {
  Advert advert;
  net::IpAddress source;       // the sender's primary address: the tie-breaker of §6.4.3
  net::IpAddress destination;  // group or unicast peer
  std::uint8_t ttl = 0;        // TTL / hop limit as received (always 255 after a successful parse)
};

// Checksum (RFC 5798 §5.2.8, see the top) over the pseudo-header for `source`/`destination` and
// `message`, whose checksum field is included as it is: a message with a correct checksum gives 0.
// `source` and `destination` must be of the same family.
std::uint16_t vrrp_checksum(const net::IpAddress& source, const net::IpAddress& destination,
                            std::span<const std::uint8_t> message) noexcept;

// Parses the VRRP message alone (what an IPv6 raw socket hands over, or the payload of an IPv4
// packet). The family comes from `source`; checks version, type, VRID, interval, count and checksum.
Result<Advert, VrrpError> parse_vrrp_message(std::span<const std::uint8_t> message,
                                             const net::IpAddress& source, const net::IpAddress& destination);

// A whole IPv4 packet as an IPv4 raw socket (IPPROTO_VRRP) delivers it on Linux: header (with
// options, total length in network order) + VRRP message. Checks TTL 255 and protocol 112; trailing
// bytes after the total length are ignored.
Result<ReceivedAdvert, VrrpError> parse_ipv4_packet(std::span<const std::uint8_t> packet);

// An IPv6 VRRP payload: an IPv6 raw socket strips the header, so the addresses come from
// recvmsg() (source from msg_name, destination from IPV6_PKTINFO) and the hop limit from the
// IPV6_HOPLIMIT control message.
Result<ReceivedAdvert, VrrpError> parse_ipv6_payload(std::span<const std::uint8_t> payload,
                                                     const net::IpAddress& source,
                                                     const net::IpAddress& destination,
                                                     std::uint8_t hop_limit);

// Size of the VRRP message for `advert` (8 + count x address size).
std::size_t vrrp_message_size(const Advert& advert) noexcept;

// Writes the VRRP message with its checksum (what a raw socket without IP_HDRINCL sends; the kernel
// adds the IP header, whose TTL / hop limit the adapter sets to 255). Returns 0 when `out` is too
// small or the advert cannot be encoded: an address of another family, more than 255 addresses,
// an interval of 0 or over 4095, VRID 0, or source/destination not of the advert's family.
std::size_t write_vrrp_message(std::span<std::uint8_t> out, const Advert& advert,
                               const net::IpAddress& source, const net::IpAddress& destination) noexcept;

// Writes a whole IPv4 packet (20-byte header, TTL 255, protocol 112, DSCP CS6 / tos 0xc0 as
// keepalived and the Linux kernel use for VRRP, DF clear, header checksum) + the VRRP message: for
// an IP_HDRINCL socket, tests and the fuzzer. `identification` goes into the IP ID field.
std::size_t write_ipv4_packet(std::span<std::uint8_t> out, const Advert& advert, const net::IpAddress& source,
                              const net::IpAddress& destination, std::uint16_t identification = 0) noexcept;

}  // namespace vipd::failover
