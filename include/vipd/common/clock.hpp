#pragma once
// Time as an injected input (style item 5): code that waits takes a Clock& and makes its timers
// from it. The daemon passes an AsioClock (asio_clock.hpp); unit tests pass a FakeClock
// (fake_clock.hpp) and advance it by exactly the interval under test, so nothing sleeps.

#include <chrono>
#include <functional>
#include <memory>

namespace vipd {

using SteadyTime = std::chrono::steady_clock::time_point;
using SteadyDuration = std::chrono::steady_clock::duration;

// A one-shot timer. start() replaces a pending expiry; the callback runs on the clock's thread
// (the io_context's for AsioClock, the caller of FakeClock::advance for the fake). Destroying or
// cancelling a timer guarantees its callback does not run afterwards.
class Timer {
 public:
  virtual ~Timer() = default;
  virtual void start(SteadyDuration after, std::function<void()> on_expiry) = 0;
  virtual void cancel() = 0;
  virtual bool pending() const = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual SteadyTime now() const = 0;
  virtual std::unique_ptr<Timer> make_timer() = 0;
};

}  // namespace vipd
