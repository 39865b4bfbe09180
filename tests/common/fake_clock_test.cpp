#include "vipd/common/fake_clock.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace std::chrono_literals;

namespace vipd {
namespace {

TEST(FakeClock, FiresDueTimersInDeadlineOrderWithNowAtTheirDeadline) {
  FakeClock clock;
  const auto start = clock.now();
  auto a = clock.make_timer();
  auto b = clock.make_timer();
  std::string fired;
  a->start(300ms, [&] {
    fired += "a";
    EXPECT_EQ(clock.now() - start, 300ms);
  });
  b->start(100ms, [&] {
    fired += "b";
    EXPECT_EQ(clock.now() - start, 100ms);
  });
  clock.advance(99ms);
  EXPECT_EQ(fired, "");
  clock.advance(1s);
  EXPECT_EQ(fired, "ba");
  EXPECT_EQ(clock.now() - start, 1099ms);
  EXPECT_EQ(clock.pending_timers(), 0u);
}

TEST(FakeClock, CancelRestartAndDestroyStopACallback) {
  FakeClock clock;
  int fired = 0;
  auto t = clock.make_timer();
  t->start(10ms, [&] { ++fired; });
  t->cancel();
  EXPECT_FALSE(t->pending());
  clock.advance(20ms);
  EXPECT_EQ(fired, 0);
  t->start(10ms, [&] { ++fired; });
  t->start(30ms, [&] { fired += 10; });  // replaces the first expiry
  clock.advance(20ms);
  EXPECT_EQ(fired, 0);
  clock.advance(10ms);
  EXPECT_EQ(fired, 10);
  t->start(5ms, [&] { ++fired; });
  t.reset();
  clock.advance(10ms);
  EXPECT_EQ(fired, 10);
}

TEST(FakeClock, ACallbackMayRearmItsOwnTimer) {
  FakeClock clock;
  auto t = clock.make_timer();
  int ticks = 0;
  std::function<void()> tick = [&] {
    if (++ticks < 5) t->start(100ms, tick);
  };
  t->start(100ms, tick);
  clock.advance(1s);
  EXPECT_EQ(ticks, 5);
}

}  // namespace
}  // namespace vipd
