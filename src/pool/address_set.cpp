#include "vipd/pool/address_set.hpp"

#include <algorithm>

namespace vipd::pool {

namespace {

using net::Family;
using net::Uint128;

constexpr Uint128 max_u128 = ~Uint128{0};

Uint128 family_max(Family f) {
  return f == Family::v4 ? Uint128{0xffffffffU} : max_u128;
}

Uint128 saturating_add(Uint128 a, Uint128 b) {
  return a > max_u128 - b ? max_u128 : a + b;
}

// Usable IPv4 values in [0, n) when .0 and .255 are excluded: each full /24 block gives 254, and a
// partial block of r values (0..r-1) gives r-1 of them (its .0 is excluded; .255 is never reached).
Uint128 usable_below(Uint128 n) {
  const Uint128 r = n & 0xff;
  return (n >> 8) * 254 + (r == 0 ? 0 : r - 1);
}

Uint128 interval_size(const AddressSet::Interval& iv, bool avoid_buggy) {
  if (avoid_buggy && iv.family == Family::v4) return usable_below(iv.last + 1) - usable_below(iv.first);
  const Uint128 d = iv.last - iv.first;
  return d == max_u128 ? d : d + 1;  // ::/0 saturates
}

// Lowest value >= v that is not x.x.x.0 / x.x.x.255 (may exceed the interval; the caller checks).
Uint128 skip_buggy(Uint128 v) {
  switch (static_cast<unsigned>(v & 0xff)) {
    case 0:
      return v + 1;
    case 255:
      return v + 2;
    default:
      return v;
  }
}

bool key_less(const AddressSet::Interval& iv, Family f, Uint128 v) {
  return iv.family != f ? iv.family < f : iv.last < v;
}

}  // namespace

AddressSet AddressSet::from_pool(const config::Pool& pool) {
  std::vector<net::IpRange> ranges;
  ranges.reserve(pool.addresses.size());
  for (const auto& r : pool.addresses) ranges.push_back(r.range);
  return from_ranges(ranges, pool.avoid_buggy_ips);
}

AddressSet AddressSet::from_ranges(std::span<const net::IpRange> ranges, bool avoid_buggy_ips) {
  AddressSet set;
  set.avoid_buggy_ips_ = avoid_buggy_ips;
  std::vector<Interval> raw;
  raw.reserve(ranges.size());
  for (const auto& r : ranges) {
    // A malformed range (mixed families or reversed) holds nothing rather than garbage.
    if (r.first.family() != r.last.family() || r.last < r.first) continue;
    raw.push_back({r.first.family(), r.first.value(), r.last.value()});
  }
  std::sort(raw.begin(), raw.end(), [](const Interval& a, const Interval& b) {
    return a.family != b.family ? a.family < b.family : a.first < b.first;
  });
  for (const auto& iv : raw) {
    if (!set.intervals_.empty()) {
      auto& cur = set.intervals_.back();
      // Merge overlapping and adjacent intervals; cur.last == max means everything after is inside.
      if (cur.family == iv.family && (cur.last == family_max(cur.family) || iv.first <= cur.last + 1)) {
        cur.last = std::max(cur.last, iv.last);
        continue;
      }
    }
    set.intervals_.push_back(iv);
  }
  return set;
}

bool AddressSet::is_buggy(const net::IpAddress& a) {
  if (!a.is_v4()) return false;
  const auto low = a.v4_value() & 0xffU;
  return low == 0 || low == 255;
}

bool AddressSet::contains(const net::IpAddress& a) const {
  const Family f = a.family();
  const Uint128 v = a.value();
  auto it = std::lower_bound(intervals_.begin(), intervals_.end(), v,
                             [f](const Interval& iv, Uint128 x) { return key_less(iv, f, x); });
  if (it == intervals_.end() || it->family != f || it->first > v) return false;
  return !(avoid_buggy_ips_ && is_buggy(a));
}

Uint128 AddressSet::size(Family family) const {
  Uint128 total = 0;
  for (const auto& iv : intervals_)
    if (iv.family == family) total = saturating_add(total, interval_size(iv, avoid_buggy_ips_));
  return total;
}

Uint128 AddressSet::size() const {
  return saturating_add(size(Family::v4), size(Family::v6));
}

std::optional<net::IpAddress> AddressSet::next_usable(const net::IpAddress& from) const {
  const Family f = from.family();
  const Uint128 v = from.value();
  auto it = std::lower_bound(intervals_.begin(), intervals_.end(), v,
                             [f](const Interval& iv, Uint128 x) { return key_less(iv, f, x); });
  // Usually the first candidate interval answers; an interval holding only .0/.255 values
  // (e.g. "10.0.0.255-10.0.1.0") is skipped and the loop moves on.
  for (; it != intervals_.end() && it->family == f; ++it) {
    Uint128 c = std::max(v, it->first);
    if (avoid_buggy_ips_ && f == Family::v4) c = skip_buggy(c);
    if (c <= it->last) return net::IpAddress::from_value(f, c);
  }
  return std::nullopt;
}

std::optional<net::IpAddress> AddressSet::first_usable(Family family) const {
  return next_usable(net::IpAddress::from_value(family, 0));
}

}  // namespace vipd::pool
