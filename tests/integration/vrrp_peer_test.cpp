// VRRPv3 between real sockets: two node namespaces on one bridge, each running a VrrpGroup on its
// own io_context thread (inside its namespace), and keepalived 2.2.7 (vrrp_version 3) as a peer.
// Ownership is read from the on_ownership callbacks (timestamped), keepalived's from `ip addr`.
#include <gtest/gtest.h>
#include <net/if.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "integration/lab.hpp"
#include "vipd/common/log.hpp"
#include "vipd/failover/vrrp_group.hpp"

namespace vipd::testlab {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using failover::GroupSettings;
using failover::VrrpGroup;

constexpr const char* kVip = "10.0.0.100";
constexpr std::uint8_t kVrid = 51;

net::IpAddress ip(const char* text) {
  return *net::IpAddress::parse(text);
}

double ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// Master_Down_Interval (RFC 5798 §6.1) in ms for an interval in ms, plus the slack the issue allows.
std::chrono::milliseconds takeover_bound(std::chrono::milliseconds advert, std::uint8_t priority) {
  const auto cs = advert.count() / 10;
  const auto skew_cs = ((256 - priority) * cs) / 256;
  return std::chrono::milliseconds((3 * cs + skew_cs) * 10 + 20);
}

// A VrrpGroup on its own io_context thread inside a node namespace.
class Node {
 public:
  Node(const Netns& ns, std::string link, net::IpAddress primary)
      : ns_(ns), link_(std::move(link)), primary_(primary) {}
  ~Node() { stop(); }

  void start(GroupSettings settings) {
    std::promise<std::string> started;
    auto result = started.get_future();
    thread_ = std::thread([this, settings = std::move(settings), started = std::move(started)]() mutable {
      EnterNetns in(ns_);
      ifindex_ = static_cast<int>(if_nametoindex(link_.c_str()));
      group_ = std::make_unique<VrrpGroup>(io_, std::move(settings), [this](bool owned) { record(owned); });
      auto r = group_->start(ifindex_, primary_);
      started.set_value(r ? std::string() : r.error());
      if (r) io_.run();
      group_.reset();  // on this thread, in the namespace
    });
    const auto error = result.get();
    if (!error.empty()) {
      stop();
      FAIL() << error;
    }
  }

  // Runs f on the io thread and waits for it.
  template <class F>
  auto call(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto future = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return future.get();
  }

  // A crash: the loop stops, the socket closes, no priority-0 advert goes out.
  void stop() {
    guard_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  void shutdown(std::atomic<bool>& done) {
    call([&] {
      group_->shutdown([&done] { done = true; });
      return 0;
    });
  }
  void link_changed(bool usable) {
    call([&] {
      group_->link_changed(usable, primary_);
      return 0;
    });
  }
  VrrpGroup::Status status() {
    return call([&] { return group_->status(); });
  }

  bool owned() const { return owned_; }
  // Time of the last change of ownership to `value`.
  std::optional<Clock::time_point> last(bool value) const {
    std::lock_guard lock(mutex_);
    for (auto it = events_.rbegin(); it != events_.rend(); ++it) {
      if (it->second == value) return it->first;
    }
    return std::nullopt;
  }
  std::size_t ownership_changes() const {
    std::lock_guard lock(mutex_);
    return events_.size();
  }

 private:
  void record(bool owned) {
    std::lock_guard lock(mutex_);
    if (!events_.empty() && events_.back().second == owned) return;  // a re-announcement
    events_.emplace_back(Clock::now(), owned);
    owned_ = owned;
  }

  const Netns& ns_;
  std::string link_;
  net::IpAddress primary_;
  int ifindex_ = 0;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_{
      io_.get_executor()};
  std::unique_ptr<VrrpGroup> group_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<std::pair<Clock::time_point, bool>> events_;
  std::atomic<bool> owned_{false};
};

GroupSettings settings(std::uint8_t priority, std::chrono::milliseconds advert, bool preempt = true) {
  GroupSettings s;
  s.name = "lan";
  s.interface = "eth0";
  s.vrid = kVrid;
  s.priority = priority;
  s.advert_interval = advert;
  s.preempt = preempt;
  s.addresses = {ip(kVip)};
  s.family = net::Family::v4;
  return s;
}

class VrrpLab : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!is_root()) GTEST_SKIP() << "network-namespace tests need root";
    const std::string prefix = unique_name("vr");
    sw_ = std::make_unique<Switch>(prefix);
    n1_ = std::make_unique<Netns>(prefix + "n1");
    n2_ = std::make_unique<Netns>(prefix + "n2");
    port1_ = sw_->plug(*n1_, "eth0", "02:77:00:00:51:01");
    port2_ = sw_->plug(*n2_, "eth0", "02:77:00:00:51:02");
    // One command per call: `ip netns exec` wraps only the first command of a shell list.
    for (const auto& [ns, id] : {std::pair{n1_.get(), "1"}, std::pair{n2_.get(), "2"}}) {
      ns->must(std::string("ip addr add 10.0.0.") + id + "/24 dev eth0");
      ns->must(std::string("ip addr add fd51::") + id + "/64 dev eth0 nodad");
      ns->must("ip link set eth0 up");
    }
    dir_ = "/tmp/" + prefix;
    must("mkdir -p " + dir_);
    log::configure("info");
  }
  void TearDown() override {
    if (!dir_.empty()) run("rm -rf " + dir_);
  }

  // Only `owner` owns, and no ownership changes on either node while `backup` hears `adverts` more
  // of its adverts (the period, counted in adverts: more than three make a Master_Down_Interval).
  static ::testing::AssertionResult sole_owner_while(Node& owner, Node& backup, std::uint64_t adverts) {
    const auto changes = std::pair{owner.ownership_changes(), backup.ownership_changes()};
    const auto heard = backup.status().adverts_received;
    if (!owner.owned() || backup.owned())
      return ::testing::AssertionFailure() << "not the sole owner at the start";
    auto waited = wait_until([&] { return backup.status().adverts_received >= heard + adverts; }, 5s,
                             std::to_string(adverts) + " adverts heard by the backup");
    if (!waited) return waited;
    if (!owner.owned() || backup.owned() ||
        changes != std::pair{owner.ownership_changes(), backup.ownership_changes()})
      return ::testing::AssertionFailure() << "ownership changed while " << adverts << " adverts went by";
    return ::testing::AssertionSuccess();
  }

  // Election, link cut (the backup takes over within Master_Down_Interval + 20 ms), link back.
  void failover_on_link_cut(std::chrono::milliseconds advert, bool preempt);

  // keepalived in n1 (10.0.0.1) with `priority`, multicast, same VRID and VIP.
  std::unique_ptr<Process> start_keepalived(std::uint8_t priority, std::chrono::milliseconds advert) {
    const std::string conf = dir_ + "/keepalived.conf";
    std::ofstream(conf) << "global_defs {\n"
                           "    router_id vipd-lab\n"
                           "    vrrp_version 3\n"
                           "    script_user root\n"
                           "    enable_script_security\n"
                           "}\n"
                           "vrrp_instance VI_LAB {\n"
                           "    state BACKUP\n"
                           "    interface eth0\n"
                           "    virtual_router_id "
                        << int{kVrid}
                        << "\n"
                           "    priority "
                        << int{priority}
                        << "\n"
                           "    advert_int "
                        << advert.count() / 1000.0
                        << "\n"
                           "    virtual_ipaddress {\n"
                           "        "
                        << kVip
                        << "/24 dev eth0\n"
                           "    }\n"
                           "}\n";
    // -P VRRP only, -n no daemon, -R no respawn of a killed child, per-lab pid files (never the
    // machine's /etc/keepalived or /run defaults).
    return std::make_unique<Process>(
        n1_.get(),
        std::vector<std::string>{"keepalived", "-P", "-n", "-R", "-l", "-D", "-G", "-f", conf, "-p",
                                 dir_ + "/keepalived.pid", "-r", dir_ + "/vrrp.pid", "-c",
                                 dir_ + "/checkers.pid"},
        dir_ + "/keepalived.log");
  }
  bool keepalived_has_vip() const {
    return n1_->run("ip -4 -o addr show dev eth0").output.find(std::string(" ") + kVip + "/") !=
           std::string::npos;
  }
  pid_t keepalived_vrrp_pid() const {
    std::ifstream in(dir_ + "/vrrp.pid");
    pid_t pid = -1;
    in >> pid;
    return pid;
  }

  std::unique_ptr<Switch> sw_;
  std::unique_ptr<Netns> n1_, n2_;
  std::string port1_, port2_, dir_;
};

void VrrpLab::failover_on_link_cut(std::chrono::milliseconds advert, bool preempt) {
  Node a(*n1_, "eth0", ip("10.0.0.1"));
  Node b(*n2_, "eth0", ip("10.0.0.2"));
  a.start(settings(150, advert, preempt));
  b.start(settings(100, advert, preempt));
  ASSERT_TRUE(wait_until([&] { return a.owned(); }, 3s));
  EXPECT_TRUE(sole_owner_while(a, b, 11)) << "exactly one master";
  EXPECT_EQ(b.status().state, "backup");
  EXPECT_EQ(b.status().master_address, "10.0.0.1");
  EXPECT_GT(b.status().adverts_received, 0u);

  // Crash-like: the master's bridge port goes down; the master itself is told (the daemon's netlink
  // watcher sees the carrier go) and releases at once.
  // Measured from the last advert the backup heard (the issue's "takeover after the last advert");
  // the time of the `ip link` command itself (a fork + exec, tens of ms on a loaded machine) only
  // shows in the second figure.
  const auto cut = Clock::now();
  sw_->ns().must("ip link set " + port1_ + " down");
  a.link_changed(false);
  EXPECT_FALSE(a.owned());
  ASSERT_TRUE(wait_until([&] { return b.owned(); }, 3s));
  const auto last_advert = b.status().last_advert;
  ASSERT_TRUE(last_advert.has_value());
  const auto took = *b.last(true) - *last_advert;
  const auto bound = takeover_bound(advert, 100);
  std::printf(
      "[ measure ] advert %lld ms: last advert -> backup owns in %.1f ms (bound %lld ms); "
      "from the cut command %.1f ms\n",
      static_cast<long long>(advert.count()), ms(took), static_cast<long long>(bound.count()),
      ms(*b.last(true) - cut));
  EXPECT_LE(took, bound);
  EXPECT_EQ(a.status().state, "fault");

  // Back: preempt makes the higher priority master again; without it, it stays backup.
  sw_->ns().must("ip link set " + port1_ + " up");
  a.link_changed(true);
  if (preempt) {
    ASSERT_TRUE(wait_until([&] { return a.owned() && !b.owned(); }, 3s));
    EXPECT_EQ(b.status().state, "backup");
    EXPECT_EQ(a.status().last_transition_reason, "master_down_timer");
  } else {
    EXPECT_TRUE(sole_owner_while(b, a, static_cast<std::uint64_t>(10 + 300ms / advert))) << "no preemption";
    EXPECT_EQ(a.status().state, "backup");
    EXPECT_EQ(a.status().master_address, "10.0.0.2");
  }
}

TEST_F(VrrpLab, LinkCutFailoverAndPreemptionAt100ms) {
  failover_on_link_cut(100ms, true);
}

TEST_F(VrrpLab, LinkCutFailoverWithoutPreemptionAt20ms) {
  failover_on_link_cut(20ms, false);
}

TEST_F(VrrpLab, PlannedShutdownHandsOverWithoutGap) {
  Node a(*n1_, "eth0", ip("10.0.0.1"));
  Node b(*n2_, "eth0", ip("10.0.0.2"));
  a.start(settings(150, 100ms));
  b.start(settings(100, 100ms));
  ASSERT_TRUE(wait_until([&] { return a.owned() && !b.owned(); }, 3s));
  ASSERT_TRUE(sole_owner_while(a, b, 3));

  std::atomic<bool> done{false};
  const auto stop = Clock::now();
  a.shutdown(done);
  ASSERT_TRUE(wait_until([&] { return done.load(); }, 3s));
  ASSERT_TRUE(b.owned());
  const auto b_owns = *b.last(true);
  const auto a_released = *a.last(false);
  std::printf(
      "[ measure ] planned stop: backup owns %.1f ms after the stop (skew 60 ms), "
      "old master released %.1f ms after that (overlap)\n",
      ms(b_owns - stop), ms(a_released - b_owns));
  EXPECT_LE(b_owns, a_released) << "a window where nobody owned the VIPs";
  EXPECT_LT(b_owns - stop, 60ms + 40ms) << "took over after skew time, not master down";
  EXPECT_EQ(a.status().state, "initialize");
  EXPECT_EQ(a.status().last_transition_reason, "handover_complete");
}

TEST_F(VrrpLab, Ipv6PairElectsAndFailsOver) {
  auto link_local = [](const Netns& ns) {
    const auto out = ns.must("ip -6 -o addr show dev eth0 scope link");
    std::smatch m;
    if (!std::regex_search(out, m, std::regex(R"(inet6 (fe80::[0-9a-f:]+)/64)")))
      throw std::runtime_error(out);
    return ip(m[1].str().c_str());
  };
  ASSERT_TRUE(wait_until(
      [&] {
        return n1_->run("ip -6 -o addr show dev eth0 scope link").output.find("fe80") != std::string::npos &&
               n2_->run("ip -6 -o addr show dev eth0 scope link").output.find("fe80") != std::string::npos;
      },
      3s));
  const auto ll1 = link_local(*n1_);
  const auto ll2 = link_local(*n2_);
  Node a(*n1_, "eth0", ll1);
  Node b(*n2_, "eth0", ll2);
  auto s6 = [](std::uint8_t priority) {
    auto s = settings(priority, 50ms);
    s.family = net::Family::v6;
    s.addresses = {ip("fd51::100")};
    return s;
  };
  a.start(s6(150));
  b.start(s6(100));
  ASSERT_TRUE(wait_until([&] { return a.owned(); }, 3s));
  EXPECT_TRUE(sole_owner_while(a, b, 10));
  EXPECT_EQ(b.status().master_address, ll1.to_string());
  a.stop();  // crash: adverts stop
  ASSERT_TRUE(wait_until([&] { return b.owned(); }, 3s));
}

TEST_F(VrrpLab, KeepalivedBackupTakesOverFromVipd) {
  Node b(*n2_, "eth0", ip("10.0.0.2"));
  b.start(settings(150, 100ms));
  ASSERT_TRUE(wait_until([&] { return b.owned(); }, 3s));
  auto keepalived = start_keepalived(100, 100ms);
  ASSERT_TRUE(wait_until([&] { return keepalived_vrrp_pid() > 0; }, 5s)) << keepalived->log();
  // keepalived hears vipd's adverts: it stays backup (no VIP) well past its master-down interval.
  // Proving that it stays silent needs a period of time: a backup keepalived shows no state to poll.
  std::this_thread::sleep_for(1s);
  EXPECT_FALSE(keepalived_has_vip()) << keepalived->log();
  EXPECT_TRUE(b.owned());
  EXPECT_EQ(b.status().state, "master");

  // Planned stop of vipd: keepalived takes over after its skew time; vipd releases when it hears it.
  std::atomic<bool> done{false};
  const auto stop = Clock::now();
  b.shutdown(done);
  ASSERT_TRUE(wait_until([&] { return keepalived_has_vip(); }, 3s)) << keepalived->log();
  const auto ka_owns = Clock::now();  // polled: an upper bound
  ASSERT_TRUE(wait_until([&] { return done.load(); }, 3s));
  EXPECT_EQ(b.status().last_transition_reason, "handover_complete") << "vipd heard keepalived's advert";
  std::printf("[ measure ] vipd planned stop -> keepalived has the VIP within %.1f ms\n", ms(ka_owns - stop));

  // vipd back at priority 150: it preempts keepalived, which drops the VIP; then a crash of vipd
  // (no priority 0) hands the VIP back to keepalived on its timers.
  Node c(*n2_, "eth0", ip("10.0.0.2"));
  c.start(settings(150, 100ms));
  ASSERT_TRUE(wait_until([&] { return c.owned() && !keepalived_has_vip(); }, 3s)) << keepalived->log();
  const auto crash = Clock::now();
  c.stop();
  ASSERT_TRUE(wait_until([&] { return keepalived_has_vip(); }, 3s)) << keepalived->log();
  std::printf("[ measure ] vipd crash -> keepalived has the VIP within %.1f ms\n", ms(Clock::now() - crash));
  keepalived->stop();
}

TEST_F(VrrpLab, VipdBackupTakesOverFromKeepalived) {
  auto keepalived = start_keepalived(150, 100ms);
  ASSERT_TRUE(wait_until([&] { return keepalived_has_vip(); }, 5s)) << keepalived->log();
  Node b(*n2_, "eth0", ip("10.0.0.2"));
  b.start(settings(100, 100ms));
  // keepalived's adverts keep vipd backup over ten of them (1 s, well past its Master_Down_Interval);
  // vipd knows who the master is.
  ASSERT_TRUE(wait_until([&] { return b.status().adverts_received >= 10; }, 3s, "ten adverts of keepalived"));
  EXPECT_FALSE(b.owned());
  EXPECT_EQ(b.ownership_changes(), 0u) << "owned at some point while keepalived was master";
  EXPECT_EQ(b.status().state, "backup");
  EXPECT_EQ(b.status().master_address, "10.0.0.1");

  // Crash of keepalived's VRRP process (SIGKILL, no priority 0): vipd takes over on its timers.
  const pid_t vrrp = keepalived_vrrp_pid();
  ASSERT_GT(vrrp, 0);
  const auto crash = Clock::now();
  ASSERT_EQ(::kill(vrrp, SIGKILL), 0);
  ASSERT_TRUE(wait_until([&] { return b.owned(); }, 3s));
  // The dead instance leaves its VIP on the interface (keepalived's known kill -9 split brain).
  n1_->run(std::string("ip addr del ") + kVip + "/24 dev eth0");
  const auto took = *b.last(true) - *b.status().last_advert;
  std::printf(
      "[ measure ] keepalived kill -9: last advert -> vipd owns in %.1f ms (bound %lld ms), %.1f ms "
      "after the kill\n",
      ms(took), static_cast<long long>(takeover_bound(100ms, 100).count()), ms(*b.last(true) - crash));
  EXPECT_LE(took, takeover_bound(100ms, 100));
  keepalived->stop();

  // A fresh keepalived at 150 preempts vipd (vipd releases), then a graceful stop (SIGTERM,
  // priority 0) hands the VIP back to vipd after skew time.
  run("rm -f " + dir_ + "/*.pid");
  auto again = start_keepalived(150, 100ms);
  ASSERT_TRUE(wait_until([&] { return keepalived_has_vip() && !b.owned(); }, 5s)) << again->log();
  EXPECT_EQ(b.status().last_transition_reason, "higher_priority");
  const auto stop = Clock::now();
  again->stop(SIGTERM);
  ASSERT_TRUE(wait_until([&] { return b.owned(); }, 3s)) << again->log();
  const auto graceful = *b.last(true) - stop;
  std::printf("[ measure ] keepalived SIGTERM -> vipd owns in %.1f ms\n", ms(graceful));
  EXPECT_LT(graceful, takeover_bound(100ms, 100)) << "priority 0 heard: skew time, not master down";
}

TEST_F(VrrpLab, UnicastPeersElectAndFailOver) {
  Node a(*n1_, "eth0", ip("10.0.0.1"));
  Node b(*n2_, "eth0", ip("10.0.0.2"));
  auto sa = settings(150, 50ms);
  sa.unicast_peers = {ip("10.0.0.2")};
  auto sb = settings(100, 50ms);
  sb.unicast_peers = {ip("10.0.0.1")};
  a.start(sa);
  b.start(sb);
  ASSERT_TRUE(wait_until([&] { return a.owned(); }, 3s));
  EXPECT_TRUE(sole_owner_while(a, b, 10));
  EXPECT_EQ(b.status().master_address, "10.0.0.1");
  a.stop();  // crash
  ASSERT_TRUE(wait_until([&] { return b.owned(); }, 3s));
}

TEST_F(VrrpLab, StartRefusesSettingsTheProtocolCannotCarry) {
  boost::asio::io_context io;
  auto refused = [&](GroupSettings s, const net::IpAddress& primary) {
    VrrpGroup group(io, std::move(s), [](bool) {});
    auto r = group.start(1, primary);
    return r ? std::string() : r.error();
  };
  EXPECT_NE(refused(settings(255, 100ms), ip("10.0.0.1")), "") << "address owner";
  EXPECT_NE(refused(settings(100, 15ms), ip("10.0.0.1")), "") << "not whole centiseconds";
  auto v6 = settings(100, 100ms);
  v6.family = net::Family::v6;
  v6.addresses = {ip("fd51::100")};
  EXPECT_NE(refused(v6, ip("fd51::1")), "") << "IPv6 adverts come from a link-local address";
  EXPECT_NE(refused(settings(100, 100ms), ip("fe80::1")), "") << "family mismatch";
}

}  // namespace
}  // namespace vipd::testlab
