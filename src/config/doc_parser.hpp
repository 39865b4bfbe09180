#pragma once
// Private to vipd_config: reads one YAML document (native, legacy ConfigMap or CRD) into the
// loader's accumulated model. Typed readers are in yaml_read.cpp, the native sections in
// native.cpp and the MetalLB shapes in metallb.cpp.

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
  void crd_bgp_adv(const Val& spec, const std::string& name, const std::string& path,
                   const SourceLocation& where);
  void crd_peer(const Val& spec, const std::string& name, const SourceLocation& where);
  void crd_community(const Val& spec);
};

}  // namespace vipd::config::detail
