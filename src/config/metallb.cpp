// MetalLB's shapes: the legacy ConfigMap (its inner YAML is native, read with positions mapped
// back into the outer file) and the CRDs (IPAddressPool, L2Advertisement, BGPAdvertisement,
// BGPPeer, Community). CRD advertisements are wired to pools after every document (resolve.cpp).

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "doc_parser.hpp"
#include "vipd/config/loader.hpp"

namespace vipd::config::detail {

void DocParser::config_map(const Map& obj) {
  const Val* data = obj.get("data");
  const Val* config = nullptr;
  Map d;
  if (data) {
    d = map(*data, {"config"}, true);
    config = d.get("config");
  }
  if (!config) {
    l_.add_warning({Severity::note, obj.where, obj.path, "ConfigMap without data.config ignored"});
    return;
  }
  auto text = str(*config, true);
  if (!text) return;
  // Position the inner text: for a literal block (`config: |`) inner line N is outer line
  // (first content line + N) and columns shift by the block's indentation.
  PositionMap inner{pos_.file, 0, 0, std::nullopt};
  const YAML::Mark mk = config->node.Mark();
  const auto p = static_cast<std::size_t>(mk.pos);
  if (config->node.Tag() == "!" && mk.pos >= 0 && p < raw_.size() && raw_[p] == '|' && !pos_.fixed) {
    std::size_t line_start = raw_.find('\n', p);
    int indent = 0;
    while (line_start != std::string::npos) {
      const std::size_t next = raw_.find('\n', line_start + 1);
      const std::string_view line(raw_.data() + line_start + 1,
                                  (next == std::string::npos ? raw_.size() : next) - line_start - 1);
      const auto first = line.find_first_not_of(' ');
      if (first != std::string_view::npos && line.find_first_not_of(" \t\r") != std::string_view::npos) {
        indent = static_cast<int>(first);
        break;
      }
      line_start = next;
    }
    inner.line_offset = pos_.line_offset + mk.line + 1;
    inner.column_offset = pos_.column_offset + indent;
  } else {
    inner.fixed = config->where;  // quoted or folded: point at the value itself
  }
  l_.add_text(*text, inner, /*metallb=*/true, /*inner=*/true);
}

void DocParser::crd(const Map& obj, const std::string& kind, const Val& root) {
  std::string name;
  SourceLocation where = root.where;
  if (const Val* md = obj.get("metadata")) {
    const Map meta = map(*md,
                         {"name", "namespace", "labels", "annotations", "uid", "resourceVersion",
                          "generation", "creationTimestamp", "managedFields"},
                         true);
    if (const Val* n = meta.get("name")) {
      if (auto s = str(*n)) {
        name = *s;
        where = n->where;
      }
    }
  }
  const std::string path = kind + "/" + (name.empty() ? "?" : name);
  Val spec{YAML::Node(), root.where, child(path, "spec")};
  if (const Val* s = obj.get("spec")) spec = Val{s->node, s->where, child(path, "spec")};
  static const std::set<std::string> known = {"IPAddressPool", "L2Advertisement", "BGPAdvertisement",
                                              "BGPPeer", "Community"};
  if (!known.count(kind)) {
    if (kind == "BFDProfile")
      warning(root, "BFD is not supported by vipd; BFDProfile " + quote(name) + " ignored");
    else
      note(root, "MetalLB kind " + quote(kind) + " is not used by vipd, document ignored");
    return;
  }
  if (name.empty() && kind != "Community") {
    error(root, kind + " needs metadata.name");
    return;
  }
  if (kind == "IPAddressPool")
    crd_pool(spec, name, where);
  else if (kind == "L2Advertisement")
    crd_l2(spec, name, path, where);
  else if (kind == "BGPAdvertisement")
    crd_bgp_adv(spec, name, path, where);
  else if (kind == "BGPPeer")
    crd_peer(spec, name, where);
  else
    crd_community(spec);
}

void DocParser::crd_pool(const Val& spec, const std::string& name, const SourceLocation& where) {
  const Map m = map(spec, {"addresses", "autoAssign", "avoidBuggyIPs", "serviceAllocation"}, true);
  if (!m.ok) return;
  Pool p;
  p.name = name;
  p.where = where;
  Origin o{spec.path.substr(0, spec.path.size() - 5), where, {}};
  if (!require(m, "addresses", "a list of CIDRs, a-b ranges or addresses")) return;
  for (const auto& [key, x] : m.items) {
    o.at[key] = x.where;
    if (key == "addresses") {
      for (const auto& item : list(x))
        if (auto r = range(item)) p.addresses.push_back(std::move(*r));
      if (p.addresses.empty() && (x.null() || (x.node.IsSequence() && x.node.size() == 0))) {
        error(x, "a pool needs at least one address range");
        return;
      }
    } else if (key == "autoAssign") {
      if (auto b = boolean(x)) p.auto_assign = *b;
    } else if (key == "avoidBuggyIPs") {
      if (auto b = boolean(x)) p.avoid_buggy_ips = *b;
    } else if (key == "serviceAllocation") {
      const Map sa = map(x, {"priority", "namespaces", "namespaceSelectors", "serviceSelectors"}, true);
      for (const auto& [k2, y] : sa.items)
        ignored_field(y, "vipd runs standalone and serves the services in its own config, so " + k2 +
                             " does not apply");
    }
  }
  l_.crd_pools_.push_back(l_.model_.pools.size());
  l_.model_.pools.push_back(std::move(p));
  l_.pool_o_.push_back(std::move(o));
}

void DocParser::crd_l2(const Val& spec, const std::string& name, const std::string& path,
                       const SourceLocation& where) {
  const Map m = map(spec, {"ipAddressPools", "ipAddressPoolSelectors", "nodeSelectors", "interfaces"}, true);
  if (!m.ok) return;
  CrdAdv a;
  a.name = name;
  a.path = path;
  a.where = where;
  bool selectors = false;
  for (const auto& [key, x] : m.items) {
    if (crd_adv_pools(key, x, a, selectors)) continue;
    if (key == "interfaces") {
      a.interfaces = patterns(x);
    }
  }
  if (selectors && !a.pools) a.pools.emplace();
  l_.crd_advs_.push_back(std::move(a));
}

// The keys L2Advertisement and BGPAdvertisement share: which pools, and the Kubernetes selectors
// vipd cannot honour standalone. True when `key` was one of them.
bool DocParser::crd_adv_pools(const std::string& key, const Val& x, CrdAdv& a, bool& selectors) {
  if (key == "ipAddressPools") {
    a.pools = text_list(x);
  } else if (key == "ipAddressPoolSelectors") {
    selectors = !x.null();
    if (selectors)
      ignored_field(x,
                    "label selectors need Kubernetes; this advertisement applies only to the pools listed "
                    "in ipAddressPools");
  } else if (key == "nodeSelectors") {
    if (!x.null()) ignored_field(x, "vipd runs standalone on this node, nodeSelectors do not apply");
  } else {
    return false;
  }
  return true;
}

void DocParser::crd_bgp_adv(const Val& spec, const std::string& name, const std::string& path,
                            const SourceLocation& where) {
  const Map m = map(spec,
                    {"aggregationLength", "aggregationLengthV6", "localPref", "communities", "ipAddressPools",
                     "ipAddressPoolSelectors", "nodeSelectors", "peers"},
                    true);
  if (!m.ok) return;
  CrdAdv a;
  a.bgp = true;
  a.name = name;
  a.path = path;
  a.where = where;
  a.adv.where = where;
  a.agg_at = a.agg6_at = where;
  bool selectors = false;
  for (const auto& [key, x] : m.items) {
    if (crd_adv_pools(key, x, a, selectors)) continue;
    if (key == "aggregationLength") {
      a.agg_at = x.where;
      if (auto n = integer(x, 0, 32, "a prefix length"))
        a.adv.aggregation_length = static_cast<std::uint8_t>(*n);
    } else if (key == "aggregationLengthV6") {
      a.agg6_at = x.where;
      if (auto n = integer(x, 0, 128, "a prefix length"))
        a.adv.aggregation_length_v6 = static_cast<std::uint8_t>(*n);
    } else if (key == "localPref") {
      if (auto n = integer(x, 0, 4294967295ULL, "a LOCAL_PREF"))
        a.adv.localpref = static_cast<std::uint32_t>(*n);
    } else if (key == "communities") {
      a.communities = text_list(x);
    } else if (key == "peers") {
      a.peers = text_list(x);
      for (const auto& t : a.peers) a.adv.peers.push_back(t.text);
    }
  }
  if (selectors && !a.pools) a.pools.emplace();
  l_.crd_advs_.push_back(std::move(a));
}

// BGPPeer: the same peer rules as native peers (peer_rules.cpp) under the CRD's camelCase keys.
void DocParser::crd_peer(const Val& spec, const std::string& name, const SourceLocation& where) {
  const PeerKeys& k = crd_peer_keys;
  const Map m =
      map(spec,
          {k.my_asn, k.peer_asn, k.peer_address, k.source_address, k.peer_port, k.hold_time, k.keepalive_time,
           k.router_id, k.password, "passwordSecret", k.ebgp_multihop, k.bfd_profile, k.node_selectors, "vrf",
           "connectTime", "enableGracefulRestart", "disableMP", "dynamicASN"},
          true);
  if (!m.ok) return;
  PeerDraft d{{}, Origin{spec.path.substr(0, spec.path.size() - 5), where, {}}, true, spec.path};
  d.peer.name = name;
  d.peer.where = where;
  d.ok = require_peer_keys(k, m);
  for (const auto& [key, x] : m.items) {
    if (peer_field(k, key, x, d)) continue;
    d.origin.at[key] = x.where;
    if (key == "passwordSecret") {
      ignored_field(x, "Kubernetes secrets are not available standalone; put the key in password");
    } else if (key == "vrf") {
      ignored_field(x, "VRFs are not supported by vipd");
    } else if (key == "connectTime" || key == "enableGracefulRestart" || key == "disableMP") {
      ignored_field(x, "not supported by vipd");
    } else if (key == "dynamicASN") {
      error(x, "dynamicASN is not supported by vipd (expected peerASN)");
      d.ok = false;
    }
  }
  // Named by metadata.name, so kept even when broken, like a named native peer.
  add_peer(k, std::move(d));
}

void DocParser::crd_community(const Val& spec) {
  const Map m = map(spec, {"communities"}, true);
  const Val* list_v = m.get("communities");
  if (!list_v) return;
  for (const auto& item : list(*list_v)) {
    const Map c = map(item, {"name", "value"}, true);
    if (!c.ok) continue;
    if (!require(c, "name", "the alias") || !require(c, "value", "a:b or large:a:b:c")) continue;
    auto n = str(*c.get("name"));
    auto v = str(*c.get("value"));
    if (n && v) add_alias(*n, *v, *c.get("value"));
  }
}
}  // namespace vipd::config::detail
