#pragma once
// The live link table as an immutable value. The netlink watcher builds it; the selector,
// responder and `--explain` read it and never touch netlink themselves.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vipd/common/ip.hpp"

namespace vipd::netlink {

using MacAddress = std::array<std::uint8_t, 6>;
std::string to_string(const MacAddress& mac);

struct LinkAddress {
  net::Prefix prefix;      // address with its prefix length (host bits kept)
  std::uint8_t scope = 0;  // RT_SCOPE_* (0 universe, 253 link, 254 host)
  friend bool operator==(const LinkAddress&, const LinkAddress&) = default;
};

struct Link {
  int ifindex = 0;
  std::string name;
  std::vector<std::string> altnames;
  std::uint32_t flags = 0;     // IFF_* (UP, BROADCAST, LOOPBACK, NOARP, MULTICAST, RUNNING, LOWER_UP)
  std::uint8_t operstate = 0;  // IF_OPER_* (0 unknown, 2 down, 6 up, ...)
  MacAddress mac{};
  bool has_mac = false;
  std::uint32_t mtu = 0;
  std::string kind;         // IFLA_INFO_KIND: "veth", "bridge", "bond", "team", "vlan",
                            // "openvswitch", "vxlan", "macvlan", ... ("" = physical/unknown)
  int master_ifindex = 0;   // 0 = not enslaved
  std::string master_kind;  // kind of the master link ("bond", "bridge", "openvswitch", ...)
  std::vector<LinkAddress> addresses;

  friend bool operator==(const Link&, const Link&) = default;
};

struct LinkSnapshot {
  std::uint64_t generation = 0;  // increases with every change the watcher publishes
  std::vector<Link> links;       // sorted by ifindex

  const Link* find(int ifindex) const;
  const Link* find(std::string_view name) const;  // name or altname
};

using SnapshotPtr = std::shared_ptr<const LinkSnapshot>;

}  // namespace vipd::netlink
