#include "vipd/netlink/snapshot.hpp"

#include <algorithm>
#include <cstdio>

namespace vipd::netlink {

std::string to_string(const MacAddress& mac) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
                mac[5]);
  return buf;
}

const Link* LinkSnapshot::find(int ifindex) const {
  auto it = std::lower_bound(links.begin(), links.end(), ifindex,
                             [](const Link& l, int i) { return l.ifindex < i; });
  return it != links.end() && it->ifindex == ifindex ? &*it : nullptr;
}

const Link* LinkSnapshot::find(std::string_view name) const {
  for (const auto& l : links) {
    if (l.name == name) return &l;
    if (std::find(l.altnames.begin(), l.altnames.end(), name) != l.altnames.end()) return &l;
  }
  return nullptr;
}

}  // namespace vipd::netlink
