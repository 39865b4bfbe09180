// BGP-4 codec. See include/vipd/bgp/codec.hpp for the contract and the RFC 7606 choices.
#include "vipd/bgp/codec.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace vipd::bgp {
namespace {

// Bounds-checked big-endian reader. Callers check has(n) before reading n bytes.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  std::size_t remaining() const { return bytes_.size() - pos_; }
  bool has(std::size_t n) const { return remaining() >= n; }
  std::uint8_t u8() { return bytes_[pos_++]; }
  std::uint16_t u16() {
    const auto v = static_cast<std::uint16_t>((bytes_[pos_] << 8) | bytes_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  std::uint32_t u32() {
    const std::uint32_t v = (std::uint32_t{bytes_[pos_]} << 24) | (std::uint32_t{bytes_[pos_ + 1]} << 16) |
                            (std::uint32_t{bytes_[pos_ + 2]} << 8) | std::uint32_t{bytes_[pos_ + 3]};
    pos_ += 4;
    return v;
  }
  std::span<const std::uint8_t> take(std::size_t n) {
    auto s = bytes_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  std::span<const std::uint8_t> rest() { return take(remaining()); }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

void put8(Bytes& out, std::uint8_t v) {
  out.push_back(v);
}
void put16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
void put32(Bytes& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v >> 16));
  put16(out, static_cast<std::uint16_t>(v));
}
void put_bytes(Bytes& out, std::span<const std::uint8_t> b) {
  out.insert(out.end(), b.begin(), b.end());
}

Bytes u16_bytes(std::size_t v) {
  return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

DecodeError error(std::uint8_t code, std::uint8_t subcode, std::string_view what, Bytes data = {},
                  ErrorAction action = ErrorAction::session_reset) {
  return DecodeError{code, subcode, std::move(data), action, what};
}

// Starts a message: marker, length placeholder, type. finish() patches the length.
Bytes start_message(MessageType type) {
  Bytes out(16, 0xff);
  put16(out, 0);
  put8(out, static_cast<std::uint8_t>(type));
  return out;
}
Bytes finish(Bytes out) {
  out[16] = static_cast<std::uint8_t>(out.size() >> 8);
  out[17] = static_cast<std::uint8_t>(out.size());
  return out;
}

// Header length field for a message `body_size` long (data of a 1/2 NOTIFICATION).
Bytes length_field(std::size_t body_size) {
  return u16_bytes(header_size + body_size);
}

// ----- attributes -----

void write_attribute(Bytes& out, std::uint8_t flags, std::uint8_t type, std::span<const std::uint8_t> value) {
  flags = static_cast<std::uint8_t>(flags & ~attr_flag::extended_length);
  if (value.size() > 255) flags |= attr_flag::extended_length;
  put8(out, flags);
  put8(out, type);
  if (value.size() > 255)
    put16(out, static_cast<std::uint16_t>(value.size()));
  else
    put8(out, static_cast<std::uint8_t>(value.size()));
  put_bytes(out, value);
}

std::size_t attribute_size(std::size_t value_size) {
  return value_size + (value_size > 255 ? 4 : 3);
}

Bytes encode_as_path(const AsPath& path, bool four_octet) {
  Bytes v;
  for (const auto& seg : path) {
    // A segment holds at most 255 ASNs: split longer ones (same type) as RFC 4271 §9.1.2.2 allows.
    for (std::size_t i = 0; i < seg.asns.size() || (i == 0 && seg.asns.empty()); i += 255) {
      const std::size_t n = std::min<std::size_t>(255, seg.asns.size() - i);
      put8(v, static_cast<std::uint8_t>(seg.type));
      put8(v, static_cast<std::uint8_t>(n));
      for (std::size_t k = i; k < i + n; ++k) {
        const auto asn = seg.asns[k];
        if (four_octet)
          put32(v, asn);
        else
          put16(v, asn > 0xffff ? as_trans : static_cast<std::uint16_t>(asn));
      }
      if (seg.asns.empty()) break;
    }
  }
  return v;
}

bool needs_as4(const AsPath& path) {
  for (const auto& seg : path)
    for (auto asn : seg.asns)
      if (asn > 0xffff) return true;
  return false;
}

Bytes encode_mp_reach(const MpReach& mp) {
  if (!mp.raw.empty()) return mp.raw;
  Bytes v;
  put16(v, mp.family.afi);
  put8(v, mp.family.safi);
  const auto nh = mp.next_hop.bytes();
  const std::size_t nh_len = nh.size() + (mp.link_local_next_hop ? 16 : 0);
  put8(v, static_cast<std::uint8_t>(nh_len));
  put_bytes(v, nh);
  if (mp.link_local_next_hop) put_bytes(v, mp.link_local_next_hop->bytes());
  put8(v, 0);  // reserved (SNPA count in RFC 2858)
  for (const auto& p : mp.nlri) write_prefix(p, v);
  return v;
}

Bytes encode_mp_unreach(const MpUnreach& mp) {
  if (!mp.raw.empty()) return mp.raw;
  Bytes v;
  put16(v, mp.family.afi);
  put8(v, mp.family.safi);
  for (const auto& p : mp.withdrawn) write_prefix(p, v);
  return v;
}

Bytes encode_attributes(const PathAttributes& a, const DecodeContext& ctx) {
  using namespace attr_flag;
  Bytes out;
  if (a.mp_reach) write_attribute(out, optional, attr_type::mp_reach_nlri, encode_mp_reach(*a.mp_reach));
  if (a.mp_unreach)
    write_attribute(out, optional, attr_type::mp_unreach_nlri, encode_mp_unreach(*a.mp_unreach));
  if (a.origin) {
    const std::array<std::uint8_t, 1> v{static_cast<std::uint8_t>(*a.origin)};
    write_attribute(out, transitive, attr_type::origin, v);
  }
  if (a.as_path)
    write_attribute(out, transitive, attr_type::as_path, encode_as_path(*a.as_path, ctx.four_octet_as));
  if (a.next_hop) write_attribute(out, transitive, attr_type::next_hop, a.next_hop->bytes());
  if (a.med) {
    Bytes v;
    put32(v, *a.med);
    write_attribute(out, optional, attr_type::med, v);
  }
  if (a.local_pref) {
    Bytes v;
    put32(v, *a.local_pref);
    write_attribute(out, transitive, attr_type::local_pref, v);
  }
  if (!a.communities.empty()) {
    Bytes v;
    for (auto c : a.communities) put32(v, c);
    write_attribute(out, optional | transitive, attr_type::communities, v);
  }
  if (a.as4_path)
    write_attribute(out, optional | transitive, attr_type::as4_path, encode_as_path(*a.as4_path, true));
  else if (!ctx.four_octet_as && a.as_path && needs_as4(*a.as_path))
    write_attribute(out, optional | transitive, attr_type::as4_path, encode_as_path(*a.as_path, true));
  if (!a.large_communities.empty()) {
    Bytes v;
    for (const auto& c : a.large_communities) {
      put32(v, c.global_admin);
      put32(v, c.local_data1);
      put32(v, c.local_data2);
    }
    write_attribute(out, optional | transitive, attr_type::large_communities, v);
  }
  for (const auto& raw : a.other) write_attribute(out, raw.flags, raw.type, raw.value);
  return out;
}

Bytes encode_update_body(const UpdateMessage& u, const DecodeContext& ctx) {
  Bytes withdrawn;
  for (const auto& p : u.withdrawn) write_prefix(p, withdrawn);
  const Bytes attrs = encode_attributes(u.attributes, ctx);
  Bytes body;
  put16(body, static_cast<std::uint16_t>(withdrawn.size()));
  put_bytes(body, withdrawn);
  put16(body, static_cast<std::uint16_t>(attrs.size()));
  put_bytes(body, attrs);
  for (const auto& p : u.nlri) write_prefix(p, body);
  return body;
}

Result<AsPath, DecodeError> parse_as_path(std::span<const std::uint8_t> value, bool four_octet,
                                          std::uint8_t type) {
  const std::size_t asn_size = four_octet ? 4 : 2;
  const ErrorAction action =
      type == attr_type::as4_path ? ErrorAction::attribute_discard : ErrorAction::treat_as_withdraw;
  AsPath path;
  Reader r(value);
  while (r.remaining() > 0) {
    if (!r.has(2))
      return unexpected(
          error(3, update_subcode::malformed_as_path, "AS_PATH segment header cut", {}, action));
    const auto seg_type = r.u8();
    const auto count = r.u8();
    if (seg_type < 1 || seg_type > 4)
      return unexpected(error(3, update_subcode::malformed_as_path, "AS_PATH bad segment type", {}, action));
    if (count == 0)  // RFC 7606 §7.2: a zero-length segment is malformed
      return unexpected(error(3, update_subcode::malformed_as_path, "AS_PATH empty segment", {}, action));
    if (!r.has(count * asn_size))
      return unexpected(error(3, update_subcode::malformed_as_path, "AS_PATH segment overruns", {}, action));
    AsPathSegment seg{static_cast<AsSegmentType>(seg_type), {}};
    seg.asns.reserve(count);
    for (unsigned i = 0; i < count; ++i) seg.asns.push_back(four_octet ? r.u32() : r.u16());
    path.push_back(std::move(seg));
  }
  return path;
}

Result<net::IpAddress, DecodeError> address_from(std::span<const std::uint8_t> b) {
  if (b.size() == 4) {
    std::array<std::uint8_t, 4> a{};
    std::copy(b.begin(), b.end(), a.begin());
    return net::IpAddress::v4_bytes(a);
  }
  std::array<std::uint8_t, 16> a{};
  std::copy(b.begin(), b.end(), a.begin());
  return net::IpAddress::v6_bytes(a);
}

// The expected O/T flag bits of each attribute we interpret.
struct KnownAttribute {
  std::uint8_t type;
  std::uint8_t flags;  // optional | transitive bits only
  ErrorAction action;  // RFC 7606 action when malformed
};
constexpr std::array<KnownAttribute, 12> known_attributes{{
    {attr_type::origin, attr_flag::transitive, ErrorAction::treat_as_withdraw},
    {attr_type::as_path, attr_flag::transitive, ErrorAction::treat_as_withdraw},
    {attr_type::next_hop, attr_flag::transitive, ErrorAction::treat_as_withdraw},
    {attr_type::med, attr_flag::optional, ErrorAction::treat_as_withdraw},
    {attr_type::local_pref, attr_flag::transitive, ErrorAction::treat_as_withdraw},
    {attr_type::atomic_aggregate, attr_flag::transitive, ErrorAction::attribute_discard},
    {attr_type::aggregator, attr_flag::optional | attr_flag::transitive, ErrorAction::attribute_discard},
    {attr_type::communities, attr_flag::optional | attr_flag::transitive, ErrorAction::treat_as_withdraw},
    {attr_type::mp_reach_nlri, attr_flag::optional, ErrorAction::session_reset},
    {attr_type::mp_unreach_nlri, attr_flag::optional, ErrorAction::session_reset},
    {attr_type::as4_path, attr_flag::optional | attr_flag::transitive, ErrorAction::attribute_discard},
    {attr_type::large_communities, attr_flag::optional | attr_flag::transitive,
     ErrorAction::treat_as_withdraw},
}};

const KnownAttribute* find_known(std::uint8_t type) {
  for (const auto& k : known_attributes)
    if (k.type == type) return &k;
  return nullptr;
}

// Decodes one attribute we interpret into `a`. Returns an error (with the attribute's action) when
// malformed; `whole` is the attribute including its header (NOTIFICATION data for 3/4, 3/5, ...).
std::optional<DecodeError> decode_known(std::uint8_t type, std::uint8_t flags,
                                        std::span<const std::uint8_t> value,
                                        std::span<const std::uint8_t> whole, ErrorAction action,
                                        const DecodeContext& ctx, PathAttributes& a) {
  const Bytes data(whole.begin(), whole.end());
  auto length_error = [&](std::string_view what) {
    return error(3, update_subcode::attribute_length_error, what, data, action);
  };
  Reader r(value);
  switch (type) {
    case attr_type::origin:
      if (value.size() != 1) return length_error("ORIGIN length != 1");
      if (value[0] > 2) return error(3, update_subcode::invalid_origin, "ORIGIN value > 2", data, action);
      a.origin = static_cast<Origin>(value[0]);
      return std::nullopt;
    case attr_type::as_path:
    case attr_type::as4_path: {
      auto path = parse_as_path(value, type == attr_type::as4_path || ctx.four_octet_as, type);
      if (!path) return path.error();
      (type == attr_type::as_path ? a.as_path : a.as4_path) = std::move(path).value();
      return std::nullopt;
    }
    case attr_type::next_hop: {
      if (value.size() != 4) return length_error("NEXT_HOP length != 4");
      auto nh = address_from(value).value();
      const auto v = nh.v4_value();
      if (v == 0 || v == 0xffffffffu || (v >> 28) == 0xe)
        return error(3, update_subcode::invalid_next_hop, "NEXT_HOP not a unicast address", data, action);
      a.next_hop = nh;
      return std::nullopt;
    }
    case attr_type::med:
      if (value.size() != 4) return length_error("MED length != 4");
      a.med = r.u32();
      return std::nullopt;
    case attr_type::local_pref:
      if (value.size() != 4) return length_error("LOCAL_PREF length != 4");
      a.local_pref = r.u32();
      return std::nullopt;
    case attr_type::atomic_aggregate:
      if (!value.empty()) return length_error("ATOMIC_AGGREGATE length != 0");
      a.other.push_back({static_cast<std::uint8_t>(flags & ~attr_flag::extended_length), type, {}});
      return std::nullopt;
    case attr_type::aggregator:
      if (value.size() != (ctx.four_octet_as ? 8u : 6u)) return length_error("AGGREGATOR bad length");
      a.other.push_back({static_cast<std::uint8_t>(flags & ~attr_flag::extended_length), type,
                         Bytes(value.begin(), value.end())});
      return std::nullopt;
    case attr_type::communities:
      if (value.empty() || value.size() % 4 != 0)
        return length_error("COMMUNITIES length not a positive multiple of 4");
      while (r.remaining() > 0) a.communities.push_back(r.u32());
      return std::nullopt;
    case attr_type::large_communities:
      if (value.empty() || value.size() % 12 != 0)
        return length_error("LARGE_COMMUNITIES length not a positive multiple of 12");
      while (r.remaining() > 0) {
        LargeCommunity c;
        c.global_admin = r.u32();
        c.local_data1 = r.u32();
        c.local_data2 = r.u32();
        a.large_communities.push_back(c);
      }
      return std::nullopt;
    case attr_type::mp_reach_nlri: {
      if (!r.has(5))
        return error(3, update_subcode::optional_attribute_error, "MP_REACH_NLRI too short", data);
      MpReach mp;
      mp.family.afi = r.u16();
      mp.family.safi = r.u8();
      const auto nh_len = r.u8();
      if (!r.has(std::size_t{nh_len} + 1))
        return error(3, update_subcode::optional_attribute_error, "MP_REACH_NLRI next hop overruns", data);
      const auto nh = r.take(nh_len);
      r.u8();  // reserved
      const bool v6 = mp.family == ipv6_unicast;
      if (!v6 && !(mp.family == ipv4_unicast)) {
        mp.raw.assign(value.begin(), value.end());
        a.mp_reach = std::move(mp);
        return std::nullopt;
      }
      if (v6 ? (nh_len != 16 && nh_len != 32) : nh_len != 4)
        return error(3, update_subcode::optional_attribute_error, "MP_REACH_NLRI bad next hop length", data);
      mp.next_hop = address_from(nh.first(v6 ? 16 : 4)).value();
      if (nh_len == 32) mp.link_local_next_hop = address_from(nh.subspan(16)).value();
      auto nlri = parse_prefixes(r.rest(), v6 ? net::Family::v6 : net::Family::v4);
      if (!nlri) return nlri.error();
      mp.nlri = std::move(nlri).value();
      a.mp_reach = std::move(mp);
      return std::nullopt;
    }
    case attr_type::mp_unreach_nlri: {
      if (!r.has(3))
        return error(3, update_subcode::optional_attribute_error, "MP_UNREACH_NLRI too short", data);
      MpUnreach mp;
      mp.family.afi = r.u16();
      mp.family.safi = r.u8();
      const bool v6 = mp.family == ipv6_unicast;
      if (!v6 && !(mp.family == ipv4_unicast)) {
        // Another family: kept verbatim, unless it is just AFI/SAFI (an End-of-RIB marker).
        if (value.size() > 3) mp.raw.assign(value.begin(), value.end());
        a.mp_unreach = std::move(mp);
        return std::nullopt;
      }
      auto withdrawn = parse_prefixes(r.rest(), v6 ? net::Family::v6 : net::Family::v4);
      if (!withdrawn) return withdrawn.error();
      mp.withdrawn = std::move(withdrawn).value();
      a.mp_unreach = std::move(mp);
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::optional<AfiSafi> UpdateMessage::end_of_rib() const {
  if (!withdrawn.empty() || !nlri.empty()) return std::nullopt;
  if (attributes == PathAttributes{}) return ipv4_unicast;
  PathAttributes only_unreach;
  only_unreach.mp_unreach = attributes.mp_unreach;
  if (attributes.mp_unreach && attributes.mp_unreach->withdrawn.empty() &&
      attributes.mp_unreach->raw.empty() && attributes == only_unreach)
    return attributes.mp_unreach->family;
  return std::nullopt;
}

Result<std::optional<Frame>, DecodeError> next_frame(std::span<const std::uint8_t> stream) {
  const std::size_t marker_seen = std::min<std::size_t>(stream.size(), 16);
  for (std::size_t i = 0; i < marker_seen; ++i)
    if (stream[i] != 0xff)
      return unexpected(error(1, header_subcode::connection_not_synchronized, "marker not all ones"));
  if (stream.size() < header_size) return std::optional<Frame>{};
  const std::size_t length = (std::size_t{stream[16]} << 8) | stream[17];
  const std::uint8_t type = stream[18];
  const Bytes length_data{stream[16], stream[17]};
  if (length < header_size || length > max_message_size)
    return unexpected(error(1, header_subcode::bad_message_length, "length outside 19..4096", length_data));
  std::size_t min = header_size, max = max_message_size;
  switch (static_cast<MessageType>(type)) {
    case MessageType::open:
      min = 29;
      break;
    case MessageType::update:
      min = 23;
      break;
    case MessageType::notification:
      min = 21;
      break;
    case MessageType::keepalive:
      max = 19;
      break;
    case MessageType::route_refresh:
      min = max = 23;
      break;
    default:
      return unexpected(error(1, header_subcode::bad_message_type, "unknown message type", Bytes{type}));
  }
  if (length < min || length > max)
    return unexpected(
        error(1, header_subcode::bad_message_length, "length wrong for the message type", length_data));
  if (stream.size() < length) return std::optional<Frame>{};
  return std::optional<Frame>{
      Frame{type, stream.first(length), stream.subspan(header_size, length - header_size)}};
}

// GCC 12 reports -Wmaybe-uninitialized inside std::variant's move constructor when a Message is
// built from a just-parsed alternative (a known false positive, GCC PR 105562/107138).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
Result<Message, DecodeError> parse_message(const Frame& frame, const DecodeContext& ctx) {
  auto wrap = [](auto result) -> Result<Message, DecodeError> {
    if (!result) return unexpected(std::move(result).error());
    Message m(std::move(result).value());
    return m;
  };
  switch (static_cast<MessageType>(frame.type)) {
    case MessageType::open:
      return wrap(parse_open(frame.body));
    case MessageType::update:
      return wrap(parse_update(frame.body, ctx));
    case MessageType::notification:
      return wrap(parse_notification(frame.body));
    case MessageType::keepalive:
      if (!frame.body.empty())
        return unexpected(error(1, header_subcode::bad_message_length, "KEEPALIVE with a body",
                                length_field(frame.body.size())));
      return Message{KeepaliveMessage{}};
    case MessageType::route_refresh:
      return wrap(parse_route_refresh(frame.body));
  }
  return unexpected(error(1, header_subcode::bad_message_type, "unknown message type", Bytes{frame.type}));
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

Result<Message, DecodeError> parse_message(std::span<const std::uint8_t> message, const DecodeContext& ctx) {
  auto frame = next_frame(message);
  if (!frame) return unexpected(std::move(frame).error());
  if (!frame.value())
    return unexpected(error(1, header_subcode::bad_message_length, "message truncated",
                            message.size() >= 18 ? Bytes{message[16], message[17]} : Bytes{}));
  if (frame.value()->message.size() != message.size())
    return unexpected(error(1, header_subcode::bad_message_length, "bytes after the message",
                            Bytes{message[16], message[17]}));
  return parse_message(*frame.value(), ctx);
}

Result<OpenMessage, DecodeError> parse_open(std::span<const std::uint8_t> body) {
  Reader r(body);
  if (!r.has(10))
    return unexpected(
        error(1, header_subcode::bad_message_length, "OPEN too short", length_field(body.size())));
  OpenMessage open;
  open.version = r.u8();
  if (open.version != bgp_version)  // data: the largest version we support (RFC 4271 §6.2)
    return unexpected(
        error(2, open_subcode::unsupported_version, "unsupported version", Bytes{0, bgp_version}));
  open.my_as = r.u16();
  open.hold_time = r.u16();
  open.bgp_identifier = r.u32();
  const std::size_t params_length = r.u8();
  if (params_length != r.remaining())
    return unexpected(error(2, open_subcode::unspecific, "optional parameters length mismatch"));
  auto& caps = open.capabilities;
  while (r.remaining() > 0) {
    if (!r.has(2)) return unexpected(error(2, open_subcode::unspecific, "optional parameter header cut"));
    const auto param_type = r.u8();
    const std::size_t param_length = r.u8();
    if (!r.has(param_length))
      return unexpected(error(2, open_subcode::unspecific, "optional parameter overruns"));
    Reader p(r.take(param_length));
    if (param_type != 2)  // only Capabilities (RFC 5492) exist today; Authentication (1) is deprecated
      return unexpected(
          error(2, open_subcode::unsupported_optional_parameter, "unsupported optional parameter"));
    while (p.remaining() > 0) {
      if (!p.has(2)) return unexpected(error(2, open_subcode::unspecific, "capability header cut"));
      const auto code = p.u8();
      const std::size_t length = p.u8();
      if (!p.has(length)) return unexpected(error(2, open_subcode::unspecific, "capability overruns"));
      const auto value = p.take(length);
      Reader v(value);
      switch (code) {
        case capability_code::multiprotocol: {
          if (length != 4)
            return unexpected(error(2, open_subcode::unspecific, "multiprotocol capability length != 4"));
          AfiSafi f;
          f.afi = v.u16();
          v.u8();  // reserved
          f.safi = v.u8();
          if (std::find(caps.multiprotocol.begin(), caps.multiprotocol.end(), f) == caps.multiprotocol.end())
            caps.multiprotocol.push_back(f);
          break;
        }
        case capability_code::route_refresh:
          if (length != 0)
            return unexpected(error(2, open_subcode::unspecific, "route refresh capability length != 0"));
          caps.route_refresh = true;
          break;
        case capability_code::graceful_restart: {
          if (length < 2 || (length - 2) % 4 != 0)
            return unexpected(error(2, open_subcode::unspecific, "graceful restart capability bad length"));
          GracefulRestart gr;
          const auto flags_time = v.u16();
          gr.restarting = (flags_time & 0x8000) != 0;
          gr.notification = (flags_time & 0x4000) != 0;
          gr.restart_time = flags_time & 0x0fff;
          while (v.remaining() > 0) {
            GracefulRestart::Family f;
            f.family.afi = v.u16();
            f.family.safi = v.u8();
            f.forwarding_preserved = (v.u8() & 0x80) != 0;
            gr.families.push_back(f);
          }
          caps.graceful_restart = std::move(gr);
          break;
        }
        case capability_code::four_octet_as:
          if (length != 4)
            return unexpected(error(2, open_subcode::unspecific, "4-octet AS capability length != 4"));
          if (!caps.four_octet_as) caps.four_octet_as = v.u32();
          break;
        default:
          caps.unknown.push_back({code, Bytes(value.begin(), value.end())});
      }
    }
  }
  return open;
}

Result<std::vector<net::Prefix>, DecodeError> parse_prefixes(std::span<const std::uint8_t> bytes,
                                                             net::Family family) {
  const int max_length = net::max_prefix_length(family);
  std::vector<net::Prefix> out;
  Reader r(bytes);
  while (r.remaining() > 0) {
    const int length = r.u8();
    if (length > max_length)
      return unexpected(error(3, update_subcode::invalid_network_field, "prefix length too long"));
    const std::size_t n = static_cast<std::size_t>(length + 7) / 8;
    if (!r.has(n)) return unexpected(error(3, update_subcode::invalid_network_field, "prefix overruns"));
    const auto b = r.take(n);
    std::array<std::uint8_t, 16> a{};
    std::copy(b.begin(), b.end(), a.begin());
    auto address = family == net::Family::v4
                       ? net::IpAddress::v4_bytes(std::span<const std::uint8_t, 4>(a.data(), 4))
                       : net::IpAddress::v6_bytes(a);
    out.push_back(net::Prefix{address, static_cast<std::uint8_t>(length)});
  }
  return out;
}

std::size_t encoded_prefix_size(const net::Prefix& prefix) {
  return 1 + (std::size_t{prefix.length} + 7) / 8;
}

void write_prefix(const net::Prefix& prefix, Bytes& out) {
  put8(out, prefix.length);
  const auto b = prefix.address.bytes();
  put_bytes(out, b.first(std::min(b.size(), (std::size_t{prefix.length} + 7) / 8)));
}

Result<UpdateMessage, DecodeError> parse_update(std::span<const std::uint8_t> body,
                                                const DecodeContext& ctx) {
  auto list_error = [&](std::string_view what) {
    return unexpected(error(3, update_subcode::malformed_attribute_list, what));
  };
  Reader r(body);
  if (!r.has(2)) return list_error("withdrawn routes length cut");
  const std::size_t withdrawn_length = r.u16();
  if (!r.has(withdrawn_length + 2)) return list_error("withdrawn routes length overruns the message");
  UpdateMessage u;
  auto withdrawn = parse_prefixes(r.take(withdrawn_length), net::Family::v4);
  if (!withdrawn) return unexpected(std::move(withdrawn).error());
  u.withdrawn = std::move(withdrawn).value();
  const std::size_t attributes_length = r.u16();
  // RFC 7606 §4: if the lengths do not add up the NLRI cannot be located: session reset.
  if (!r.has(attributes_length)) return list_error("total path attribute length overruns the message");
  Reader a(r.take(attributes_length));
  const auto nlri_bytes = r.rest();

  std::array<bool, 256> seen{};
  auto& attrs = u.attributes;
  while (a.remaining() > 0) {
    const auto start = a;
    if (!a.has(3)) {  // RFC 7606 §4: an attribute that cannot be parsed -> treat-as-withdraw
      u.errors.push_back(error(3, update_subcode::malformed_attribute_list, "attribute header cut", {},
                               ErrorAction::treat_as_withdraw));
      break;
    }
    const auto flags = a.u8();
    const auto type = a.u8();
    std::size_t length = 0;
    if (flags & attr_flag::extended_length) {
      if (!a.has(2)) {
        u.errors.push_back(error(3, update_subcode::malformed_attribute_list, "attribute header cut", {},
                                 ErrorAction::treat_as_withdraw));
        break;
      }
      length = a.u16();
    } else {
      length = a.u8();
    }
    if (!a.has(length)) {
      u.errors.push_back(error(3, update_subcode::malformed_attribute_list,
                               "attribute overruns the attribute list", {}, ErrorAction::treat_as_withdraw));
      break;
    }
    const std::size_t header_length = (flags & attr_flag::extended_length) ? 4 : 3;
    auto start_reader = start;
    const auto whole = start_reader.take(header_length + length);
    const auto value = a.take(length);

    const auto* known = find_known(type);
    if (seen[type]) {
      // RFC 7606 §3(g): keep the first of a repeated attribute, except MP_(UN)REACH: session reset.
      if (known && known->action == ErrorAction::session_reset)
        return list_error("repeated MP_REACH_NLRI/MP_UNREACH_NLRI");
      u.errors.push_back(error(3, update_subcode::malformed_attribute_list, "repeated attribute",
                               Bytes(whole.begin(), whole.end()), ErrorAction::attribute_discard));
      continue;
    }
    seen[type] = true;
    if (!known) {
      if (!(flags & attr_flag::optional))
        return unexpected(error(3, update_subcode::unrecognized_well_known_attribute,
                                "unrecognized well-known attribute", Bytes(whole.begin(), whole.end())));
      // Unknown optional: transitive ones are kept with their flags as received (a speaker that
      // passes one on sets Partial, RFC 4271 §5), non-transitive ones are quietly ignored.
      if (flags & attr_flag::transitive)
        attrs.other.push_back({static_cast<std::uint8_t>(flags & ~attr_flag::extended_length), type,
                               Bytes(value.begin(), value.end())});
      continue;
    }
    if ((flags & (attr_flag::optional | attr_flag::transitive)) != known->flags) {
      // RFC 7606 §3(c): a flags error is handled with the attribute's own approach.
      auto e = error(3, update_subcode::attribute_flags_error, "attribute flags error",
                     Bytes(whole.begin(), whole.end()), known->action);
      if (e.action == ErrorAction::session_reset) return unexpected(std::move(e));
      u.errors.push_back(std::move(e));
      continue;
    }
    if (auto e = decode_known(type, flags, value, whole, known->action, ctx, attrs)) {
      if (e->action == ErrorAction::session_reset) return unexpected(std::move(*e));
      u.errors.push_back(std::move(*e));
    }
  }

  auto nlri = parse_prefixes(nlri_bytes, net::Family::v4);
  if (!nlri) return unexpected(std::move(nlri).error());
  u.nlri = std::move(nlri).value();

  // Well-known mandatory attributes, needed only when something is announced (RFC 7606 §3(d)).
  // An attribute that was present but malformed already has its own error.
  const bool announces = !u.nlri.empty() || (attrs.mp_reach && !attrs.mp_reach->nlri.empty());
  auto require = [&](std::uint8_t type, bool present) {
    if (!present && !seen[type])
      u.errors.push_back(error(3, update_subcode::missing_well_known_attribute,
                               "missing well-known attribute", Bytes{type}, ErrorAction::treat_as_withdraw));
  };
  if (announces) {
    require(attr_type::origin, attrs.origin.has_value());
    require(attr_type::as_path, attrs.as_path.has_value());
    if (!u.nlri.empty()) require(attr_type::next_hop, attrs.next_hop.has_value());
  }
  return u;
}

Result<NotificationMessage, DecodeError> parse_notification(std::span<const std::uint8_t> body) {
  if (body.size() < 2)
    return unexpected(
        error(1, header_subcode::bad_message_length, "NOTIFICATION too short", length_field(body.size())));
  return NotificationMessage{body[0], body[1], Bytes(body.begin() + 2, body.end())};
}

Result<RouteRefreshMessage, DecodeError> parse_route_refresh(std::span<const std::uint8_t> body) {
  if (body.size() != 4)
    return unexpected(error(1, header_subcode::bad_message_length, "ROUTE-REFRESH length != 23",
                            length_field(body.size())));
  Reader r(body);
  RouteRefreshMessage m;
  m.family.afi = r.u16();
  m.subtype = r.u8();
  m.family.safi = r.u8();
  return m;
}

std::optional<std::string> shutdown_communication(const NotificationMessage& n) {
  if (n.code != error_code::cease || (n.subcode != cease_subcode::administrative_shutdown &&
                                      n.subcode != cease_subcode::administrative_reset))
    return std::nullopt;
  if (n.data.empty()) return std::nullopt;
  const std::size_t length = n.data[0];
  if (length + 1 > n.data.size()) return std::nullopt;  // RFC 8203 §4: malformed, ignore
  return std::string(n.data.begin() + 1, n.data.begin() + 1 + static_cast<std::ptrdiff_t>(length));
}

// ---------------------------------------------------------------------------------------------

Bytes build_open(const OpenMessage& open) {
  Bytes caps;
  const auto& c = open.capabilities;
  for (const auto& f : c.multiprotocol) {
    put8(caps, capability_code::multiprotocol);
    put8(caps, 4);
    put16(caps, f.afi);
    put8(caps, 0);
    put8(caps, f.safi);
  }
  if (c.route_refresh) {
    put8(caps, capability_code::route_refresh);
    put8(caps, 0);
  }
  if (c.graceful_restart) {
    const auto& gr = *c.graceful_restart;
    put8(caps, capability_code::graceful_restart);
    put8(caps, static_cast<std::uint8_t>(2 + 4 * gr.families.size()));
    put16(caps, static_cast<std::uint16_t>((gr.restarting ? 0x8000 : 0) | (gr.notification ? 0x4000 : 0) |
                                           (gr.restart_time & 0x0fff)));
    for (const auto& f : gr.families) {
      put16(caps, f.family.afi);
      put8(caps, f.family.safi);
      put8(caps, f.forwarding_preserved ? 0x80 : 0);
    }
  }
  if (c.four_octet_as) {
    put8(caps, capability_code::four_octet_as);
    put8(caps, 4);
    put32(caps, *c.four_octet_as);
  }
  for (const auto& u : c.unknown) {
    put8(caps, u.code);
    put8(caps, static_cast<std::uint8_t>(u.value.size()));
    put_bytes(caps, u.value);
  }
  Bytes out = start_message(MessageType::open);
  put8(out, open.version);
  put16(out, open.my_as);
  put16(out, open.hold_time);
  put32(out, open.bgp_identifier);
  if (caps.empty()) {
    put8(out, 0);
  } else {
    put8(out, static_cast<std::uint8_t>(caps.size() + 2));
    put8(out, 2);  // optional parameter type: Capabilities
    put8(out, static_cast<std::uint8_t>(caps.size()));
    put_bytes(out, caps);
  }
  return finish(std::move(out));
}

OpenMessage make_open(std::uint32_t asn, std::uint16_t hold_time, std::uint32_t bgp_identifier,
                      std::span<const AfiSafi> families, bool route_refresh,
                      std::optional<GracefulRestart> graceful_restart) {
  OpenMessage open;
  open.my_as = asn > 0xffff ? as_trans : static_cast<std::uint16_t>(asn);
  open.hold_time = hold_time;
  open.bgp_identifier = bgp_identifier;
  open.capabilities.multiprotocol.assign(families.begin(), families.end());
  open.capabilities.route_refresh = route_refresh;
  open.capabilities.graceful_restart = std::move(graceful_restart);
  open.capabilities.four_octet_as = asn;
  return open;
}

Bytes build_keepalive() {
  return finish(start_message(MessageType::keepalive));
}

Bytes build_notification(const NotificationMessage& n) {
  Bytes out = start_message(MessageType::notification);
  put8(out, n.code);
  put8(out, n.subcode);
  // Data longer than a message can hold is cut (only an oversized shutdown text could do that).
  put_bytes(out, std::span<const std::uint8_t>(n.data).first(std::min(n.data.size(), max_message_size - 21)));
  return finish(std::move(out));
}

NotificationMessage shutdown_notification(std::string_view message, std::uint8_t subcode) {
  std::size_t length = std::min<std::size_t>(message.size(), 255);
  // Cut at a UTF-8 character boundary: never leave a dangling continuation sequence.
  while (length > 0 && length < message.size() && (static_cast<std::uint8_t>(message[length]) & 0xc0) == 0x80)
    --length;
  NotificationMessage n{error_code::cease, subcode, Bytes(1 + length)};
  n.data[0] = static_cast<std::uint8_t>(length);
  std::memcpy(n.data.data() + 1, message.data(), length);
  return n;
}

Bytes build_route_refresh(const RouteRefreshMessage& m) {
  Bytes out = start_message(MessageType::route_refresh);
  put16(out, m.family.afi);
  put8(out, m.subtype);
  put8(out, m.family.safi);
  return finish(std::move(out));
}

std::optional<Bytes> build_update(const UpdateMessage& update, const DecodeContext& ctx) {
  const Bytes body = encode_update_body(update, ctx);
  if (header_size + body.size() > max_message_size) return std::nullopt;
  Bytes out = start_message(MessageType::update);
  put_bytes(out, body);
  return finish(std::move(out));
}

namespace {

PathAttributes base_attributes(const RouteAttributes& r) {
  PathAttributes a;
  a.origin = r.origin;
  a.as_path = r.as_path;
  a.med = r.med;
  a.local_pref = r.local_pref;
  a.communities = r.communities;
  a.large_communities = r.large_communities;
  a.other = r.other;
  return a;
}

// Splits `prefixes` into runs whose encoded size fits `room(bytes_so_far + next)`.
template <class Fits>
std::vector<std::vector<net::Prefix>> chunk(const std::vector<net::Prefix>& prefixes, Fits fits) {
  std::vector<std::vector<net::Prefix>> chunks;
  std::size_t used = 0;
  for (const auto& p : prefixes) {
    const std::size_t size = encoded_prefix_size(p);
    if (chunks.empty() || !fits(used + size)) {
      chunks.emplace_back();
      used = 0;
    }
    chunks.back().push_back(p);
    used += size;
  }
  return chunks;
}

void split_families(std::span<const net::Prefix> prefixes, std::vector<net::Prefix>& v4,
                    std::vector<net::Prefix>& v6) {
  for (const auto& p : prefixes) (p.address.is_v4() ? v4 : v6).push_back(p);
}

}  // namespace

Result<std::vector<Bytes>, BuildError> build_announcements(const RouteAttributes& attributes,
                                                           std::span<const net::Prefix> prefixes,
                                                           const DecodeContext& ctx) {
  std::vector<net::Prefix> v4, v6;
  split_families(prefixes, v4, v6);
  std::vector<Bytes> out;
  if (!v4.empty()) {
    if (!attributes.next_hop_v4 || !attributes.next_hop_v4->is_v4())
      return unexpected(BuildError::missing_next_hop_v4);
    UpdateMessage u;
    u.attributes = base_attributes(attributes);
    u.attributes.next_hop = attributes.next_hop_v4;
    const std::size_t overhead = header_size + 4 + encode_attributes(u.attributes, ctx).size();
    if (overhead + 5 > max_message_size) return unexpected(BuildError::attributes_too_large);
    for (auto& nlri : chunk(v4, [&](std::size_t n) { return overhead + n <= max_message_size; })) {
      u.nlri = std::move(nlri);
      out.push_back(*build_update(u, ctx));
    }
  }
  if (!v6.empty()) {
    if (!attributes.next_hop_v6 || !attributes.next_hop_v6->is_v6())
      return unexpected(BuildError::missing_next_hop_v6);
    if (attributes.next_hop_v6_link_local && !attributes.next_hop_v6_link_local->is_v6())
      return unexpected(BuildError::missing_next_hop_v6);
    UpdateMessage u;
    u.attributes = base_attributes(attributes);
    MpReach mp;
    mp.family = ipv6_unicast;
    mp.next_hop = *attributes.next_hop_v6;
    mp.link_local_next_hop = attributes.next_hop_v6_link_local;
    const std::size_t overhead = header_size + 4 + encode_attributes(u.attributes, ctx).size();
    const std::size_t mp_fixed = encode_mp_reach(mp).size();  // AFI, SAFI, next hop, reserved
    auto fits = [&](std::size_t n) { return overhead + attribute_size(mp_fixed + n) <= max_message_size; };
    if (!fits(17)) return unexpected(BuildError::attributes_too_large);
    for (auto& nlri : chunk(v6, fits)) {
      mp.nlri = std::move(nlri);
      u.attributes.mp_reach = mp;
      out.push_back(*build_update(u, ctx));
    }
  }
  return out;
}

std::vector<Bytes> build_withdrawals(std::span<const net::Prefix> prefixes) {
  std::vector<net::Prefix> v4, v6;
  split_families(prefixes, v4, v6);
  std::vector<Bytes> out;
  const std::size_t overhead = header_size + 4;
  for (auto& withdrawn : chunk(v4, [&](std::size_t n) { return overhead + n <= max_message_size; })) {
    UpdateMessage u;
    u.withdrawn = std::move(withdrawn);
    out.push_back(*build_update(u));
  }
  for (auto& withdrawn :
       chunk(v6, [&](std::size_t n) { return overhead + attribute_size(3 + n) <= max_message_size; })) {
    UpdateMessage u;
    u.attributes.mp_unreach = MpUnreach{ipv6_unicast, std::move(withdrawn), {}};
    out.push_back(*build_update(u));
  }
  return out;
}

Bytes build_end_of_rib(AfiSafi family) {
  UpdateMessage u;
  if (!(family == ipv4_unicast)) u.attributes.mp_unreach = MpUnreach{family, {}, {}};
  return *build_update(u);
}

std::optional<Bytes> build_message(const Message& message, const DecodeContext& ctx) {
  struct Visitor {
    const DecodeContext& ctx;
    std::optional<Bytes> operator()(const OpenMessage& m) const { return build_open(m); }
    std::optional<Bytes> operator()(const UpdateMessage& m) const { return build_update(m, ctx); }
    std::optional<Bytes> operator()(const NotificationMessage& m) const { return build_notification(m); }
    std::optional<Bytes> operator()(const KeepaliveMessage&) const { return build_keepalive(); }
    std::optional<Bytes> operator()(const RouteRefreshMessage& m) const { return build_route_refresh(m); }
  };
  return std::visit(Visitor{ctx}, message);
}

}  // namespace vipd::bgp
