#pragma once
// The layer-2 plane: the link handles, the responder's table, the solicited-node memberships, the
// gratuitous announcements and the conflict log of the VIPs this node answers for. It takes its
// I/O through an injected l2::LinkIoFactory and its time through a vipd::Clock (style items 5 and
// 11), so apply() is unit-tested with fakes, without root and without sleeping.
//
// The daemon computes what should be answered (desired_l2) and hands it to apply(); the plane makes
// it so, in this order: open handles on newly needed links (a moved VIP is never unanswered), set
// the responder's table (bindings whose link has a handle), follow the solicited-node groups, log
// and announce the difference, close handles nothing needs. A failed open, or a handle whose reads
// stopped, is retried with backoff without waiting for another input.

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "vipd/common/clock.hpp"
#include "vipd/config/model.hpp"
#include "vipd/daemon/desired.hpp"
#include "vipd/l2/link_io.hpp"
#include "vipd/l2/responder.hpp"
#include "vipd/netlink/snapshot.hpp"

namespace vipd::daemon {

class L2Plane {
 public:
  using BindingKey = std::pair<int, net::IpAddress>;  // (ifindex, VIP)

  struct Options {
    // Reopening a link whose open failed or whose reads stopped: first after `retry_initial`,
    // doubling up to `retry_max` while it keeps failing.
    SteadyDuration retry_initial = std::chrono::milliseconds(100);
    SteadyDuration retry_max = std::chrono::seconds(5);
  };

  struct Conflict {
    netlink::MacAddress mac{};
    int ifindex = 0;
    SteadyTime at{};
  };

  L2Plane(l2::LinkIoFactory& factory, Clock& clock);
  L2Plane(l2::LinkIoFactory& factory, Clock& clock, Options options);
  ~L2Plane();
  L2Plane(const L2Plane&) = delete;
  L2Plane& operator=(const L2Plane&) = delete;

  // Answers `desired` on the links of `links`; `cause` ends the per-binding log lines
  // ("reload", "netlink", "failover: master"...). Bindings and standby links are remembered, so
  // retries and reopened handles need no new call.
  void apply(const DesiredL2& desired, netlink::SnapshotPtr links, const config::Gratuitous& gratuitous,
             const char* cause);
  // Announces the bindings of these VIPs again (a new wave of `count` bursts).
  void reannounce(const std::set<net::IpAddress>& vips);
  // Shutdown: stops announcing, leaves the groups, empties the responder's table (logging each
  // binding "released (shutdown)") and closes every handle. apply() may open them again.
  void release_all();

  // What status, metrics and the systemd status line read.
  // Bindings answered now, each with the announcement wave it belongs to (0: none running).
  const std::map<BindingKey, std::uint64_t>& bindings() const { return bindings_; }
  std::size_t vip_count() const;  // distinct VIPs answered on at least one link
  std::map<net::IpAddress, std::vector<int>> links_by_vip() const;
  std::size_t handle_count() const { return handles_.size(); }
  struct LinkStatus {
    std::string name;
    int ifindex = 0;
    std::size_t vips = 0;
    l2::LinkStats stats;
    std::size_t multicast_groups = 0;
  };
  std::vector<LinkStatus> link_status() const;  // one per open handle, by ifindex
  const l2::Responder& responder() const { return responder_; }
  const std::map<net::IpAddress, Conflict>& last_conflicts() const { return last_conflict_; }
  // Memberships this plane holds: (ifindex, solicited-node group MAC).
  const std::set<std::pair<int, netlink::MacAddress>>& memberships() const { return memberships_; }
  // Announcement waves still running (each holds one timer).
  std::size_t announcement_waves() const { return waves_.size(); }

  // One received frame (what the handles call): answer, count, log a conflict once per (VIP, MAC).
  // Allocates nothing unless it records a conflict.
  void on_frame(int ifindex, std::span<const std::uint8_t> frame);

 private:
  struct Wave;
  struct Retry {
    std::unique_ptr<Timer> timer;
    SteadyDuration delay{};
    bool read_stopped = false;  // the handle was lost, not never opened: no per-VIP log lines
  };

  void reconcile(const char* cause);
  void open_handles(const std::set<int>& needed);
  void schedule_retry(int ifindex, bool read_stopped);
  void on_read_stopped(int ifindex);
  void start_wave(std::vector<BindingKey> keys);
  void run_wave(std::uint64_t id);
  bool send_gratuitous(const BindingKey& key);
  void schedule_refresh();
  std::string link_name(int ifindex) const;

  l2::LinkIoFactory& factory_;
  Clock& clock_;
  Options options_;
  netlink::SnapshotPtr links_;
  config::Gratuitous gratuitous_;
  std::vector<l2::Binding> desired_bindings_;  // the last apply()'s, for retries
  std::vector<int> standby_links_;
  l2::Responder responder_;
  std::map<int, std::unique_ptr<l2::LinkIo>> handles_;         // ifindex -> open handle
  std::map<int, Retry> retries_;                               // ifindex -> reopen pending
  std::set<std::pair<int, netlink::MacAddress>> memberships_;  // solicited-node groups joined
  // Answered now -> its latest announcement wave. One timer per wave (the bindings added by one
  // apply or one reannounce), not one per binding: a wave skips bindings that left it.
  std::map<BindingKey, std::uint64_t> bindings_;
  std::map<std::uint64_t, std::unique_ptr<Wave>> waves_;
  std::uint64_t next_wave_ = 0;
  std::unique_ptr<Timer> refresh_timer_;
  config::Duration refresh_period_{};
  std::set<std::pair<net::IpAddress, netlink::MacAddress>> conflicts_logged_;
  std::map<net::IpAddress, Conflict> last_conflict_;
  std::array<std::uint8_t, 256> reply_buffer_{};
};

}  // namespace vipd::daemon
