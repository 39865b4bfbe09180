#pragma once
// BGP-4 message value types (RFC 4271, RFC 2918, RFC 4760, RFC 5492, RFC 6793, RFC 1997, RFC 8092)
// and the decode error type. Plain data: the codec (codec.hpp) converts them to and from bytes and the
// FSM (fsm.hpp) consumes them. Nothing here does I/O.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "vipd/common/ip.hpp"

namespace vipd::bgp {

using Bytes = std::vector<std::uint8_t>;

inline constexpr std::size_t header_size = 19;         // marker (16) + length (2) + type (1)
inline constexpr std::size_t max_message_size = 4096;  // RFC 4271 §4.1 (no RFC 8654 extended messages)
inline constexpr std::uint16_t as_trans = 23456;  // RFC 6793: stands in for a 4-octet AS in 2-octet fields
inline constexpr std::uint8_t bgp_version = 4;

enum class MessageType : std::uint8_t {
  open = 1,
  update = 2,
  notification = 3,
  keepalive = 4,
  route_refresh = 5
};

// Address family / subsequent address family (RFC 4760). Only unicast v4/v6 are decoded in MP
// attributes; other families are carried as raw bytes.
struct AfiSafi {
  std::uint16_t afi = 1;
  std::uint8_t safi = 1;
  friend bool operator==(const AfiSafi&, const AfiSafi&) = default;
};
inline constexpr AfiSafi ipv4_unicast{1, 1};
inline constexpr AfiSafi ipv6_unicast{2, 1};

// ---------------------------------------------------------------------------------------------
// Errors

// RFC 7606 §2 error-handling approaches, from least to most disruptive.
enum class ErrorAction : std::uint8_t {
  attribute_discard,  // drop the offending attribute, keep the UPDATE
  treat_as_withdraw,  // treat every NLRI of the UPDATE as withdrawn; session stays up
  session_reset,      // send the NOTIFICATION and close the session
};

// NOTIFICATION error codes and the subcodes the codec and the FSM produce (RFC 4271 §4.5, §6;
// RFC 5492; RFC 4486 Cease subcodes; RFC 6608 FSM subcodes).
namespace error_code {
inline constexpr std::uint8_t message_header = 1;
inline constexpr std::uint8_t open_message = 2;
inline constexpr std::uint8_t update_message = 3;
inline constexpr std::uint8_t hold_timer_expired = 4;
inline constexpr std::uint8_t fsm = 5;
inline constexpr std::uint8_t cease = 6;
}  // namespace error_code
namespace header_subcode {
inline constexpr std::uint8_t connection_not_synchronized = 1;  // bad marker
inline constexpr std::uint8_t bad_message_length = 2;
inline constexpr std::uint8_t bad_message_type = 3;
}  // namespace header_subcode
namespace open_subcode {
inline constexpr std::uint8_t unspecific = 0;
inline constexpr std::uint8_t unsupported_version = 1;
inline constexpr std::uint8_t bad_peer_as = 2;
inline constexpr std::uint8_t bad_bgp_identifier = 3;
inline constexpr std::uint8_t unsupported_optional_parameter = 4;
inline constexpr std::uint8_t unacceptable_hold_time = 6;
inline constexpr std::uint8_t unsupported_capability = 7;
}  // namespace open_subcode
namespace update_subcode {
inline constexpr std::uint8_t malformed_attribute_list = 1;
inline constexpr std::uint8_t unrecognized_well_known_attribute = 2;
inline constexpr std::uint8_t missing_well_known_attribute = 3;
inline constexpr std::uint8_t attribute_flags_error = 4;
inline constexpr std::uint8_t attribute_length_error = 5;
inline constexpr std::uint8_t invalid_origin = 6;
inline constexpr std::uint8_t invalid_next_hop = 8;
inline constexpr std::uint8_t optional_attribute_error = 9;
inline constexpr std::uint8_t invalid_network_field = 10;
inline constexpr std::uint8_t malformed_as_path = 11;
}  // namespace update_subcode
namespace cease_subcode {
inline constexpr std::uint8_t max_prefixes = 1;
inline constexpr std::uint8_t administrative_shutdown = 2;
inline constexpr std::uint8_t peer_deconfigured = 3;
inline constexpr std::uint8_t administrative_reset = 4;
inline constexpr std::uint8_t connection_rejected = 5;
inline constexpr std::uint8_t other_configuration_change = 6;
inline constexpr std::uint8_t connection_collision_resolution = 7;
}  // namespace cease_subcode

// A decode (or OPEN validation) failure: the NOTIFICATION to send (code, subcode, data), what to do
// about it (RFC 7606), and a short static description for logs/tests.
struct DecodeError {
  std::uint8_t code = 0;
  std::uint8_t subcode = 0;
  Bytes data;
  ErrorAction action = ErrorAction::session_reset;
  std::string_view what;
  friend bool operator==(const DecodeError&, const DecodeError&) = default;
};

// ---------------------------------------------------------------------------------------------
// OPEN

struct GracefulRestart {  // RFC 4724 capability 64
  struct Family {
    AfiSafi family;
    bool forwarding_preserved = false;
    friend bool operator==(const Family&, const Family&) = default;
  };
  bool restarting = false;         // R bit
  bool notification = false;       // N bit (RFC 8538)
  std::uint16_t restart_time = 0;  // seconds, 12 bits
  std::vector<Family> families;
  friend bool operator==(const GracefulRestart&, const GracefulRestart&) = default;
};

struct RawCapability {  // a capability we do not interpret, kept verbatim (RFC 5492 §3: tolerated)
  std::uint8_t code = 0;
  Bytes value;
  friend bool operator==(const RawCapability&, const RawCapability&) = default;
};

namespace capability_code {
inline constexpr std::uint8_t multiprotocol = 1;
inline constexpr std::uint8_t route_refresh = 2;
inline constexpr std::uint8_t graceful_restart = 64;
inline constexpr std::uint8_t four_octet_as = 65;
}  // namespace capability_code

// The capabilities of one OPEN, whether they came in one Capabilities optional parameter or in
// several. Encoding writes them all in one parameter, in the order below, then `unknown`.
struct Capabilities {
  std::vector<AfiSafi> multiprotocol;               // code 1, one entry per advertised family
  bool route_refresh = false;                       // code 2
  std::optional<GracefulRestart> graceful_restart;  // code 64
  std::optional<std::uint32_t> four_octet_as;       // code 65, the speaker's real AS
  std::vector<RawCapability> unknown;
  friend bool operator==(const Capabilities&, const Capabilities&) = default;
};

struct OpenMessage {
  std::uint8_t version = bgp_version;
  std::uint16_t my_as = 0;  // wire field: AS_TRANS when the real AS is > 65535
  std::uint16_t hold_time = 0;
  std::uint32_t bgp_identifier = 0;  // host order
  Capabilities capabilities;
  friend bool operator==(const OpenMessage&, const OpenMessage&) = default;

  // The speaker's AS: the 4-octet capability when present (RFC 6793), else My AS.
  std::uint32_t effective_as() const { return capabilities.four_octet_as.value_or(my_as); }
};

// ---------------------------------------------------------------------------------------------
// UPDATE

enum class Origin : std::uint8_t { igp = 0, egp = 1, incomplete = 2 };

enum class AsSegmentType : std::uint8_t { as_set = 1, as_sequence = 2, confed_sequence = 3, confed_set = 4 };

struct AsPathSegment {
  AsSegmentType type = AsSegmentType::as_sequence;
  std::vector<std::uint32_t> asns;
  friend bool operator==(const AsPathSegment&, const AsPathSegment&) = default;
};
using AsPath = std::vector<AsPathSegment>;

struct LargeCommunity {  // RFC 8092
  std::uint32_t global_admin = 0;
  std::uint32_t local_data1 = 0;
  std::uint32_t local_data2 = 0;
  friend bool operator==(const LargeCommunity&, const LargeCommunity&) = default;
};

// MP_REACH_NLRI (RFC 4760). For IPv4/IPv6 unicast the next hop and NLRI are decoded; for other
// families `raw` holds the attribute value verbatim and the other fields stay empty.
struct MpReach {
  AfiSafi family = ipv6_unicast;
  net::IpAddress next_hop;                            // IPv6 global (or IPv4 for AFI 1)
  std::optional<net::IpAddress> link_local_next_hop;  // IPv6 32-byte next hop, second half
  std::vector<net::Prefix> nlri;
  Bytes raw;
  friend bool operator==(const MpReach&, const MpReach&) = default;
};

struct MpUnreach {  // MP_UNREACH_NLRI; empty `withdrawn` is the End-of-RIB marker for the family
  AfiSafi family = ipv6_unicast;
  std::vector<net::Prefix> withdrawn;
  Bytes raw;
  friend bool operator==(const MpUnreach&, const MpUnreach&) = default;
};

namespace attr_flag {
inline constexpr std::uint8_t optional = 0x80;
inline constexpr std::uint8_t transitive = 0x40;
inline constexpr std::uint8_t partial = 0x20;
inline constexpr std::uint8_t extended_length = 0x10;
}  // namespace attr_flag

namespace attr_type {
inline constexpr std::uint8_t origin = 1;
inline constexpr std::uint8_t as_path = 2;
inline constexpr std::uint8_t next_hop = 3;
inline constexpr std::uint8_t med = 4;
inline constexpr std::uint8_t local_pref = 5;
inline constexpr std::uint8_t atomic_aggregate = 6;
inline constexpr std::uint8_t aggregator = 7;
inline constexpr std::uint8_t communities = 8;
inline constexpr std::uint8_t mp_reach_nlri = 14;
inline constexpr std::uint8_t mp_unreach_nlri = 15;
inline constexpr std::uint8_t as4_path = 17;
inline constexpr std::uint8_t large_communities = 32;
}  // namespace attr_type

// An attribute kept verbatim: optional attributes we do not interpret (transitive ones must be
// passed on, RFC 4271 §5), and AGGREGATOR/ATOMIC_AGGREGATE which vipd never needs to look into.
// `flags` keeps the optional/transitive/partial bits as received; the extended-length bit is
// cleared on decode and recomputed on encode.
struct RawAttribute {
  std::uint8_t flags = 0;
  std::uint8_t type = 0;
  Bytes value;
  friend bool operator==(const RawAttribute&, const RawAttribute&) = default;
};

struct PathAttributes {
  std::optional<Origin> origin;
  std::optional<AsPath> as_path;           // 2- or 4-octet on the wire, per DecodeContext
  std::optional<net::IpAddress> next_hop;  // IPv4 NEXT_HOP attribute
  std::optional<std::uint32_t> med;
  std::optional<std::uint32_t> local_pref;
  std::vector<std::uint32_t> communities;         // RFC 1997; empty = attribute absent
  std::vector<LargeCommunity> large_communities;  // RFC 8092; empty = attribute absent
  std::optional<MpReach> mp_reach;
  std::optional<MpUnreach> mp_unreach;
  std::optional<AsPath> as4_path;   // RFC 6793, only meaningful from 2-octet speakers
  std::vector<RawAttribute> other;  // in wire order
  friend bool operator==(const PathAttributes&, const PathAttributes&) = default;
};

struct UpdateMessage {
  std::vector<net::Prefix> withdrawn;  // IPv4 Withdrawn Routes field
  PathAttributes attributes;
  std::vector<net::Prefix> nlri;  // IPv4 NLRI field
  // Non-fatal errors found while decoding (RFC 7606 attribute-discard / treat-as-withdraw). Fatal
  // ones (session-reset) make the decoder fail instead. Ignored by the encoder and by ==.
  std::vector<DecodeError> errors;

  friend bool operator==(const UpdateMessage& a, const UpdateMessage& b) {
    return a.withdrawn == b.withdrawn && a.attributes == b.attributes && a.nlri == b.nlri;
  }
  // RFC 7606: every NLRI in this UPDATE (IPv4 field and MP_REACH) must be handled as withdrawn.
  bool treat_as_withdraw() const {
    for (const auto& e : errors)
      if (e.action == ErrorAction::treat_as_withdraw) return true;
    return false;
  }
  // The family this UPDATE marks End-of-RIB for (RFC 4724 §2), if it is such a marker.
  std::optional<AfiSafi> end_of_rib() const;
};

// ---------------------------------------------------------------------------------------------
// NOTIFICATION, KEEPALIVE, ROUTE-REFRESH

struct NotificationMessage {
  std::uint8_t code = 0;
  std::uint8_t subcode = 0;
  Bytes data;
  friend bool operator==(const NotificationMessage&, const NotificationMessage&) = default;
};

struct KeepaliveMessage {
  friend bool operator==(const KeepaliveMessage&, const KeepaliveMessage&) = default;
};

struct RouteRefreshMessage {  // RFC 2918; the reserved octet is RFC 7313's subtype, kept verbatim
  AfiSafi family = ipv4_unicast;
  std::uint8_t subtype = 0;
  friend bool operator==(const RouteRefreshMessage&, const RouteRefreshMessage&) = default;
};

using Message =
    std::variant<OpenMessage, UpdateMessage, NotificationMessage, KeepaliveMessage, RouteRefreshMessage>;

}  // namespace vipd::bgp
