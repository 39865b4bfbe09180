// The vipd-only BGP settings: `origin` on a bgp-advertisement, `gtsm` and `next-hop-v6` on a peer.
// Parse, exact errors with positions, and the --print-config round trip.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config_test_util.hpp"
#include "vipd/config/loader.hpp"

namespace vipd::config {
namespace {

using test_util::formatted;
using test_util::load_ok;

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// One peer line (line 2) and one bgp pool whose advertisement is line 6.
std::string with_peer(const std::string& extra) {
  return "peers:\n  - {peer-address: 10.0.0.1, peer-asn: 64512, my-asn: 64512" + extra + "}\n";
}
std::string with_adv(const std::string& adv) {
  return "address-pools:\n  - name: b\n    protocol: bgp\n    addresses: [192.168.10.0/24]\n"
         "    bgp-advertisements:\n      - " +
         adv + "\n";
}

TEST(BgpOptions, DefaultsAreIncompleteNoGtsmAutomaticNextHop) {
  const Model m = load_ok(with_peer("") + with_adv("{localpref: 10}"));
  ASSERT_EQ(m.peers.size(), 1u);
  EXPECT_FALSE(m.peers[0].gtsm);
  EXPECT_EQ(m.peers[0].next_hop_v6, std::nullopt);
  ASSERT_EQ(m.pools[0].bgp_advertisements.size(), 1u);
  EXPECT_EQ(m.pools[0].bgp_advertisements[0].origin, BgpOrigin::incomplete);
}

TEST(BgpOptions, ParsesEachOriginGtsmAndNextHopV6) {
  const Model m = load_ok(with_peer(", gtsm: true, next-hop-v6: \"fd99::2:1\"") +
                          with_adv("{origin: igp}\n      - {origin: egp}\n      - {origin: incomplete}"));
  EXPECT_TRUE(m.peers[0].gtsm);
  EXPECT_EQ(m.peers[0].next_hop_v6, net::IpAddress::parse("fd99::2:1"));
  const auto& advs = m.pools[0].bgp_advertisements;
  ASSERT_EQ(advs.size(), 3u);
  EXPECT_EQ(advs[0].origin, BgpOrigin::igp);
  EXPECT_EQ(advs[1].origin, BgpOrigin::egp);
  EXPECT_EQ(advs[2].origin, BgpOrigin::incomplete);
}

TEST(BgpOptions, GtsmWithoutEbgpMultihopOnEbgpIsFine) {
  const Model m = load_ok(
      "peers:\n  - {peer-address: 10.0.0.1, peer-asn: 64513, my-asn: 64512, gtsm: yes, ebgp-multihop: "
      "false}\n");
  EXPECT_TRUE(m.peers[0].gtsm);
  EXPECT_EQ(m.peers[0].peer_asn, 64513u);
}

struct ErrorCase {
  const char* name;
  std::string yaml;
  const char* expected;
};

class BgpOptionErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(BgpOptionErrors, ExactMessageAndPosition) {
  const auto& c = GetParam();
  auto r = load_text("t.yaml", c.yaml);
  ASSERT_FALSE(r.ok()) << c.name;
  EXPECT_THAT(formatted(r.error()), ElementsAre(c.expected)) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    Table, BgpOptionErrors,
    ::testing::Values(
        ErrorCase{
            "origin_unknown_value", with_adv("{origin: IGP}"),
            "t.yaml:6:18: error: address-pools[0].bgp-advertisements[0].origin: \"IGP\" is not a BGP origin "
            "(expected igp, egp or incomplete)"},
        ErrorCase{
            "origin_not_scalar", with_adv("{origin: [igp]}"),
            "t.yaml:6:18: error: address-pools[0].bgp-advertisements[0].origin: a list is not a BGP origin "
            "(expected igp, egp or incomplete)"},
        ErrorCase{
            "origin_misspelt", with_adv("{orign: igp}"),
            "t.yaml:6:10: error: address-pools[0].bgp-advertisements[0]: unknown key \"orign\" (did you mean "
            "\"origin\"?)"},
        ErrorCase{"gtsm_not_boolean", with_peer(", gtsm: maybe"),
                  "t.yaml:2:68: error: peers[0].gtsm: \"maybe\" is not a boolean (expected true or false)"},
        ErrorCase{"gtsm_misspelt", with_peer(", gts: true"),
                  "t.yaml:2:62: error: peers[0]: unknown key \"gts\" (did you mean \"gtsm\"?)"},
        ErrorCase{
            "gtsm_with_ebgp_multihop", with_peer(", ebgp-multihop: true, gtsm: true"),
            "t.yaml:2:89: error: peers[0].gtsm: gtsm and ebgp-multihop contradict each other (GTSM accepts "
            "only directly connected peers; expected one of them)"},
        ErrorCase{
            "next_hop_v6_link_local", with_peer(", next-hop-v6: \"fe80::1\""),
            "t.yaml:2:75: error: peers[0].next-hop-v6: \"fe80::1\" is not a global IPv6 address (expected "
            "e.g. 2001:db8::1 or fd00::1; not link-local, loopback, multicast or IPv4)"},
        ErrorCase{
            "next_hop_v6_ipv4", with_peer(", next-hop-v6: 10.0.0.2"),
            "t.yaml:2:75: error: peers[0].next-hop-v6: \"10.0.0.2\" is not a global IPv6 address (expected "
            "e.g. 2001:db8::1 or fd00::1; not link-local, loopback, multicast or IPv4)"},
        ErrorCase{
            "next_hop_v6_multicast", with_peer(", next-hop-v6: \"ff02::2\""),
            "t.yaml:2:75: error: peers[0].next-hop-v6: \"ff02::2\" is not a global IPv6 address (expected "
            "e.g. 2001:db8::1 or fd00::1; not link-local, loopback, multicast or IPv4)"},
        ErrorCase{"next_hop_v6_loopback", with_peer(", next-hop-v6: \"::1\""),
                  "t.yaml:2:75: error: peers[0].next-hop-v6: \"::1\" is not a global IPv6 address (expected "
                  "e.g. 2001:db8::1 or fd00::1; not link-local, loopback, multicast or IPv4)"},
        ErrorCase{
            "next_hop_v6_v4_mapped", with_peer(", next-hop-v6: \"::ffff:10.0.0.2\""),
            "t.yaml:2:75: error: peers[0].next-hop-v6: \"::ffff:10.0.0.2\" is not a global IPv6 address "
            "(expected e.g. 2001:db8::1 or fd00::1; not link-local, loopback, multicast or IPv4)"},
        ErrorCase{
            "next_hop_v6_not_an_address", with_peer(", next-hop-v6: router"),
            "t.yaml:2:75: error: peers[0].next-hop-v6: \"router\" is not an IP address (expected IPv4 like "
            "192.168.1.1 or IPv6 like fd00::1)"},
        ErrorCase{"next_hop_v6_misspelt", with_peer(", next-hop6: \"fd00::1\""),
                  "t.yaml:2:62: error: peers[0]: unknown key \"next-hop6\" (did you mean \"next-hop-v6\"?)"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(BgpOptions, RoundTripKeepsOriginGtsmAndNextHopV6) {
  const Model first = load_ok(with_peer(", gtsm: true, next-hop-v6: \"2001:db8::7\"") +
                              with_adv("{origin: igp}\n      - {origin: egp, aggregation-length: 24}"));
  const std::string printed = to_native_yaml(first);
  EXPECT_THAT(printed, HasSubstr("gtsm: true"));
  EXPECT_THAT(printed, HasSubstr("next-hop-v6: 2001:db8::7"));
  EXPECT_THAT(printed, HasSubstr("origin: igp"));
  EXPECT_THAT(printed, HasSubstr("origin: egp"));
  auto again = load_text("printed.yaml", printed);
  ASSERT_TRUE(again.ok()) << printed << (again.ok() ? "" : again.error()[0].format());
  EXPECT_EQ(to_native_yaml(again->model), printed);
  const Model& second = again->model;
  EXPECT_TRUE(second.peers[0].gtsm);
  EXPECT_EQ(second.peers[0].next_hop_v6, net::IpAddress::parse("2001:db8::7"));
  ASSERT_EQ(second.pools[0].bgp_advertisements.size(), 2u);
  EXPECT_EQ(second.pools[0].bgp_advertisements[0].origin, BgpOrigin::igp);
  EXPECT_EQ(second.pools[0].bgp_advertisements[1].origin, BgpOrigin::egp);
}

TEST(BgpOptions, PrintedDefaultsSayIncompleteAndNoGtsm) {
  const std::string printed = to_native_yaml(load_ok(with_peer("") + with_adv("{localpref: 10}")));
  EXPECT_THAT(printed, HasSubstr("origin: incomplete"));
  EXPECT_THAT(printed, HasSubstr("gtsm: false"));
  EXPECT_THAT(printed, ::testing::Not(HasSubstr("next-hop-v6")));
}

}  // namespace
}  // namespace vipd::config
