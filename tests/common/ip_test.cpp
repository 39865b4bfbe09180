#include "vipd/common/ip.hpp"

#include <gtest/gtest.h>

#include "vipd/common/result.hpp"

namespace vipd::net {
namespace {

TEST(IpAddress, ParsesAndFormatsBothFamilies) {
  auto v4 = IpAddress::parse("192.168.20.100");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->is_v4());
  EXPECT_EQ(v4->v4_value(), 0xc0a81464u);
  EXPECT_EQ(v4->to_string(), "192.168.20.100");
  auto v6 = IpAddress::parse("fd00:20::100");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->is_v6());
  EXPECT_EQ(v6->to_string(), "fd00:20::100");
  EXPECT_EQ(v6->bytes().size(), 16u);
}

TEST(IpAddress, RejectsGarbage) {
  for (const char* bad : {"", "1.2.3", "1.2.3.256", "1.2.3.4/24", "fe80::1%eth0", "::g", " 1.2.3.4",
                          "0123456789012345678901234567890123456789012345678"})
    EXPECT_FALSE(IpAddress::parse(bad)) << bad;
}

TEST(IpAddress, ValueRoundTrip) {
  const auto a = *IpAddress::parse("2001:db8::ffff");
  EXPECT_EQ(IpAddress::from_value(Family::v6, a.value()), a);
  EXPECT_EQ(IpAddress::from_value(Family::v4, 0x0a000001).to_string(), "10.0.0.1");
  EXPECT_EQ(to_string(a.value() & 0xffff), "65535");
}

TEST(IpAddress, Classification) {
  EXPECT_TRUE(IpAddress::parse("fe80::1")->is_v6_link_local());
  EXPECT_FALSE(IpAddress::parse("fd00::1")->is_v6_link_local());
  EXPECT_TRUE(IpAddress::parse("0.0.0.0")->is_unspecified());
  EXPECT_TRUE(IpAddress::parse("ff02::1")->is_multicast());
  EXPECT_TRUE(IpAddress::parse("224.0.0.18")->is_multicast());
}

TEST(IpAddress, OrdersByFamilyThenValue) {
  EXPECT_LT(*IpAddress::parse("10.0.0.1"), *IpAddress::parse("10.0.0.2"));
  EXPECT_LT(*IpAddress::parse("255.255.255.255"), *IpAddress::parse("::"));
}

TEST(Prefix, ContainsAndEdges) {
  auto p = *Prefix::parse("192.168.20.10/24");
  EXPECT_TRUE(p.contains(*IpAddress::parse("192.168.20.255")));
  EXPECT_FALSE(p.contains(*IpAddress::parse("192.168.21.0")));
  EXPECT_FALSE(p.contains(*IpAddress::parse("fd00::1")));
  EXPECT_EQ(p.network().to_string(), "192.168.20.0");
  EXPECT_EQ(p.last().to_string(), "192.168.20.255");
  EXPECT_EQ(p.size(), 256u);
  EXPECT_TRUE(Prefix::parse("0.0.0.0/0")->contains(*IpAddress::parse("8.8.8.8")));
  EXPECT_EQ(Prefix::parse("::/0")->size(), ~Uint128{0});
  EXPECT_EQ(Prefix::parse("10.0.0.1/32")->size(), 1u);
  EXPECT_FALSE(Prefix::parse("10.0.0.0/33"));
  EXPECT_FALSE(Prefix::parse("fd00::/129"));
  EXPECT_FALSE(Prefix::parse("10.0.0.1/24", /*require_network=*/true));
  EXPECT_TRUE(Prefix::parse("10.0.0.0/24", /*require_network=*/true));
}

TEST(IpRange, ParsesCidrDashAndSingle) {
  auto r = *IpRange::parse("192.168.10.0/31");
  EXPECT_EQ(r.to_string(), "192.168.10.0-192.168.10.1");
  EXPECT_EQ(r.size(), 2u);
  auto d = *IpRange::parse("192.168.20.250 - 192.168.21.5");
  EXPECT_EQ(d.size(), 12u);
  EXPECT_TRUE(d.contains(*IpAddress::parse("192.168.21.0")));
  EXPECT_EQ(IpRange::parse("fd00::1")->size(), 1u);
  EXPECT_FALSE(IpRange::parse("10.0.0.5-10.0.0.1"));
  EXPECT_FALSE(IpRange::parse("10.0.0.1-fd00::1"));
}

TEST(Result, HoldsValueOrError) {
  Result<int, std::string> good = 5;
  Result<int, std::string> bad = unexpected(std::string("boom"));
  EXPECT_TRUE(good.ok());
  EXPECT_EQ(*good, 5);
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error(), "boom");
  Result<void, std::string> v;
  EXPECT_TRUE(v.ok());
}

}  // namespace
}  // namespace vipd::net
