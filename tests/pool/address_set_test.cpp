#include "vipd/pool/address_set.hpp"

#include <gtest/gtest.h>

#include <set>

#include "pool/model_builder.hpp"

namespace vipd::pool {
namespace {

using net::Family;
using net::Uint128;
using testing::ip;
using testing::make_pool;

AddressSet set_of(const std::vector<std::string>& ranges, bool avoid_buggy = false) {
  return AddressSet::from_pool(make_pool("p", ranges, avoid_buggy));
}

std::string next_text(const AddressSet& s, std::string_view from) {
  auto n = s.next_usable(ip(from));
  return n ? n->to_string() : "none";
}

TEST(AddressSet, SingleAddressSlash32) {
  const auto s = set_of({"192.168.10.7/32"});
  EXPECT_EQ(s.size(), Uint128{1});
  EXPECT_TRUE(s.contains(ip("192.168.10.7")));
  EXPECT_FALSE(s.contains(ip("192.168.10.6")));
  EXPECT_FALSE(s.contains(ip("192.168.10.8")));
  EXPECT_EQ(next_text(s, "0.0.0.0"), "192.168.10.7");
  EXPECT_EQ(next_text(s, "192.168.10.7"), "192.168.10.7");
  EXPECT_EQ(next_text(s, "192.168.10.8"), "none");
}

TEST(AddressSet, Slash31HasTwoAddressesAndBuggyRuleDropsTheDotZero) {
  EXPECT_EQ(set_of({"10.0.0.0/31"}).size(), Uint128{2});
  const auto avoid = set_of({"10.0.0.0/31"}, true);
  EXPECT_EQ(avoid.size(), Uint128{1});
  EXPECT_FALSE(avoid.contains(ip("10.0.0.0")));
  EXPECT_TRUE(avoid.contains(ip("10.0.0.1")));
  EXPECT_EQ(next_text(avoid, "10.0.0.0"), "10.0.0.1");
  // 10.0.0.254/31 = .254 and .255: only .254 is usable.
  const auto top = set_of({"10.0.0.254/31"}, true);
  EXPECT_EQ(top.size(), Uint128{1});
  EXPECT_EQ(next_text(top, "10.0.0.255"), "none");
}

TEST(AddressSet, WholeIpv4SpaceSlash0) {
  const auto s = set_of({"0.0.0.0/0"});
  EXPECT_EQ(s.size(), Uint128{1} << 32);
  EXPECT_EQ(s.intervals().size(), 1u);
  EXPECT_TRUE(s.contains(ip("0.0.0.0")));
  EXPECT_TRUE(s.contains(ip("255.255.255.255")));
  EXPECT_FALSE(s.contains(ip("::1")));
  EXPECT_EQ(next_text(s, "255.255.255.255"), "255.255.255.255");
  // avoid-buggy: 2^24 blocks of 254 usable addresses, still one interval.
  const auto avoid = set_of({"0.0.0.0/0"}, true);
  EXPECT_EQ(avoid.size(), (Uint128{1} << 24) * 254);
  EXPECT_EQ(avoid.intervals().size(), 1u);
  EXPECT_EQ(next_text(avoid, "255.255.255.255"), "none");
  EXPECT_EQ(next_text(avoid, "255.255.255.254"), "255.255.255.254");
}

TEST(AddressSet, Slash8IsOneIntervalEvenWithBuggyRule) {
  const auto s = set_of({"10.0.0.0/8"}, true);
  EXPECT_EQ(s.intervals().size(), 1u);
  EXPECT_EQ(s.size(), Uint128{65536} * 254);
  EXPECT_FALSE(s.contains(ip("10.1.2.0")));
  EXPECT_FALSE(s.contains(ip("10.1.2.255")));
  EXPECT_TRUE(s.contains(ip("10.1.2.3")));
  EXPECT_FALSE(s.contains(ip("11.0.0.1")));
  EXPECT_EQ(next_text(s, "10.0.0.0"), "10.0.0.1");
}

TEST(AddressSet, Ipv6Slash64AndSlash127) {
  const auto s64 = set_of({"fd00:20::/64"}, /*avoid_buggy=*/true);  // the rule is IPv4 only
  EXPECT_EQ(s64.size(), Uint128{1} << 64);
  EXPECT_TRUE(s64.contains(ip("fd00:20::")));
  EXPECT_TRUE(s64.contains(ip("fd00:20::ff")));
  EXPECT_TRUE(s64.contains(ip("fd00:20::ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(s64.contains(ip("fd00:20:0:1::")));
  EXPECT_FALSE(s64.contains(ip("192.168.0.1")));
  EXPECT_EQ(next_text(s64, "fd00:20::ff"), "fd00:20::ff");
  EXPECT_EQ(next_text(s64, "fd00:1::"), "fd00:20::");
  EXPECT_EQ(next_text(s64, "fd00:20:0:1::"), "none");

  const auto s127 = set_of({"2001:db8::/127"});
  EXPECT_EQ(s127.size(), Uint128{2});
  EXPECT_EQ(next_text(s127, "2001:db8::1"), "2001:db8::1");
  EXPECT_EQ(next_text(s127, "2001:db8::2"), "none");
}

TEST(AddressSet, WholeIpv6SpaceSaturates) {
  const auto s = set_of({"::/0"});
  EXPECT_EQ(s.size(), ~Uint128{0});
  EXPECT_TRUE(s.contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_EQ(next_text(s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

TEST(AddressSet, RangeCrossingOctets) {
  const auto plain = set_of({"192.168.1.250-192.168.2.5"});
  EXPECT_EQ(plain.size(), Uint128{12});
  EXPECT_TRUE(plain.contains(ip("192.168.1.255")));
  EXPECT_TRUE(plain.contains(ip("192.168.2.0")));

  const auto avoid = set_of({"192.168.1.250-192.168.2.5"}, true);
  EXPECT_EQ(avoid.size(), Uint128{10});  // .250-.254 and 2.1-2.5
  EXPECT_FALSE(avoid.contains(ip("192.168.1.255")));
  EXPECT_FALSE(avoid.contains(ip("192.168.2.0")));
  EXPECT_TRUE(avoid.contains(ip("192.168.2.1")));
}

TEST(AddressSet, BuggyAddressesAreSkippedByNextUsable) {
  const auto s = set_of({"192.168.1.0/24", "192.168.2.0/24"}, true);
  EXPECT_EQ(next_text(s, "192.168.1.254"), "192.168.1.254");
  EXPECT_EQ(next_text(s, "192.168.1.255"), "192.168.2.1");
  EXPECT_EQ(next_text(s, "192.168.2.0"), "192.168.2.1");
  EXPECT_EQ(s.size(), Uint128{508});
}

TEST(AddressSet, IntervalHoldingOnlyBuggyAddressesIsSkipped) {
  const auto s = set_of({"10.0.0.255-10.0.1.0", "10.0.3.5"}, true);
  EXPECT_EQ(s.size(), Uint128{1});
  EXPECT_EQ(next_text(s, "10.0.0.0"), "10.0.3.5");
  EXPECT_EQ(s.first_usable(Family::v4)->to_string(), "10.0.3.5");
}

TEST(AddressSet, OverlappingAndAdjacentRangesMerge) {
  const auto s = set_of({"10.0.5.0/30", "10.0.0.0/24", "10.0.0.128-10.0.1.10", "10.0.1.11", "10.0.0.0/24"});
  ASSERT_EQ(s.intervals().size(), 2u);
  EXPECT_EQ(s.intervals()[0].first, ip("10.0.0.0").value());
  EXPECT_EQ(s.intervals()[0].last, ip("10.0.1.11").value());
  EXPECT_EQ(s.intervals()[1].first, ip("10.0.5.0").value());
  EXPECT_EQ(s.size(), Uint128{256 + 12 + 4});  // the repeated /24 is not counted twice
  EXPECT_FALSE(s.contains(ip("10.0.1.12")));
  EXPECT_EQ(next_text(s, "10.0.1.12"), "10.0.5.0");
}

TEST(AddressSet, DualStackPoolKeepsFamiliesApart) {
  const auto s = set_of({"fd00::1-fd00::3", "192.168.20.100-192.168.20.150"});
  EXPECT_EQ(s.size(Family::v4), Uint128{51});
  EXPECT_EQ(s.size(Family::v6), Uint128{3});
  EXPECT_EQ(s.size(), Uint128{54});
  EXPECT_EQ(next_text(s, "192.168.20.151"), "none");  // never crosses into IPv6
  EXPECT_EQ(s.first_usable(Family::v6)->to_string(), "fd00::1");
  EXPECT_FALSE(s.contains(ip("::ffff:192.168.20.100")));
}

TEST(AddressSet, EmptySet) {
  const AddressSet s;
  EXPECT_TRUE(s.empty());
  EXPECT_FALSE(s.contains(ip("10.0.0.1")));
  EXPECT_FALSE(s.first_usable(Family::v4));
}

// The arithmetic must agree with plain enumeration on small sets that cross /24 boundaries.
TEST(AddressSet, MatchesBruteForceEnumeration) {
  const std::vector<std::vector<std::string>> cases = {
      {"10.0.0.0-10.0.0.0"},   {"10.0.0.255-10.0.1.0"},          {"10.0.0.254-10.0.2.1"},
      {"10.0.0.1-10.0.0.254"}, {"10.0.0.0/23", "10.0.3.7"},      {"10.0.1.200-10.0.3.17", "10.0.0.5/32"},
      {"10.0.0.0/22"},         {"10.0.2.255/32", "10.0.0.0/31"},
  };
  for (const auto& ranges : cases) {
    for (const bool avoid : {false, true}) {
      const auto s = set_of(ranges, avoid);
      std::set<std::uint32_t> members;
      for (const auto& r : ranges) {
        const auto range = *net::IpRange::parse(r);
        for (auto v = range.first.v4_value(); v <= range.last.v4_value(); ++v)
          if (!avoid || ((v & 0xff) != 0 && (v & 0xff) != 255)) members.insert(v);
      }
      SCOPED_TRACE(::testing::Message() << ranges.front() << " avoid=" << avoid);
      EXPECT_EQ(s.size(), Uint128{members.size()});
      const auto base = ip("10.0.0.0").v4_value();
      for (auto v = base; v < base + 4 * 256 + 16; ++v) {
        const auto a = net::IpAddress::v4(v);
        EXPECT_EQ(s.contains(a), members.contains(v)) << a.to_string();
        auto it = members.lower_bound(v);
        const auto n = s.next_usable(a);
        if (it == members.end()) {
          EXPECT_FALSE(n) << a.to_string();
        } else {
          ASSERT_TRUE(n) << a.to_string();
          EXPECT_EQ(n->v4_value(), *it) << a.to_string();
        }
      }
    }
  }
}

}  // namespace
}  // namespace vipd::pool
