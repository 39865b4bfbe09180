#pragma once
// What the speaker wants each peer to hold (pure: no sockets, no clock, no logging).
//
// AdvertPlan turns the configuration and the current VIP assignments into one sorted route table
// per peer: every VIP of a `bgp` pool, aggregated to the advertisement's aggregation-length(-v6),
// once per advertisement that names the peer (or names no peer). diff_tables() gives the UPDATEs'
// content when a table changes; group_by_attributes() packs prefixes that share attributes so they
// travel in as few UPDATEs as possible. The session-dependent attributes (NEXT_HOP, AS_PATH,
// LOCAL_PREF default) are added by the Session when it encodes (route_attributes()).
//
// Choice: when two advertisements produce the same prefix for one peer (e.g. two aggregation
// lengths that coincide, or two advertisements of one pool), the first in configuration order wins:
// a BGP session carries one path per prefix.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vipd/bgp/codec.hpp"
#include "vipd/common/ip.hpp"
#include "vipd/config/model.hpp"
#include "vipd/pool/allocator.hpp"

namespace vipd::bgp {

// One announced prefix with the attributes that come from its pool's bgp-advertisement.
struct Route {
  net::Prefix prefix;                       // network form (host bits clear)
  std::optional<std::uint32_t> local_pref;  // iBGP only; the Session uses 100 when unset
  std::vector<std::uint32_t> communities;
  std::vector<LargeCommunity> large_communities;
  Origin origin = Origin::incomplete;
  friend bool operator==(const Route&, const Route&) = default;
};

// Total order on prefixes: family, then address, then length. Tables are sorted by it.
bool prefix_less(const net::Prefix& a, const net::Prefix& b);

using RouteTable = std::vector<Route>;  // sorted by prefix_less, one entry per prefix

class AdvertPlan {
 public:
  AdvertPlan() = default;
  AdvertPlan(const config::Model& model, const std::vector<pool::Assignment>& assignments);

  // The table for a configured peer (by config::Peer::name); empty for unknown names.
  const RouteTable& routes_for(const std::string& peer_name) const;

 private:
  std::map<std::string, RouteTable> tables_;
};

// Does advertisement `advertisement` apply to `peer` (empty list = every peer; entries match the
// peer's name or its address text)?
bool advertises_to(const config::BgpAdvertisement& advertisement, const config::Peer& peer);

struct TableDiff {
  RouteTable announce;                // new prefixes and prefixes whose attributes changed
  std::vector<net::Prefix> withdraw;  // prefixes no longer wanted
  bool empty() const { return announce.empty() && withdraw.empty(); }
};
TableDiff diff_tables(const RouteTable& before, const RouteTable& after);

// Routes sharing the same advertisement attributes, in table order within each group.
struct RouteGroup {
  Route attributes;  // prefix unused
  std::vector<net::Prefix> prefixes;
};
std::vector<RouteGroup> group_by_attributes(const RouteTable& routes);

// Session-dependent attributes for one group (RFC 4271 §5.1): ORIGIN from the advertisement
// (INCOMPLETE unless configured); AS_PATH empty on iBGP, [local_asn] on eBGP; LOCAL_PREF (default
// 100) on iBGP only; the next hops given.
RouteAttributes route_attributes(const Route& advertised, std::uint32_t local_asn, bool ibgp,
                                 std::optional<net::IpAddress> next_hop_v4,
                                 std::optional<net::IpAddress> next_hop_v6);

// The next hops of an established session whose local address is `local`; `sibling` is the first
// address of the other family on the interface holding it (global IPv6 only), if any. IPv4: the
// session's own address (IPv4 session) or the sibling. IPv6: the peer's `next-hop-v6` when
// configured, else the session's own address (IPv6 session, unless link-local) or the sibling.
struct NextHops {
  std::optional<net::IpAddress> v4;
  std::optional<net::IpAddress> v6;
};
NextHops session_next_hops(const config::Peer& peer, const net::IpAddress& local,
                           std::optional<net::IpAddress> sibling);

// The peer settings that a running session depends on: a change in any of them resets that
// peer's session on reload; anything else (pools, services, advertisements) does not.
bool same_session_settings(const config::Peer& a, const config::Peer& b);

}  // namespace vipd::bgp
