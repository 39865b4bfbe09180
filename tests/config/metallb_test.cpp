// MetalLB inputs: the legacy ConfigMap (wrapped and bare) and the v0.13 CRDs, reproducing the
// seed's setup; errors inside data.config point into the outer file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config/config_test_util.hpp"
#include "vipd/config/loader.hpp"

namespace vipd::config {
namespace {

using test_util::formatted;

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const std::string kData = VIPD_TEST_DATA_DIR;

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

LoadResult load_ok(const std::string& path) {
  auto r = load_files({path});
  if (!r) {
    for (const auto& d : r.error()) ADD_FAILURE() << d.format();
    return {};
  }
  return std::move(r).value();
}

// The seed's MetalLB setup: BGP pool "default" 192.168.10.0/24, layer2 pool 192.168.20.0/24,
// one iBGP peer 192.168.1.1 in AS 64512, avoid-buggy-ips on both pools.
void expect_seed_model(const Model& m) {
  ASSERT_EQ(m.pools.size(), 2u);
  EXPECT_EQ(m.pools[0].name, "default");
  EXPECT_EQ(m.pools[0].protocol, Protocol::bgp);
  ASSERT_EQ(m.pools[0].addresses.size(), 1u);
  EXPECT_EQ(m.pools[0].addresses[0].range.first, *net::IpAddress::parse("192.168.10.0"));
  EXPECT_EQ(m.pools[0].addresses[0].range.last, *net::IpAddress::parse("192.168.10.255"));
  EXPECT_TRUE(m.pools[0].avoid_buggy_ips);
  EXPECT_EQ(m.pools[1].name, "layer2");
  EXPECT_EQ(m.pools[1].protocol, Protocol::layer2);
  EXPECT_EQ(m.pools[1].addresses[0].range.first, *net::IpAddress::parse("192.168.20.0"));
  EXPECT_TRUE(m.pools[1].avoid_buggy_ips);
  ASSERT_EQ(m.peers.size(), 1u);
  EXPECT_EQ(m.peers[0].peer_address, *net::IpAddress::parse("192.168.1.1"));
  EXPECT_EQ(m.peers[0].peer_asn, 64512u);
  EXPECT_EQ(m.peers[0].my_asn, 64512u);
}

TEST(MetalLbConfigMap, WrappedLoadsTheSeedSetup) {
  const auto r = load_ok(kData + "/metallb-configmap.yaml");
  expect_seed_model(r.model);
  EXPECT_THAT(r.warnings, IsEmpty());
  // Positions of inner elements are in the outer file: "          - 192.168.20.0/24" is line 24.
  EXPECT_EQ(r.model.pools[1].addresses[0].where.line, 24);
  EXPECT_EQ(r.model.pools[1].addresses[0].where.column, 13);
}

TEST(MetalLbConfigMap, BareInnerYamlLoadsTheSeedSetup) {
  const auto r = load_ok(kData + "/metallb-bare.yaml");
  expect_seed_model(r.model);
  EXPECT_THAT(r.warnings, IsEmpty());
}

TEST(MetalLbConfigMap, ErrorInsideDataConfigPointsIntoTheOuterFile) {
  std::string text = read(kData + "/metallb-configmap.yaml");
  text.replace(text.find("192.168.20.0/24"), 15, "192.168.20.0/33");
  auto r = load_text("cm.yaml", text);
  ASSERT_FALSE(r.ok());
  // Outer line 24 is "          - 192.168.20.0/33": 4 spaces of block indentation + inner column 9.
  EXPECT_THAT(
      formatted(r.error()),
      ElementsAre("cm.yaml:24:13: error: address-pools[1].addresses[0]: \"192.168.20.0/33\" is not an "
                  "address range (expected a CIDR like 192.168.10.0/24, a range a-b or one address)"));
}

TEST(MetalLbConfigMap, SyntaxErrorInsideDataConfigPointsIntoTheOuterFile) {
  const std::string text =
      "apiVersion: v1\n"
      "kind: ConfigMap\n"
      "metadata: {name: config}\n"
      "data:\n"
      "  config: |\n"
      "\n"
      "      address-pools:\n"
      "      - name: [x,\n";
  auto r = load_text("cm.yaml", text);
  ASSERT_FALSE(r.ok());
  // Inner text: line 0 empty, line 1 "address-pools:", line 2 "- name: [x,", error at inner 3:0
  // (end of text) -> outer line 5 + 3 + 1 = 9, column 6 + 0 + 1 = 7.
  EXPECT_THAT(formatted(r.error()),
              ElementsAre("cm.yaml:9:7: error: invalid YAML: end of sequence flow not found"));
}

TEST(MetalLbConfigMap, UnknownInnerKeysAreWarningsWithSuggestions) {
  const std::string text =
      "apiVersion: v1\n"
      "kind: ConfigMap\n"
      "metadata: {name: config, namespace: metallb-system}\n"
      "data:\n"
      "  config: |\n"
      "    address-pools:\n"
      "    - name: a\n"
      "      protocol: layer2\n"
      "      addresses: [10.0.0.0/24]\n"
      "      avoid-buggy-ip: true\n";
  auto r = load_text("cm.yaml", text);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(
      formatted(r->warnings),
      ElementsAre("cm.yaml:10:7: warning: address-pools[0]: unknown key \"avoid-buggy-ip\" (did you mean "
                  "\"avoid-buggy-ips\"?), ignored"));
}

TEST(MetalLbConfigMap, QuotedConfigPointsAtTheValue) {
  const std::string text =
      "kind: ConfigMap\napiVersion: v1\ndata:\n  config: \"address-pools:\\n- {name: a, protocol: x, "
      "addresses: [10.0.0.1]}\"\n";
  auto r = load_text("cm.yaml", text);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.error().size(), 1u);
  EXPECT_EQ(r.error()[0].where.line, 4);
  EXPECT_EQ(r.error()[0].where.column, 11);
  EXPECT_EQ(r.error()[0].path, "address-pools[0].protocol");
}

TEST(MetalLbCrds, LoadTheSeedSetupWithAdvertisements) {
  const auto r = load_ok(kData + "/metallb-crds.yaml");
  expect_seed_model(r.model);
  const Model& m = r.model;
  EXPECT_EQ(m.peers[0].name, "core-router");
  EXPECT_FALSE(m.pools[1].auto_assign);
  EXPECT_THAT(m.pools[1].interfaces, ElementsAre("eth1"));  // from L2Advertisement.spec.interfaces
  ASSERT_EQ(m.pools[0].bgp_advertisements.size(), 1u);
  const auto& a = m.pools[0].bgp_advertisements[0];
  EXPECT_EQ(a.aggregation_length, 32);
  EXPECT_EQ(a.localpref, 100u);
  EXPECT_THAT(a.communities,
              ElementsAre((64512u << 16) | 100u, 0xFFFFFF02u));  // alias vpn-only, no-advertise
  EXPECT_THAT(a.large_communities, ElementsAre(LargeCommunity{64512, 1, 2}));
  EXPECT_THAT(a.peers, ElementsAre("core-router"));
  EXPECT_EQ(m.communities.at("vpn-only"), "64512:100");
  EXPECT_THAT(
      formatted(r.warnings),
      ElementsAre(kData + "/metallb-crds.yaml:65:5: warning: L2Advertisement/layer2.spec.nodeSelectors: "
                          "ignored: vipd runs standalone on this node, nodeSelectors do not apply"));
}

constexpr const char* kPool =
    "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p}\nspec: {addresses: "
    "[10.0.0.0/24]}\n";

TEST(MetalLbCrds, AdvertisementWithoutPoolListAppliesToAllPools) {
  const std::string text =
      std::string(kPool) +
      "---\napiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: q}\n"
      "spec: {addresses: [\"fd00::/120\"]}\n"
      "---\napiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: all}\n"
      "spec: {aggregationLengthV6: 120}\n";
  auto r = load_text("c.yaml", text);
  ASSERT_TRUE(r.ok()) << r.error()[0].format();
  ASSERT_EQ(r->model.pools.size(), 2u);
  for (const auto& p : r->model.pools) {
    EXPECT_EQ(p.protocol, Protocol::bgp) << p.name;
    ASSERT_EQ(p.bgp_advertisements.size(), 1u);
    EXPECT_EQ(p.bgp_advertisements[0].aggregation_length_v6, 120);
  }
}

TEST(MetalLbCrds, PoolWithoutAdvertisementWarns) {
  auto r = load_text("c.yaml", kPool);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->model.pools[0].protocol, Protocol::layer2);
  EXPECT_THAT(
      formatted(r->warnings),
      ElementsAre(
          "c.yaml:3:18: warning: IPAddressPool/p: pool \"p\" has no advertisement: it is not announced"));
}

TEST(MetalLbCrds, BothL2AndBgpKeepsLayer2WithAWarning) {
  const std::string text =
      std::string(kPool) +
      "---\napiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l}\n"
      "---\napiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: b}\n"
      "spec: {ipAddressPools: [p]}\n";
  auto r = load_text("c.yaml", text);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->model.pools[0].protocol, Protocol::layer2);
  EXPECT_THAT(r->model.pools[0].bgp_advertisements, IsEmpty());
  EXPECT_THAT(
      formatted(r->warnings),
      ElementsAre("c.yaml:3:18: warning: IPAddressPool/p: pool \"p\" has both an L2Advertisement and a "
                  "BGPAdvertisement; a vipd pool has one protocol, keeping layer2 and ignoring the BGP "
                  "advertisement"));
}

TEST(MetalLbCrds, OneWarningPerFieldVipdCannotHonour) {
  const std::string text =
      std::string(kPool) +
      "---\napiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l}\n"
      "spec:\n  ipAddressPools: [p]\n  nodeSelectors: [{matchLabels: {a: b}}]\n"
      "---\napiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r}\n"
      "spec:\n  myASN: 64512\n  peerASN: 64512\n  peerAddress: 10.0.0.1\n  bfdProfile: fast\n"
      "  nodeSelectors: [{matchLabels: {a: b}}]\n  passwordSecret: {name: s}\n  vrf: red\n  unknownField: 1\n"
      "---\napiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: q}\n"
      "spec:\n  addresses: [10.1.0.0/24]\n  serviceAllocation: {namespaces: [a], serviceSelectors: [{}]}\n"
      "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: controller}\n";
  auto r = load_text("c.yaml", text);
  ASSERT_TRUE(r.ok()) << r.error()[0].format();
  EXPECT_THAT(
      formatted(r->warnings),
      ElementsAre(
          "c.yaml:11:18: warning: L2Advertisement/l.spec.nodeSelectors: ignored: vipd runs standalone on "
          "this node, "
          "nodeSelectors do not apply",
          "c.yaml:20:15: warning: BGPPeer/r.spec.bfdProfile: BFD is not supported by vipd; bfdProfile "
          "\"fast\" is "
          "ignored",
          "c.yaml:21:18: warning: BGPPeer/r.spec.nodeSelectors: ignored: vipd runs standalone on this node, "
          "nodeSelectors do not apply",
          "c.yaml:22:19: warning: BGPPeer/r.spec.passwordSecret: ignored: Kubernetes secrets are not "
          "available "
          "standalone; put the key in password",
          "c.yaml:23:8: warning: BGPPeer/r.spec.vrf: ignored: VRFs are not supported by vipd",
          "c.yaml:24:3: warning: BGPPeer/r.spec: unknown key \"unknownField\", ignored",
          "c.yaml:28:18: warning: IPAddressPool/q: pool \"q\" has no advertisement: it is not announced",
          "c.yaml:31:35: warning: IPAddressPool/q.spec.serviceAllocation.namespaces: ignored: vipd runs "
          "standalone "
          "and serves the services in its own config, so namespaces does not apply",
          "c.yaml:31:58: warning: IPAddressPool/q.spec.serviceAllocation.serviceSelectors: ignored: vipd "
          "runs "
          "standalone and serves the services in its own config, so serviceSelectors does not apply",
          "c.yaml:33:1: note: document of kind \"Deployment\" (apiVersion \"apps/v1\") ignored"));
}

TEST(MetalLbCrds, ErrorsNameTheObjectAndField) {
  const std::string text =
      "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p}\n"
      "spec: {addresses: [10.0.0.0/24, 10.0.0.0/99]}\n"
      "---\napiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r}\n"
      "spec: {myASN: 64512, peerASN: 0, peerAddress: 10.0.0.1, holdTime: 1s}\n"
      "---\napiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: b}\n"
      "spec: {ipAddressPools: [p, nope], communities: [unknown-alias], peers: [ghost]}\n";
  auto r = load_text("c.yaml", text);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(
      formatted(r.error()),
      ElementsAre(
          "c.yaml:4:33: error: IPAddressPool/p.spec.addresses[1]: \"10.0.0.0/99\" is not an address range "
          "(expected a CIDR like 192.168.10.0/24, a range a-b or one address)",
          "c.yaml:9:31: error: BGPPeer/r.spec.peerASN: \"0\" is not an AS number (expected 1-4294967295 or "
          "asdot like 1.10)",
          "c.yaml:9:67: error: BGPPeer/r.spec.holdTime: \"1s\" is not a valid hold time (expected 0 or "
          "3s-65535s)",
          "c.yaml:14:28: error: BGPAdvertisement/b.spec.ipAddressPools[1]: IPAddressPool \"nope\" does not "
          "exist",
          "c.yaml:14:49: error: BGPAdvertisement/b.spec.communities[0]: \"unknown-alias\" is not a community "
          "(expected a:b with each 0-65535, large:a:b:c, a well-known name like no-export, or an alias from "
          "bgp-communities / Community)",
          "c.yaml:14:73: error: BGPAdvertisement/b.spec.peers[0]: BGPPeer \"ghost\" does not exist"));
}

TEST(MetalLbCrds, MixedWithNativeDocumentsInOneFile) {
  const std::string text =
      std::string(kPool) +
      "---\napiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l}\n"
      "---\nservices:\n  - {name: web, pool: p, address: 10.0.0.5}\ngratuitous: {count: 2}\n";
  auto r = load_text("c.yaml", text);
  ASSERT_TRUE(r.ok()) << r.error()[0].format();
  EXPECT_EQ(r->model.services.size(), 1u);
  EXPECT_EQ(r->model.gratuitous.count, 2);
}

TEST(MetalLbCrds, ConvertToNativeAndBack) {
  const auto r = load_ok(kData + "/metallb-crds.yaml");
  const std::string native = to_native_yaml(r.model);
  auto again = load_text("native.yaml", native);
  ASSERT_TRUE(again.ok()) << native;
  EXPECT_THAT(again->warnings, IsEmpty());
  EXPECT_EQ(to_native_yaml(again->model), native);
  expect_seed_model(again->model);
}

}  // namespace
}  // namespace vipd::config
