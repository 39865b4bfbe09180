#pragma once
// The node daemon: one Asio loop where every input (netlink event, reload, signal) re-runs the
// pure selection and a reconcile step that hands the result to the L2 plane (link handles, the
// responder's table, announcements: l2_plane.hpp).

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "vipd/bgp/speaker.hpp"
#include "vipd/common/asio_clock.hpp"
#include "vipd/common/result.hpp"
#include "vipd/daemon/control_server.hpp"
#include "vipd/daemon/desired.hpp"
#include "vipd/daemon/failover_groups.hpp"
#include "vipd/daemon/l2_plane.hpp"
#include "vipd/daemon/loaded_config.hpp"
#include "vipd/daemon/local_delivery.hpp"
#include "vipd/daemon/metrics.hpp"
#include "vipd/l2/packet_io.hpp"
#include "vipd/l2/responder.hpp"
#include "vipd/netlink/watcher.hpp"
#include "vipd/selector/selector.hpp"

namespace vipd::daemon {

struct DaemonOptions {
  std::vector<std::string> config_files;
  std::string state_dir;
  std::string log_level;  // empty: the config's log-level
};

// Runs the daemon in the foreground until SIGTERM/SIGINT; SIGHUP reloads. Returns the exit code.
int run_daemon(const DaemonOptions& options);

class Daemon {
 public:
  Daemon(boost::asio::io_context& io, DaemonOptions options);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Loads the config, persists allocations, starts watching links. Errors are formatted lines.
  Result<void, std::string> start();
  // Validates the new config first; on any error keeps everything as it is and returns the errors.
  Result<void, std::string> reload();
  // Planned stop. Failover groups first hand over (priority 0; a master keeps answering until the
  // new master is heard, at most 3 x advert); then every VIP is released (handles closed,
  // memberships left), watching stops, and BGP peers get a Cease/Administrative Shutdown; `done`
  // runs when the peers are told (bounded by the speaker). A second call during the handover
  // releases at once.
  void shutdown(std::function<void()> done = {});
  // drain: stop owning this node's layer2 VIPs (pools in no failover group: released at once;
  // failover groups: handed over as on shutdown); undrain: own them again (groups rejoin as backup).
  void set_drained(bool drained);

  // The control socket's requests: status, explain VIP, reload, drain, undrain (JSON in and out).
  nlohmann::json control(const nlohmann::json& request);
  nlohmann::json status() const;
  MetricsSnapshot metrics_snapshot() const;
  // One line for systemd's STATUS=: "3 VIPs on 2 links".
  std::string status_line() const;

  const l2::Responder& responder() const { return plane_.responder(); }
  // Reconciles run since start: changes posted in one loop turn coalesce into one (design §9).
  std::uint64_t reconciles() const { return reconciles_; }

 private:
  void apply_config(LoadedConfig loaded, selector::Policy policy);
  void configure_failover();
  void on_failover(const FailoverGroups::Change& change);
  // Every ownership source's state now (drain, failover groups; health and cluster later).
  ownership::Inputs ownership_inputs() const;
  void finish_shutdown(std::function<void()> done);
  void on_links(netlink::SnapshotPtr snapshot, netlink::ChangeKind kind);
  // Sources post their changes: the first request of a loop turn posts one reconcile, later ones
  // only add their cause to it.
  void request_reconcile(const char* cause);
  void reconcile();
  void apply_bgp_routes(bool force);
  void persist_state();
  void apply_local_delivery();
  std::vector<net::IpAddress> locally_delivered() const;
  void start_services();
  void schedule_watchdog();
  nlohmann::json bgp_status() const;

  boost::asio::io_context& io_;
  DaemonOptions options_;
  LoadedConfig config_;
  selector::Policy policy_;
  std::unique_ptr<netlink::Watcher> watcher_;
  netlink::SnapshotPtr links_;
  AsioClock clock_;
  l2::PacketIoFactory link_io_;
  L2Plane plane_;  // handles, responder table, memberships, announcements, conflicts
  std::map<net::IpAddress, std::vector<int>> vip_links_;  // for "VIP has no link" logs
  std::unique_ptr<Timer> watchdog_timer_;
  std::unique_ptr<ControlServer> control_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<LocalDelivery> local_delivery_;
  std::unique_ptr<bgp::Speaker> bgp_;
  std::unique_ptr<FailoverGroups> failover_;
  std::string control_socket_;
  std::string metrics_listen_;
  bool last_reload_success_ = true;
  double last_reload_timestamp_ = 0;
  SteadyTime started_;
  bool drained_ = false;
  bool stopped_ = false;
  bool handing_over_ = false;  // shutdown() waits for the failover groups' handover
  bool reconcile_posted_ = false;
  std::string reconcile_causes_;  // "link change, failover: released"
  bool trim_after_reconcile_ = false;
  std::uint64_t reconciles_ = 0;
  std::vector<pool::Assignment> announced_;                     // bgp VIPs handed to the speaker
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for posted reconciles
};

}  // namespace vipd::daemon
