#pragma once
// Private to vipd_config: what the loader accumulates over every document of every file, and
// where each merged element came from, for the checks that run after all input is read.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "vipd/config/loader.hpp"
#include "yaml_read.hpp"

namespace vipd::config::detail {

// Where an element of a merged list came from, and where its fields are, for semantic errors.
struct Origin {
  std::string path;
  SourceLocation where;
  std::map<std::string, SourceLocation> at;
  SourceLocation field(const std::string& key) const {
    auto it = at.find(key);
    return it == at.end() ? where : it->second;
  }
};

struct TextAt {
  std::string text;
  SourceLocation where;
  std::string path;
};

struct PendingAdv {  // a native bgp-advertisement's community names, resolved after merging
  std::size_t pool = 0;
  std::size_t adv = 0;
  std::string path;
  SourceLocation agg_at, agg6_at;
  std::vector<TextAt> communities;
  std::vector<TextAt> peers;
};

struct CrdAdv {
  bool bgp = false;
  std::string name;
  std::string path;
  SourceLocation where;
  std::optional<std::vector<TextAt>> pools;  // nullopt = every pool
  std::vector<std::string> interfaces;       // L2
  BgpAdvertisement adv;                      // BGP
  SourceLocation agg_at, agg6_at;
  std::vector<TextAt> communities;  // BGP
  std::vector<TextAt> peers;        // BGP
};

class Loader {
 public:
  void add_error(Diagnostic d) {
    if (errors_.size() < max_errors) {
      errors_.push_back(std::move(d));
    } else if (errors_.size() == max_errors) {
      Diagnostic last = std::move(d);
      last.path.clear();
      last.message = "too many errors, stopping here";
      errors_.push_back(std::move(last));
    }
  }
  void add_warning(Diagnostic d) {
    if (warnings_.size() < max_errors) warnings_.push_back(std::move(d));
  }

  void add_file(const std::string& file, const std::string& text) {
    files_.push_back(file);
    PositionMap pos{file, 0, 0, std::nullopt};
    add_text(text, pos, /*metallb=*/false, /*inner=*/false);
  }

  void cannot_read(const std::string& file, const std::string& why) {
    files_.push_back(file);
    add_error({Severity::error, {file, 0, 0}, "", "cannot read " + quote(file, 4096) + ": " + why});
  }

  Result<LoadResult, Diagnostics> finish();

 private:
  friend class DocParser;

  void add_text(const std::string& text, const PositionMap& pos, bool metallb, bool inner);

  Model model_;
  std::vector<Origin> pool_o_, peer_o_, service_o_, vrrp_o_;
  std::vector<PendingAdv> pending_;
  std::vector<std::size_t> crd_pools_;  // indices of pools that came from IPAddressPool
  std::vector<CrdAdv> crd_advs_;
  std::map<std::string, SourceLocation> sections_;      // scalar section -> where first given
  std::map<std::string, SourceLocation> community_at_;  // alias -> where defined
  std::vector<std::string> files_;
  Diagnostics errors_, warnings_;

  void resolve_crds();
  void validate();
  std::optional<Community> resolve_community(const TextAt& t);
  void check_aggregation(const Pool& pool, const BgpAdvertisement& adv, const std::string& path,
                         const SourceLocation& agg_at, const SourceLocation& agg6_at, bool crd);
  void error(const SourceLocation& w, const std::string& path, std::string msg) {
    add_error({Severity::error, w, path, std::move(msg)});
  }
  void warning(const SourceLocation& w, const std::string& path, std::string msg) {
    add_warning({Severity::warning, w, path, std::move(msg)});
  }
};

// Appends a resolved community to the advertisement's standard or large list.
void add_community(BgpAdvertisement& a, const Community& c);

}  // namespace vipd::config::detail
