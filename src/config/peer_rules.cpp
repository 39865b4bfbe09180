// The peer rules, one function per field, for every input shape: native `peers[]`, the legacy
// MetalLB ConfigMap (whose inner YAML is native) and the BGPPeer CRD. The same bad value gives
// the same message whatever the shape; only the key path and the key's spelling differ.

#include <chrono>
#include <string>
#include <utility>

#include "doc_parser.hpp"
#include "vipd/config/loader.hpp"

namespace vipd::config::detail {

bool DocParser::peer_field(const PeerKeys& k, const std::string& key, const Val& x, PeerDraft& d) {
  using Rule = void (DocParser::*)(const PeerKeys&, const Val&, PeerDraft&);
  struct Field {
    std::string_view PeerKeys::*key;
    Rule rule;
  };
  static constexpr Field fields[] = {
      {&PeerKeys::peer_address, &DocParser::peer_address_rule},
      {&PeerKeys::peer_asn, &DocParser::peer_asn_rule},
      {&PeerKeys::my_asn, &DocParser::my_asn_rule},
      {&PeerKeys::peer_port, &DocParser::peer_port_rule},
      {&PeerKeys::hold_time, &DocParser::hold_time_rule},
      {&PeerKeys::keepalive_time, &DocParser::keepalive_time_rule},
      {&PeerKeys::router_id, &DocParser::router_id_rule},
      {&PeerKeys::source_address, &DocParser::source_address_rule},
      {&PeerKeys::password, &DocParser::password_rule},
      {&PeerKeys::ebgp_multihop, &DocParser::ebgp_multihop_rule},
      {&PeerKeys::bfd_profile, &DocParser::bfd_profile_rule},
      {&PeerKeys::node_selectors, &DocParser::node_selectors_rule},
  };
  for (const auto& f : fields) {
    if (key != k.*f.key) continue;
    d.origin.at[std::string(native_peer_keys.*f.key)] = x.where;
    (this->*f.rule)(k, x, d);
    return true;
  }
  return false;
}

void DocParser::peer_address_rule(const PeerKeys&, const Val& x, PeerDraft& d) {
  if (auto a = ip(x))
    d.peer.peer_address = *a;
  else
    d.ok = false;
}

void DocParser::peer_asn_rule(const PeerKeys&, const Val& x, PeerDraft& d) {
  if (auto a = asn(x))
    d.peer.peer_asn = *a;
  else
    d.ok = false;
}

void DocParser::my_asn_rule(const PeerKeys&, const Val& x, PeerDraft& d) {
  if (auto a = asn(x))
    d.peer.my_asn = *a;
  else
    d.ok = false;
}

void DocParser::peer_port_rule(const PeerKeys&, const Val& x, PeerDraft& d) {
  if (auto n = integer(x, 1, 65535, "a port")) d.peer.peer_port = static_cast<std::uint16_t>(*n);
}

// RFC 4271 4.2: zero, or at least three seconds; the OPEN carries whole seconds in 16 bits.
void DocParser::hold_time_rule(const PeerKeys&, const Val& x, PeerDraft& d) {
  auto t = duration(x);
  if (!t) return;
  if (*t != Duration::zero() && (*t < std::chrono::seconds(3) || *t > std::chrono::seconds(65535)))
    error(x, quote(x.node.Scalar()) + " is not a valid hold time (expected 0 or 3s-65535s)");
  else if (t->count() % 1000 != 0)
    error(x, quote(x.node.Scalar()) + " is not a valid hold time (expected whole seconds)");
  else
    d.peer.hold_time = *t;
}

void DocParser::keepalive_time_rule(const PeerKeys&, const Val& x, PeerDraft& d) {
  auto t = duration(x);
  if (!t) return;
  if (t->count() % 1000 != 0 || *t > std::chrono::seconds(21845))
    error(x, quote(x.node.Scalar()) +
                 " is not a valid keepalive time (expected whole seconds, at most a third of 65535s)");
  else
    d.peer.keepalive_time = *t;
}

void DocParser::router_id_rule(const PeerKeys&, const Val& x, PeerDraft& d) {
  auto a = ip(x);
  if (!a) return;
  if (!a->is_v4())
    error(x, quote(x.node.Scalar()) + " is not a valid router ID (expected an IPv4 address)");
  else
    d.peer.router_id = *a;
}

// Its family is checked against the peer address's once both are read (add_peer).
void DocParser::source_address_rule(const PeerKeys&, const Val& x, PeerDraft& d) {
  if (auto a = ip(x)) d.peer.source_address = *a;
}

void DocParser::password_rule(const PeerKeys&, const Val& x, PeerDraft& d) {
  auto s = str(x, true);
  if (!s) return;
  if (s->size() > 80)
    error(x,
          "password is too long (" + std::to_string(s->size()) + " characters, TCP MD5 keys are at most 80)");
  else
    d.peer.password = *s;
}

void DocParser::ebgp_multihop_rule(const PeerKeys&, const Val& x, PeerDraft& d) {
  if (auto b = boolean(x)) d.peer.ebgp_multihop = *b;
}

void DocParser::bfd_profile_rule(const PeerKeys& k, const Val& x, PeerDraft& d) {
  auto s = str(x, true);
  if (!s) return;
  d.peer.bfd_profile = *s;
  if (!s->empty())
    warning(x,
            "BFD is not supported by vipd; " + std::string(k.bfd_profile) + " " + quote(*s) + " is ignored");
}

void DocParser::node_selectors_rule(const PeerKeys& k, const Val& x, PeerDraft&) {
  if (!x.null())
    ignored_field(x, "vipd runs standalone on this node, " + std::string(k.node_selectors) + " do not apply");
}

bool DocParser::require_peer_keys(const PeerKeys& k, const Map& m) {
  bool ok = require(m, k.peer_address, "the neighbour's IP address");
  ok = require(m, k.peer_asn, "the neighbour's AS number") && ok;
  ok = require(m, k.my_asn, "this node's AS number") && ok;
  return ok;
}

void DocParser::add_peer(const PeerKeys& k, PeerDraft d) {
  const Peer& p = d.peer;
  if (d.ok && p.source_address && p.source_address->family() != p.peer_address.family())
    error(d.origin.field("source-address"), child(d.path, k.source_address),
          quote(p.source_address->to_string()) + " is not of the peer address's family (expected " +
              (p.peer_address.is_v4() ? "IPv4" : "IPv6") + ")");
  // The default keepalive is a third of the hold time; one given must not exceed it.
  if (p.keepalive_time && *p.keepalive_time > p.hold_time)
    error(d.origin.field("keepalive-time"), child(d.path, k.keepalive_time),
          quote(format_duration(*p.keepalive_time)) + " is longer than the hold time " +
              quote(format_duration(p.hold_time)) + " (expected keepalive-time <= hold-time)");
  l_.model_.peers.push_back(std::move(d.peer));
  l_.peer_o_.push_back(std::move(d.origin));
}

}  // namespace vipd::config::detail
