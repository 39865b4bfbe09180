#pragma once
// BGP-4 codec: plain functions over bytes. Decoders check every length before reading and return
// a message or a DecodeError carrying the NOTIFICATION to send and the RFC 7606 action; encoders
// return whole messages (header included). No state, no I/O, no clock.
//
// Typical receive path of a session adapter:
//   auto frame = next_frame(buffer);     // header checks; needs only a prefix of the stream
//   if (!frame)   -> NOTIFICATION frame.error() (or hand the bytes to Fsm::receive, which does it)
//   if (!*frame)  -> read more bytes
//   fsm.receive((*frame)->message, now); // parse_message(...) + the FSM transition
//   buffer.erase(front, (*frame)->message.size())
//
// Choices:
// - Attributes are written MP_REACH/MP_UNREACH first (RFC 7606 §5.1 asks for that so a receiver
//   can find the NLRI before any other attribute goes wrong), then in type order, then `other`.
// - The extended-length flag is used only when a value exceeds 255 bytes.
// - RFC 7606 actions: ORIGIN, AS_PATH, NEXT_HOP, MED, LOCAL_PREF, COMMUNITIES, LARGE_COMMUNITIES
//   malformed -> treat-as-withdraw; AS4_PATH, ATOMIC_AGGREGATE, AGGREGATOR malformed -> attribute-
//   discard; MP_REACH/MP_UNREACH malformed or repeated, NLRI/withdrawn fields that cannot be parsed,
//   and lengths that make the NLRI impossible to locate -> session reset. An unrecognised well-known
//   attribute -> 3/2 session reset (RFC 4271 §6.3). Missing ORIGIN/AS_PATH (or NEXT_HOP with IPv4
//   NLRI) -> 3/3 treat-as-withdraw. A repeated attribute: all but the first are discarded.
// - Shutdown communication (RFC 8203 as updated by RFC 9003): up to 255 bytes of UTF-8, cut at a
//   character boundary.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vipd/bgp/messages.hpp"
#include "vipd/common/result.hpp"

namespace vipd::bgp {

// ---------------------------------------------------------------------------------------------
// Framing

// One complete message at the front of a stream buffer.
struct Frame {
  std::uint8_t type = 0;                  // validated: 1..5
  std::span<const std::uint8_t> message;  // header + body; message.size() bytes are consumed
  std::span<const std::uint8_t> body;     // after the 19-byte header
};

// Looks at the front of `stream`. Returns nullopt when more bytes are needed (a partial header or
// body), a Frame when a whole message is there, or an error as soon as the bytes seen prove the
// stream bad: marker not all-ones (1/1), length outside 19..4096 or wrong for the type (1/2, data =
// the length field), unknown type (1/3, data = the type). All header errors are session-reset.
Result<std::optional<Frame>, DecodeError> next_frame(std::span<const std::uint8_t> stream);

// Per-session decoding context, fixed once the OPENs are exchanged.
struct DecodeContext {
  bool four_octet_as = true;  // both sides advertised capability 65: AS_PATH carries 4-octet ASNs
};

// ---------------------------------------------------------------------------------------------
// Decoders. Bodies exclude the 19-byte header; parse_message dispatches a Frame.

Result<Message, DecodeError> parse_message(const Frame& frame, const DecodeContext& ctx = {});
// Frames and parses exactly one whole message (header included); trailing bytes are an error.
Result<Message, DecodeError> parse_message(std::span<const std::uint8_t> message,
                                           const DecodeContext& ctx = {});

// OPEN: version 4 (else 2/1, data = 0x0004), optional parameters / capabilities (RFC 5492; a
// non-capability parameter is 2/4; malformed lengths 2/0). Peer AS, BGP identifier and hold time
// are validated by bgp::negotiate (fsm.hpp) so that all checks against configuration live in one
// place.
Result<OpenMessage, DecodeError> parse_open(std::span<const std::uint8_t> body);
Result<UpdateMessage, DecodeError> parse_update(std::span<const std::uint8_t> body,
                                                const DecodeContext& ctx = {});
Result<NotificationMessage, DecodeError> parse_notification(std::span<const std::uint8_t> body);
Result<RouteRefreshMessage, DecodeError> parse_route_refresh(std::span<const std::uint8_t> body);

// NLRI prefix list (RFC 4271 §4.3: length octet + minimal address bytes) of one family.
// Errors are 3/10 session-reset (RFC 7606 §5.3: the NLRI cannot be located reliably).
Result<std::vector<net::Prefix>, DecodeError> parse_prefixes(std::span<const std::uint8_t> bytes,
                                                             net::Family family);
void write_prefix(const net::Prefix& prefix, Bytes& out);
std::size_t encoded_prefix_size(const net::Prefix& prefix);  // 1 + ceil(length / 8)

// The RFC 8203/9003 shutdown communication of a Cease 6/2 or 6/4, if it has a well-formed one.
std::optional<std::string> shutdown_communication(const NotificationMessage& notification);

// ---------------------------------------------------------------------------------------------
// Encoders. Each returns one whole message, header included.

// All capabilities go in one Capabilities parameter, which holds at most 253 bytes of them.
Bytes build_open(const OpenMessage& open);
// An OPEN for `asn` (AS_TRANS in My AS when > 65535 and the real AS in capability 65), with the
// multiprotocol capability for each family, route refresh, and graceful restart when given.
OpenMessage make_open(std::uint32_t asn, std::uint16_t hold_time, std::uint32_t bgp_identifier,
                      std::span<const AfiSafi> families, bool route_refresh = true,
                      std::optional<GracefulRestart> graceful_restart = std::nullopt);
Bytes build_keepalive();
Bytes build_notification(const NotificationMessage& notification);
// Cease / Administrative Shutdown (6/2) with the RFC 8203 message (length octet + UTF-8).
NotificationMessage shutdown_notification(std::string_view message,
                                          std::uint8_t subcode = cease_subcode::administrative_shutdown);
Bytes build_route_refresh(const RouteRefreshMessage& refresh);
// One UPDATE as given; nullopt when it would exceed 4096 bytes. AS_PATH/AS4_PATH are written in
// 4-octet form when ctx.four_octet_as, else 2-octet with AS_TRANS for ASNs > 65535 and, if the
// path has any, an AS4_PATH with the real path (RFC 6793 §4.2.2). A given as4_path is always
// written as is.
std::optional<Bytes> build_update(const UpdateMessage& update, const DecodeContext& ctx = {});

// Attributes shared by announced routes (the speaker fills one per advertisement and peer).
struct RouteAttributes {
  Origin origin = Origin::incomplete;
  AsPath as_path;                                        // empty on iBGP
  std::optional<net::IpAddress> next_hop_v4;             // required to announce IPv4 prefixes
  std::optional<net::IpAddress> next_hop_v6;             // global; required to announce IPv6 prefixes
  std::optional<net::IpAddress> next_hop_v6_link_local;  // adds the second half of a 32-byte next hop
  std::optional<std::uint32_t> med;
  std::optional<std::uint32_t> local_pref;  // iBGP only
  std::vector<std::uint32_t> communities;
  std::vector<LargeCommunity> large_communities;
  std::vector<RawAttribute> other;
};

enum class BuildError : std::uint8_t {
  missing_next_hop_v4,   // IPv4 prefixes but no next_hop_v4 (or it is not IPv4)
  missing_next_hop_v6,   // IPv6 prefixes but no next_hop_v6 (or it is not IPv6)
  attributes_too_large,  // the attributes alone leave no room for one prefix in 4096 bytes
};

// Packs `prefixes` (any mix of IPv4 and IPv6) into as few UPDATEs as possible, each <= 4096 bytes:
// IPv4 prefixes in the NLRI field with NEXT_HOP, IPv6 prefixes in MP_REACH_NLRI (never in the IPv4
// field). Prefix order is kept within each family; IPv4 messages come first.
Result<std::vector<Bytes>, BuildError> build_announcements(const RouteAttributes& attributes,
                                                           std::span<const net::Prefix> prefixes,
                                                           const DecodeContext& ctx = {});
// Withdraws: IPv4 prefixes in the Withdrawn Routes field, IPv6 in MP_UNREACH_NLRI; as few UPDATEs
// as fit in 4096 bytes each.
std::vector<Bytes> build_withdrawals(std::span<const net::Prefix> prefixes);
// End-of-RIB (RFC 4724 §2): an empty UPDATE for IPv4 unicast; MP_UNREACH with the family and no
// NLRI otherwise.
Bytes build_end_of_rib(AfiSafi family);

// Writes any Message (dispatches to the builders above; an oversized UPDATE gives nullopt).
std::optional<Bytes> build_message(const Message& message, const DecodeContext& ctx = {});

}  // namespace vipd::bgp
