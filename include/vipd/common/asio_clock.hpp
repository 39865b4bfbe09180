#pragma once
// The real Clock: std::chrono::steady_clock and boost::asio::steady_timer on one io_context.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <utility>

#include "vipd/common/clock.hpp"

namespace vipd {

class AsioClock final : public Clock {
 public:
  explicit AsioClock(boost::asio::io_context& io) : io_(io) {}
  SteadyTime now() const override { return std::chrono::steady_clock::now(); }
  std::unique_ptr<Timer> make_timer() override { return std::make_unique<AsioTimer>(io_); }

 private:
  class AsioTimer final : public Timer {
   public:
    explicit AsioTimer(boost::asio::io_context& io) : timer_(io) {}
    ~AsioTimer() override {
      *alive_ = false;  // a queued expiry sees it and does nothing; cancelling is then only tidying
      boost::system::error_code ignored;
      timer_.cancel(ignored);
    }
    AsioTimer(const AsioTimer&) = delete;
    AsioTimer& operator=(const AsioTimer&) = delete;
    void start(SteadyDuration after, std::function<void()> on_expiry) override {
      // A generation number, not only the error code: an expiry already queued when start() or
      // cancel() ran must not fire.
      const auto generation = ++generation_;
      pending_ = true;
      timer_.expires_after(after);
      timer_.async_wait(
          [this, alive = alive_, generation, fn = std::move(on_expiry)](const boost::system::error_code& ec) {
            if (ec || !*alive || generation != generation_) return;
            pending_ = false;
            fn();
          });
    }
    void cancel() override {
      ++generation_;
      pending_ = false;
      timer_.cancel();
    }
    bool pending() const override { return pending_; }

   private:
    boost::asio::steady_timer timer_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    std::uint64_t generation_ = 0;
    bool pending_ = false;
  };

  boost::asio::io_context& io_;
};

}  // namespace vipd
