// Scalar value parsers shared by every input shape.
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "vipd/config/loader.hpp"

namespace vipd::config {

namespace {

template <class T>
std::optional<T> parse_uint(std::string_view s) {
  if (s.empty() || s.front() == '+' || s.front() == '-') return std::nullopt;
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  // Plain number: seconds, as MetalLB's legacy hold-time accepts.
  if (auto secs = parse_uint<std::uint64_t>(text)) {
    if (*secs > 100ULL * 365 * 24 * 3600) return std::nullopt;
    return Duration(static_cast<std::int64_t>(*secs) * 1000);
  }
  // Go-style sequence of <number><unit>, number may carry a fraction ("1.5s").
  constexpr std::int64_t max_ms = 100LL * 365 * 24 * 3600 * 1000;
  std::int64_t total_us = 0;  // microseconds so "1.5ms" stays exact enough to reject cleanly
  std::size_t i = 0;
  while (i < text.size()) {
    std::int64_t whole = 0;
    std::int64_t frac_num = 0;
    std::int64_t frac_den = 1;
    std::size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (whole > max_ms * 1000) return std::nullopt;
      whole = whole * 10 + (text[i] - '0');
      ++i;
      ++digits;
    }
    if (i < text.size() && text[i] == '.') {
      ++i;
      while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        if (frac_den < 1'000'000'000) {
          frac_num = frac_num * 10 + (text[i] - '0');
          frac_den *= 10;
        }
        ++i;
        ++digits;
      }
    }
    if (digits == 0) return std::nullopt;
    std::int64_t unit_us = 0;
    if (text.substr(i, 2) == "ms") {
      unit_us = 1000;
      i += 2;
    } else if (text.substr(i, 2) == "us") {
      unit_us = 1;
      i += 2;
    } else if (i < text.size() && text[i] == 'h') {
      unit_us = 3600LL * 1000 * 1000;
      ++i;
    } else if (i < text.size() && text[i] == 'm') {
      unit_us = 60LL * 1000 * 1000;
      ++i;
    } else if (i < text.size() && text[i] == 's') {
      unit_us = 1000LL * 1000;
      ++i;
    } else {
      return std::nullopt;
    }
    constexpr std::int64_t max_us = max_ms * 1000;
    if (whole > max_us / unit_us) return std::nullopt;  // keeps whole * unit_us in range
    total_us += whole * unit_us + frac_num * unit_us / frac_den;
    if (total_us / 1000 > max_ms) return std::nullopt;
  }
  if (total_us % 1000 != 0) return std::nullopt;  // below millisecond resolution
  return Duration(total_us / 1000);
}

std::string format_duration(Duration d) {
  std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  const std::int64_t h = ms / 3'600'000;
  const std::int64_t m = ms / 60'000 % 60;
  const std::int64_t s = ms / 1000 % 60;
  const std::int64_t rest = ms % 1000;
  if (h != 0) out += std::to_string(h) + "h";
  if (m != 0) out += std::to_string(m) + "m";
  if (s != 0) out += std::to_string(s) + "s";
  if (rest != 0) out += std::to_string(rest) + "ms";
  return out;
}

std::optional<std::uint32_t> parse_asn(std::string_view text) {
  if (const auto dot = text.find('.'); dot != std::string_view::npos) {
    auto hi = parse_uint<std::uint32_t>(text.substr(0, dot));
    auto lo = parse_uint<std::uint32_t>(text.substr(dot + 1));
    if (!hi || !lo || *hi > 65535 || *lo > 65535) return std::nullopt;
    const std::uint32_t v = (*hi << 16) | *lo;
    if (v == 0) return std::nullopt;
    return v;
  }
  auto v = parse_uint<std::uint32_t>(text);
  if (!v || *v == 0) return std::nullopt;
  return v;
}

std::optional<Community> parse_community(std::string_view text) {
  struct WellKnown {
    std::string_view name;
    std::uint32_t value;
  };
  // RFC 1997, RFC 3765 (no-peer), RFC 8326 (graceful-shutdown), RFC 7999 (blackhole).
  static constexpr WellKnown well_known[] = {
      {"no-export", 0xFFFFFF01}, {"no-advertise", 0xFFFFFF02},      {"no-export-subconfed", 0xFFFFFF03},
      {"no-peer", 0xFFFFFF04},   {"graceful-shutdown", 0xFFFF0000}, {"blackhole", 0xFFFF029A},
  };
  for (const auto& w : well_known)
    if (text == w.name) return Community{w.value};
  if (text.substr(0, 6) == "large:") {
    text.remove_prefix(6);
    const auto c1 = text.find(':');
    if (c1 == std::string_view::npos) return std::nullopt;
    const auto c2 = text.find(':', c1 + 1);
    if (c2 == std::string_view::npos) return std::nullopt;
    auto a = parse_uint<std::uint32_t>(text.substr(0, c1));
    auto b = parse_uint<std::uint32_t>(text.substr(c1 + 1, c2 - c1 - 1));
    auto c = parse_uint<std::uint32_t>(text.substr(c2 + 1));
    if (!a || !b || !c) return std::nullopt;
    return Community{LargeCommunity{*a, *b, *c}};
  }
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto hi = parse_uint<std::uint32_t>(text.substr(0, colon));
  auto lo = parse_uint<std::uint32_t>(text.substr(colon + 1));
  if (!hi || !lo || *hi > 65535 || *lo > 65535) return std::nullopt;
  return Community{(*hi << 16) | *lo};
}

std::string format_community(const Community& c) {
  if (const auto* s = std::get_if<std::uint32_t>(&c))
    return std::to_string(*s >> 16) + ":" + std::to_string(*s & 0xFFFF);
  const auto& l = std::get<LargeCommunity>(c);
  return "large:" + std::to_string(l.global_admin) + ":" + std::to_string(l.local1) + ":" +
         std::to_string(l.local2);
}

}  // namespace vipd::config
