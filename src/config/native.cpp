// The native vipd sections: interfaces, peers, address pools and their BGP advertisements,
// services, gratuitous announcements, failover (VRRP), local delivery, control, metrics and the
// log level. A legacy MetalLB ConfigMap's inner YAML is read here as well.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "doc_parser.hpp"
#include "vipd/config/loader.hpp"

namespace vipd::config::detail {
namespace {

// A next hop a router can use off the link: IPv6, and not link-local, site-local (fec0::/10),
// loopback, unspecified, multicast or IPv4-mapped.
bool is_global_v6(const net::IpAddress& a) {
  if (!a.is_v6() || a.is_unspecified() || a.is_multicast() || a.is_v6_link_local()) return false;
  const auto b = a.bytes();
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return false;
  const bool zero10 = std::all_of(b.begin(), b.begin() + 10, [](std::uint8_t x) { return x == 0; });
  if (zero10 && b[10] == 0xff && b[11] == 0xff) return false;  // ::ffff:a.b.c.d
  return !(a.value() == net::Uint128{1});                      // ::1
}

}  // namespace

void DocParser::native(const Val& root) {
  const Map m = map(root,
                    {"interfaces", "peers", "address-pools", "bgp-communities", "bfd-profiles", "services",
                     "gratuitous", "failover", "local-delivery", "control", "metrics", "log-level"},
                    false);
  for (const auto& [key, v] : m.items) {
    if (key == "interfaces") {
      if (claim_section(key, v)) interfaces(v);
    } else if (key == "peers") {
      for (const auto& item : list(v)) peer(item);
    } else if (key == "address-pools") {
      for (const auto& item : list(v)) pool(item);
    } else if (key == "bgp-communities") {
      if (v.null()) continue;
      if (!v.node.IsMap()) {
        error(v, "expected a mapping of alias: community, got " + describe(v.node));
        continue;
      }
      for (auto it = v.node.begin(); it != v.node.end(); ++it) {
        const YAML::Node k = it->first;
        const YAML::Node val = it->second;
        if (!k.IsScalar() || k.Scalar().empty() || !valid_utf8(k.Scalar())) {
          error(at(k), v.path, "a community alias must be a UTF-8 string, got " + describe(k));
          continue;
        }
        const Val cv{val, val.IsNull() ? at(k) : at(val), child(v.path, k.Scalar())};
        if (auto s = str(cv)) add_alias(k.Scalar(), *s, cv);
      }
    } else if (key == "bfd-profiles") {
      if (!v.null()) warning(v, "BFD is not supported by vipd; bfd-profiles are ignored");
    } else if (key == "services") {
      for (const auto& item : list(v)) service(item);
    } else if (key == "gratuitous") {
      if (claim_section(key, v)) gratuitous(v);
    } else if (key == "failover") {
      failover(v);
    } else if (key == "local-delivery") {
      if (claim_section(key, v)) local_delivery(v);
    } else if (key == "control") {
      if (claim_section(key, v)) control(v);
    } else if (key == "metrics") {
      if (claim_section(key, v)) metrics(v);
    } else if (key == "log-level") {
      if (claim_section(key, v)) log_level(v);
    }
  }
}

void DocParser::interfaces(const Val& v) {
  const Map m = map(v, {"allow", "deny", "require-subnet"}, false);
  auto& p = l_.model_.interfaces;
  p.where = v.where;
  if (const Val* x = m.get("allow")) p.allow = patterns(*x);
  if (const Val* x = m.get("deny")) p.deny = patterns(*x);
  if (const Val* x = m.get("require-subnet"))
    if (auto b = boolean(*x)) p.require_subnet = *b;
}

// Native and legacy ConfigMap peers: the shared peer rules (peer_rules.cpp) plus the fields
// only vipd has (name, passive, gtsm, next-hop-v6).
void DocParser::peer(const Val& v) {
  const PeerKeys& k = native_peer_keys;
  const Map m = map(v,
                    {k.peer_address, k.peer_asn, k.my_asn, k.peer_port, k.hold_time, k.keepalive_time,
                     k.router_id, k.source_address, k.password, k.ebgp_multihop, k.bfd_profile,
                     k.node_selectors, "name", "passive", "gtsm", "next-hop-v6"},
                    false);
  if (!m.ok) return;
  PeerDraft d{{}, Origin{v.path, v.where, {}}, true, v.path};
  Peer& p = d.peer;
  p.where = v.where;
  d.ok = require_peer_keys(k, m);
  for (const auto& [key, x] : m.items) {
    d.origin.at[key] = x.where;
    if (peer_field(k, key, x, d)) continue;
    if (key == "name") {
      if (auto s = str(x)) p.name = *s;
    } else if (key == "passive") {
      if (auto b = boolean(x)) p.passive = *b;
    } else if (key == "gtsm") {
      if (auto b = boolean(x)) p.gtsm = *b;
    } else if (key == "next-hop-v6") {
      if (auto a = ip(x)) {
        if (!is_global_v6(*a))
          error(x, quote(x.node.Scalar()) +
                       " is not a global IPv6 address (expected e.g. 2001:db8::1 or fd00::1; "
                       "not link-local, loopback, multicast or IPv4)");
        else
          p.next_hop_v6 = *a;
      }
    }
  }
  // An invalid peer is still recorded (the load fails anyway) so references to it do not
  // produce a second, misleading "does not exist" error.
  if (p.name.empty() && d.origin.at.count("peer-address") && d.ok) p.name = p.peer_address.to_string();
  if (p.name.empty() && !d.ok) return;
  // GTSM only accepts packets from the link (TTL 255 minus one hop at most); a multihop session's
  // packets arrive with less, so the two settings cannot both hold.
  if (p.gtsm && p.ebgp_multihop)
    error(d.origin.field("gtsm"), child(v.path, "gtsm"),
          "gtsm and ebgp-multihop contradict each other (GTSM accepts only directly connected peers; "
          "expected one of them)");
  add_peer(k, std::move(d));
}

void DocParser::pool(const Val& v) {
  const Map m = map(v,
                    {"name", "protocol", "addresses", "avoid-buggy-ips", "auto-assign", "bgp-advertisements",
                     "interfaces", "require-subnet"},
                    false);
  if (!m.ok) return;
  Pool p;
  Origin o{v.path, v.where, {}};
  p.where = v.where;
  require(m, "name", "a unique pool name");
  require(m, "protocol", "layer2 or bgp");
  require(m, "addresses", "a list of CIDRs, a-b ranges or addresses");
  const std::size_t index_in_model = l_.model_.pools.size();
  std::vector<Val> advs;
  bool protocol_known = false;
  for (const auto& [key, x] : m.items) {
    o.at[key] = x.where;
    if (key == "name") {
      if (auto s = str(x)) p.name = *s;
    } else if (key == "protocol") {
      protocol_known = x.node.IsScalar() && (x.node.Scalar() == "layer2" || x.node.Scalar() == "bgp");
      if (protocol_known) {
        p.protocol = x.node.Scalar() == "bgp" ? Protocol::bgp : Protocol::layer2;
      } else {
        error(x, describe(x.node) + " is not a protocol (expected layer2 or bgp)");
      }
    } else if (key == "addresses") {
      const auto items = list(x);
      if (items.empty() && (x.null() || x.node.IsSequence()))
        error(x, "a pool needs at least one address range");
      for (const auto& item : items)
        if (auto r = range(item)) p.addresses.push_back(std::move(*r));
    } else if (key == "avoid-buggy-ips") {
      if (auto b = boolean(x)) p.avoid_buggy_ips = *b;
    } else if (key == "auto-assign") {
      if (auto b = boolean(x)) p.auto_assign = *b;
    } else if (key == "bgp-advertisements") {
      advs = list(x);
    } else if (key == "interfaces") {
      p.interfaces = patterns(x);
    } else if (key == "require-subnet") {
      if (auto b = boolean(x)) p.require_subnet = *b;
    }
  }
  // A broken pool is kept (the load fails anyway) so references to it give no second error.
  if (p.name.empty()) return;
  if (protocol_known && !advs.empty() && p.protocol != Protocol::bgp)
    error(o.field("bgp-advertisements"), child(v.path, "bgp-advertisements"),
          "bgp-advertisements are only allowed in pools with protocol bgp");
  if (protocol_known && !p.interfaces.empty() && p.protocol == Protocol::bgp)
    l_.warning(o.field("interfaces"), child(v.path, "interfaces"),
               "interfaces only apply to layer2 pools; ignored for protocol bgp");
  l_.model_.pools.push_back(std::move(p));
  l_.pool_o_.push_back(std::move(o));
  for (const auto& a : advs) bgp_advertisement(a, index_in_model);
}

void DocParser::bgp_advertisement(const Val& v, std::size_t pool_index) {
  const Map m =
      map(v, {"aggregation-length", "aggregation-length-v6", "localpref", "origin", "communities", "peers"},
          false);
  if (!m.ok) return;
  BgpAdvertisement a;
  a.where = v.where;
  PendingAdv pending;
  pending.pool = pool_index;
  pending.path = v.path;
  pending.agg_at = pending.agg6_at = v.where;
  for (const auto& [key, x] : m.items) {
    if (key == "aggregation-length") {
      pending.agg_at = x.where;
      if (auto n = integer(x, 0, 32, "a prefix length")) a.aggregation_length = static_cast<std::uint8_t>(*n);
    } else if (key == "aggregation-length-v6") {
      pending.agg6_at = x.where;
      if (auto n = integer(x, 0, 128, "a prefix length"))
        a.aggregation_length_v6 = static_cast<std::uint8_t>(*n);
    } else if (key == "localpref") {
      if (auto n = integer(x, 0, 4294967295ULL, "a LOCAL_PREF")) a.localpref = static_cast<std::uint32_t>(*n);
    } else if (key == "origin") {
      if (auto o = origin(x)) a.origin = *o;
    } else if (key == "communities") {
      pending.communities = text_list(x);
    } else if (key == "peers") {
      pending.peers = text_list(x);
      for (const auto& t : pending.peers) a.peers.push_back(t.text);
    }
  }
  auto& pool = l_.model_.pools[pool_index];
  pending.adv = pool.bgp_advertisements.size();
  pool.bgp_advertisements.push_back(std::move(a));
  l_.pending_.push_back(std::move(pending));
}

void DocParser::service(const Val& v) {
  const Map m = map(v, {"name", "pool", "address"}, false);
  if (!m.ok) return;
  Service s;
  Origin o{v.path, v.where, {}};
  s.where = v.where;
  bool ok = require(m, "name", "a unique service name");
  ok = require(m, "pool", "the pool to serve it from") && ok;
  for (const auto& [key, x] : m.items) {
    o.at[key] = x.where;
    if (key == "name") {
      if (auto t = str(x))
        s.name = *t;
      else
        ok = false;
    } else if (key == "pool") {
      if (auto t = str(x))
        s.pool = *t;
      else
        ok = false;
    } else if (key == "address") {
      s.address_where = x.where;
      if (auto a = ip(x))
        s.address = *a;
      else
        ok = false;
    }
  }
  if (!ok && s.name.empty()) return;
  l_.model_.services.push_back(std::move(s));
  l_.service_o_.push_back(std::move(o));
}

void DocParser::gratuitous(const Val& v) {
  const Map m = map(v, {"count", "interval", "refresh"}, false);
  auto& g = l_.model_.gratuitous;
  for (const auto& [key, x] : m.items) {
    if (key == "count") {
      if (auto n = integer(x, 0, 100, "a count")) g.count = static_cast<int>(*n);
    } else if (key == "interval") {
      if (auto d = duration(x)) {
        if (*d < std::chrono::milliseconds(10) || *d > std::chrono::seconds(60))
          error(x, quote(x.node.Scalar()) + " is out of range (expected an interval 10ms-60s)");
        else
          g.interval = *d;
      }
    } else if (key == "refresh") {
      if (auto d = duration(x)) {
        if (*d != Duration::zero() && (*d < std::chrono::seconds(1) || *d > std::chrono::hours(24)))
          error(x, quote(x.node.Scalar()) + " is out of range (expected 0s to disable, or 1s-24h)");
        else
          g.refresh = *d;
      }
    }
  }
}

void DocParser::failover(const Val& v) {
  const Map m = map(v, {"vrrp"}, false);
  if (const Val* x = m.get("vrrp"))
    for (const auto& item : list(*x)) vrrp(item);
}

void DocParser::vrrp(const Val& v) {
  const Map m = map(v,
                    {"name", "interface", "vrid", "priority", "advert-interval", "preempt", "preempt-delay",
                     "pools", "unicast-peers"},
                    false);
  if (!m.ok) return;
  VrrpGroup g;
  Origin o{v.path, v.where, {}};
  g.where = v.where;
  bool ok = require(m, "name", "a unique group name");
  ok = require(m, "interface", "the link VRRP adverts use") && ok;
  ok = require(m, "vrid", "a virtual router ID 1-255") && ok;
  for (const auto& [key, x] : m.items) {
    o.at[key] = x.where;
    if (key == "name") {
      if (auto s = str(x))
        g.name = *s;
      else
        ok = false;
    } else if (key == "interface") {
      if (auto s = str(x)) {
        if (s->size() > 15)
          error(x, quote(*s) + " is not a link name (at most 15 characters)");
        else
          g.interface = *s;
      }
    } else if (key == "vrid") {
      if (auto n = integer(x, 1, 255, "a virtual router ID")) g.vrid = static_cast<std::uint8_t>(*n);
    } else if (key == "priority") {
      if (x.node.IsScalar() && x.node.Scalar() == "255") {
        error(x, "\"255\": address owner mode is not supported (expected a priority 1-254)");
      } else if (auto n = integer(x, 1, 254, "a priority")) {
        g.priority = static_cast<std::uint8_t>(*n);
      }
    } else if (key == "advert-interval") {
      if (auto d = duration(x)) {
        if (*d < std::chrono::milliseconds(10) || *d > std::chrono::milliseconds(40950) ||
            d->count() % 10 != 0)
          error(x, quote(x.node.Scalar()) +
                       " is not a VRRP advert interval (expected 10ms-40.95s in steps of 10ms)");
        else
          g.advert_interval = *d;
      }
    } else if (key == "preempt") {
      if (auto b = boolean(x)) g.preempt = *b;
    } else if (key == "preempt-delay") {
      if (auto d = duration(x)) {
        if (*d > std::chrono::hours(1))
          error(x, quote(x.node.Scalar()) + " is out of range (expected 0s-1h)");
        else
          g.preempt_delay = *d;
      }
    } else if (key == "pools") {
      for (const auto& t : text_list(x)) {
        o.at[t.path.substr(v.path.size() + 1)] = t.where;
        g.pools.push_back(t.text);
      }
    } else if (key == "unicast-peers") {
      for (const auto& item : list(x))
        if (auto a = ip(item)) g.unicast_peers.push_back(*a);
    }
  }
  if (!ok && g.name.empty()) return;
  l_.model_.failover.vrrp.push_back(std::move(g));
  l_.vrrp_o_.push_back(std::move(o));
}

void DocParser::local_delivery(const Val& v) {
  const Map m = map(v, {"enabled", "link"}, false);
  auto& ld = l_.model_.local_delivery;
  for (const auto& [key, x] : m.items) {
    if (key == "enabled") {
      if (auto b = boolean(x)) ld.enabled = *b;
    } else if (key == "link") {
      if (auto s = str(x)) {
        if (s->size() > 15)
          error(x, quote(*s) + " is not a link name (at most 15 characters)");
        else
          ld.link = *s;
      }
    }
  }
}

void DocParser::control(const Val& v) {
  const Map m = map(v, {"socket"}, false);
  if (const Val* x = m.get("socket")) {
    if (auto s = str(*x)) {
      if (s->front() != '/' || s->size() > 107)
        error(*x, quote(*s) + " is not a socket path (expected an absolute path, at most 107 characters)");
      else
        l_.model_.control.socket = *s;
    }
  }
}

void DocParser::metrics(const Val& v) {
  const Map m = map(v, {"listen"}, false);
  const Val* x = m.get("listen");
  if (!x) return;
  auto s = str(*x, true);
  if (!s) return;
  if (s->empty()) {  // empty disables the endpoint
    l_.model_.metrics.listen.clear();
    return;
  }
  // "host:port" or "[v6]:port".
  std::string host, port;
  if (s->front() == '[') {
    const auto close = s->find("]:");
    if (close != std::string::npos) {
      host = s->substr(1, close - 1);
      port = s->substr(close + 2);
    }
  } else if (const auto colon = s->rfind(':'); colon != std::string::npos) {
    host = s->substr(0, colon);
    port = s->substr(colon + 1);
  }
  auto addr = net::IpAddress::parse(host);
  bool port_ok = !port.empty() && port.size() <= 5 &&
                 std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (port_ok) port_ok = std::stoi(port) >= 1 && std::stoi(port) <= 65535;
  if (!addr || !port_ok || (addr->is_v6() && s->front() != '[')) {
    error(*x, quote(*s) +
                  " is not a listen address (expected address:port like 127.0.0.1:9477 or [::1]:9477, or "
                  "\"\" to disable)");
    return;
  }
  l_.model_.metrics.listen = *s;
}

void DocParser::log_level(const Val& v) {
  static const std::vector<std::string> levels = {"trace", "debug",    "info", "warn",
                                                  "error", "critical", "off"};
  if (v.node.IsScalar() && std::find(levels.begin(), levels.end(), v.node.Scalar()) != levels.end()) {
    l_.model_.log_level = v.node.Scalar();
    return;
  }
  error(v,
        describe(v.node) + " is not a log level (expected trace, debug, info, warn, error, critical or off)");
}
}  // namespace vipd::config::detail
