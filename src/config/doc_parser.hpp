#pragma once
// Private to vipd_config: reads one YAML document (native, legacy ConfigMap or CRD) into the
// loader's accumulated model. Typed readers are in yaml_read.cpp, the native sections in
// native.cpp, the MetalLB shapes in metallb.cpp and the peer rules every shape shares in
// peer_rules.cpp.

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "loader_state.hpp"
#include "yaml_read.hpp"

namespace vipd::config::detail {

// How one input shape spells a peer's keys: native vipd YAML and MetalLB's legacy ConfigMap use
// kebab-case (`peers[].hold-time`), the BGPPeer CRD camelCase (`spec.holdTime`). The rules are
// the same; only the key names in paths and messages differ.
struct PeerKeys {
  std::string_view peer_address, peer_asn, my_asn, peer_port, hold_time, keepalive_time, router_id,
      source_address, password, ebgp_multihop, bfd_profile, node_selectors;
};
inline constexpr PeerKeys native_peer_keys{"peer-address", "peer-asn",       "my-asn",      "peer-port",
                                           "hold-time",    "keepalive-time", "router-id",   "source-address",
                                           "password",     "ebgp-multihop",  "bfd-profile", "node-selectors"};
inline constexpr PeerKeys crd_peer_keys{"peerAddress", "peerASN",       "myASN",      "peerPort",
                                        "holdTime",    "keepaliveTime", "routerID",   "sourceAddress",
                                        "password",    "ebgpMultiHop",  "bfdProfile", "nodeSelectors"};

// A peer being read, whatever the shape.
struct PeerDraft {
  Peer peer;
  Origin origin;     // field positions under the native key names (keepalive-time, ...)
  bool ok = true;    // the required fields (address, both AS numbers) parsed
  std::string path;  // the key path the peer's fields hang off: "peers[0]" or "BGPPeer/r.spec"
};

class DocParser {
 public:
  DocParser(Loader& l, const PositionMap& pos, const std::string& raw, bool metallb)
      : l_(l), pos_(pos), raw_(raw), metallb_(metallb) {}

  void document(const YAML::Node& root, bool inner);

 private:
  Loader& l_;
  const PositionMap& pos_;
  const std::string& raw_;
  bool metallb_;  // unknown keys are warnings (MetalLB formats evolve)

  SourceLocation at(const YAML::Node& n) const { return pos_.at(n.Mark()); }
  void error(const SourceLocation& w, const std::string& path, std::string msg) {
    l_.error(w, path, std::move(msg));
  }
  void error(const Val& v, std::string msg) { l_.error(v.where, v.path, std::move(msg)); }
  void warning(const Val& v, std::string msg) { l_.warning(v.where, v.path, std::move(msg)); }
  void note(const Val& v, std::string msg) {
    l_.add_warning({Severity::note, v.where, v.path, std::move(msg)});
  }
  void ignored_field(const Val& v, std::string_view why) { warning(v, "ignored: " + std::string(why)); }

  // ---- typed readers (yaml_read.cpp): each reports its own error and returns nothing ----
  Map map(const Val& v, std::initializer_list<std::string_view> known, bool lenient);
  bool require(const Map& m, std::string_view key, std::string_view expected);
  std::vector<Val> list(const Val& v);
  std::optional<std::string> str(const Val& v, bool allow_empty = false);
  std::optional<bool> boolean(const Val& v);
  std::optional<std::uint64_t> integer(const Val& v, std::uint64_t lo, std::uint64_t hi,
                                       std::string_view what);
  std::optional<Duration> duration(const Val& v);
  std::optional<std::uint32_t> asn(const Val& v);
  std::optional<BgpOrigin> origin(const Val& v);
  std::optional<net::IpAddress> ip(const Val& v);
  std::vector<std::string> str_list(const Val& v);
  std::vector<TextAt> text_list(const Val& v);
  std::vector<std::string> patterns(const Val& v);
  std::optional<AddressRange> range(const Val& v);
  bool claim_section(const std::string& key, const Val& v);
  void add_alias(const std::string& name, const std::string& value, const Val& v);

  // ---- peer rules (peer_rules.cpp), one per field, shared by the native, ConfigMap and CRD
  // readers; `k` spells the shape's keys ----
  // Reads `key` if it is one of the shape's peer fields (recording where it is under its native
  // name); false if it is not.
  bool peer_field(const PeerKeys& k, const std::string& key, const Val& x, PeerDraft& d);
  void peer_address_rule(const PeerKeys& k, const Val& x, PeerDraft& d);
  void peer_asn_rule(const PeerKeys& k, const Val& x, PeerDraft& d);
  void my_asn_rule(const PeerKeys& k, const Val& x, PeerDraft& d);
  void peer_port_rule(const PeerKeys& k, const Val& x, PeerDraft& d);
  void hold_time_rule(const PeerKeys& k, const Val& x, PeerDraft& d);
  void keepalive_time_rule(const PeerKeys& k, const Val& x, PeerDraft& d);
  void router_id_rule(const PeerKeys& k, const Val& x, PeerDraft& d);
  void source_address_rule(const PeerKeys& k, const Val& x, PeerDraft& d);
  void password_rule(const PeerKeys& k, const Val& x, PeerDraft& d);
  void ebgp_multihop_rule(const PeerKeys& k, const Val& x, PeerDraft& d);
  void bfd_profile_rule(const PeerKeys& k, const Val& x, PeerDraft& d);
  void node_selectors_rule(const PeerKeys& k, const Val& x, PeerDraft& d);
  // Requires the three keys every peer needs (address, both AS numbers); false if one is missing.
  bool require_peer_keys(const PeerKeys& k, const Map& m);
  // The rules between fields, once every field is read (source address family, keepalive
  // against hold time), then the peer joins the model.
  void add_peer(const PeerKeys& k, PeerDraft d);

  // ---- native sections (native.cpp) ----
  void native(const Val& root);
  void interfaces(const Val& v);
  void peer(const Val& v);
  void pool(const Val& v);
  void bgp_advertisement(const Val& v, std::size_t pool_index);
  void service(const Val& v);
  void gratuitous(const Val& v);
  void failover(const Val& v);
  void vrrp(const Val& v);
  void local_delivery(const Val& v);
  void control(const Val& v);
  void metrics(const Val& v);
  void log_level(const Val& v);

  // ---- MetalLB (metallb.cpp) ----
  void config_map(const Map& obj);
  void crd(const Map& obj, const std::string& kind, const Val& root);
  void crd_pool(const Val& spec, const std::string& name, const SourceLocation& where);
  void crd_l2(const Val& spec, const std::string& name, const std::string& path, const SourceLocation& where);
  bool crd_adv_pools(const std::string& key, const Val& x, CrdAdv& a, bool& selectors);
  void crd_bgp_adv(const Val& spec, const std::string& name, const std::string& path,
                   const SourceLocation& where);
  void crd_peer(const Val& spec, const std::string& name, const SourceLocation& where);
  void crd_community(const Val& spec);
};

}  // namespace vipd::config::detail
