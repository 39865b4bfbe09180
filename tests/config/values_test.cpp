// Value parsers: durations, AS numbers, communities.
#include <gtest/gtest.h>

#include "vipd/config/loader.hpp"

namespace vipd::config {
namespace {

using std::chrono::milliseconds;

TEST(Duration, ParsesGoStyleAndPlainSeconds) {
  EXPECT_EQ(parse_duration("90s"), milliseconds(90'000));
  EXPECT_EQ(parse_duration("1m30s"), milliseconds(90'000));
  EXPECT_EQ(parse_duration("100ms"), milliseconds(100));
  EXPECT_EQ(parse_duration("1h"), milliseconds(3'600'000));
  EXPECT_EQ(parse_duration("1h0m0s"), milliseconds(3'600'000));  // Go's metav1.Duration output
  EXPECT_EQ(parse_duration("90"), milliseconds(90'000));         // MetalLB legacy: plain seconds
  EXPECT_EQ(parse_duration("0"), milliseconds(0));
  EXPECT_EQ(parse_duration("0s"), milliseconds(0));
  EXPECT_EQ(parse_duration("1.5s"), milliseconds(1500));
  EXPECT_EQ(parse_duration("0.1s"), milliseconds(100));
  EXPECT_EQ(parse_duration("2500us"), std::nullopt);  // below millisecond resolution
  EXPECT_EQ(parse_duration("3000us"), milliseconds(3));
}

TEST(Duration, RejectsGarbage) {
  for (const char* bad : {"", "s", "90x", "-5s", "+5", "1m30", "ms", "1.s5", "1..5s", " 90s", "90s ", "1d",
                          "99999999999999999999h", "9223372036854775807s"})
    EXPECT_EQ(parse_duration(bad), std::nullopt) << bad;
}

TEST(Duration, FormatsShortestAndRoundTrips) {
  EXPECT_EQ(format_duration(milliseconds(0)), "0s");
  EXPECT_EQ(format_duration(milliseconds(90'000)), "1m30s");
  EXPECT_EQ(format_duration(milliseconds(100)), "100ms");
  EXPECT_EQ(format_duration(milliseconds(3'600'000)), "1h");
  EXPECT_EQ(format_duration(milliseconds(3'661'001)), "1h1m1s1ms");
  for (long ms : {0L, 1L, 10L, 999L, 1000L, 40'950L, 90'000L, 86'400'000L})
    EXPECT_EQ(parse_duration(format_duration(milliseconds(ms))), milliseconds(ms)) << ms;
}

TEST(Asn, PlainAndAsdot) {
  EXPECT_EQ(parse_asn("64512"), 64512u);
  EXPECT_EQ(parse_asn("1"), 1u);
  EXPECT_EQ(parse_asn("4294967295"), 4294967295u);
  EXPECT_EQ(parse_asn("1.10"), 65546u);  // RFC 5396: 1 * 65536 + 10
  EXPECT_EQ(parse_asn("0.1"), 1u);
  EXPECT_EQ(parse_asn("65535.65535"), 4294967295u);
  for (const char* bad :
       {"0", "0.0", "4294967296", "-1", "", "1.", ".1", "1.65536", "65536.0", "1.2.3", "AS64512", "64512 "})
    EXPECT_EQ(parse_asn(bad), std::nullopt) << bad;
}

TEST(Community, StandardWellKnownAndLarge) {
  EXPECT_EQ(parse_community("64512:100"), Community{(64512u << 16) | 100u});
  EXPECT_EQ(parse_community("0:0"), Community{0u});
  EXPECT_EQ(parse_community("65535:65535"), Community{0xFFFFFFFFu});
  // Well-known values (RFC 1997, 3765, 8326, 7999).
  EXPECT_EQ(parse_community("no-export"), parse_community("65535:65281"));
  EXPECT_EQ(parse_community("no-advertise"), parse_community("65535:65282"));
  EXPECT_EQ(parse_community("no-export-subconfed"), parse_community("65535:65283"));
  EXPECT_EQ(parse_community("no-peer"), parse_community("65535:65284"));
  EXPECT_EQ(parse_community("graceful-shutdown"), parse_community("65535:0"));
  EXPECT_EQ(parse_community("blackhole"), parse_community("65535:666"));
  EXPECT_EQ(parse_community("large:64512:1:4294967295"), (Community{LargeCommunity{64512, 1, 4294967295u}}));
  for (const char* bad : {"", "1", "1:", ":1", "65536:1", "1:65536", "a:b", "1:2:3", "large:1:2",
                          "large:1:2:3:4", "large:4294967296:0:0", "no-exports", "NO-EXPORT", " 1:2"})
    EXPECT_EQ(parse_community(bad), std::nullopt) << bad;
}

TEST(Community, FormatRoundTrips) {
  EXPECT_EQ(format_community(*parse_community("no-export")), "65535:65281");
  EXPECT_EQ(format_community(*parse_community("64512:100")), "64512:100");
  EXPECT_EQ(format_community(*parse_community("large:1:2:3")), "large:1:2:3");
}

}  // namespace
}  // namespace vipd::config
