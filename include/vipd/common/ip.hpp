#pragma once
// IPv4/IPv6 addresses, prefixes and ranges as plain values. Every subsystem speaks these.

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace vipd::net {

// 128-bit unsigned arithmetic for address math (pool sizes, offsets, ranges).
__extension__ using Uint128 = unsigned __int128;

std::string to_string(Uint128 value);

enum class Family : std::uint8_t { v4 = 4, v6 = 6 };

constexpr int max_prefix_length(Family f) {
  return f == Family::v4 ? 32 : 128;
}

class IpAddress {
 public:
  IpAddress() = default;  // 0.0.0.0

  static IpAddress v4(std::uint32_t host_order);
  static IpAddress v4_bytes(std::span<const std::uint8_t, 4> network_order);
  static IpAddress v6_bytes(std::span<const std::uint8_t, 16> network_order);
  // The address of family `f` whose numeric value is `value` (truncated to the family's width).
  static IpAddress from_value(Family f, Uint128 value);
  // Strict textual parse: dotted quad or RFC 4291 text (no zone, no prefix).
  static std::optional<IpAddress> parse(std::string_view text);

  Family family() const noexcept { return family_; }
  bool is_v4() const noexcept { return family_ == Family::v4; }
  bool is_v6() const noexcept { return family_ == Family::v6; }

  // Network-order bytes: 4 for IPv4, 16 for IPv6.
  std::span<const std::uint8_t> bytes() const noexcept {
    return {bytes_.data(), is_v4() ? std::size_t{4} : std::size_t{16}};
  }
  std::uint32_t v4_value() const noexcept;  // host order; IPv4 only
  Uint128 value() const noexcept;           // numeric value in the family's width

  bool is_unspecified() const noexcept;
  bool is_v6_link_local() const noexcept;  // fe80::/10
  bool is_multicast() const noexcept;

  std::string to_string() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  friend std::strong_ordering operator<=>(const IpAddress& a, const IpAddress& b) noexcept {
    if (auto c = a.family_ <=> b.family_; std::is_neq(c)) return c;
    return a.bytes_ <=> b.bytes_;
  }

 private:
  std::array<std::uint8_t, 16> bytes_{};  // IPv4 uses the first 4
  Family family_ = Family::v4;
};

// An address with a prefix length. The address keeps its host bits (an interface address
// 192.168.1.10/24 is a Prefix too); network() clears them.
struct Prefix {
  IpAddress address;
  std::uint8_t length = 0;

  // "a.b.c.d/n" or "x::y/n". With require_network, host bits must be zero.
  static std::optional<Prefix> parse(std::string_view text, bool require_network = false);

  IpAddress network() const;
  IpAddress last() const;  // broadcast-style last address of the prefix
  bool contains(const IpAddress& a) const noexcept;
  Uint128 size() const noexcept;  // number of addresses; 2^128 saturates to max
  std::string to_string() const;

  friend bool operator==(const Prefix&, const Prefix&) = default;
};

// An inclusive range [first, last] of one family.
struct IpRange {
  IpAddress first;
  IpAddress last;

  // "cidr", "a-b" (spaces around '-' allowed) or a single address.
  static std::optional<IpRange> parse(std::string_view text);
  bool contains(const IpAddress& a) const noexcept {
    return a.family() == first.family() && first <= a && a <= last;
  }
  Uint128 size() const noexcept;  // saturates at max for ::/0
  std::string to_string() const;  // "first-last"

  friend bool operator==(const IpRange&, const IpRange&) = default;
};

}  // namespace vipd::net

template <>
struct std::hash<vipd::net::IpAddress> {
  std::size_t operator()(const vipd::net::IpAddress& a) const noexcept;
};
