#include "vipd/common/ip.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace vipd::net {

std::string to_string(Uint128 value) {
  if (value == 0) return "0";
  std::string out;
  while (value != 0) {
    out.push_back(static_cast<char>('0' + static_cast<int>(value % 10)));
    value /= 10;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

IpAddress IpAddress::v4(std::uint32_t host_order) {
  IpAddress a;
  a.family_ = Family::v4;
  a.bytes_[0] = static_cast<std::uint8_t>(host_order >> 24);
  a.bytes_[1] = static_cast<std::uint8_t>(host_order >> 16);
  a.bytes_[2] = static_cast<std::uint8_t>(host_order >> 8);
  a.bytes_[3] = static_cast<std::uint8_t>(host_order);
  return a;
}

IpAddress IpAddress::v4_bytes(std::span<const std::uint8_t, 4> network_order) {
  IpAddress a;
  a.family_ = Family::v4;
  std::copy(network_order.begin(), network_order.end(), a.bytes_.begin());
  return a;
}

IpAddress IpAddress::v6_bytes(std::span<const std::uint8_t, 16> network_order) {
  IpAddress a;
  a.family_ = Family::v6;
  std::copy(network_order.begin(), network_order.end(), a.bytes_.begin());
  return a;
}

IpAddress IpAddress::from_value(Family f, Uint128 value) {
  if (f == Family::v4) return v4(static_cast<std::uint32_t>(value));
  IpAddress a;
  a.family_ = Family::v6;
  for (int i = 15; i >= 0; --i) {
    a.bytes_[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(value);
    value >>= 8;
  }
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton needs a NUL-terminated string; addresses are short.
  if (text.empty() || text.size() > 45) return std::nullopt;
  char buf[46];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress a;
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf, a.bytes_.data()) != 1) return std::nullopt;
    a.family_ = Family::v4;
  } else {
    if (inet_pton(AF_INET6, buf, a.bytes_.data()) != 1) return std::nullopt;
    a.family_ = Family::v6;
  }
  return a;
}

std::uint32_t IpAddress::v4_value() const noexcept {
  return (std::uint32_t{bytes_[0]} << 24) | (std::uint32_t{bytes_[1]} << 16) |
         (std::uint32_t{bytes_[2]} << 8) | std::uint32_t{bytes_[3]};
}

Uint128 IpAddress::value() const noexcept {
  if (is_v4()) return v4_value();
  Uint128 v = 0;
  for (auto b : bytes_) v = (v << 8) | b;
  return v;
}

bool IpAddress::is_unspecified() const noexcept {
  return std::all_of(bytes().begin(), bytes().end(), [](std::uint8_t b) { return b == 0; });
}

bool IpAddress::is_v6_link_local() const noexcept {
  return is_v6() && bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80;
}

bool IpAddress::is_multicast() const noexcept {
  return is_v4() ? (bytes_[0] & 0xf0) == 0xe0 : bytes_[0] == 0xff;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

namespace {

Uint128 host_mask(Family f, int length) {
  const int width = max_prefix_length(f);
  const int host_bits = width - length;
  if (host_bits <= 0) return 0;
  if (host_bits >= 128) return ~Uint128{0};
  return (Uint128{1} << host_bits) - 1;
}

std::optional<int> parse_small_int(std::string_view s) {
  if (s.empty() || s.size() > 3) return std::nullopt;
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<Prefix> Prefix::parse(std::string_view text, bool require_network) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto addr = IpAddress::parse(text.substr(0, slash));
  auto len = parse_small_int(text.substr(slash + 1));
  if (!addr || !len || *len < 0 || *len > max_prefix_length(addr->family())) return std::nullopt;
  Prefix p{*addr, static_cast<std::uint8_t>(*len)};
  if (require_network && p.network() != p.address) return std::nullopt;
  return p;
}

IpAddress Prefix::network() const {
  return IpAddress::from_value(address.family(), address.value() & ~host_mask(address.family(), length));
}

IpAddress Prefix::last() const {
  return IpAddress::from_value(address.family(), address.value() | host_mask(address.family(), length));
}

bool Prefix::contains(const IpAddress& a) const noexcept {
  if (a.family() != address.family()) return false;
  const Uint128 mask = ~host_mask(address.family(), length);
  return (a.value() & mask) == (address.value() & mask);
}

Uint128 Prefix::size() const noexcept {
  const Uint128 m = host_mask(address.family(), length);
  return m == ~Uint128{0} ? m : m + 1;
}

std::string Prefix::to_string() const {
  return address.to_string() + "/" + std::to_string(length);
}

std::optional<IpRange> IpRange::parse(std::string_view text) {
  text = trim(text);
  if (text.find('/') != std::string_view::npos) {
    auto p = Prefix::parse(text, /*require_network=*/false);
    if (!p) return std::nullopt;
    return IpRange{p->network(), p->last()};
  }
  if (const auto dash = text.find('-'); dash != std::string_view::npos) {
    auto a = IpAddress::parse(trim(text.substr(0, dash)));
    auto b = IpAddress::parse(trim(text.substr(dash + 1)));
    if (!a || !b || a->family() != b->family() || *b < *a) return std::nullopt;
    return IpRange{*a, *b};
  }
  auto a = IpAddress::parse(text);
  if (!a) return std::nullopt;
  return IpRange{*a, *a};
}

Uint128 IpRange::size() const noexcept {
  const Uint128 d = last.value() - first.value();
  return d == ~Uint128{0} ? d : d + 1;
}

std::string IpRange::to_string() const {
  return first.to_string() + "-" + last.to_string();
}

}  // namespace vipd::net

std::size_t std::hash<vipd::net::IpAddress>::operator()(const vipd::net::IpAddress& a) const noexcept {
  // FNV-1a over the family and bytes: cheap, no allocation, good enough for a flat table.
  std::uint64_t h = 1469598103934665603ULL ^ static_cast<std::uint8_t>(a.family());
  for (auto b : a.bytes()) {
    h ^= b;
    h *= 1099511628211ULL;
  }
  return static_cast<std::size_t>(h);
}
