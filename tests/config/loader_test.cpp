// Native vipd YAML: valid snippets load into the model, invalid ones give exactly one precise
// file:line:column error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config_test_util.hpp"
#include "vipd/config/loader.hpp"

namespace vipd::config {
namespace {

using test_util::formatted;
using test_util::load_ok;

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kPools = R"(address-pools:
  - name: l2
    protocol: layer2
    addresses: [192.168.20.100-192.168.20.150, "fd00:20::100-fd00:20::1ff"]
  - name: b
    protocol: bgp
    addresses: [192.168.10.0/24]
peers:
  - {peer-address: 192.168.1.1, peer-asn: 64512, my-asn: 64512}
)";

struct ErrorCase {
  const char* name;
  std::string yaml;
  const char* expected;  // the single formatted error
};

class NativeErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(NativeErrors, ExactMessageAndPosition) {
  const auto& c = GetParam();
  auto r = load_text("t.yaml", c.yaml);
  ASSERT_FALSE(r.ok()) << c.name;
  EXPECT_THAT(formatted(r.error()), ElementsAre(c.expected)) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    Table, NativeErrors,
    ::testing::Values(
        ErrorCase{
            "misspelt_key",
            "address-pools:\n  - name: a\n    protocol: layer2\n    adresses: [10.0.0.0/24]\n",
            "t.yaml:4:5: error: address-pools[0]: unknown key \"adresses\" (did you mean \"addresses\"?)"},
        ErrorCase{"misspelt_top_level_key", "servics: []\n",
                  "t.yaml:1:1: error: unknown key \"servics\" (did you mean \"services\"?)"},
        ErrorCase{"unknown_key_without_suggestion", "interfaces: {allow: [eth0], whatever: 1}\n",
                  "t.yaml:1:29: error: interfaces: unknown key \"whatever\""},
        ErrorCase{
            "bad_cidr",
            "address-pools:\n  - name: a\n    protocol: layer2\n    addresses:\n      - 192.168.10.0/33\n",
            "t.yaml:5:9: error: address-pools[0].addresses[0]: \"192.168.10.0/33\" is not an address range "
            "(expected a CIDR like 192.168.10.0/24, a range a-b or one address)"},
        ErrorCase{"reversed_range",
                  "address-pools:\n  - {name: a, protocol: layer2, addresses: [10.0.0.9-10.0.0.1]}\n",
                  "t.yaml:2:45: error: address-pools[0].addresses[0]: \"10.0.0.9-10.0.0.1\" is not an "
                  "address range "
                  "(expected a CIDR like 192.168.10.0/24, a range a-b or one address)"},
        ErrorCase{
            "mixed_family_range",
            "address-pools:\n  - {name: a, protocol: layer2, addresses: [\"10.0.0.1-fd00::1\"]}\n",
            "t.yaml:2:45: error: address-pools[0].addresses[0]: \"10.0.0.1-fd00::1\" is not an address range "
            "(expected a CIDR like 192.168.10.0/24, a range a-b or one address)"},
        ErrorCase{"empty_addresses", "address-pools:\n  - {name: a, protocol: layer2, addresses: []}\n",
                  "t.yaml:2:44: error: address-pools[0].addresses: a pool needs at least one address range"},
        ErrorCase{"bad_protocol", "address-pools:\n  - {name: a, protocol: l2, addresses: [10.0.0.1]}\n",
                  "t.yaml:2:25: error: address-pools[0].protocol: \"l2\" is not a protocol (expected layer2 "
                  "or bgp)"},
        ErrorCase{"missing_protocol", "address-pools:\n  - {name: a, addresses: [10.0.0.1]}\n",
                  "t.yaml:2:5: error: address-pools[0]: missing required key \"protocol\" (layer2 or bgp)"},
        ErrorCase{
            "bad_duration",
            "peers:\n  - peer-address: 10.0.0.1\n    peer-asn: 64512\n    my-asn: 64512\n    hold-time: "
            "90x\n",
            "t.yaml:5:16: error: peers[0].hold-time: \"90x\" is not a duration (expected e.g. 90s, 1m30s, "
            "100ms or plain seconds)"},
        ErrorCase{"hold_time_too_short",
                  "peers:\n  - {peer-address: 10.0.0.1, peer-asn: 1, my-asn: 1, hold-time: 2s}\n",
                  "t.yaml:2:65: error: peers[0].hold-time: \"2s\" is not a valid hold time (expected 0 or "
                  "3s-65535s)"},
        ErrorCase{"keepalive_above_hold",
                  "peers:\n  - {peer-address: 10.0.0.1, peer-asn: 1, my-asn: 1, hold-time: 9s, "
                  "keepalive-time: 10s}\n",
                  "t.yaml:2:85: error: peers[0].keepalive-time: \"10s\" is longer than the hold time \"9s\" "
                  "(expected "
                  "keepalive-time <= hold-time)"},
        ErrorCase{"bad_asn", "peers:\n  - {peer-address: 10.0.0.1, peer-asn: 4294967296, my-asn: 64512}\n",
                  "t.yaml:2:40: error: peers[0].peer-asn: \"4294967296\" is not an AS number (expected "
                  "1-4294967295 "
                  "or asdot like 1.10)"},
        ErrorCase{
            "asn_zero", "peers:\n  - {peer-address: 10.0.0.1, peer-asn: 1, my-asn: 0}\n",
            "t.yaml:2:51: error: peers[0].my-asn: \"0\" is not an AS number (expected 1-4294967295 or asdot "
            "like 1.10)"},
        ErrorCase{
            "bad_peer_address", "peers:\n  - {peer-address: 10.0.0.256, peer-asn: 1, my-asn: 1}\n",
            "t.yaml:2:20: error: peers[0].peer-address: \"10.0.0.256\" is not an IP address (expected IPv4 "
            "like 192.168.1.1 or IPv6 like fd00::1)"},
        ErrorCase{"bad_port", "peers:\n  - {peer-address: 10.0.0.1, peer-asn: 1, my-asn: 1, peer-port: 0}\n",
                  "t.yaml:2:65: error: peers[0].peer-port: \"0\" is out of range (expected a port 1-65535)"},
        ErrorCase{"router_id_v6",
                  "peers:\n  - {peer-address: 10.0.0.1, peer-asn: 1, my-asn: 1, router-id: \"::1\"}\n",
                  "t.yaml:2:65: error: peers[0].router-id: \"::1\" is not a valid router ID (expected an "
                  "IPv4 address)"},
        ErrorCase{
            "priority_255",
            std::string(kPools) + "failover:\n  vrrp:\n    - {name: g, interface: eth1, vrid: 51, priority: "
                                  "255, pools: [l2]}\n",
            "t.yaml:12:54: error: failover.vrrp[0].priority: \"255\": address owner mode is not supported "
            "(expected a priority 1-254)"},
        ErrorCase{
            "priority_zero",
            std::string(kPools) +
                "failover:\n  vrrp:\n    - {name: g, interface: eth1, vrid: 51, priority: 0, pools: [l2]}\n",
            "t.yaml:12:54: error: failover.vrrp[0].priority: \"0\" is out of range (expected a priority "
            "1-254)"},
        ErrorCase{"vrid_out_of_range",
                  std::string(kPools) + "failover:\n  vrrp:\n    - {name: g, interface: eth1, vrid: 256}\n",
                  "t.yaml:12:40: error: failover.vrrp[0].vrid: \"256\" is out of range (expected a virtual "
                  "router ID "
                  "1-255)"},
        ErrorCase{
            "advert_interval_not_centiseconds",
            std::string(kPools) +
                "failover:\n  vrrp:\n    - {name: g, interface: eth1, vrid: 5, advert-interval: 105ms}\n",
            "t.yaml:12:60: error: failover.vrrp[0].advert-interval: \"105ms\" is not a VRRP advert interval "
            "(expected 10ms-40.95s in steps of 10ms)"},
        ErrorCase{
            "advert_interval_too_long",
            std::string(kPools) +
                "failover:\n  vrrp:\n    - {name: g, interface: eth1, vrid: 5, advert-interval: 41s}\n",
            "t.yaml:12:60: error: failover.vrrp[0].advert-interval: \"41s\" is not a VRRP advert interval "
            "(expected 10ms-40.95s in steps of 10ms)"},
        ErrorCase{"vrrp_pool_unknown",
                  std::string(kPools) +
                      "failover:\n  vrrp:\n    - {name: g, interface: eth1, vrid: 5, pools: [l3]}\n",
                  "t.yaml:12:51: error: failover.vrrp[0].pools[0]: pool \"l3\" does not exist (known pools: "
                  "l2, b)"},
        ErrorCase{
            "vrrp_pool_is_bgp",
            std::string(kPools) +
                "failover:\n  vrrp:\n    - {name: g, interface: eth1, vrid: 5, pools: [b]}\n",
            "t.yaml:12:51: error: failover.vrrp[0].pools[0]: pool \"b\" has protocol bgp (expected a layer2 "
            "pool: VRRP decides who answers ARP/NDP)"},
        ErrorCase{"unknown_pool_reference", std::string(kPools) + "services:\n  - {name: web, pool: l3}\n",
                  "t.yaml:11:23: error: services[0].pool: pool \"l3\" does not exist (known pools: l2, b)"},
        ErrorCase{
            "bad_service_address",
            std::string(kPools) + "services:\n  - {name: web, pool: l2, address: 1.2.3}\n",
            "t.yaml:11:36: error: services[0].address: \"1.2.3\" is not an IP address (expected IPv4 like "
            "192.168.1.1 or IPv6 like fd00::1)"},
        ErrorCase{
            "duplicate_pool_in_file",
            "address-pools:\n  - {name: a, protocol: layer2, addresses: [10.0.0.1]}\n"
            "  - {name: a, protocol: layer2, addresses: [10.0.0.2]}\n",
            "t.yaml:3:12: error: address-pools[1]: duplicate pool name \"a\" (first defined at t.yaml:2:12)"},
        ErrorCase{"duplicate_service",
                  std::string(kPools) + "services:\n  - {name: web, pool: l2}\n  - {name: web, pool: b}\n",
                  "t.yaml:12:12: error: services[1]: duplicate service name \"web\" (first defined at "
                  "t.yaml:11:12)"},
        ErrorCase{"duplicate_key", "log-level: info\nlog-level: debug\n",
                  "t.yaml:2:1: error: duplicate key \"log-level\""},
        ErrorCase{
            "bad_bool",
            "address-pools:\n  - {name: a, protocol: layer2, addresses: [10.0.0.1], auto-assign: maybe}\n",
            "t.yaml:2:69: error: address-pools[0].auto-assign: \"maybe\" is not a boolean (expected true or "
            "false)"},
        ErrorCase{
            "aggregation_length",
            "address-pools:\n  - name: a\n    protocol: bgp\n    addresses: [10.0.0.0/24]\n"
            "    bgp-advertisements:\n      - aggregation-length: 33\n",
            "t.yaml:6:29: error: address-pools[0].bgp-advertisements[0].aggregation-length: \"33\" is out of "
            "range (expected a prefix length 0-32)"},
        ErrorCase{"aggregation_length_v6",
                  "address-pools:\n  - name: a\n    protocol: bgp\n    addresses: [10.0.0.0/24]\n"
                  "    bgp-advertisements:\n      - aggregation-length-v6: 129\n",
                  "t.yaml:6:32: error: address-pools[0].bgp-advertisements[0].aggregation-length-v6: \"129\" "
                  "is out "
                  "of range (expected a prefix length 0-128)"},
        ErrorCase{
            "aggregation_wider_than_pool_block",
            "address-pools:\n  - name: a\n    protocol: bgp\n    addresses: [10.0.0.0/24, 10.0.1.0/28]\n"
            "    bgp-advertisements:\n      - aggregation-length: 24\n",
            "t.yaml:6:29: error: address-pools[0].bgp-advertisements[0].aggregation-length: \"24\" is "
            "shorter "
            "than prefix length 28 of \"10.0.1.0/28\" in pool \"a\" (expected 28-32: an aggregate may not be "
            "wider than the pool's address blocks)"},
        ErrorCase{
            "aggregation_wider_than_range_block",
            "address-pools:\n  - name: a\n    protocol: bgp\n    addresses: [\"fd00::1-fd00::6\"]\n"
            "    bgp-advertisements:\n      - {aggregation-length-v6: 127}\n",
            "t.yaml:6:33: error: address-pools[0].bgp-advertisements[0].aggregation-length-v6: \"127\" is "
            "shorter than prefix length 128 of \"fd00::1-fd00::6\" in pool \"a\" (expected 128: an "
            "aggregate may not be wider than the pool's address blocks)"},
        ErrorCase{
            "unknown_community",
            "address-pools:\n  - name: a\n    protocol: bgp\n    addresses: [10.0.0.0/24]\n"
            "    bgp-advertisements:\n      - communities: [no-exprot]\n",
            "t.yaml:6:23: error: address-pools[0].bgp-advertisements[0].communities[0]: \"no-exprot\" is not "
            "a "
            "community (expected a:b with each 0-65535, large:a:b:c, a well-known name like no-export, or an "
            "alias from bgp-communities / Community)"},
        ErrorCase{
            "bad_alias_value", "bgp-communities:\n  mine: \"1:65536\"\n",
            "t.yaml:2:9: error: bgp-communities.mine: \"1:65536\" is not a community (expected a:b with each "
            "0-65535, large:a:b:c, or a well-known name like no-export)"},
        ErrorCase{
            "advertisement_peer_unknown",
            "peers: [{peer-address: 10.0.0.1, peer-asn: 1, my-asn: 1}]\n"
            "address-pools:\n  - {name: c, protocol: bgp, addresses: [10.9.0.0/24],\n"
            "     bgp-advertisements: [{peers: [10.0.0.1, 10.0.0.7]}]}\n",
            "t.yaml:4:46: error: address-pools[0].bgp-advertisements[0].peers[1]: peer \"10.0.0.7\" does not "
            "exist (expected a peer name or peer-address)"},
        ErrorCase{
            "bgp_advertisements_on_layer2",
            "address-pools:\n  - {name: a, protocol: layer2, addresses: [10.0.0.1], bgp-advertisements: "
            "[{}]}\n",
            "t.yaml:2:76: error: address-pools[0].bgp-advertisements: bgp-advertisements are only allowed in "
            "pools with protocol bgp"},
        ErrorCase{"bad_regex", "interfaces: {allow: [\"re:eth(\"]}\n",
                  "t.yaml:1:22: error: interfaces.allow[0]: \"re:eth(\" is not a valid regular expression "
                  "(expected "
                  "re:<ECMAScript regex>, at most 256 characters)"},
        ErrorCase{"wrong_type_list", "interfaces: {deny: docker0}\n",
                  "t.yaml:1:20: error: interfaces.deny: expected a list, got \"docker0\""},
        ErrorCase{"wrong_type_map", "gratuitous: [1, 2]\n",
                  "t.yaml:1:13: error: gratuitous: expected a mapping, got a list"},
        ErrorCase{"gratuitous_interval", "gratuitous: {count: 3, interval: 5ms}\n",
                  "t.yaml:1:34: error: gratuitous.interval: \"5ms\" is out of range (expected an interval "
                  "10ms-60s)"},
        ErrorCase{"metrics_listen", "metrics: {listen: \"localhost:9477\"}\n",
                  "t.yaml:1:19: error: metrics.listen: \"localhost:9477\" is not a listen address (expected "
                  "address:port like 127.0.0.1:9477 or [::1]:9477, or \"\" to disable)"},
        ErrorCase{"control_relative", "control: {socket: vipd.sock}\n",
                  "t.yaml:1:19: error: control.socket: \"vipd.sock\" is not a socket path (expected an "
                  "absolute path, "
                  "at most 107 characters)"},
        ErrorCase{
            "log_level", "log-level: loud\n",
            "t.yaml:1:12: error: log-level: \"loud\" is not a log level (expected trace, debug, info, warn, "
            "error, critical or off)"},
        ErrorCase{
            "top_level_not_map", "- a\n- b\n",
            "t.yaml:1:1: error: expected a mapping of configuration sections at the top level, got a list"},
        ErrorCase{
            "scalar_section_twice_in_one_file", "gratuitous: {count: 3}\n---\ngratuitous: {count: 4}\n",
            "t.yaml:3:13: error: gratuitous: section \"gratuitous\" is already given at t.yaml:1:13 (each of "
            "interfaces, gratuitous, control, metrics, local-delivery, log-level may appear once across all "
            "files)"},
        ErrorCase{"syntax_error", "address-pools:\n  - name: [a,\n    protocol: bgp\n",
                  "t.yaml:4:1: error: invalid YAML: end of sequence flow not found"},
        ErrorCase{"syntax_error_bad_indent", "interfaces:\n  allow: [eth0]\n deny: [x]\n",
                  "t.yaml:3:2: error: invalid YAML: end of map not found"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(NativeErrors, ReportsEveryErrorNotOnlyTheFirst) {
  auto r = load_text("t.yaml",
                     "address-pools:\n"
                     "  - {name: a, protocol: layer2, addresses: [10.0.0.0/33]}\n"
                     "peers:\n"
                     "  - {peer-address: 10.0.0.1, peer-asn: 0, my-asn: 1}\n"
                     "services:\n"
                     "  - {name: s, pool: nope}\n");
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.error().size(), 3u);
  EXPECT_EQ(r.error()[0].where.line, 2);
  EXPECT_EQ(r.error()[1].where.line, 4);
  EXPECT_EQ(r.error()[2].where.line, 6);
  EXPECT_EQ(r.error()[2].path, "services[0].pool");
}

TEST(NativeErrors, MisspeltRequiredKeyIsNotAlsoReportedMissing) {
  auto r = load_text("t.yaml", "address-pools:\n  - {name: a, protocl: layer2, addresses: [10.0.0.1]}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(
      formatted(r.error()),
      ElementsAre(
          "t.yaml:2:15: error: address-pools[0]: unknown key \"protocl\" (did you mean \"protocol\"?)"));
}

TEST(NativeValid, FullSketchLoadsIntoTheModel) {
  const Model m = load_ok(R"(
interfaces:
  allow: [eth1, "bond0*", "re:^ens[0-9]+$"]
  deny: ["docker*", "veth*", "cali*", "kube-ipvs0"]
  require-subnet: false
peers:
  - peer-address: 192.168.1.1
    peer-asn: 64512
    my-asn: 1.10
    peer-port: 1179
    hold-time: 90s
    keepalive-time: 30s
    router-id: 192.168.1.10
    source-address: 192.168.1.10
    password: "s3cret"
    ebgp-multihop: true
  - {name: v6, peer-address: "fd00::1", peer-asn: 65001, my-asn: 64512, hold-time: 0, passive: true}
address-pools:
  - name: default
    protocol: bgp
    addresses: [192.168.10.0/24]
    avoid-buggy-ips: true
    auto-assign: false
    bgp-advertisements:
      - {aggregation-length: 24, aggregation-length-v6: 64, localpref: 200,
         communities: [no-advertise, "64512:100", mine, "large:1:2:3"], peers: [v6, 192.168.1.1]}
  - name: layer2
    protocol: layer2
    addresses: [192.168.20.100-192.168.20.150, "fd00:20::100-fd00:20::1ff", 192.168.21.7]
    interfaces: [eth1]
    require-subnet: false
bgp-communities: {mine: "65000:1"}
services:
  - {name: web, pool: layer2, address: 192.168.20.100}
  - {name: web6, pool: layer2, address: "fd00:20::100"}
  - {name: api, pool: default}
gratuitous: {count: 3, interval: 500ms, refresh: 5m}
failover:
  vrrp:
    - {name: lan, interface: eth1, vrid: 51, priority: 150, advert-interval: 100ms,
       preempt: false, preempt-delay: 10s, pools: [layer2], unicast-peers: [192.168.20.2]}
local-delivery: {enabled: true, link: lo}
control: {socket: /run/vipd/test.sock}
metrics: {listen: "[::1]:9100"}
log-level: debug
)");
  EXPECT_THAT(m.interfaces.allow, ElementsAre("eth1", "bond0*", "re:^ens[0-9]+$"));
  EXPECT_EQ(m.interfaces.deny.size(), 4u);
  EXPECT_FALSE(m.interfaces.require_subnet);
  ASSERT_EQ(m.peers.size(), 2u);
  EXPECT_EQ(m.peers[0].name, "192.168.1.1");  // defaults to the address
  EXPECT_EQ(m.peers[0].my_asn, 65546u);
  EXPECT_EQ(m.peers[0].peer_port, 1179);
  EXPECT_EQ(m.peers[0].hold_time, milliseconds(90'000));
  EXPECT_EQ(m.peers[0].keepalive_time, milliseconds(30'000));
  EXPECT_EQ(m.peers[0].router_id, net::IpAddress::parse("192.168.1.10"));
  EXPECT_EQ(m.peers[0].password, "s3cret");
  EXPECT_TRUE(m.peers[0].ebgp_multihop);
  EXPECT_EQ(m.peers[1].name, "v6");
  EXPECT_TRUE(m.peers[1].peer_address.is_v6());
  EXPECT_EQ(m.peers[1].hold_time, milliseconds(0));
  EXPECT_TRUE(m.peers[1].passive);
  ASSERT_EQ(m.pools.size(), 2u);
  const Pool& d = m.pools[0];
  EXPECT_EQ(d.protocol, Protocol::bgp);
  EXPECT_TRUE(d.avoid_buggy_ips);
  EXPECT_FALSE(d.auto_assign);
  ASSERT_EQ(d.bgp_advertisements.size(), 1u);
  const auto& a = d.bgp_advertisements[0];
  EXPECT_EQ(a.aggregation_length, 24);
  EXPECT_EQ(a.aggregation_length_v6, 64);
  EXPECT_EQ(a.localpref, 200u);
  EXPECT_THAT(a.communities, ElementsAre(0xFFFFFF02u, (64512u << 16) | 100u, (65000u << 16) | 1u));
  EXPECT_THAT(a.large_communities, ElementsAre(LargeCommunity{1, 2, 3}));
  EXPECT_THAT(a.peers, ElementsAre("v6", "192.168.1.1"));
  const Pool& l2 = m.pools[1];
  ASSERT_EQ(l2.addresses.size(), 3u);
  EXPECT_EQ(l2.addresses[0].range.first, *net::IpAddress::parse("192.168.20.100"));
  EXPECT_EQ(l2.addresses[0].range.last, *net::IpAddress::parse("192.168.20.150"));
  EXPECT_EQ(l2.addresses[0].text, "192.168.20.100-192.168.20.150");
  EXPECT_EQ(l2.addresses[0].where.line, 29);  // kept so the pool library can point at it
  EXPECT_EQ(l2.addresses[0].where.column, 17);
  EXPECT_TRUE(l2.addresses[1].range.first.is_v6());
  EXPECT_EQ(l2.addresses[2].range.size(), 1u);
  EXPECT_THAT(l2.interfaces, ElementsAre("eth1"));
  EXPECT_EQ(l2.require_subnet, false);
  EXPECT_EQ(m.communities.at("mine"), "65000:1");
  ASSERT_EQ(m.services.size(), 3u);
  EXPECT_EQ(m.services[1].address, net::IpAddress::parse("fd00:20::100"));
  EXPECT_FALSE(m.services[2].address.has_value());
  EXPECT_EQ(m.services[2].where.line, 36);
  EXPECT_EQ(m.gratuitous.count, 3);
  EXPECT_EQ(m.gratuitous.interval, milliseconds(500));
  EXPECT_EQ(m.gratuitous.refresh, milliseconds(300'000));
  ASSERT_EQ(m.failover.vrrp.size(), 1u);
  const auto& g = m.failover.vrrp[0];
  EXPECT_EQ(g.vrid, 51);
  EXPECT_EQ(g.priority, 150);
  EXPECT_EQ(g.advert_interval, milliseconds(100));
  EXPECT_FALSE(g.preempt);
  EXPECT_EQ(g.preempt_delay, milliseconds(10'000));
  EXPECT_THAT(g.pools, ElementsAre("layer2"));
  EXPECT_THAT(g.unicast_peers, ElementsAre(*net::IpAddress::parse("192.168.20.2")));
  EXPECT_TRUE(m.local_delivery.enabled);
  EXPECT_EQ(m.control.socket, "/run/vipd/test.sock");
  EXPECT_EQ(m.metrics.listen, "[::1]:9100");
  EXPECT_EQ(m.log_level, "debug");
}

TEST(NativeValid, AggregationMatchingTheBlocksIsAccepted) {
  // A range that is exactly a /24 splits into one /24 block; a /23 is wider than the aggregate.
  const Model m = load_ok(
      "address-pools:\n  - name: a\n    protocol: bgp\n"
      "    addresses: [10.0.0.0-10.0.0.255, 10.2.0.0/23, \"fd00::/64\"]\n"
      "    bgp-advertisements: [{aggregation-length: 24, aggregation-length-v6: 64}]\n");
  EXPECT_EQ(m.pools[0].bgp_advertisements[0].aggregation_length, 24);
}

TEST(NativeValid, DefaultsWhenSectionsAreOmitted) {
  const Model m = load_ok("address-pools:\n  - {name: a, protocol: layer2, addresses: [10.0.0.0/30]}\n");
  EXPECT_TRUE(m.interfaces.allow.empty());
  EXPECT_TRUE(m.interfaces.require_subnet);
  EXPECT_TRUE(m.pools[0].auto_assign);
  EXPECT_FALSE(m.pools[0].avoid_buggy_ips);
  EXPECT_FALSE(m.pools[0].require_subnet.has_value());
  EXPECT_EQ(m.gratuitous.count, 5);
  EXPECT_EQ(m.gratuitous.interval, milliseconds(1000));
  EXPECT_EQ(m.control.socket, "/run/vipd/vipd.sock");
  EXPECT_EQ(m.metrics.listen, "127.0.0.1:9477");
  EXPECT_EQ(m.local_delivery.link, "lo");
  EXPECT_EQ(m.log_level, "info");
}

TEST(NativeValid, EmptyInputIsAnEmptyModel) {
  EXPECT_TRUE(load_text("t.yaml", "").ok());
  EXPECT_TRUE(load_text("t.yaml", "# nothing\n---\n").ok());
}

TEST(NativeValid, PeerWarningsForFieldsVipdCannotHonour) {
  auto r = load_text("t.yaml",
                     "peers:\n  - {peer-address: 10.0.0.1, peer-asn: 1, my-asn: 1, bfd-profile: fast,\n"
                     "     node-selectors: [{match-labels: {a: b}}]}\n"
                     "bfd-profiles:\n  - {name: fast}\n");
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(
      formatted(r->warnings),
      ElementsAre(
          "t.yaml:2:67: warning: peers[0].bfd-profile: BFD is not supported by vipd; bfd-profile "
          "\"fast\" is ignored",
          "t.yaml:3:22: warning: peers[0].node-selectors: ignored: vipd runs standalone on this node, "
          "node-selectors do not apply",
          "t.yaml:5:3: warning: bfd-profiles: BFD is not supported by vipd; bfd-profiles are ignored"));
}

TEST(RoundTrip, NativeLoadPrintLoadIsEqual) {
  const std::string text = std::string(kPools) + R"(
  - {name: v6, peer-address: "fd00::1", peer-asn: 65001, my-asn: 64512, hold-time: 3s, keepalive-time: 1s,
     router-id: 10.0.0.1, source-address: "fd00::2", password: "p: \"q\"", passive: true}
bgp-communities: {mine: "65000:1", big: "large:1:2:3"}
services:
  - {name: "true", pool: l2, address: "fd00:20::100"}
  - {name: "~", pool: b}
interfaces: {allow: ["eth*"], deny: [docker0], require-subnet: false}
failover:
  vrrp: [{name: lan, interface: eth1, vrid: 7, advert-interval: 30ms, pools: [l2], unicast-peers: ["fd00::9"]}]
metrics: {listen: ""}
)";
  // Fill the bgp pool's advertisement through the merged text: append to pool b.
  std::string with_adv = text;
  with_adv.replace(with_adv.find("addresses: [192.168.10.0/24]"), 28,
                   "addresses: [192.168.10.0/24, \"fd00:10::/64\"]\n    bgp-advertisements: [{localpref: 5, "
                   "communities: [mine, big, no-export], peers: [v6]}]");
  const Model first = load_ok(with_adv);
  const std::string printed = to_native_yaml(first);
  auto again = load_text("printed.yaml", printed);
  ASSERT_TRUE(again.ok()) << printed << (again.ok() ? "" : again.error()[0].format());
  const Model& second = again->model;
  EXPECT_EQ(to_native_yaml(second), printed);
  // Spot-check fields survived the trip (printing equality alone could hide a field printed by neither).
  ASSERT_EQ(second.peers.size(), 2u);
  EXPECT_EQ(second.peers[1].password, "p: \"q\"");
  EXPECT_EQ(second.peers[1].keepalive_time, milliseconds(1000));
  EXPECT_EQ(second.peers[1].source_address, net::IpAddress::parse("fd00::2"));
  EXPECT_TRUE(second.peers[1].passive);
  EXPECT_EQ(second.services[0].name, "true");
  EXPECT_EQ(second.services[1].name, "~");
  EXPECT_EQ(second.pools[1].addresses[1].range, first.pools[1].addresses[1].range);
  EXPECT_EQ(second.pools[1].bgp_advertisements[0].communities,
            first.pools[1].bgp_advertisements[0].communities);
  EXPECT_THAT(second.pools[1].bgp_advertisements[0].large_communities, ElementsAre(LargeCommunity{1, 2, 3}));
  EXPECT_EQ(second.failover.vrrp[0].advert_interval, milliseconds(30));
  EXPECT_EQ(second.metrics.listen, "");
  EXPECT_FALSE(second.interfaces.require_subnet);
}

TEST(Robustness, YamlCppNoProgressLoopIsAnErrorNotAHang) {
  // Found by the fuzzer: yaml-cpp 0.7's LoadAll returns empty documents forever on this input.
  auto r = load_text("t.yaml", "a\n#\n,\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error()[0].format(),
            "t.yaml:3:1: error: invalid YAML: unexpected content here (or more than 10000 documents)");
}

TEST(Robustness, InvalidUtf8InAStringIsAnError) {
  // Found by the fuzzer: such a name printed back as U+FFFD and no longer round-tripped.
  auto r = load_text("t.yaml", "control: {socket: \"/run/v\xff\xfe.sock\"}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error()[0].format(),
            "t.yaml:1:19: error: control.socket: \"/run/v\\xff\\xfe.sock\" is not valid UTF-8 text");
  EXPECT_TRUE(load_text("t.yaml",
                        "services: [{name: \"caf\xc3\xa9\", pool: p}]\n"
                        "address-pools: [{name: p, protocol: layer2, addresses: [10.0.0.1]}]\n")
                  .ok());
  EXPECT_FALSE(load_text("t.yaml", "services: [{name: \"\xc0\xaf\", pool: p}]\n").ok());      // overlong '/'
  EXPECT_FALSE(load_text("t.yaml", "services: [{name: \"\xed\xa0\x80\", pool: p}]\n").ok());  // surrogate
}

TEST(Robustness, HostileInputsGiveErrorsNotCrashes) {
  const std::string deep(5000, '[');
  EXPECT_FALSE(load_text("t.yaml", deep).ok());
  EXPECT_FALSE(load_text("t.yaml", std::string("\0\xff\xfe", 3)).ok());
  EXPECT_FALSE(load_text("t.yaml", "a: *nope\n").ok());
  EXPECT_FALSE(load_text("t.yaml", std::string(33u << 20, ' ')).ok());  // too large
  // Alias fan-out: shared nodes must not be expanded exponentially.
  std::string bomb = "x0: &a0 [1, 2]\n";
  for (int i = 1; i < 30; ++i)
    bomb += "x" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) + ", *a" +
            std::to_string(i - 1) + "]\n";
  bomb += "address-pools: [{name: a, protocol: layer2, addresses: *a29}]\n";
  auto r = load_text("t.yaml", bomb);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error()[0].message, HasSubstr("unknown key"));
}

}  // namespace
}  // namespace vipd::config
