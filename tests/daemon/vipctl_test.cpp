// vipctl: renderers (pure), then the CLI against a real ControlServer with a fake handler, in
// process and (when built) as the real binary.
#include <sys/wait.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>

#include "daemon/control_test_util.hpp"
#include "vipctl/cli.hpp"
#include "vipctl/render.hpp"
#include "vipd/daemon/control_server.hpp"

namespace vipd::vipctl {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

const char* const status_json = R"({"ok":true,"version":"0.1.0","drained":false,"uptime_seconds":12,
 "vips":[{"vip":"10.77.0.100","service":"web","pool":"lab","protocol":"layer2","owned":true,
          "links":["eth0","eth1"],"requests":3,"replies":3,"gratuitous":6,"conflicts":1,
          "last_conflict":{"mac":"02:00:00:00:00:99","interface":"eth0","seconds_ago":3}},
         {"vip":"fd00:77::100","service":"api","pool":"lab6","protocol":"layer2","owned":false,
          "links":[],"requests":12345,"replies":0,"gratuitous":0,"conflicts":0,"last_conflict":null}],
 "links":[{"name":"eth0","ifindex":2,"vips":3,"received":10,"sent":9,"send_errors":0,"kernel_drops":0,
           "multicast_groups":1}],
 "bgp":[],"failover":[]})";

TEST(Render, FormatCell) {
  EXPECT_EQ(format_cell(json("eth0")), "eth0");
  EXPECT_EQ(format_cell(json(42)), "42");
  EXPECT_EQ(format_cell(json(-1)), "-1");
  EXPECT_EQ(format_cell(json(true)), "yes");
  EXPECT_EQ(format_cell(json(false)), "no");
  EXPECT_EQ(format_cell(json(nullptr)), "-");
  EXPECT_EQ(format_cell(json::array({"eth0", "eth1"})), "eth0,eth1");
  EXPECT_EQ(format_cell(json::array()), "-");
  EXPECT_EQ(format_cell(json{{"a", 1}}), R"({"a":1})");
}

TEST(Render, FormatDuration) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(59), "59s");
  EXPECT_EQ(format_duration(61), "1m01s");
  EXPECT_EQ(format_duration(3600 + 240), "1h04m");
  EXPECT_EQ(format_duration(3 * 86400 + 5 * 3600 + 7), "3d05h");
}

TEST(Render, TableAlignsColumnsAndRightAlignsNumbers) {
  const std::string t =
      render_table({"NAME", "COUNT"}, {{"eth0", "3"}, {"bond0.100", "12345"}}, {false, true});
  EXPECT_EQ(t,
            "NAME       COUNT\n"
            "eth0           3\n"
            "bond0.100  12345\n");
}

TEST(Render, StatusAsTables) {
  const std::string out = render_status(json::parse(status_json));
  EXPECT_EQ(
      out,
      "vipd 0.1.0, up 12s, serving\n"
      "\n"
      "VIPs\n"
      "VIP           SERVICE  POOL  PROTOCOL  OWNED  LINKS      REQUESTS  REPLIES  GRATUITOUS  CONFLICTS"
      "  LAST CONFLICT\n"
      "10.77.0.100   web      lab   layer2    yes    eth0,eth1         3        3           6          1"
      "  02:00:00:00:00:99 on eth0, 3s ago\n"
      "fd00:77::100  api      lab6  layer2    no     -             12345        0           0          0"
      "  -\n"
      "\n"
      "Links\n"
      "LINK  IFINDEX  VIPS  RECEIVED  SENT  SEND ERRORS  KERNEL DROPS  MCAST GROUPS\n"
      "eth0        2     3        10     9            0             0             1\n"
      "\n"
      "BGP: none\n"
      "\n"
      "Failover: none\n");
}

TEST(Render, StatusWithoutOptionalSectionsAndDrained) {
  const std::string out = render_status(
      json::parse(R"({"ok":true,"version":"0.2.0","drained":true,"uptime_seconds":90061,"vips":[]})"));
  EXPECT_THAT(out, HasSubstr("vipd 0.2.0, up 1d01h, DRAINED"));
  EXPECT_THAT(out, HasSubstr("VIPs: none\n"));
  EXPECT_THAT(out, HasSubstr("Links: none\n"));
  EXPECT_THAT(out, HasSubstr("BGP: none\n"));
  EXPECT_THAT(out, HasSubstr("Failover: none\n"));
}

TEST(Render, StatusRendersBgpAndFailoverGenerically) {
  json s = json::parse(status_json);
  s["bgp"] =
      json::array({json{{"peer", "10.99.0.1"}, {"asn", 64512}, {"state", "Established"}, {"prefixes", 3}}});
  s["failover"] = json::array({json{{"group", "lan"},
                                    {"family", "ipv4"},
                                    {"interface", "eth1"},
                                    {"vrid", 51},
                                    {"state", "master"},
                                    {"priority", 150},
                                    {"master_address", "10.0.0.11"},
                                    {"last_transition_reason", "master_down_timer"},
                                    {"last_transition_seconds_ago", 75},
                                    {"adverts_received", 4},
                                    {"vips", json::array({"10.0.0.100", "10.0.0.101"})}}});
  const std::string out = render_status(s);
  // BGP: columns in key order (nlohmann::json objects are sorted), numbers right-aligned.
  EXPECT_THAT(out,
              HasSubstr("BGP\n  ASN  PEER       PREFIXES  STATE\n64512  10.99.0.1         3  Established\n"));
  // Failover: fixed columns.
  EXPECT_THAT(out, HasSubstr("Failover\n"
                             "GROUP  FAMILY  LINK  VRID  PRIORITY  STATE   MASTER     LAST TRANSITION        "
                             "       ADVERTS IN  VIPS\n"
                             "lan    ipv4    eth1    51       150  master  10.0.0.11  master_down_timer, "
                             "1m15s ago           4  10.0.0.100,10.0.0.101\n"));
}

TEST(Render, StatusToleratesWrongTypes) {
  const std::string out = render_status(json::parse(
      R"({"ok":true,"vips":[{"vip":1,"owned":"maybe","links":"eth0","last_conflict":{"mac":"x","seconds_ago":-2}}],
          "links":{"not":"an array"},"bgp":"nope","failover":[1,2]})"));
  EXPECT_THAT(out, HasSubstr("vipd -, serving"));
  EXPECT_THAT(out, HasSubstr("maybe"));
  EXPECT_THAT(out, HasSubstr("x, -2s ago"));
  EXPECT_THAT(out, HasSubstr("Links: none"));
  EXPECT_THAT(out, HasSubstr("BGP: none"));
  // Not objects: one row of dashes each, no crash.
  EXPECT_THAT(
      out,
      HasSubstr("\n-      -       -        -         -  -      -       -                         -  -\n"));
}

TEST(Render, ExplainAndMessages) {
  EXPECT_EQ(render_explain(json{{"ok", true}, {"table", "LINK  RESULT\neth0  answers"}}),
            "LINK  RESULT\neth0  answers\n");
  EXPECT_EQ(render_message(json{{"ok", true}, {"message", "reloaded: 3 VIPs"}}), "reloaded: 3 VIPs\n");
  EXPECT_EQ(render_message(json{{"ok", true}}), "ok\n");
}

// ---- the CLI against a server ---------------------------------------------------------------

json fake_daemon(const json& request) {
  const std::string command = request["command"];
  if (command == "status") return json::parse(status_json);
  if (command == "explain")
    return json{
        {"ok", true},
        {"table", "VIP " + request.value("vip", std::string("?")) + "\nLINK  DECISION\neth0  answers\n"},
        {"decision", {{"vip", request.value("vip", "")}, {"selected", {"eth0"}}}}};
  if (command == "reload")
    return json{{"ok", false}, {"error", "/etc/vipd/vipd.yaml:3:5: address-pools[0].addresses[0]: bad\n"}};
  if (command == "drain") return json{{"ok", true}, {"message", "drained: 2 layer2 VIPs released"}};
  return json{{"ok", false}, {"error", "unknown command " + command}};
}

class VipctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path() + "/vipd.sock";
    daemon::ControlOptions options;
    options.path = path_;
    options.group = "";
    server_ = std::make_unique<daemon::ControlServer>(io_, options, [this](const json& r) {
      last_request_ = r;
      return fake_daemon(r);
    });
    ASSERT_TRUE(server_->start().ok());
    loop_ = std::make_unique<vipd::testing::LoopThread>(io_);
  }
  void TearDown() override {
    loop_.reset();
    server_.reset();
  }

  struct Run {
    int code;
    std::string out, err;
  };
  Run vipctl(std::vector<std::string> args) {
    args.insert(args.begin(), "vipctl");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    std::ostringstream out, err;
    const int code = run(static_cast<int>(argv.size()), argv.data(), out, err);
    return {code, out.str(), err.str()};
  }

  vipd::testing::TempDir dir_;
  std::string path_;
  boost::asio::io_context io_;
  std::unique_ptr<daemon::ControlServer> server_;
  std::unique_ptr<vipd::testing::LoopThread> loop_;
  json last_request_;  // written on the loop thread, read after the exchange completed
};

TEST_F(VipctlTest, StatusPrintsTables) {
  const Run r = vipctl({"--socket", path_, "status"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, render_status(json::parse(status_json)));
  EXPECT_EQ(r.err, "");
}

TEST_F(VipctlTest, StatusJsonIsTheDaemonsObject) {
  const Run r = vipctl({"status", "--json", "--socket", path_});  // options after the command too
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out), json::parse(status_json));
  EXPECT_THAT(r.out, HasSubstr("\n  \"drained\": false"));  // pretty
}

TEST_F(VipctlTest, ExplainSendsTheVipAndPrintsTableOrDecision) {
  Run r = vipctl({"--socket", path_, "explain", "10.77.0.100"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(last_request_, (json{{"command", "explain"}, {"vip", "10.77.0.100"}}));
  EXPECT_EQ(r.out, "VIP 10.77.0.100\nLINK  DECISION\neth0  answers\n");
  r = vipctl({"--socket", path_, "--json", "explain", "10.77.0.100"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out), (json{{"vip", "10.77.0.100"}, {"selected", {"eth0"}}}));
}

TEST_F(VipctlTest, ADaemonErrorExitsOneWithTheMessageOnStderr) {
  const Run r = vipctl({"--socket", path_, "reload"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "/etc/vipd/vipd.yaml:3:5: address-pools[0].addresses[0]: bad\n");
  EXPECT_EQ(vipctl({"--socket", path_, "undrain"}).code, 1);
}

TEST_F(VipctlTest, MessagesPrintAsTheyAre) {
  const Run r = vipctl({"--socket", path_, "drain"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "drained: 2 layer2 VIPs released\n");
}

TEST_F(VipctlTest, NoDaemonExitsTwoNamingTheSocket) {
  const std::string missing = dir_.path() + "/nobody.sock";
  const Run r = vipctl({"--socket", missing, "status"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr(missing));
  EXPECT_EQ(r.out, "");
}

TEST_F(VipctlTest, UsageErrors) {
  EXPECT_EQ(vipctl({}).code, exit_usage);
  EXPECT_EQ(vipctl({"explain"}).code, exit_usage);  // VIP missing
  EXPECT_EQ(vipctl({"frobnicate"}).code, exit_usage);
  EXPECT_EQ(vipctl({"status", "reload"}).code, exit_usage);
  const Run help = vipctl({"--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_THAT(help.out, HasSubstr("explain"));
}

#ifdef VIPCTL_BINARY
// The installed binary, end to end: exit codes and output through a real process.
TEST_F(VipctlTest, RealBinary) {
  auto sh = [](const std::string& command, std::string* out) {
    FILE* p = ::popen(command.c_str(), "r");
    if (p == nullptr) return -1;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out->append(buf, n);
    const int status = ::pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  const std::string bin = VIPCTL_BINARY;
  std::string out;
  EXPECT_EQ(sh(bin + " --socket " + path_ + " --json status", &out), 0);
  EXPECT_EQ(json::parse(out), json::parse(status_json));
  out.clear();
  EXPECT_EQ(sh(bin + " --socket " + path_ + " status", &out), 0);
  EXPECT_THAT(out, HasSubstr("10.77.0.100   web"));
  out.clear();
  EXPECT_EQ(sh(bin + " --socket " + path_ + " reload 2>&1", &out), 1);
  EXPECT_THAT(out, HasSubstr("vipd.yaml:3:5"));
  out.clear();
  EXPECT_EQ(sh(bin + " --socket " + dir_.path() + "/none.sock status 2>&1", &out), 2);
  EXPECT_THAT(out, HasSubstr(dir_.path() + "/none.sock"));
}
#endif

}  // namespace
}  // namespace vipd::vipctl

namespace vipd::vipctl {
namespace {

TEST(Render, StatusNamesWhyAVipIsNotOwned) {
  auto status = json::parse(status_json);
  status["vips"][1]["reason"] = "failover: group lan/ipv6 backup";
  status["vips"][0]["reason"] = nullptr;
  const std::string out = render_status(status);
  EXPECT_THAT(out, HasSubstr("LAST CONFLICT                      NOT OWNED BECAUSE\n"));
  EXPECT_THAT(out, HasSubstr("3s ago  -\n"));
  EXPECT_THAT(out, HasSubstr("  -                                  failover: group lan/ipv6 backup\n"));
}

}  // namespace
}  // namespace vipd::vipctl
