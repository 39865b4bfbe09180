#pragma once
// A Clock for unit tests: time moves only when the test calls advance(), which fires every timer
// that falls due, in deadline order (ties in start order), each with now() at its deadline.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "vipd/common/clock.hpp"

namespace vipd {

class FakeClock final : public Clock {
 public:
  SteadyTime now() const override { return now_; }
  std::unique_ptr<Timer> make_timer() override { return std::make_unique<FakeTimer>(*this); }

  // Fires due timers one by one (a callback may start or cancel timers), then sets now() to now+by.
  void advance(SteadyDuration by) {
    const auto until = now_ + by;
    while (auto* next = earliest_due(until)) {
      now_ = next->deadline;
      next->armed = false;
      auto fn = std::move(next->fn);
      fn();
    }
    now_ = until;
  }
  // Timers armed now (not yet fired or cancelled).
  std::size_t pending_timers() const {
    return static_cast<std::size_t>(
        std::count_if(entries_.begin(), entries_.end(), [](const Entry* e) { return e->armed; }));
  }

 private:
  struct Entry {
    SteadyTime deadline;
    std::uint64_t order = 0;
    bool armed = false;
    std::function<void()> fn;
  };

  class FakeTimer final : public Timer {
   public:
    explicit FakeTimer(FakeClock& clock) : clock_(clock) { clock_.entries_.push_back(&entry_); }
    ~FakeTimer() override { std::erase(clock_.entries_, &entry_); }
    FakeTimer(const FakeTimer&) = delete;
    FakeTimer& operator=(const FakeTimer&) = delete;
    void start(SteadyDuration after, std::function<void()> on_expiry) override {
      entry_.deadline = clock_.now_ + after;
      entry_.order = ++clock_.order_;
      entry_.armed = true;
      entry_.fn = std::move(on_expiry);
    }
    void cancel() override {
      entry_.armed = false;
      entry_.fn = nullptr;
    }
    bool pending() const override { return entry_.armed; }

   private:
    FakeClock& clock_;
    Entry entry_;
  };

  Entry* earliest_due(SteadyTime until) {
    Entry* best = nullptr;
    for (auto* e : entries_)
      if (e->armed && e->deadline <= until &&
          (best == nullptr || e->deadline < best->deadline ||
           (e->deadline == best->deadline && e->order < best->order)))
        best = e;
    return best;
  }

  SteadyTime now_{std::chrono::hours(1)};
  std::uint64_t order_ = 0;
  std::vector<Entry*> entries_;
};

}  // namespace vipd
