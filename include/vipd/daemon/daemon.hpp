#pragma once
// The node daemon: one Asio loop where every input (netlink event, reload, signal) re-runs the
// pure selection and a reconcile step that opens/closes link handles, rebuilds the responder's
// table and announces newly owned VIPs.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
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
#include "vipd/common/result.hpp"
#include "vipd/daemon/control_server.hpp"
#include "vipd/daemon/desired.hpp"
#include "vipd/daemon/failover_groups.hpp"
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

  const l2::Responder& responder() const { return responder_; }
  // Reconciles run since start: changes posted in one loop turn coalesce into one (design §9).
  std::uint64_t reconciles() const { return reconciles_; }

 private:
  using BindingKey = std::pair<int, net::IpAddress>;

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
  void on_frame(int ifindex, std::span<const std::uint8_t> frame);
  void announce(const BindingKey& key, int remaining);
  void send_gratuitous(const BindingKey& key);
  void schedule_refresh();
  void persist_state();
  void apply_local_delivery();
  std::vector<net::IpAddress> locally_delivered() const;
  void start_services();
  void schedule_watchdog();
  std::size_t vip_links_count() const;
  std::map<net::IpAddress, std::vector<int>> links_by_vip() const;
  nlohmann::json bgp_status() const;

  boost::asio::io_context& io_;
  DaemonOptions options_;
  LoadedConfig config_;
  selector::Policy policy_;
  std::unique_ptr<netlink::Watcher> watcher_;
  netlink::SnapshotPtr links_;
  l2::Responder responder_;
  std::map<int, std::unique_ptr<l2::PacketIo>> handles_;       // ifindex -> open link handle
  std::set<std::pair<int, netlink::MacAddress>> memberships_;  // solicited-node groups joined
  std::set<BindingKey> bindings_;                              // answered now
  std::map<BindingKey, std::unique_ptr<boost::asio::steady_timer>> announcements_;
  std::map<net::IpAddress, std::vector<int>> vip_links_;  // for "VIP has no link" logs
  std::set<std::pair<net::IpAddress, netlink::MacAddress>> conflicts_logged_;
  boost::asio::steady_timer refresh_timer_;
  boost::asio::steady_timer watchdog_timer_;
  std::unique_ptr<ControlServer> control_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<LocalDelivery> local_delivery_;
  std::unique_ptr<bgp::Speaker> bgp_;
  std::unique_ptr<FailoverGroups> failover_;
  std::string control_socket_;
  std::string metrics_listen_;
  bool last_reload_success_ = true;
  double last_reload_timestamp_ = 0;
  std::array<std::uint8_t, 256> reply_buffer_{};
  struct ConflictSeen {
    netlink::MacAddress mac{};
    int ifindex = 0;
    std::chrono::steady_clock::time_point at;
  };
  std::map<net::IpAddress, ConflictSeen> last_conflict_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
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
