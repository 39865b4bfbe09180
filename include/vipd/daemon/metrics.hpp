#pragma once
// Prometheus metrics (prometheus-cpp pull exposer). Nothing is mirrored into prometheus counters:
// at scrape time a Collectable asks the daemon for a MetricsSnapshot on the io_context thread and
// builds the metric families from it, so the daemon's state is only ever read by its own thread.

#include <boost/asio/io_context.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "vipd/common/result.hpp"

namespace prometheus {
class Exposer;
}

namespace vipd::daemon {

struct MetricsSnapshot {  // plain values, filled by the daemon on its own thread
  struct Vip {
    std::string vip, service, pool, interface;  // one per (vip, interface); interface "" if none
    bool owned = false;
    std::uint64_t requests = 0, replies = 0, gratuitous = 0, conflicts = 0;
  };
  struct LinkDrops {
    std::string interface, reason;
    std::uint64_t count = 0;
  };
  struct BgpPeer {
    std::string peer;
    bool up = false;
    std::uint64_t announced_prefixes = 0, updates_sent = 0;
    // NOTIFICATIONs by error code (index = code, 0 = unknown code), as bgp::PeerStatus counts them.
    std::array<std::uint64_t, 8> notifications_sent{}, notifications_received{};
  };
  struct FailoverGroup {  // one per VRRP instance (group and address family)
    std::string group, family;
    bool master = false;
    std::uint64_t adverts_received = 0;
    std::array<std::uint64_t, 5> transitions_to{};  // by failover::State
  };
  std::vector<Vip> vips;
  std::vector<LinkDrops> drops;
  std::vector<BgpPeer> bgp;
  std::vector<FailoverGroup> failover;
  bool last_reload_success = true;
  double last_reload_timestamp_seconds = 0;
};

// The text exposition of one snapshot (pure; what a scrape returns for it).
std::string render_snapshot(const MetricsSnapshot& snapshot);

class Metrics {
 public:
  // listen: "127.0.0.1:9477" or "[::1]:9477" (empty = disabled: start() is a no-op). The provider is
  // called on the io_context thread; a scrape waits at most provider_timeout for it and otherwise
  // serves the last good snapshot (the loop is busy or not running).
  Metrics(boost::asio::io_context& io, std::string listen, std::function<MetricsSnapshot()> provider,
          std::chrono::milliseconds provider_timeout = std::chrono::milliseconds(1000));
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Binds the HTTP listener (GET /metrics). A malformed or unbindable address is an error value
  // naming it.
  Result<void, std::string> start();
  // Stops the listener (joins its threads; waiting scrapes are released at once). Idempotent.
  void stop();
  // For process exit: scrapes stop reaching the daemon at once, and the HTTP threads are left to
  // die with the process instead of joined (civetweb's stop can take a second, which SIGTERM's
  // "exit within one second" cannot afford). The object is unusable afterwards.
  void abandon();

  // For tests: the text exposition of one collection (same path as a scrape, from any thread).
  std::string render_text();
  // The TCP port actually bound (useful with port 0), 0 when not listening.
  int port() const;

 private:
  class Collector;
  struct Core;

  std::string listen_;
  std::shared_ptr<Core> core_;
  std::shared_ptr<Collector> collector_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace vipd::daemon
