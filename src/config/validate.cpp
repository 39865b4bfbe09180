// Checks on the merged model: unique names, references to peers and pools, community names of native
// advertisements, VRRP groups' VRIDs and pools.

#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "loader_state.hpp"
#include "vipd/config/loader.hpp"

namespace vipd::config::detail {

void Loader::validate() {
  // Unique names, reported at the second occurrence with the first's position.
  auto unique = [this](const auto& items, const std::vector<Origin>& origins, std::string_view what) {
    std::map<std::string, std::size_t> first;
    for (std::size_t i = 0; i < items.size(); ++i) {
      auto [it, inserted] = first.emplace(items[i].name, i);
      if (!inserted)
        error(origins[i].field("name"), origins[i].path,
              "duplicate " + std::string(what) + " name " + quote(items[i].name) + " (first defined at " +
                  where_text(origins[it->second].field("name")) + ")");
    }
  };
  unique(model_.pools, pool_o_, "pool");
  unique(model_.peers, peer_o_, "peer");
  unique(model_.services, service_o_, "service");
  unique(model_.failover.vrrp, vrrp_o_, "VRRP group");

  auto peer_exists = [this](const std::string& n) {
    return std::any_of(model_.peers.begin(), model_.peers.end(),
                       [&](const Peer& p) { return p.name == n || p.peer_address.to_string() == n; });
  };
  for (const auto& pa : pending_) {
    auto& adv = model_.pools[pa.pool].bgp_advertisements[pa.adv];
    if (model_.pools[pa.pool].protocol == Protocol::bgp)
      check_aggregation(model_.pools[pa.pool], adv, pa.path, pa.agg_at, pa.agg6_at, false);
    for (const auto& t : pa.communities)
      if (auto c = resolve_community(t)) add_community(adv, *c);
    for (const auto& t : pa.peers)
      if (!peer_exists(t.text))
        error(t.where, t.path,
              "peer " + quote(t.text) + " does not exist (expected a peer name or peer-address)");
  }

  auto pool_names = [this] {
    std::string out;
    for (const auto& p : model_.pools) out += (out.empty() ? "" : ", ") + p.name;
    return out.empty() ? std::string("none") : out;
  };
  for (std::size_t i = 0; i < model_.services.size(); ++i) {
    const Service& s = model_.services[i];
    if (!model_.find_pool(s.pool))
      error(service_o_[i].field("pool"), child(service_o_[i].path, "pool"),
            "pool " + quote(s.pool) + " does not exist (known pools: " + pool_names() + ")");
  }

  std::map<std::string, std::size_t> pool_group;
  std::map<std::pair<std::string, int>, std::size_t> vrid_at;
  for (std::size_t i = 0; i < model_.failover.vrrp.size(); ++i) {
    const VrrpGroup& g = model_.failover.vrrp[i];
    const Origin& o = vrrp_o_[i];
    if (!g.interface.empty()) {
      auto [it, inserted] = vrid_at.emplace(std::make_pair(g.interface, int{g.vrid}), i);
      if (!inserted)
        error(o.field("vrid"), child(o.path, "vrid"),
              "VRID " + std::to_string(g.vrid) + " on " + quote(g.interface) + " is already used by group " +
                  quote(model_.failover.vrrp[it->second].name));
    }
    for (std::size_t j = 0; j < g.pools.size(); ++j) {
      const std::string key = "pools[" + std::to_string(j) + "]";
      const std::string path = o.path + "." + key;
      const Pool* p = model_.find_pool(g.pools[j]);
      if (!p) {
        error(o.field(key), path,
              "pool " + quote(g.pools[j]) + " does not exist (known pools: " + pool_names() + ")");
      } else if (p->protocol != Protocol::layer2) {
        error(o.field(key), path,
              "pool " + quote(g.pools[j]) +
                  " has protocol bgp (expected a layer2 pool: VRRP decides who answers ARP/NDP)");
      } else if (auto [it, inserted] = pool_group.emplace(g.pools[j], i); !inserted && it->second != i) {
        error(o.field(key), path,
              "pool " + quote(g.pools[j]) + " is already in VRRP group " +
                  quote(model_.failover.vrrp[it->second].name));
      }
    }
  }
}
}  // namespace vipd::config::detail
