// Model -> native vipd YAML. Every field is written (defaults too) so `vipd --print-config` shows
// exactly what runs, and load_text(to_native_yaml(m)) gives m back.

#include <yaml-cpp/yaml.h>

#include <string>

#include "vipd/config/loader.hpp"

namespace vipd::config {
namespace {

// Free-form strings are always double-quoted: a name like "true", "~" or "123" stays a string.
YAML::Emitter& q(YAML::Emitter& e, const std::string& s) {
  return e << YAML::DoubleQuoted << s;
}

void string_list(YAML::Emitter& e, const char* key, const std::vector<std::string>& items) {
  e << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const auto& s : items) q(e, s);
  e << YAML::EndSeq;
}

void interfaces(YAML::Emitter& e, const InterfacePolicy& p) {
  e << YAML::Key << "interfaces" << YAML::Value << YAML::BeginMap;
  string_list(e, "allow", p.allow);
  string_list(e, "deny", p.deny);
  e << YAML::Key << "require-subnet" << YAML::Value << p.require_subnet;
  e << YAML::EndMap;
}

void peers(YAML::Emitter& e, const std::vector<Peer>& peers) {
  e << YAML::Key << "peers" << YAML::Value;
  if (peers.empty()) e << YAML::Flow;
  e << YAML::BeginSeq;
  for (const auto& p : peers) {
    e << YAML::BeginMap;
    e << YAML::Key << "name" << YAML::Value;
    q(e, p.name);
    e << YAML::Key << "peer-address" << YAML::Value << p.peer_address.to_string();
    e << YAML::Key << "peer-asn" << YAML::Value << p.peer_asn;
    e << YAML::Key << "my-asn" << YAML::Value << p.my_asn;
    e << YAML::Key << "peer-port" << YAML::Value << p.peer_port;
    e << YAML::Key << "hold-time" << YAML::Value << format_duration(p.hold_time);
    if (p.keepalive_time)
      e << YAML::Key << "keepalive-time" << YAML::Value << format_duration(*p.keepalive_time);
    if (p.router_id) e << YAML::Key << "router-id" << YAML::Value << p.router_id->to_string();
    if (p.source_address) e << YAML::Key << "source-address" << YAML::Value << p.source_address->to_string();
    if (!p.password.empty()) {
      e << YAML::Key << "password" << YAML::Value;
      q(e, p.password);
    }
    e << YAML::Key << "ebgp-multihop" << YAML::Value << p.ebgp_multihop;
    e << YAML::Key << "passive" << YAML::Value << p.passive;
    e << YAML::Key << "gtsm" << YAML::Value << p.gtsm;
    if (p.next_hop_v6) e << YAML::Key << "next-hop-v6" << YAML::Value << p.next_hop_v6->to_string();
    if (!p.bfd_profile.empty()) {
      e << YAML::Key << "bfd-profile" << YAML::Value;
      q(e, p.bfd_profile);
    }
    e << YAML::EndMap;
  }
  e << YAML::EndSeq;
}

void pools(YAML::Emitter& e, const std::vector<Pool>& pools) {
  e << YAML::Key << "address-pools" << YAML::Value;
  if (pools.empty()) e << YAML::Flow;
  e << YAML::BeginSeq;
  for (const auto& p : pools) {
    e << YAML::BeginMap;
    e << YAML::Key << "name" << YAML::Value;
    q(e, p.name);
    e << YAML::Key << "protocol" << YAML::Value << to_string(p.protocol);
    e << YAML::Key << "addresses" << YAML::Value << YAML::BeginSeq;
    for (const auto& r : p.addresses) q(e, r.text);
    e << YAML::EndSeq;
    e << YAML::Key << "avoid-buggy-ips" << YAML::Value << p.avoid_buggy_ips;
    e << YAML::Key << "auto-assign" << YAML::Value << p.auto_assign;
    if (!p.interfaces.empty()) string_list(e, "interfaces", p.interfaces);
    if (p.require_subnet) e << YAML::Key << "require-subnet" << YAML::Value << *p.require_subnet;
    if (!p.bgp_advertisements.empty()) {
      e << YAML::Key << "bgp-advertisements" << YAML::Value << YAML::BeginSeq;
      for (const auto& a : p.bgp_advertisements) {
        e << YAML::BeginMap;
        e << YAML::Key << "aggregation-length" << YAML::Value << int{a.aggregation_length};
        e << YAML::Key << "aggregation-length-v6" << YAML::Value << int{a.aggregation_length_v6};
        if (a.localpref) e << YAML::Key << "localpref" << YAML::Value << *a.localpref;
        e << YAML::Key << "origin" << YAML::Value << to_string(a.origin);
        if (!a.communities.empty() || !a.large_communities.empty()) {
          e << YAML::Key << "communities" << YAML::Value << YAML::Flow << YAML::BeginSeq;
          for (auto c : a.communities) q(e, format_community(Community{c}));
          for (const auto& c : a.large_communities) q(e, format_community(Community{c}));
          e << YAML::EndSeq;
        }
        if (!a.peers.empty()) string_list(e, "peers", a.peers);
        e << YAML::EndMap;
      }
      e << YAML::EndSeq;
    }
    e << YAML::EndMap;
  }
  e << YAML::EndSeq;
}

void services(YAML::Emitter& e, const std::vector<Service>& services) {
  e << YAML::Key << "services" << YAML::Value;
  if (services.empty()) e << YAML::Flow;
  e << YAML::BeginSeq;
  for (const auto& s : services) {
    e << YAML::Flow << YAML::BeginMap;
    e << YAML::Key << "name" << YAML::Value;
    q(e, s.name);
    e << YAML::Key << "pool" << YAML::Value;
    q(e, s.pool);
    if (s.address) e << YAML::Key << "address" << YAML::Value << s.address->to_string();
    e << YAML::EndMap;
  }
  e << YAML::EndSeq;
}

void failover(YAML::Emitter& e, const Failover& f) {
  e << YAML::Key << "failover" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "vrrp" << YAML::Value;
  if (f.vrrp.empty()) e << YAML::Flow;
  e << YAML::BeginSeq;
  for (const auto& g : f.vrrp) {
    e << YAML::BeginMap;
    e << YAML::Key << "name" << YAML::Value;
    q(e, g.name);
    e << YAML::Key << "interface" << YAML::Value;
    q(e, g.interface);
    e << YAML::Key << "vrid" << YAML::Value << int{g.vrid};
    e << YAML::Key << "priority" << YAML::Value << int{g.priority};
    e << YAML::Key << "advert-interval" << YAML::Value << format_duration(g.advert_interval);
    e << YAML::Key << "preempt" << YAML::Value << g.preempt;
    e << YAML::Key << "preempt-delay" << YAML::Value << format_duration(g.preempt_delay);
    string_list(e, "pools", g.pools);
    e << YAML::Key << "unicast-peers" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& a : g.unicast_peers) e << a.to_string();
    e << YAML::EndSeq;
    e << YAML::EndMap;
  }
  e << YAML::EndSeq;
  e << YAML::EndMap;
}

}  // namespace

std::string to_native_yaml(const Model& m) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  interfaces(e, m.interfaces);
  peers(e, m.peers);
  pools(e, m.pools);
  e << YAML::Key << "bgp-communities" << YAML::Value;
  if (m.communities.empty()) e << YAML::Flow;
  e << YAML::BeginMap;
  for (const auto& [alias, value] : m.communities) {
    e << YAML::Key;
    q(e, alias);
    e << YAML::Value;
    q(e, value);
  }
  e << YAML::EndMap;
  services(e, m.services);
  e << YAML::Key << "gratuitous" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "count" << YAML::Value << m.gratuitous.count;
  e << YAML::Key << "interval" << YAML::Value << format_duration(m.gratuitous.interval);
  e << YAML::Key << "refresh" << YAML::Value << format_duration(m.gratuitous.refresh);
  e << YAML::EndMap;
  failover(e, m.failover);
  e << YAML::Key << "local-delivery" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "enabled" << YAML::Value << m.local_delivery.enabled;
  e << YAML::Key << "link" << YAML::Value;
  q(e, m.local_delivery.link);
  e << YAML::EndMap;
  e << YAML::Key << "control" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "socket" << YAML::Value;
  q(e, m.control.socket);
  e << YAML::EndMap;
  e << YAML::Key << "metrics" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "listen" << YAML::Value;
  q(e, m.metrics.listen);
  e << YAML::EndMap;
  e << YAML::Key << "log-level" << YAML::Value << m.log_level;
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

}  // namespace vipd::config
