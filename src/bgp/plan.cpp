#include "vipd/bgp/plan.hpp"

#include <algorithm>
#include <tuple>

namespace vipd::bgp {

bool prefix_less(const net::Prefix& a, const net::Prefix& b) {
  return std::tie(a.address, a.length) < std::tie(b.address, b.length);
}

bool advertises_to(const config::BgpAdvertisement& advertisement, const config::Peer& peer) {
  if (advertisement.peers.empty()) return true;
  const std::string address = peer.peer_address.to_string();
  return std::any_of(advertisement.peers.begin(), advertisement.peers.end(),
                     [&](const std::string& p) { return p == peer.name || p == address; });
}

namespace {

Route make_route(const net::IpAddress& vip, const config::BgpAdvertisement& adv) {
  const std::uint8_t length = vip.is_v4() ? std::min<std::uint8_t>(adv.aggregation_length, 32)
                                          : std::min<std::uint8_t>(adv.aggregation_length_v6, 128);
  Route r;
  r.prefix = net::Prefix{net::Prefix{vip, length}.network(), length};
  r.local_pref = adv.localpref;
  r.origin = adv.origin == config::BgpOrigin::igp   ? Origin::igp
             : adv.origin == config::BgpOrigin::egp ? Origin::egp
                                                    : Origin::incomplete;
  r.communities = adv.communities;
  for (const auto& lc : adv.large_communities)
    r.large_communities.push_back(LargeCommunity{lc.global_admin, lc.local1, lc.local2});
  return r;
}

}  // namespace

AdvertPlan::AdvertPlan(const config::Model& model, const std::vector<pool::Assignment>& assignments) {
  for (const auto& peer : model.peers) {
    RouteTable& table = tables_[peer.name];
    for (const auto& a : assignments) {
      if (a.protocol != config::Protocol::bgp) continue;
      const config::Pool* pool = model.find_pool(a.pool);
      if (pool == nullptr || pool->protocol != config::Protocol::bgp) continue;
      // MetalLB: a bgp pool without advertisements is announced with the defaults to every peer.
      static const std::vector<config::BgpAdvertisement> defaults{config::BgpAdvertisement{}};
      const auto& advs = pool->bgp_advertisements.empty() ? defaults : pool->bgp_advertisements;
      for (const auto& adv : advs)
        if (advertises_to(adv, peer)) table.push_back(make_route(a.vip, adv));
    }
    // Sort, keeping configuration order among equal prefixes, then keep the first of each.
    std::stable_sort(table.begin(), table.end(),
                     [](const Route& x, const Route& y) { return prefix_less(x.prefix, y.prefix); });
    table.erase(std::unique(table.begin(), table.end(),
                            [](const Route& x, const Route& y) { return x.prefix == y.prefix; }),
                table.end());
  }
}

const RouteTable& AdvertPlan::routes_for(const std::string& peer_name) const {
  static const RouteTable empty;
  auto it = tables_.find(peer_name);
  return it == tables_.end() ? empty : it->second;
}

TableDiff diff_tables(const RouteTable& before, const RouteTable& after) {
  TableDiff d;
  auto b = before.begin();
  auto a = after.begin();
  while (b != before.end() || a != after.end()) {
    if (a == after.end() || (b != before.end() && prefix_less(b->prefix, a->prefix))) {
      d.withdraw.push_back((b++)->prefix);
    } else if (b == before.end() || prefix_less(a->prefix, b->prefix)) {
      d.announce.push_back(*a++);
    } else {
      if (!(*a == *b)) d.announce.push_back(*a);  // same prefix, new attributes: implicit replace
      ++a;
      ++b;
    }
  }
  return d;
}

std::vector<RouteGroup> group_by_attributes(const RouteTable& routes) {
  std::vector<RouteGroup> groups;
  for (const auto& r : routes) {
    auto same = [&](const RouteGroup& g) {
      return g.attributes.local_pref == r.local_pref && g.attributes.communities == r.communities &&
             g.attributes.large_communities == r.large_communities && g.attributes.origin == r.origin;
    };
    auto it = std::find_if(groups.begin(), groups.end(), same);
    if (it == groups.end()) {
      RouteGroup g;
      g.attributes = r;
      groups.push_back(std::move(g));
      it = std::prev(groups.end());
    }
    it->prefixes.push_back(r.prefix);
  }
  return groups;
}

RouteAttributes route_attributes(const Route& advertised, std::uint32_t local_asn, bool ibgp,
                                 std::optional<net::IpAddress> next_hop_v4,
                                 std::optional<net::IpAddress> next_hop_v6) {
  RouteAttributes attrs;
  attrs.origin = advertised.origin;
  if (!ibgp) attrs.as_path = AsPath{AsPathSegment{AsSegmentType::as_sequence, {local_asn}}};
  if (ibgp) attrs.local_pref = advertised.local_pref.value_or(100);
  attrs.next_hop_v4 = next_hop_v4;
  attrs.next_hop_v6 = next_hop_v6;
  attrs.communities = advertised.communities;
  attrs.large_communities = advertised.large_communities;
  return attrs;
}

NextHops session_next_hops(const config::Peer& peer, const net::IpAddress& local,
                           std::optional<net::IpAddress> sibling) {
  NextHops n;
  if (local.is_v4()) {
    n.v4 = local;
    n.v6 = sibling;
  } else {
    if (!local.is_v6_link_local()) n.v6 = local;
    n.v4 = sibling;
  }
  if (peer.next_hop_v6) n.v6 = peer.next_hop_v6;
  return n;
}

bool same_session_settings(const config::Peer& a, const config::Peer& b) {
  return a.name == b.name && a.peer_address == b.peer_address && a.peer_asn == b.peer_asn &&
         a.my_asn == b.my_asn && a.peer_port == b.peer_port && a.hold_time == b.hold_time &&
         a.keepalive_time == b.keepalive_time && a.router_id == b.router_id &&
         a.source_address == b.source_address && a.password == b.password &&
         a.ebgp_multihop == b.ebgp_multihop && a.passive == b.passive && a.bfd_profile == b.bfd_profile &&
         a.gtsm == b.gtsm && a.next_hop_v6 == b.next_hop_v6;
}

}  // namespace vipd::bgp
