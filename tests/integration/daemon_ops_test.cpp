// Operating the running daemon: vipctl over the control socket, the metrics endpoint, reloads
// (good, bad, and 100 of them under ARP load), drain, and local delivery — in the seed's lab.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>

#include "integration/l2_lab.hpp"

namespace vipd::testlab {
namespace {

class DaemonOps : public L2Lab {
 protected:
  CommandResult vipctl(const std::string& args) const {
#ifdef VIPCTL_BINARY
    return node_->run(std::string(VIPCTL_BINARY) + " --socket " + socket_path() + " " + args);
#else
    return {127, "vipctl not built"};
#endif
  }
  std::string metrics() const {
    return node_->run("curl -s --max-time 3 http://127.0.0.1:9477/metrics").output;
  }
  void rewrite_config(const std::string& text) const {
    std::ofstream out(dir_ + "/vipd.yaml");
    out << text << "control: {socket: " << socket_path() << "}\n";
  }
};

// The metric line for a family and VIP (labels in any order), or "".
std::string metric_line(const std::string& text, const std::string& family, const std::string& vip) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(family + "{", 0) == 0 && line.find("vip=\"" + vip + "\"") != std::string::npos)
      return line;
  return "";
}

TEST_F(DaemonOps, StatusExplainAndMetricsReflectTheTraffic) {
  start_vipd(kBaseConfig, 2);
  ASSERT_EQ(arping_reply_macs(arping("10.77.0.100", 2).output).size(), 2u);

  const auto status = vipctl("--json status");
  ASSERT_EQ(status.exit_code, 0) << status.output;
  const auto json = nlohmann::json::parse(status.output, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << status.output;
  bool found = false;
  for (const auto& vip : json["vips"]) {
    if (vip["vip"] != "10.77.0.100") continue;
    found = true;
    EXPECT_EQ(vip["service"], "web");
    EXPECT_EQ(vip["links"], nlohmann::json::array({"eth0"}));
    EXPECT_GE(vip["requests"].get<int>(), 2);
    EXPECT_GE(vip["replies"].get<int>(), 2);
    EXPECT_GE(vip["gratuitous"].get<int>(), 3);
  }
  EXPECT_TRUE(found) << status.output;
  ASSERT_FALSE(json["links"].empty());
  EXPECT_EQ(json["links"][0]["name"], "eth0");

  const auto human = vipctl("status");
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_NE(human.output.find("10.77.0.100"), std::string::npos) << human.output;

  const auto explain = vipctl("explain 10.77.0.100");
  EXPECT_EQ(explain.exit_code, 0) << explain.output;
  EXPECT_NE(explain.output.find("SELECTED"), std::string::npos) << explain.output;
  EXPECT_NE(explain.output.find("no address on this link holds"), std::string::npos) << explain.output;

  const auto text = metrics();
  const auto replies = metric_line(text, "vipd_l2_responses_sent_total", "10.77.0.100");
  ASSERT_FALSE(replies.empty()) << text;
  EXPECT_NE(replies.find("interface=\"eth0\""), std::string::npos) << replies;
  EXPECT_GE(std::stod(replies.substr(replies.rfind(' ') + 1)), 2.0) << replies;
  EXPECT_FALSE(metric_line(text, "vipd_vip_owned", "10.77.0.100").empty()) << text;
  EXPECT_NE(text.find("vipd_config_last_reload_success 1"), std::string::npos) << text;
}

TEST_F(DaemonOps, BadReloadKeepsTheRunningConfigAndAGoodOneAppliesTheDiff) {
  start_vipd(kBaseConfig, 2);
  rewrite_config(std::string(kBaseConfig) + "bogus-key: 1\n");
  const auto bad = vipctl("reload");
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_NE(bad.output.find("vipd.yaml:"), std::string::npos) << bad.output;  // file:line:col
  EXPECT_NE(bad.output.find("bogus-key"), std::string::npos) << bad.output;
  EXPECT_EQ(arping_reply_macs(arping("10.77.0.100", 1).output).size(), 1u);
  EXPECT_NE(metrics().find("vipd_config_last_reload_success 0"), std::string::npos);

  // A good reload adds a service: announced and answered; the unchanged VIP gets no new burst (its
  // gratuitous counter stays; a burst's first announcement goes out during the reload itself).
  const auto gratuitous = [&](const std::string& address) { return vip_counter(address, "gratuitous"); };
  const long long bursts = gratuitous("10.77.0.100");
  ASSERT_GE(bursts, 6) << vip("10.77.0.100").dump();
  std::string config = kBaseConfig;
  config.insert(config.find("gratuitous:"), "  - {name: extra, pool: lab, address: 10.77.0.150}\n");
  rewrite_config(config);
  const auto good = vipctl("reload");
  EXPECT_EQ(good.exit_code, 0) << good.output;
  EXPECT_EQ(arping_reply_macs(arping("10.77.0.150", 1).output).size(), 1u);
  EXPECT_GT(gratuitous("10.77.0.150"), 0) << vip("10.77.0.150").dump();
  EXPECT_EQ(gratuitous("10.77.0.100"), bursts) << vip("10.77.0.100").dump();

  // SIGHUP is the same path.
  rewrite_config(kBaseConfig);
  vipd_->signal(SIGHUP);
  EXPECT_TRUE(wait_until(
      [&] {
        const auto s = status();
        return s.is_object() && vip_status(s, "10.77.0.150").is_null() &&
               !vip_status(s, "10.77.0.100").is_null();
      },
      3s, "10.77.0.150 gone from the status"))
      << status().dump();
  EXPECT_TRUE(arping_reply_macs(arping("10.77.0.150", 1).output).empty());
}

TEST_F(DaemonOps, HundredReloadsUnderArpLoadLoseNothing) {
#ifndef VIPD_L2LOAD_BINARY
  GTEST_SKIP() << "vipd-l2load not built (benchmarks off)";
#else
  start_vipd(kBaseConfig, 2);
  // 1000 ARP requests/s for 5 s from the client while the node reloads 100 times.
  Process load(client_.get(),
               {VIPD_L2LOAD_BINARY, "-i", "eth0", "-m", "arp", "-l", "closed", "-t", "10.77.0.100", "-s",
                "10.77.0.50", "-r", "1000", "-n", "5000", "--timeout-ms", "200", "--max-seconds", "30"},
               dir_ + "/load.txt");
  // The reloads start once the load reaches the daemon.
  const long long requests_before = vip_counter("10.77.0.100", "requests");
  ASSERT_TRUE(wait_until([&] { return vip_counter("10.77.0.100", "requests") > requests_before; }, 3s,
                         "the load's first requests"))
      << load.log();
  int reloads = 0;
  for (int i = 0; i < 100; ++i) reloads += vipctl("reload").exit_code == 0 ? 1 : 0;
  ASSERT_TRUE(wait_until([&] { return !load.running(); }, 30s));
  EXPECT_EQ(reloads, 100);
  const auto out = load.log();
  const auto result = out.find("RESULT");
  ASSERT_NE(result, std::string::npos) << out;
  const std::regex lost(R"(lost=(\d+))");
  const std::regex answered(R"(answered=(\d+))");
  std::smatch m;
  const std::string line = out.substr(result);
  ASSERT_TRUE(std::regex_search(line, m, lost)) << line;
  EXPECT_EQ(m[1], "0") << line;
  ASSERT_TRUE(std::regex_search(line, m, answered)) << line;
  EXPECT_EQ(m[1], "5000") << line;
  std::cout << "reload-under-load: " << line.substr(0, line.find('\n')) << '\n';
#endif
}

TEST_F(DaemonOps, DrainReleasesAndUndrainRetakes) {
  start_vipd(kBaseConfig, 2);
  ASSERT_EQ(vipctl("drain").exit_code, 0);
  EXPECT_TRUE(arping_reply_macs(arping("10.77.0.100", 1).output).empty());
  ASSERT_EQ(vipctl("undrain").exit_code, 0);
  EXPECT_TRUE(wait_until([&] { return arping_reply_macs(arping("10.77.0.100", 1).output).size() == 1; }, 3s));
}

TEST_F(DaemonOps, LocalDeliveryServesTrafficWhileOnlyOneMacAnswers) {
  start_vipd(std::string(kBaseConfig) + "local-delivery: {enabled: true}\n", 2);
  EXPECT_EQ(node_->run("sysctl -n net.ipv4.conf.all.arp_ignore").output, "1\n");
  EXPECT_EQ(node_->run("sysctl -n net.ipv4.conf.all.arp_announce").output, "2\n");
  EXPECT_TRUE(wait_until(
      [&] { return node_->run("ip -4 addr show dev lo").output.find("10.77.0.100/32") != std::string::npos; },
      2s));
  Process web(node_.get(),
              {"python3", "-m", "http.server", "8080", "--bind", "10.77.0.100", "--directory", dir_},
              dir_ + "/web.log");
  std::ofstream(dir_ + "/index.html") << "hello from the VIP\n";
  EXPECT_TRUE(wait_until(
      [&] {
        return client_->run("curl -s --max-time 1 http://10.77.0.100:8080/index.html")
                   .output.find("hello from the VIP") != std::string::npos;
      },
      5s));
  const auto macs = arping_reply_macs(arping("10.77.0.100", 2).output);
  EXPECT_EQ(macs.size(), 2u);
  EXPECT_EQ(macs.count(kEth0Mac), macs.size());

  vipd_->stop(SIGTERM);
  EXPECT_EQ(node_->run("ip -4 addr show dev lo").output.find("10.77.0.100/32"), std::string::npos);
  EXPECT_EQ(node_->run("sysctl -n net.ipv4.conf.all.arp_ignore").output, "0\n");
}

TEST_F(DaemonOps, SigtermReleasesAndExitsWithinOneSecond) {
  start_vipd(kBaseConfig, 2);
  const auto before = std::chrono::steady_clock::now();
  EXPECT_EQ(vipd_->stop(SIGTERM, 2s), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - before, 1s);
  EXPECT_NE(vipd_->log().find("released (shutdown)"), std::string::npos) << vipd_->log();
}

}  // namespace
}  // namespace vipd::testlab
