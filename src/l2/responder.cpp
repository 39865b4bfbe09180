#include "vipd/l2/responder.hpp"

#include <algorithm>
#include <cstring>

namespace vipd::l2 {
namespace {

std::uint64_t mix(std::uint64_t x) noexcept {  // murmur3 finaliser: cheap, good avalanche
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// Hash of (ifindex, address bytes); ifindex 0 is the "any link" key of by_address_.
std::uint64_t hash_key(int ifindex, std::span<const std::uint8_t> address) noexcept {
  const std::uint64_t link = static_cast<std::uint32_t>(ifindex);
  if (address.size() == 4) {
    std::uint32_t v;
    std::memcpy(&v, address.data(), 4);
    return mix((std::uint64_t{v} << 32) ^ link);
  }
  std::uint64_t lo;
  std::uint64_t hi;
  std::memcpy(&lo, address.data(), 8);
  std::memcpy(&hi, address.data() + 8, 8);
  return mix(mix(lo ^ (link << 1) ^ 1) ^ hi);
}

// Fixed-size compares so the compiler emits a couple of loads instead of a memcmp call.
bool same_address(std::span<const std::uint8_t> bytes, std::span<const std::uint8_t> address) noexcept {
  if (bytes.size() != address.size()) return false;
  if (address.size() == 4) {
    std::uint32_t a;
    std::uint32_t b;
    std::memcpy(&a, bytes.data(), 4);
    std::memcpy(&b, address.data(), 4);
    return a == b;
  }
  std::uint64_t a[2];
  std::uint64_t b[2];
  std::memcpy(a, bytes.data(), 16);
  std::memcpy(b, address.data(), 16);
  return ((a[0] ^ b[0]) | (a[1] ^ b[1])) == 0;
}

bool same_address(const net::IpAddress& vip, std::span<const std::uint8_t> address) noexcept {
  return same_address(vip.bytes(), address);
}

bool same_address(const Ipv6Bytes& x, const Ipv6Bytes& y) noexcept {
  return same_address(std::span<const std::uint8_t>(x), std::span<const std::uint8_t>(y));
}

std::uint64_t mac_key(const netlink::MacAddress& mac) noexcept {
  std::uint64_t k = 0;
  std::memcpy(&k, mac.data(), mac.size());
  return k;
}

bool is_zero(const Ipv4Bytes& a) noexcept {
  return same_address(std::span<const std::uint8_t>(a), Ipv4Bytes{});
}
bool is_zero(const Ipv6Bytes& a) noexcept {
  return same_address(a, Ipv6Bytes{});
}

DropReason classify(ParseError error) noexcept {
  switch (error) {
    case ParseError::bad_ethertype:
    case ParseError::ipv6_extension_headers:
    case ParseError::not_icmpv6:
    case ParseError::not_neighbor_discovery:
      return DropReason::not_arp_or_nd;
    default:
      return DropReason::malformed;
  }
}

std::size_t table_capacity(std::size_t entries) {
  std::size_t capacity = 16;
  while (capacity < entries * 2) capacity *= 2;  // load factor <= 0.5 keeps probe runs short
  return capacity;
}

}  // namespace

std::string_view to_string(Action action) noexcept {
  switch (action) {
    case Action::none:
      return "none";
    case Action::reply:
      return "reply";
    case Action::reply_and_conflict:
      return "reply_and_conflict";
    case Action::conflict:
      return "conflict";
  }
  return "unknown";
}

std::string_view to_string(DropReason reason) noexcept {
  switch (reason) {
    case DropReason::none:
      return "none";
    case DropReason::unknown_link:
      return "unknown_link";
    case DropReason::not_arp_or_nd:
      return "not_arp_or_nd";
    case DropReason::malformed:
      return "malformed";
    case DropReason::vlan_tagged:
      return "vlan_tagged";
    case DropReason::wrong_destination:
      return "wrong_destination";
    case DropReason::own_mac:
      return "own_mac";
    case DropReason::not_request:
      return "not_request";
    case DropReason::not_owned:
      return "not_owned";
    case DropReason::not_selected:
      return "not_selected";
    case DropReason::sender_is_vip:
      return "sender_is_vip";
    case DropReason::conflict:
      return "conflict";
    case DropReason::reply_too_large:
      return "reply_too_large";
  }
  return "unknown";
}

void Responder::set_links(std::vector<LinkInfo> links) {
  std::stable_sort(links.begin(), links.end(),
                   [](const LinkInfo& a, const LinkInfo& b) { return a.ifindex < b.ifindex; });
  std::vector<LinkState> next;
  next.reserve(links.size());
  own_macs_.clear();
  for (const LinkInfo& l : links) {
    if (!next.empty() && next.back().ifindex == l.ifindex) continue;
    LinkState s;
    s.ifindex = l.ifindex;
    s.mac = l.mac;
    if (const LinkState* old = find_link(l.ifindex)) s.drops = old->drops;
    next.push_back(s);
    own_macs_.push_back(mac_key(l.mac));
  }
  links_ = std::move(next);
  std::sort(own_macs_.begin(), own_macs_.end());
  own_macs_.erase(std::unique(own_macs_.begin(), own_macs_.end()), own_macs_.end());
}

void Responder::insert(Table& table, std::uint64_t hash, std::int32_t index) {
  std::size_t i = hash & table.mask;
  while (table.slots[i].index >= 0) i = (i + 1) & table.mask;
  table.slots[i] = Slot{static_cast<std::uint32_t>(hash >> 32), index};
}

std::int32_t Responder::lookup(const Table& table, int ifindex,
                               std::span<const std::uint8_t> address) const noexcept {
  return lookup_in(table, bindings_, ifindex, address);
}

std::int32_t Responder::lookup_in(const Table& table, std::span<const Binding> bindings, int ifindex,
                                  std::span<const std::uint8_t> address) noexcept {
  if (table.slots.empty()) return -1;
  const std::uint64_t hash = hash_key(ifindex, address);
  const auto tag = static_cast<std::uint32_t>(hash >> 32);
  for (std::size_t i = hash & table.mask;; i = (i + 1) & table.mask) {
    const Slot s = table.slots[i];
    if (s.index < 0) return -1;
    if (s.tag != tag) continue;
    const Binding& b = bindings[static_cast<std::size_t>(s.index)];
    if ((ifindex == 0 || b.ifindex == ifindex) && same_address(b.vip, address)) return s.index;
  }
}

void Responder::set_bindings(const std::vector<Binding>& bindings) {
  // Built aside and swapped in at the end: a failure (bad_alloc) leaves the old tables in place.
  std::vector<Binding> next;
  next.reserve(bindings.size());
  std::vector<BindingCounters> counters;
  counters.reserve(bindings.size());
  const std::size_t capacity = table_capacity(bindings.size());
  Table by_link{std::vector<Slot>(capacity), capacity - 1};
  Table by_address{std::vector<Slot>(capacity), capacity - 1};
  for (const Binding& b : bindings) {
    if (lookup_in(by_link, next, b.ifindex, b.vip.bytes()) >= 0) continue;  // duplicate
    const auto index = static_cast<std::int32_t>(next.size());
    next.push_back(b);
    // Counters follow a binding across rebuilds.
    const std::int32_t previous = lookup(by_link_, b.ifindex, b.vip.bytes());
    counters.push_back(previous >= 0 ? counters_[static_cast<std::size_t>(previous)] : BindingCounters{});
    insert(by_link, hash_key(b.ifindex, b.vip.bytes()), index);
    if (lookup_in(by_address, next, 0, b.vip.bytes()) < 0)
      insert(by_address, hash_key(0, b.vip.bytes()), index);
  }
  bindings_ = std::move(next);
  counters_ = std::move(counters);
  by_link_ = std::move(by_link);
  by_address_ = std::move(by_address);
}

Responder::LinkState* Responder::find_link(int ifindex) noexcept {
  auto it = std::lower_bound(links_.begin(), links_.end(), ifindex,
                             [](const LinkState& l, int i) { return l.ifindex < i; });
  return it != links_.end() && it->ifindex == ifindex ? &*it : nullptr;
}

const Responder::LinkState* Responder::find_link(int ifindex) const noexcept {
  return const_cast<Responder*>(this)->find_link(ifindex);
}

bool Responder::is_own_mac(const netlink::MacAddress& mac) const noexcept {
  return std::binary_search(own_macs_.begin(), own_macs_.end(), mac_key(mac));
}

std::int32_t Responder::find(int ifindex, const net::IpAddress& vip) const noexcept {
  return lookup(by_link_, ifindex, vip.bytes());
}

std::uint64_t Responder::drops(int ifindex, DropReason reason) const noexcept {
  const auto r = static_cast<std::size_t>(reason);
  if (ifindex == 0) return unknown_link_drops_[r];
  const LinkState* link = find_link(ifindex);
  return link ? link->drops[r] : 0;
}

void Responder::count_gratuitous(std::size_t binding, std::uint64_t n) {
  counters_.at(binding).gratuitous += n;
}

Outcome Responder::drop(LinkState* link, DropReason reason) noexcept {
  auto& counters = link ? link->drops : unknown_link_drops_;
  ++counters[static_cast<std::size_t>(reason)];
  Outcome o;
  o.drop = reason;
  return o;
}

Outcome Responder::conflict(LinkState& link, std::int32_t binding, const netlink::MacAddress& peer,
                            DropReason reason) noexcept {
  ++counters_[static_cast<std::size_t>(binding)].conflicts;
  ++link.drops[static_cast<std::size_t>(reason)];
  Outcome o;
  o.action = Action::conflict;
  o.drop = reason;
  o.binding = binding;
  o.peer_mac = peer;
  o.vip = bindings_[static_cast<std::size_t>(binding)].vip;
  return o;
}

// NOLINTNEXTLINE(bugprone-exception-escape): `parsed.value()` is read only after the ok() check
Outcome Responder::handle(int ifindex, std::span<const std::uint8_t> frame,
                          std::span<std::uint8_t> reply) noexcept {
  LinkState* link = find_link(ifindex);
  if (link == nullptr) return drop(nullptr, DropReason::unknown_link);
  const auto parsed = parse_frame(frame);
  if (!parsed) return drop(link, classify(parsed.error()));
  const ParsedFrame& f = parsed.value();
  // On a VLAN the kernel hands the VLAN device untagged frames; a tagged frame seen here belongs to
  // a VLAN whose device is answered separately (or not selected at all).
  if (f.ethernet.vlan_tagged) return drop(link, DropReason::vlan_tagged);
  if (is_own_mac(f.ethernet.source)) return drop(link, DropReason::own_mac);
  return f.kind == FrameKind::arp ? handle_arp(*link, f, reply) : handle_nd(*link, f, reply);
}

Outcome Responder::handle_arp(LinkState& link, const ParsedFrame& f, std::span<std::uint8_t> reply) noexcept {
  const ArpPacket& a = f.arp;
  if (is_own_mac(a.sender_mac)) return drop(&link, DropReason::own_mac);

  // Another host using one of our VIPs as its sender address on this link: gratuitous ARP, a reply
  // claiming it, or requests sourced from it. Never answered, always a conflict.
  const std::int32_t claimed = is_zero(a.sender_ip) ? -1 : lookup(by_link_, link.ifindex, a.sender_ip);
  if (a.op == ArpOp::reply) {
    if (claimed >= 0) return conflict(link, claimed, a.sender_mac, DropReason::conflict);
    return drop(&link, DropReason::not_request);
  }
  if (claimed >= 0) return conflict(link, claimed, a.sender_mac, DropReason::sender_is_vip);
  const std::uint64_t destination = mac_key(f.ethernet.destination);
  if (destination != mac_key(broadcast_mac) && destination != mac_key(link.mac))
    return drop(&link, DropReason::wrong_destination);

  const std::int32_t b = lookup(by_link_, link.ifindex, a.target_ip);
  if (b < 0) {
    return drop(&link,
                lookup(by_address_, 0, a.target_ip) >= 0 ? DropReason::not_selected : DropReason::not_owned);
  }
  BindingCounters& counters = counters_[static_cast<std::size_t>(b)];
  ++counters.requests;
  const std::size_t size = build_arp_reply(reply, link.mac, a);
  if (size == 0) return drop(&link, DropReason::reply_too_large);
  ++counters.replies;
  // RFC 5227 probe (sender 0.0.0.0): someone is about to take our VIP. Defend and report.
  const bool probe = is_zero(a.sender_ip);
  if (probe) ++counters.conflicts;
  Outcome o;
  o.action = probe ? Action::reply_and_conflict : Action::reply;
  o.reply_size = size;
  o.binding = b;
  o.peer_mac = a.sender_mac;
  o.vip = bindings_[static_cast<std::size_t>(b)].vip;
  return o;
}

Outcome Responder::handle_nd(LinkState& link, const ParsedFrame& f, std::span<std::uint8_t> reply) noexcept {
  const NdPacket& n = f.nd;
  if ((n.has_source_lla && is_own_mac(n.source_lla)) || (n.has_target_lla && is_own_mac(n.target_lla)))
    return drop(&link, DropReason::own_mac);

  if (!n.is_solicitation()) {
    const std::int32_t b = lookup(by_link_, link.ifindex, n.target);
    if (b < 0) return drop(&link, DropReason::not_request);
    return conflict(link, b, n.has_target_lla ? n.target_lla : f.ethernet.source, DropReason::conflict);
  }

  const bool dad = is_zero(n.source);
  if (!dad) {
    const std::int32_t claimed = lookup(by_link_, link.ifindex, n.source);
    if (claimed >= 0)
      return conflict(link, claimed, n.has_source_lla ? n.source_lla : f.ethernet.source,
                      DropReason::sender_is_vip);
  }
  // Multicast resolution goes to the target's solicited-node group; NUD probes (RFC 4861 §7.3.3)
  // go unicast to the target address at the MAC the peer has cached, i.e. ours.
  bool destination_ok = false;
  const std::uint64_t eth_destination = mac_key(f.ethernet.destination);
  if (same_address(n.destination, solicited_node_address(n.target))) {
    destination_ok =
        eth_destination == mac_key(solicited_node_mac(n.target)) || eth_destination == mac_key(link.mac);
  } else if (same_address(n.destination, n.target)) {
    destination_ok = eth_destination == mac_key(link.mac);
  }
  if (!destination_ok) return drop(&link, DropReason::wrong_destination);

  const std::int32_t b = lookup(by_link_, link.ifindex, n.target);
  if (b < 0) {
    return drop(&link,
                lookup(by_address_, 0, n.target) >= 0 ? DropReason::not_selected : DropReason::not_owned);
  }
  BindingCounters& counters = counters_[static_cast<std::size_t>(b)];
  ++counters.requests;
  Outcome o;
  o.binding = b;
  o.vip = bindings_[static_cast<std::size_t>(b)].vip;
  o.peer_mac = n.has_source_lla ? n.source_lla : f.ethernet.source;
  // DAD (source ::): someone wants our VIP. The answer must go to all nodes (the prober has no
  // address yet), with S=0 (RFC 4861 §7.2.4).
  const std::size_t size = dad ? build_all_nodes_na(reply, link.mac, n.target)
                               : build_solicited_na(reply, link.mac, n.target, o.peer_mac, n.source);
  if (size == 0) return drop(&link, DropReason::reply_too_large);
  ++counters.replies;
  if (dad) ++counters.conflicts;
  o.action = dad ? Action::reply_and_conflict : Action::reply;
  o.reply_size = size;
  return o;
}

Announcement Responder::announcement(std::size_t binding) const {
  const Binding& b = bindings_.at(binding);
  Announcement a;
  const LinkState* link = find_link(b.ifindex);
  if (link == nullptr) return a;
  if (b.vip.is_v4()) {
    const Ipv4Bytes vip = to_v4_bytes(b.vip);
    a.sizes[0] = build_gratuitous_arp_request(a.frames[0], link->mac, vip);
    a.sizes[1] = build_gratuitous_arp_reply(a.frames[1], link->mac, vip);
    a.count = 2;
  } else {
    a.sizes[0] = build_all_nodes_na(a.frames[0], link->mac, to_v6_bytes(b.vip));
    a.count = 1;
  }
  return a;
}

}  // namespace vipd::l2
