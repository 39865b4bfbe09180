// One set of peer rules for every input shape: the same bad value in native `peers[]`, in a
// legacy MetalLB ConfigMap and in a BGPPeer CRD gives the same message; only the file, the
// position and the key path (kebab-case or camelCase) differ.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <ostream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "config/config_test_util.hpp"
#include "vipd/config/loader.hpp"

namespace vipd::config {
namespace {

using test_util::formatted;
using ::testing::ElementsAre;

enum class Shape { native, config_map, crd };

std::string shape_name(Shape s) {
  switch (s) {
    case Shape::native:
      return "native";
    case Shape::config_map:
      return "configmap";
    case Shape::crd:
      return "crd";
  }
  return "?";
}

void PrintTo(Shape s, std::ostream* os) {
  *os << shape_name(s);
}

// The CRD's spelling of each native peer key (MetalLB's BGPPeer v1beta2 field names).
const std::map<std::string, std::string>& crd_key() {
  static const std::map<std::string, std::string> keys = {
      {"peer-address", "peerAddress"},
      {"peer-asn", "peerASN"},
      {"my-asn", "myASN"},
      {"peer-port", "peerPort"},
      {"hold-time", "holdTime"},
      {"keepalive-time", "keepaliveTime"},
      {"router-id", "routerID"},
      {"source-address", "sourceAddress"},
      {"password", "password"},
      {"ebgp-multihop", "ebgpMultiHop"},
  };
  return keys;
}

using Fields = std::vector<std::pair<std::string, std::string>>;  // native key, YAML value text

// The peer's fields in file order: the three required ones (a given field replaces its default),
// then the others.
Fields peer_fields(const Fields& given) {
  Fields out = {{"peer-address", "10.0.0.1"}, {"peer-asn", "64512"}, {"my-asn", "64513"}};
  for (const auto& [key, value] : given) {
    bool replaced = false;
    for (auto& f : out)
      if (f.first == key) {
        f.second = value;
        replaced = true;
      }
    if (!replaced) out.emplace_back(key, value);
  }
  return out;
}

// One document of `shape` holding one peer with `fields`, one field per line.
struct Document {
  std::string file;
  std::string text;
  int first_field_line;   // 1-based line of the first field
  int key_column;         // 1-based column where each field's key starts
  std::string path;       // key path the fields hang off
  bool crd_keys = false;  // keys spelt camelCase
};

Document document(Shape shape, const Fields& fields) {
  Document d;
  std::string head, first_prefix, prefix;
  switch (shape) {
    case Shape::native:
      d = {"native.yaml", "", 2, 5, "peers[0]"};
      head = "peers:\n";
      first_prefix = "  - ";
      prefix = "    ";
      break;
    case Shape::config_map:  // the inner YAML of `config: |`, indented by 4
      d = {"configmap.yaml", "", 9, 7, "peers[0]"};
      head =
          "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config\n  namespace: metallb-system\n"
          "data:\n  config: |\n    peers:\n";
      first_prefix = "    - ";
      prefix = "      ";
      break;
    case Shape::crd:
      d = {"crd.yaml", "", 7, 3, "BGPPeer/r.spec", true};
      head =
          "apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata:\n  name: r\n  namespace: metallb-system\n"
          "spec:\n";
      first_prefix = prefix = "  ";
      break;
  }
  d.text = head;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const std::string key = d.crd_keys ? crd_key().at(fields[i].first) : fields[i].first;
    d.text += (i == 0 ? first_prefix : prefix) + key + ": " + fields[i].second + "\n";
  }
  return d;
}

// "file:line:col: error: path.key: " for the value of native key `key` in the document.
std::string error_prefix(const Document& d, const Fields& fields, const std::string& key) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].first != key) continue;
    const std::string spelt = d.crd_keys ? crd_key().at(key) : key;
    const int line = d.first_field_line + static_cast<int>(i);
    const int column = d.key_column + static_cast<int>(spelt.size()) + 2;  // after "key: "
    return d.file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": error: " + d.path + "." +
           spelt + ": ";
  }
  ADD_FAILURE() << "no field " << key;
  return {};
}

struct RuleCase {
  const char* name;
  Fields given;         // native keys; the required ones default to valid values
  std::string at;       // the native key the error is reported at
  std::string message;  // the text after the key path, the same for every shape
};

// Test names and failure messages show the case's name, not its bytes.
void PrintTo(const RuleCase& c, std::ostream* os) {
  *os << c.name;
}

const std::string long_password(81, 'k');

const RuleCase kCases[] = {
    {"hold_time_too_small",
     {{"hold-time", "2s"}},
     "hold-time",
     "\"2s\" is not a valid hold time (expected 0 or 3s-65535s)"},
    {"hold_time_too_large",
     {{"hold-time", "65536"}},
     "hold-time",
     "\"65536\" is not a valid hold time (expected 0 or 3s-65535s)"},
    {"hold_time_not_whole_seconds",
     {{"hold-time", "3500ms"}},
     "hold-time",
     "\"3500ms\" is not a valid hold time (expected whole seconds)"},
    {"hold_time_not_a_duration",
     {{"hold-time", "90x"}},
     "hold-time",
     "\"90x\" is not a duration (expected e.g. 90s, 1m30s, 100ms or plain seconds)"},
    {"keepalive_above_hold",
     {{"hold-time", "9s"}, {"keepalive-time", "10s"}},
     "keepalive-time",
     "\"10s\" is longer than the hold time \"9s\" (expected keepalive-time <= hold-time)"},
    {"keepalive_above_default_hold",
     {{"keepalive-time", "100s"}},
     "keepalive-time",
     "\"1m40s\" is longer than the hold time \"1m30s\" (expected keepalive-time <= hold-time)"},
    {"keepalive_not_whole_seconds",
     {{"keepalive-time", "1500ms"}},
     "keepalive-time",
     "\"1500ms\" is not a valid keepalive time (expected whole seconds, at most a third of 65535s)"},
    {"peer_address_not_ip",
     {{"peer-address", "10.0.0.256"}},
     "peer-address",
     "\"10.0.0.256\" is not an IP address (expected IPv4 like 192.168.1.1 or IPv6 like fd00::1)"},
    {"source_address_not_ip",
     {{"source-address", "nope"}},
     "source-address",
     "\"nope\" is not an IP address (expected IPv4 like 192.168.1.1 or IPv6 like fd00::1)"},
    {"source_address_v6_for_v4_peer",
     {{"source-address", "\"fd00::2\""}},
     "source-address",
     "\"fd00::2\" is not of the peer address's family (expected IPv4)"},
    {"source_address_v4_for_v6_peer",
     {{"peer-address", "\"fd00::1\""}, {"source-address", "10.0.0.2"}},
     "source-address",
     "\"10.0.0.2\" is not of the peer address's family (expected IPv6)"},
    {"router_id_v6",
     {{"router-id", "\"::1\""}},
     "router-id",
     "\"::1\" is not a valid router ID (expected an IPv4 address)"},
    {"router_id_not_ip",
     {{"router-id", "router1"}},
     "router-id",
     "\"router1\" is not an IP address (expected IPv4 like 192.168.1.1 or IPv6 like fd00::1)"},
    {"peer_asn_too_large",
     {{"peer-asn", "4294967296"}},
     "peer-asn",
     "\"4294967296\" is not an AS number (expected 1-4294967295 or asdot like 1.10)"},
    {"my_asn_zero",
     {{"my-asn", "0"}},
     "my-asn",
     "\"0\" is not an AS number (expected 1-4294967295 or asdot like 1.10)"},
    {"port_zero", {{"peer-port", "0"}}, "peer-port", "\"0\" is out of range (expected a port 1-65535)"},
    {"port_too_large",
     {{"peer-port", "65536"}},
     "peer-port",
     "\"65536\" is out of range (expected a port 1-65535)"},
    {"port_not_a_number",
     {{"peer-port", "bgp"}},
     "peer-port",
     "\"bgp\" is not an integer (expected a port 1-65535)"},
    {"password_too_long",
     {{"password", long_password}},
     "password",
     "password is too long (81 characters, TCP MD5 keys are at most 80)"},
    {"ebgp_multihop_not_bool",
     {{"ebgp-multihop", "maybe"}},
     "ebgp-multihop",
     "\"maybe\" is not a boolean (expected true or false)"},
};

class PeerRules : public ::testing::TestWithParam<std::tuple<RuleCase, Shape>> {};

TEST_P(PeerRules, SameMessageInEveryShape) {
  const auto& [c, shape] = GetParam();
  const Fields fields = peer_fields(c.given);
  const Document d = document(shape, fields);
  auto r = load_text(d.file, d.text);
  ASSERT_FALSE(r.ok()) << d.text;
  EXPECT_THAT(formatted(r.error()), ElementsAre(error_prefix(d, fields, c.at) + c.message)) << d.text;
}

INSTANTIATE_TEST_SUITE_P(Table, PeerRules,
                         ::testing::Combine(::testing::ValuesIn(kCases),
                                            ::testing::Values(Shape::native, Shape::config_map, Shape::crd)),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param).name) + "_" +
                                  shape_name(std::get<1>(info.param));
                         });

// The same valid values read into the same peer, whatever the shape.
TEST(PeerRules, SameValuesReadTheSameInEveryShape) {
  const Fields fields = peer_fields({{"peer-port", "1179"},
                                     {"hold-time", "30s"},
                                     {"keepalive-time", "10s"},
                                     {"router-id", "10.0.0.9"},
                                     {"source-address", "10.0.0.2"},
                                     {"password", "s3cret"},
                                     {"ebgp-multihop", "true"}});
  for (Shape shape : {Shape::native, Shape::config_map, Shape::crd}) {
    SCOPED_TRACE(shape_name(shape));
    const Document d = document(shape, fields);
    auto r = load_text(d.file, d.text);
    ASSERT_TRUE(r.ok()) << (r.ok() ? "" : formatted(r.error()).front());
    ASSERT_EQ(r.value().model.peers.size(), 1u);
    const Peer& p = r.value().model.peers[0];
    EXPECT_EQ(p.peer_address.to_string(), "10.0.0.1");
    EXPECT_EQ(p.peer_asn, 64512u);
    EXPECT_EQ(p.my_asn, 64513u);
    EXPECT_EQ(p.peer_port, 1179);
    EXPECT_EQ(p.hold_time, std::chrono::seconds(30));
    EXPECT_EQ(p.keepalive_time, std::chrono::seconds(10));
    ASSERT_TRUE(p.router_id.has_value());
    EXPECT_EQ(p.router_id->to_string(), "10.0.0.9");
    ASSERT_TRUE(p.source_address.has_value());
    EXPECT_EQ(p.source_address->to_string(), "10.0.0.2");
    EXPECT_EQ(p.password, "s3cret");
    EXPECT_TRUE(p.ebgp_multihop);
  }
}

}  // namespace
}  // namespace vipd::config
