// VrrpGroup with a FakeClock: the FSM's timers (master down, advert, handover) fire only when the
// test advances the clock, by exactly the RFC 5798 interval. The raw socket is real, so the group
// runs on a veth in a private network namespace (root only; skipped otherwise).
#include "vipd/failover/vrrp_group.hpp"

#include <net/if.h>
#include <sched.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "vipd/common/fake_clock.hpp"
#include "vipd/failover/vrrp_fsm.hpp"

namespace vipd::failover {
namespace {

using namespace std::chrono_literals;

// Runs `body` on a thread of its own inside a fresh network namespace holding a veth pair v0/v1
// (v0: 10.0.0.1/24), both up. Returns what went wrong setting it up ("" when body ran).
template <class Body>
std::string in_private_netns(Body body) {
  std::string error;
  std::thread t([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      error = "unshare(CLONE_NEWNET) failed";
      return;
    }
    // std::system forks from this thread: the commands run in its namespace.
    if (std::system("ip link set lo up && ip link add v0 type veth peer name v1 && "
                    "ip addr add 10.0.0.1/24 dev v0 && ip link set v1 up && ip link set v0 up") != 0) {
      error = "cannot set up the veth pair";
      return;
    }
    body();
  });
  t.join();
  return error;
}

GroupSettings lan() {
  GroupSettings s;
  s.name = "lan";
  s.interface = "v0";
  s.vrid = 51;
  s.priority = 100;
  s.advert_interval = 100ms;
  s.addresses = {*net::IpAddress::parse("10.0.0.100")};
  s.family = net::Family::v4;
  return s;
}

TEST(VrrpGroupClock, TakesOverAtMasterDownIntervalAndReleasesAtTheHandoverBound) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (raw socket, network namespace)";
  // Priority 100 at 100 ms: 3 x 10 cs + (256 - 100) x 10 / 256 cs = 36 cs.
  ASSERT_EQ(master_down_interval(100, Centiseconds(10)), Centiseconds(36));
  ASSERT_EQ(handover_bound(Centiseconds(10)), Centiseconds(30));
  const auto error = in_private_netns([] {
    boost::asio::io_context io;
    FakeClock clock;
    std::vector<bool> ownership;
    VrrpGroup group(
        io, lan(), [&](bool owned) { ownership.push_back(owned); }, clock);
    const auto started =
        group.start(static_cast<int>(if_nametoindex("v0")), *net::IpAddress::parse("10.0.0.1"));
    ASSERT_TRUE(started.ok()) << started.error();
    EXPECT_EQ(group.status().state, "backup");
    EXPECT_GT(clock.pending_timers(), 0u) << "the master-down timer is the clock's";

    // Nobody advertises: backup until exactly Master_Down_Interval, master from then on.
    clock.advance(359ms);
    EXPECT_FALSE(group.owned());
    EXPECT_EQ(group.status().state, "backup");
    clock.advance(1ms);
    EXPECT_TRUE(group.owned());
    EXPECT_EQ(group.status().state, "master");
    EXPECT_EQ(group.status().last_transition_reason, "master_down_timer");
    EXPECT_EQ(ownership, std::vector<bool>{true});

    // Planned stop with nobody to take over: priority 0 sent, still answering until 3 x advert.
    bool done = false;
    group.shutdown([&] { done = true; });
    EXPECT_TRUE(group.owned());
    clock.advance(299ms);
    EXPECT_TRUE(group.owned()) << "released before the handover bound";
    clock.advance(1ms);
    EXPECT_FALSE(group.owned());
    EXPECT_EQ(group.status().state, "initialize");
    EXPECT_EQ(group.status().last_transition_reason, "handover_timeout");
    EXPECT_EQ(ownership, (std::vector<bool>{true, false}));
    io.restart();
    io.poll();  // done() is posted, never called inline
    EXPECT_TRUE(done);
  });
  ASSERT_EQ(error, "");
}

}  // namespace
}  // namespace vipd::failover
