#pragma once
// The mutable link table behind the watcher: it applies rtnetlink messages (RTM_NEWLINK,
// RTM_DELLINK, RTM_NEWADDR, RTM_DELADDR, from a dump or from events) and produces immutable
// LinkSnapshot values. No sockets here, so it is unit-tested with synthetic messages.

#include <linux/netlink.h>

#include <cstdint>
#include <map>
#include <optional>

#include "vipd/netlink/snapshot.hpp"

namespace vipd::netlink {

// The Link record carried by one RTM_NEWLINK message (no addresses, master_kind unset), or
// nullopt for a malformed message or one that does not describe a link of this namespace
// (AF_BRIDGE port notifications also travel on RTNLGRP_LINK).
std::optional<Link> parse_link_message(const nlmsghdr* msg);

// The address carried by one RTM_NEWADDR/RTM_DELADDR message and its ifindex.
struct AddressMessage {
  int ifindex = 0;
  LinkAddress address;
};
std::optional<AddressMessage> parse_address_message(const nlmsghdr* msg);

class LinkTable {
 public:
  // Applies one rtnetlink message; other message types are ignored. Returns true when the
  // table changed. Renames keep the ifindex (same record, new name).
  bool apply(const nlmsghdr* msg);
  void clear();
  std::size_t size() const { return links_.size(); }

  // Links sorted by ifindex, addresses sorted, master_kind filled from the master's record.
  LinkSnapshot snapshot(std::uint64_t generation) const;

 private:
  std::map<int, Link> links_;                          // addresses live in addresses_
  std::map<int, std::vector<LinkAddress>> addresses_;  // may arrive before their link
};

}  // namespace vipd::netlink
