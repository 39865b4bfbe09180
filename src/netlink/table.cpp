#include "vipd/netlink/table.hpp"

#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace vipd::netlink {
namespace {

std::string attr_string(const nlattr* a) {
  const auto* data = static_cast<const char*>(nla_data(a));
  return std::string(data, strnlen(data, static_cast<std::size_t>(nla_len(a))));
}

std::uint32_t attr_u32(const nlattr* a) {
  std::uint32_t v = 0;
  if (nla_len(a) >= static_cast<int>(sizeof v)) std::memcpy(&v, nla_data(a), sizeof v);
  return v;
}

std::uint8_t attr_u8(const nlattr* a) {
  return nla_len(a) >= 1 ? *static_cast<const std::uint8_t*>(nla_data(a)) : 0;
}

bool address_less(const LinkAddress& a, const LinkAddress& b) {
  if (a.prefix.address != b.prefix.address) return a.prefix.address < b.prefix.address;
  return a.prefix.length < b.prefix.length;
}

}  // namespace

std::optional<Link> parse_link_message(const nlmsghdr* msg) {
  if (msg->nlmsg_type != RTM_NEWLINK && msg->nlmsg_type != RTM_DELLINK) return std::nullopt;
  if (msg->nlmsg_len < NLMSG_LENGTH(sizeof(ifinfomsg))) return std::nullopt;
  const auto* ifi = static_cast<const ifinfomsg*>(NLMSG_DATA(msg));
  // AF_BRIDGE messages describe bridge-port state; an AF_BRIDGE RTM_DELLINK means "left the
  // bridge", not "link deleted".
  if (ifi->ifi_family == AF_BRIDGE || ifi->ifi_index <= 0) return std::nullopt;

  nlattr* tb[IFLA_MAX + 1] = {};
  // libnl's parser takes a non-const header but does not modify it.
  if (nlmsg_parse(const_cast<nlmsghdr*>(msg), sizeof(ifinfomsg), tb, IFLA_MAX, nullptr) < 0)
    return std::nullopt;

  Link link;
  link.ifindex = ifi->ifi_index;
  link.flags = ifi->ifi_flags;
  if (tb[IFLA_IFNAME]) link.name = attr_string(tb[IFLA_IFNAME]);
  if (tb[IFLA_MTU]) link.mtu = attr_u32(tb[IFLA_MTU]);
  if (tb[IFLA_OPERSTATE]) link.operstate = attr_u8(tb[IFLA_OPERSTATE]);
  if (tb[IFLA_MASTER]) link.master_ifindex = static_cast<int>(attr_u32(tb[IFLA_MASTER]));
  if (tb[IFLA_ADDRESS] && nla_len(tb[IFLA_ADDRESS]) == static_cast<int>(link.mac.size())) {
    std::memcpy(link.mac.data(), nla_data(tb[IFLA_ADDRESS]), link.mac.size());
    link.has_mac = true;
  }
  if (tb[IFLA_LINKINFO]) {
    nlattr* info[IFLA_INFO_MAX + 1] = {};
    if (nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], nullptr) == 0 && info[IFLA_INFO_KIND])
      link.kind = attr_string(info[IFLA_INFO_KIND]);
  }
  if (tb[IFLA_PROP_LIST]) {
    nlattr* pos = nullptr;
    int rem = 0;
    nla_for_each_nested(pos, tb[IFLA_PROP_LIST], rem) {
      if (nla_type(pos) == IFLA_ALT_IFNAME) link.altnames.push_back(attr_string(pos));
    }
  }
  if (link.name.empty()) return std::nullopt;
  return link;
}

std::optional<AddressMessage> parse_address_message(const nlmsghdr* msg) {
  if (msg->nlmsg_type != RTM_NEWADDR && msg->nlmsg_type != RTM_DELADDR) return std::nullopt;
  if (msg->nlmsg_len < NLMSG_LENGTH(sizeof(ifaddrmsg))) return std::nullopt;
  const auto* ifa = static_cast<const ifaddrmsg*>(NLMSG_DATA(msg));
  if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) return std::nullopt;

  nlattr* tb[IFA_MAX + 1] = {};
  if (nlmsg_parse(const_cast<nlmsghdr*>(msg), sizeof(ifaddrmsg), tb, IFA_MAX, nullptr) < 0)
    return std::nullopt;
  // IPv4: IFA_LOCAL is our address (IFA_ADDRESS is the peer on point-to-point links).
  // IPv6: only IFA_ADDRESS (IFA_LOCAL appears only with a peer).
  const nlattr* a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
  if (a == nullptr) return std::nullopt;

  AddressMessage out;
  out.ifindex = static_cast<int>(ifa->ifa_index);
  out.address.scope = ifa->ifa_scope;
  out.address.prefix.length = ifa->ifa_prefixlen;
  if (ifa->ifa_family == AF_INET) {
    if (nla_len(a) != 4 || ifa->ifa_prefixlen > 32) return std::nullopt;
    out.address.prefix.address = net::IpAddress::v4_bytes(
        std::span<const std::uint8_t, 4>(static_cast<const std::uint8_t*>(nla_data(a)), 4));
  } else {
    if (nla_len(a) != 16 || ifa->ifa_prefixlen > 128) return std::nullopt;
    out.address.prefix.address = net::IpAddress::v6_bytes(
        std::span<const std::uint8_t, 16>(static_cast<const std::uint8_t*>(nla_data(a)), 16));
  }
  return out;
}

bool LinkTable::apply(const nlmsghdr* msg) {
  switch (msg->nlmsg_type) {
    case RTM_NEWLINK: {
      auto link = parse_link_message(msg);
      if (!link) return false;
      auto it = links_.find(link->ifindex);
      if (it != links_.end() && it->second == *link) return false;
      links_[link->ifindex] = std::move(*link);
      return true;
    }
    case RTM_DELLINK: {
      auto link = parse_link_message(msg);
      if (!link) return false;
      const bool erased = links_.erase(link->ifindex) > 0;
      const bool had_addresses = addresses_.erase(link->ifindex) > 0;
      return erased || had_addresses;
    }
    case RTM_NEWADDR: {
      auto a = parse_address_message(msg);
      if (!a) return false;
      auto& list = addresses_[a->ifindex];
      auto it = std::find_if(list.begin(), list.end(),
                             [&](const LinkAddress& x) { return x.prefix == a->address.prefix; });
      if (it != list.end()) {
        if (*it == a->address) return false;
        *it = a->address;
        return true;
      }
      list.insert(std::upper_bound(list.begin(), list.end(), a->address, address_less), a->address);
      return true;
    }
    case RTM_DELADDR: {
      auto a = parse_address_message(msg);
      if (!a) return false;
      auto found = addresses_.find(a->ifindex);
      if (found == addresses_.end()) return false;
      auto& list = found->second;
      const auto before = list.size();
      std::erase_if(list, [&](const LinkAddress& x) { return x.prefix == a->address.prefix; });
      const bool changed = list.size() != before;
      if (list.empty()) addresses_.erase(found);
      return changed;
    }
    default:
      return false;
  }
}

void LinkTable::clear() {
  links_.clear();
  addresses_.clear();
}

LinkSnapshot LinkTable::snapshot(std::uint64_t generation) const {
  LinkSnapshot snap;
  snap.generation = generation;
  snap.links.reserve(links_.size());
  for (const auto& [ifindex, link] : links_) {  // std::map: already sorted by ifindex
    Link copy = link;
    if (auto a = addresses_.find(ifindex); a != addresses_.end()) copy.addresses = a->second;
    if (copy.master_ifindex != 0) {
      if (auto m = links_.find(copy.master_ifindex); m != links_.end()) copy.master_kind = m->second.kind;
    }
    snap.links.push_back(std::move(copy));
  }
  return snap;
}

}  // namespace vipd::netlink
