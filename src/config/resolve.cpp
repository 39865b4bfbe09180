// After every document: community aliases resolved, MetalLB's aggregation-length rule, and CRD
// advertisements wired to their pools (protocol and interfaces of each IPAddressPool).

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "loader_state.hpp"
#include "vipd/config/loader.hpp"

namespace vipd::config::detail {

std::optional<Community> Loader::resolve_community(const TextAt& t) {
  if (auto it = model_.communities.find(t.text); it != model_.communities.end())
    if (auto c = parse_community(it->second)) return c;
  if (auto c = parse_community(t.text)) return c;
  error(t.where, t.path,
        quote(t.text) +
            " is not a community (expected a:b with each 0-65535, large:a:b:c, a well-known name like "
            "no-export, or an alias from bgp-communities / Community)");
  return std::nullopt;
}

void add_community(BgpAdvertisement& a, const Community& c) {
  if (const auto* s = std::get_if<std::uint32_t>(&c))
    a.communities.push_back(*s);
  else
    a.large_communities.push_back(std::get<LargeCommunity>(c));
}

namespace {

// Longest prefix among the CIDR blocks that exactly cover the range (MetalLB splits ranges so).
int longest_block(const net::IpRange& r) {
  using net::Uint128;
  const int width = net::max_prefix_length(r.first.family());
  auto low_mask = [](int bits) { return bits >= 128 ? ~Uint128{0} : (Uint128{1} << bits) - 1; };
  Uint128 a = r.first.value();
  const Uint128 b = r.last.value();
  int longest = 0;
  for (int guard = 0; guard <= 2 * width + 1; ++guard) {
    int host = 0;  // the block at `a` holds 2^host addresses
    while (host < width) {
      const Uint128 mask = low_mask(host + 1);
      if ((a & mask) != 0 || a + mask < a || a + mask > b) break;
      ++host;
    }
    longest = std::max(longest, width - host);
    const Uint128 end = a + low_mask(host);
    if (end >= b) break;
    a = end + 1;
  }
  return longest;
}

}  // namespace

// MetalLB's rule: an aggregate may not be wider than any CIDR block of the pool.
void Loader::check_aggregation(const Pool& pool, const BgpAdvertisement& adv, const std::string& path,
                               const SourceLocation& agg_at, const SourceLocation& agg6_at, bool crd) {
  bool reported_v4 = false, reported_v6 = false;
  for (const auto& r : pool.addresses) {
    const bool v4 = r.range.first.is_v4();
    bool& reported = v4 ? reported_v4 : reported_v6;
    const int agg = v4 ? adv.aggregation_length : adv.aggregation_length_v6;
    const int longest = longest_block(r.range);
    if (reported || agg >= longest) continue;
    reported = true;
    const std::string key = crd ? (v4 ? "aggregationLength" : "aggregationLengthV6")
                                : (v4 ? "aggregation-length" : "aggregation-length-v6");
    error(v4 ? agg_at : agg6_at, child(path, key),
          quote(std::to_string(agg)) + " is shorter than prefix length " + std::to_string(longest) + " of " +
              quote(r.text) + " in pool " + quote(pool.name) + " (expected " + std::to_string(longest) +
              (longest == (v4 ? 32 : 128) ? "" : (v4 ? "-32" : "-128")) +
              ": an aggregate may not be wider than the pool's address blocks)");
  }
}

void Loader::resolve_crds() {
  if (crd_pools_.empty() && crd_advs_.empty()) return;
  std::map<std::string, std::size_t> by_name;
  for (std::size_t i : crd_pools_) by_name.emplace(model_.pools[i].name, i);
  std::map<std::size_t, std::vector<const CrdAdv*>> l2_for, bgp_for;
  for (const auto& a : crd_advs_) {
    BgpAdvertisement resolved = a.adv;
    if (a.bgp)
      for (const auto& t : a.communities)
        if (auto c = resolve_community(t)) add_community(resolved, *c);
    std::vector<std::size_t> targets;
    if (!a.pools) {
      targets = crd_pools_;
    } else {
      for (const auto& t : *a.pools) {
        auto it = by_name.find(t.text);
        if (it == by_name.end()) {
          error(t.where, t.path, "IPAddressPool " + quote(t.text) + " does not exist");
          continue;
        }
        targets.push_back(it->second);
      }
    }
    for (std::size_t i : targets) {
      (a.bgp ? bgp_for : l2_for)[i].push_back(&a);
      if (!a.bgp) continue;
      check_aggregation(model_.pools[i], resolved, child(a.path, "spec"), a.agg_at, a.agg6_at, true);
      model_.pools[i].bgp_advertisements.push_back(resolved);
    }
    if (a.bgp)
      for (const auto& t : a.peers) {
        const bool found = std::any_of(model_.peers.begin(), model_.peers.end(),
                                       [&](const Peer& p) { return p.name == t.text; });
        if (!found) error(t.where, t.path, "BGPPeer " + quote(t.text) + " does not exist");
      }
  }
  for (std::size_t i : crd_pools_) {
    Pool& p = model_.pools[i];
    const bool l2 = l2_for.count(i) != 0;
    const bool bgp = bgp_for.count(i) != 0;
    if (l2) {
      p.protocol = Protocol::layer2;
      // Union of the advertisements' interfaces; one advertisement without a list means any link.
      bool any = false;
      std::set<std::string> seen;
      for (const CrdAdv* a : l2_for[i]) {
        if (a->interfaces.empty()) any = true;
        for (const auto& n : a->interfaces)
          if (seen.insert(n).second) p.interfaces.push_back(n);
      }
      if (any) p.interfaces.clear();
      if (bgp) {
        warning(p.where, pool_o_[i].path,
                "pool " + quote(p.name) +
                    " has both an L2Advertisement and a BGPAdvertisement; a vipd pool has one "
                    "protocol, keeping layer2 and ignoring the BGP advertisement");
        p.bgp_advertisements.clear();
      }
    } else if (bgp) {
      p.protocol = Protocol::bgp;
    } else {
      p.protocol = Protocol::layer2;
      warning(p.where, pool_o_[i].path,
              "pool " + quote(p.name) + " has no advertisement: it is not announced");
    }
  }
}
}  // namespace vipd::config::detail
