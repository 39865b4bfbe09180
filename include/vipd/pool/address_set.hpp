#pragma once
// A pool's addresses as sorted, merged, disjoint intervals. Never enumerated: a /8 or a /64 costs
// O(ranges) memory and O(log ranges) lookup. avoid-buggy-ips (IPv4 only, as MetalLB does) is
// applied arithmetically in contains/size/next_usable instead of splitting intervals, so a /8
// stays one interval rather than 65536.

#include <optional>
#include <span>
#include <vector>

#include "vipd/common/ip.hpp"
#include "vipd/config/model.hpp"

namespace vipd::pool {

class AddressSet {
 public:
  // Closed interval [first, last] of numeric addresses of one family.
  struct Interval {
    net::Family family = net::Family::v4;
    net::Uint128 first = 0;
    net::Uint128 last = 0;
    friend bool operator==(const Interval&, const Interval&) = default;
  };

  AddressSet() = default;
  static AddressSet from_pool(const config::Pool& pool);
  static AddressSet from_ranges(std::span<const net::IpRange> ranges, bool avoid_buggy_ips);

  bool contains(const net::IpAddress& a) const;
  // Usable addresses (after avoid-buggy-ips), both families; saturates at 2^128-1 (::/0).
  net::Uint128 size() const;
  net::Uint128 size(net::Family family) const;
  bool empty() const { return size() == 0; }
  // Lowest usable address >= from, of from's family, or nullopt.
  std::optional<net::IpAddress> next_usable(const net::IpAddress& from) const;
  // Lowest usable address of the family, or nullopt.
  std::optional<net::IpAddress> first_usable(net::Family family) const;

  bool avoid_buggy_ips() const { return avoid_buggy_ips_; }
  // The merged intervals, sorted (IPv4 before IPv6), as written before the buggy-IP rule.
  const std::vector<Interval>& intervals() const { return intervals_; }

  // True for x.x.x.0 and x.x.x.255 (IPv4); never for IPv6.
  static bool is_buggy(const net::IpAddress& a);

 private:
  std::vector<Interval> intervals_;
  bool avoid_buggy_ips_ = false;
};

}  // namespace vipd::pool
