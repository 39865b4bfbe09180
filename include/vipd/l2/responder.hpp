#pragma once
// The responder core (design §5, issue 4 §3): decides, per received frame, whether to answer,
// count a conflict or drop it, and writes the reply into a caller buffer. Pure: no sockets, no
// clock, no logging, no allocation in handle(). The packet I/O adapter feeds it frames and sends
// what it writes; the daemon rebuilds its tables on every reconcile.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "vipd/common/ip.hpp"
#include "vipd/l2/codec.hpp"
#include "vipd/netlink/snapshot.hpp"

namespace vipd::l2 {

struct LinkInfo {
  int ifindex = 0;
  netlink::MacAddress mac{};
};

// "Answer for vip on this link": one entry per (VIP, selected link).
struct Binding {
  int ifindex = 0;
  net::IpAddress vip;
  friend bool operator==(const Binding&, const Binding&) = default;
};

enum class Action : std::uint8_t {
  none,                // dropped, see Outcome::drop
  reply,               // send reply[0, reply_size) on the ingress link
  reply_and_conflict,  // send the reply, and count/log a conflict (ARP probe, DAD NS)
  conflict,            // another MAC claims our VIP: count/log, nothing sent
};

enum class DropReason : std::uint8_t {
  none,
  unknown_link,       // ifindex not in set_links()
  not_arp_or_nd,      // other ethertype, other ICMPv6, IPv6 extension headers
  malformed,          // any other parse error
  vlan_tagged,        // 802.1Q tag: a VLAN's frames are answered on the VLAN device, untagged
  wrong_destination,  // Ethernet/IPv6 destination neither ours nor the expected broadcast/multicast
  own_mac,            // sent by one of our links (our own announcements looping back over a bridge)
  not_request,        // ARP reply / NA that claims nothing we own
  not_owned,          // target is not a VIP of this node on any link
  not_selected,       // target is our VIP, but not selected on this link
  sender_is_vip,      // request sourced from our VIP by another MAC (gratuitous ARP): a conflict
  conflict,           // ARP reply / NA from another MAC for our VIP: a conflict
  reply_too_large,    // the reply buffer is too small (a caller bug, never expected)
};
inline constexpr std::size_t drop_reason_count = 13;

std::string_view to_string(Action action) noexcept;
std::string_view to_string(DropReason reason) noexcept;

struct Outcome {
  Action action = Action::none;
  DropReason drop = DropReason::none;
  std::size_t reply_size = 0;
  std::int32_t binding = -1;       // index into bindings(), or -1
  netlink::MacAddress peer_mac{};  // requester or conflicting MAC
  net::IpAddress vip;              // the VIP concerned (when binding >= 0)
};

struct BindingCounters {
  std::uint64_t requests = 0;    // ARP requests / NS for the VIP on its link
  std::uint64_t replies = 0;     // ARP replies / NA sent in answer
  std::uint64_t gratuitous = 0;  // announcement frames sent (count_gratuitous)
  std::uint64_t conflicts = 0;   // probes, DAD, foreign replies/announcements for the VIP
  friend bool operator==(const BindingCounters&, const BindingCounters&) = default;
};

// Up to two frames announcing a binding: ARP request + ARP reply (IPv4), or one NA (IPv6).
struct Announcement {
  std::array<std::array<std::uint8_t, max_frame_size>, 2> frames{};
  std::array<std::size_t, 2> sizes{};
  std::size_t count = 0;
  std::span<const std::uint8_t> frame(std::size_t i) const { return {frames[i].data(), sizes[i]}; }
};

class Responder {
 public:
  // All our links' MACs: own-MAC check and the source of replies. Drop counters of links present
  // before and after are kept.
  void set_links(std::vector<LinkInfo> links);
  // Rebuilds the lookup tables. Duplicates are collapsed; bindings() keeps the given order
  // otherwise. Counters of bindings present before and after are kept.
  void set_bindings(const std::vector<Binding>& bindings);

  // Decides on one received frame; writes the reply (if any) to `reply`.
  // NOLINTNEXTLINE(bugprone-exception-escape): Result::value() is read only after the ok() check
  Outcome handle(int ifindex, std::span<const std::uint8_t> frame, std::span<std::uint8_t> reply) noexcept;

  std::span<const Binding> bindings() const noexcept { return bindings_; }
  const BindingCounters& counters(std::size_t binding) const { return counters_.at(binding); }
  // Drop counters per link (by ifindex); unknown_link drops are kept under ifindex 0.
  std::uint64_t drops(int ifindex, DropReason reason) const noexcept;
  void count_gratuitous(std::size_t binding, std::uint64_t n);

  // Announcement frames for a binding, from its link's MAC (count 0 if the link is unknown).
  Announcement announcement(std::size_t binding) const;

  // Index of the binding (ifindex, vip), or -1.
  std::int32_t find(int ifindex, const net::IpAddress& vip) const noexcept;

 private:
  // Open-addressing table of binding indices with linear probing. The key lives in bindings_, the
  // slot keeps only a hash tag and the index, so a lookup touches one cache line in the common case.
  struct Slot {
    std::uint32_t tag = 0;
    std::int32_t index = -1;
  };
  struct Table {
    std::vector<Slot> slots;
    std::size_t mask = 0;
  };
  struct LinkState {
    int ifindex = 0;
    netlink::MacAddress mac{};
    std::array<std::uint64_t, drop_reason_count> drops{};
  };

  std::int32_t lookup(const Table& table, int ifindex, std::span<const std::uint8_t> address) const noexcept;
  static std::int32_t lookup_in(const Table& table, std::span<const Binding> bindings, int ifindex,
                                std::span<const std::uint8_t> address) noexcept;
  static void insert(Table& table, std::uint64_t hash, std::int32_t index);
  LinkState* find_link(int ifindex) noexcept;
  const LinkState* find_link(int ifindex) const noexcept;
  bool is_own_mac(const netlink::MacAddress& mac) const noexcept;
  Outcome drop(LinkState* link, DropReason reason) noexcept;
  Outcome handle_arp(LinkState& link, const ParsedFrame& f, std::span<std::uint8_t> reply) noexcept;
  Outcome handle_nd(LinkState& link, const ParsedFrame& f, std::span<std::uint8_t> reply) noexcept;
  Outcome conflict(LinkState& link, std::int32_t binding, const netlink::MacAddress& peer,
                   DropReason reason) noexcept;

  std::vector<LinkState> links_;         // sorted by ifindex
  std::vector<std::uint64_t> own_macs_;  // our MACs as integers, sorted
  std::array<std::uint64_t, drop_reason_count> unknown_link_drops_{};
  std::vector<Binding> bindings_;
  std::vector<BindingCounters> counters_;
  Table by_link_;     // (ifindex, vip) -> binding
  Table by_address_;  // vip -> first binding with it (not_selected vs not_owned)
};

}  // namespace vipd::l2
