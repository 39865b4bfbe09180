// Ownership through the daemon (design §9), in-process inside a namespace of its own: posted
// events coalesce into one reconcile per loop turn (before, one netlink event on a failover
// group's link ran two full reconciles: the group's release called back into the daemon while it
// was reconciling), and explain shows the ownership block next to the link table.

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <fstream>

#include "integration/lab.hpp"
#include "vipd/daemon/daemon.hpp"

namespace vipd::daemon {
namespace {

using namespace std::chrono_literals;
using testlab::EnterNetns;
using testlab::Netns;

class ReconcileLab : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testlab::is_root()) GTEST_SKIP() << "needs root (network namespaces)";
    node_ = std::make_unique<Netns>(testlab::unique_name("rc"));
    node_->must("ip link add eth0 type veth peer name peer0");
    node_->must("ip addr add 10.77.0.1/24 dev eth0");
    node_->must("ip link set eth0 up");
    node_->must("ip link set peer0 up");
    dir_ = testlab::must("mktemp -d /tmp/vipd-reconcile.XXXXXX");
    dir_.erase(dir_.find_last_not_of('\n') + 1);
    std::ofstream(dir_ + "/vipd.yaml") << "address-pools:\n"
                                          "  - {name: lan, protocol: layer2, addresses: [10.77.0.100/32]}\n"
                                          "  - {name: plain, protocol: layer2, addresses: [10.77.0.200/32]}\n"
                                          "services:\n"
                                          "  - {name: web, pool: lan, address: 10.77.0.100}\n"
                                          "  - {name: db, pool: plain, address: 10.77.0.200}\n"
                                          "failover:\n"
                                          "  vrrp:\n"
                                          "    - {name: lan, interface: eth0, vrid: 51, priority: 150,"
                                          " advert-interval: 50ms, pools: [lan]}\n"
                                          "control: {socket: "
                                       << dir_ << "/vipd.sock}\n"
                                       << "metrics: {listen: \"\"}\n";
  }
  void TearDown() override {
    if (!dir_.empty()) testlab::run("rm -rf " + dir_);
  }

  // Runs the loop until `predicate` holds, at most `timeout`.
  template <class Predicate>
  bool run_until(boost::asio::io_context& io, Predicate predicate, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!predicate() && std::chrono::steady_clock::now() < deadline) io.run_one_for(10ms);
    return predicate();
  }

  static nlohmann::json vip(const Daemon& d, const std::string& address) {
    const auto status = d.status();
    for (const auto& v : status["vips"])
      if (v["vip"] == address) return v;
    return nullptr;
  }

  std::unique_ptr<Netns> node_;
  std::string dir_;
};

TEST_F(ReconcileLab, ANetlinkEventOnAFailoverLinkRunsExactlyOneReconcile) {
  EnterNetns inside(*node_);
  boost::asio::io_context io;
  {
    Daemon daemon(io, {{dir_ + "/vipd.yaml"}, dir_ + "/state", ""});
    ASSERT_TRUE(daemon.start().ok());
    // Owned, and answered on eth0: the master's reconcile has run.
    auto answered = [&](const char* address) {
      const auto v = vip(daemon, address);
      return v["owned"] == true && v["links"] == nlohmann::json::array({"eth0"});
    };
    ASSERT_TRUE(run_until(
        io, [&] { return answered("10.77.0.100"); }, 5s))
        << daemon.status().dump(2);
    EXPECT_EQ(vip(daemon, "10.77.0.100")["ownership"][1]["state"], "group lan/ipv4 master");

    // One netlink event (RTM_DELADDR of the group's only IPv4 address): the group faults and
    // releases, the selector drops the link, both in one reconcile.
    const auto before = daemon.reconciles();
    node_->must("ip addr del 10.77.0.1/24 dev eth0");
    ASSERT_TRUE(run_until(
        io, [&] { return daemon.reconciles() > before; }, 3s));
    // Give a second (wrong) reconcile every chance to run: proving an absence needs a window.
    io.run_for(300ms);
    EXPECT_EQ(daemon.reconciles(), before + 1) << daemon.status().dump(2);
    const auto web = vip(daemon, "10.77.0.100");
    EXPECT_EQ(web["owned"], false);
    EXPECT_TRUE(web["links"].empty()) << web.dump(2);
    EXPECT_EQ(web["reason"], "failover: group lan/ipv4 fault") << web.dump(2);
    EXPECT_EQ(vip(daemon, "10.77.0.200")["owned"], true) << "a pool in no group stays owned";

    // vipctl explain: the link table, then the ownership block; JSON keeps the selector's fields.
    const auto explained = daemon.control({{"command", "explain"}, {"vip", "10.77.0.100"}});
    ASSERT_EQ(explained["ok"], true) << explained.dump(2);
    EXPECT_EQ(explained["owned"], false);
    EXPECT_EQ(explained["decision"]["owned"], false);
    EXPECT_EQ(
        explained["decision"]["ownership"][1],
        (nlohmann::json{{"source", "failover"}, {"state", "group lan/ipv4 fault"}, {"effect", "blocks"}}));
    EXPECT_TRUE(explained["decision"]["links"].is_array());
    EXPECT_NE(explained["table"].get<std::string>().find(
                  "Ownership: not owned (silent on every link): failover: group lan/ipv4 fault\n"),
              std::string::npos)
        << explained["table"];

    // Drain: the plain pool's VIP is released by the admin source.
    daemon.control({{"command", "drain"}});
    EXPECT_EQ(vip(daemon, "10.77.0.200")["reason"], "admin: drained");

    bool done = false;
    daemon.shutdown([&] { done = true; });
    ASSERT_TRUE(run_until(
        io, [&] { return done; }, 5s));
  }
  io.restart();
  io.poll();
}

// The one-shot command runs no VRRP: a failover pool's VIP shows the group's state as unknown,
// a VIP of a pool in no group is owned.
TEST_F(ReconcileLab, OneShotExplainShowsOwnershipFromTheConfigAlone) {
  const auto grouped = node_->run(std::string(VIPD_BINARY) + " --explain 10.77.0.100 --json --config " +
                                  dir_ + "/vipd.yaml" + " --state-dir " + dir_ + "/state");
  ASSERT_EQ(grouped.exit_code, 0) << grouped.output;
  const auto j = nlohmann::json::parse(grouped.output);
  EXPECT_EQ(j["vip"], "10.77.0.100");
  EXPECT_TRUE(j["links"].is_array());
  EXPECT_EQ(j["owned"], false);
  EXPECT_EQ(j["ownership"][1]["source"], "failover");
  EXPECT_NE(j["ownership"][1]["state"].get<std::string>().find("state unknown here"), std::string::npos);

  const auto plain = node_->run(std::string(VIPD_BINARY) + " --explain 10.77.0.200 --config " + dir_ +
                                "/vipd.yaml --state-dir " + dir_ + "/state");
  ASSERT_EQ(plain.exit_code, 0) << plain.output;
  EXPECT_NE(plain.output.find("eth0"), std::string::npos) << plain.output;
  EXPECT_NE(plain.output.find(
                "Ownership: owned (answers ARP/NDP on the selected links)\n  admin  serving  allows\n"),
            std::string::npos)
      << plain.output;
}

}  // namespace
}  // namespace vipd::daemon
