#include "vipd/daemon/daemon.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include <malloc.h>

#include <algorithm>
#include <csignal>
#include <tuple>

#include <fmt/format.h>

#include "vipd/common/log.hpp"
#include "vipd/daemon/explain_command.hpp"
#include "vipd/daemon/systemd_notify.hpp"
#include "vipd/daemon/version.hpp"
#include "vipd/pool/state_store.hpp"

namespace vipd::daemon {
namespace {

std::shared_ptr<spdlog::logger> logger() {
  static auto l = log::get("daemon");
  return l;
}
std::shared_ptr<spdlog::logger> l2_logger() {
  static auto l = log::get("l2");
  return l;
}

std::string format_errors(const config::Diagnostics& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics) {
    if (!out.empty()) out += '\n';
    out += d.format();
  }
  return out;
}

std::string link_name(const netlink::LinkSnapshot* links, int ifindex) {
  if (links != nullptr)
    if (const auto* l = links->find(ifindex)) return l->name;
  return "if" + std::to_string(ifindex);
}

double wall_clock_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Loads and compiles everything a config needs; nothing of the running daemon changes here.
Result<std::pair<LoadedConfig, selector::Policy>, std::string> prepare(const DaemonOptions& options) {
  auto loaded = load_config(options.config_files, options.state_dir);
  if (!loaded) return unexpected(format_errors(loaded.error()));
  auto policy = selector::Policy::compile(loaded->model);
  if (!policy) return unexpected(format_errors(policy.error()));
  for (const auto& w : loaded->warnings) logger()->warn("{}", w.format());
  for (const auto& w : loaded->state_warnings) logger()->warn("state: {}", w);
  return std::make_pair(std::move(*loaded), std::move(*policy));
}

}  // namespace

Daemon::Daemon(boost::asio::io_context& io, DaemonOptions options)
    : io_(io),
      options_(std::move(options)),
      clock_(io),
      link_io_(io),
      plane_(link_io_, clock_),
      watchdog_timer_(clock_.make_timer()),
      started_(clock_.now()) {}

Daemon::~Daemon() {
  shutdown();
}

Result<void, std::string> Daemon::start() {
  auto prepared = prepare(options_);
  if (!prepared) return unexpected(prepared.error());
  if (options_.log_level.empty() && !log::configure(prepared->first.model.log_level))
    logger()->warn("unknown log-level {:?}, keeping info", prepared->first.model.log_level);
  apply_config(std::move(prepared->first), std::move(prepared->second));
  last_reload_timestamp_ = wall_clock_seconds();

  local_delivery_ = std::make_unique<LocalDelivery>(config_.model.local_delivery, options_.state_dir);
  if (auto started = local_delivery_->start(); !started)
    return unexpected("local delivery: " + started.error());
  start_services();
  if (!config_.model.peers.empty()) {
    bgp_ = std::make_unique<bgp::Speaker>(io_, config_.model);
    bgp_->start();
    apply_bgp_routes(true);
  }

  watcher_ = std::make_unique<netlink::Watcher>(
      io_, [this](netlink::SnapshotPtr s, netlink::ChangeKind k) { on_links(std::move(s), k); });
  if (auto started = watcher_->start(); !started) return unexpected("netlink: " + started.error());
  systemd::notify("READY=1\nSTATUS=" + status_line());
  schedule_watchdog();
  return {};
}

// The control socket and the metrics listener: a failure is logged loudly but does not stop the
// daemon from answering ARP/NDP, which is its job.
void Daemon::start_services() {
  const auto& model = config_.model;
  if (!control_ || control_socket_ != model.control.socket) {
    control_.reset();
    control_socket_ = model.control.socket;
    if (!control_socket_.empty()) {
      ControlOptions options;
      options.path = control_socket_;
      control_ = std::make_unique<ControlServer>(
          io_, options, [this](const nlohmann::json& request) { return control(request); });
      if (auto started = control_->start(); !started) {
        logger()->error("control socket {}: {}", control_socket_, started.error());
        control_.reset();
      }
    }
  }
  if (!metrics_ || metrics_listen_ != model.metrics.listen) {
    metrics_.reset();
    metrics_listen_ = model.metrics.listen;
    if (!metrics_listen_.empty()) {
      metrics_ = std::make_unique<Metrics>(io_, metrics_listen_, [this] { return metrics_snapshot(); });
      if (auto started = metrics_->start(); !started) {
        logger()->error("metrics on {}: {}", metrics_listen_, started.error());
        metrics_.reset();
      } else {
        logger()->info("metrics on http://{}/metrics", metrics_listen_);
      }
    }
  }
}

void Daemon::schedule_watchdog() {
  const auto interval = systemd::watchdog_interval();
  if (!interval) return;
  watchdog_timer_->start(*interval / 2, [this] {
    if (stopped_) return;
    systemd::notify("WATCHDOG=1");
    schedule_watchdog();
  });
}

// The addresses the host must accept traffic for: every BGP VIP (also while withdrawn: traffic
// still arriving during the routers' convergence is served), and the layer2 VIPs this node owns.
std::vector<net::IpAddress> Daemon::locally_delivered() const {
  const auto verdicts = ownership::decide_all(config_.assignments, ownership_inputs());
  std::vector<net::IpAddress> delivered;
  for (std::size_t i = 0; i < config_.assignments.size(); ++i) {
    const auto& a = config_.assignments[i];
    if (a.protocol == config::Protocol::bgp || verdicts[i].owned) delivered.push_back(a.vip);
  }
  return delivered;
}

ownership::Inputs Daemon::ownership_inputs() const {
  ownership::Inputs inputs;
  inputs.drained = drained_;
  if (failover_) failover_->report(inputs);
  return inputs;
}

// BGP VIPs the ownership model announces; the speaker is told only when that set changes (or
// always with `force`, after its peers were reconfigured).
void Daemon::apply_bgp_routes(bool force) {
  if (!bgp_) return;
  const auto verdicts = ownership::decide_all(config_.assignments, ownership_inputs());
  std::vector<pool::Assignment> announced;
  for (std::size_t i = 0; i < config_.assignments.size(); ++i)
    if (config_.assignments[i].protocol == config::Protocol::bgp && verdicts[i].owned)
      announced.push_back(config_.assignments[i]);
  if (!force && announced == announced_) return;
  if (announced.size() != announced_.size())
    logger()->info("BGP: announcing {} of {} VIP(s){}", announced.size(),
                   std::count_if(config_.assignments.begin(), config_.assignments.end(),
                                 [](const auto& a) { return a.protocol == config::Protocol::bgp; }),
                   drained_ ? " (drained)" : "");
  announced_ = std::move(announced);
  bgp_->set_routes(announced_);
}

void Daemon::apply_local_delivery() {
  if (!local_delivery_ || !config_.model.local_delivery.enabled) return;
  if (auto applied = local_delivery_->apply(locally_delivered()); !applied)
    logger()->error("local delivery on {}: {}", config_.model.local_delivery.link, applied.error());
}

Result<void, std::string> Daemon::reload() {
  systemd::notify("RELOADING=1");
  last_reload_timestamp_ = wall_clock_seconds();
  auto prepared = prepare(options_);
  if (!prepared) {
    last_reload_success_ = false;
    logger()->error("reload rejected, keeping the running configuration:\n{}", prepared.error());
    systemd::notify("READY=1\nSTATUS=reload rejected; " + status_line());
    return unexpected(prepared.error());
  }
  last_reload_success_ = true;
  apply_config(std::move(prepared->first), std::move(prepared->second));
  start_services();
  if (local_delivery_) {
    if (auto r = local_delivery_->reconfigure(config_.model.local_delivery, locally_delivered()); !r)
      logger()->error("local delivery: {}", r.error());
  }
  logger()->info("configuration reloaded: {} service(s), {} pool(s)", config_.assignments.size(),
                 config_.model.pools.size());
  if (bgp_) {
    bgp_->reconfigure(config_.model);
  } else if (!config_.model.peers.empty()) {
    bgp_ = std::make_unique<bgp::Speaker>(io_, config_.model);
    bgp_->start();
  }
  apply_bgp_routes(true);
  request_reconcile("reload");
  systemd::notify("READY=1\nSTATUS=" + status_line());
  return {};
}

void Daemon::apply_config(LoadedConfig loaded, selector::Policy policy) {
  config_ = std::move(loaded);
  // Parsing a large config leaves freed heap behind; hand it back so RSS reflects what is kept.
  malloc_trim(0);
  policy_ = std::move(policy);
  persist_state();
  for (const auto& a : config_.assignments)
    logger()->debug("service {} has VIP {} (pool {}, {})", a.service, a.vip.to_string(), a.pool,
                    config::to_string(a.protocol));
  configure_failover();
}

void Daemon::configure_failover() {
  const auto& groups = config_.model.failover.vrrp;
  if (groups.empty() && !failover_) return;
  if (!failover_)
    failover_ =
        std::make_unique<FailoverGroups>(io_, [this](const FailoverGroups::Change& c) { on_failover(c); });
  std::set<std::string> gated;
  for (const auto& g : groups) gated.insert(g.pools.begin(), g.pools.end());
  failover_->configure(plan_failover(config_.model, config_.assignments), std::move(gated), links_.get(),
                       policy_);
}

void Daemon::on_failover(const FailoverGroups::Change& change) {
  if (stopped_) return;
  if (!change.reannounce) {
    request_reconcile(change.owned ? "failover: master" : "failover: released");
    return;
  }
  // Still master, a lower-priority master was heard: announce this group's VIPs again so clients
  // that followed the other node come back.
  std::set<net::IpAddress> vips;
  for (const auto& a : config_.assignments)
    if (a.vip.family() == change.family &&
        std::find(change.pools.begin(), change.pools.end(), a.pool) != change.pools.end())
      vips.insert(a.vip);
  plane_.reannounce(vips);
}

void Daemon::persist_state() {
  if (options_.state_dir.empty()) return;
  if (auto saved = pool::StateStore(options_.state_dir).save(config_.state); !saved)
    logger()->warn("cannot persist allocations in {}: {} (VIPs may move after a restart)", options_.state_dir,
                   saved.error());
}

void Daemon::on_links(netlink::SnapshotPtr snapshot, netlink::ChangeKind kind) {
  links_ = std::move(snapshot);
  if (kind == netlink::ChangeKind::resynced) logger()->warn("netlink overflow: link table re-dumped");
  // The groups see the snapshot first; what they change (a lost link releases at once) is posted
  // and lands in the same reconcile as the link change itself.
  if (failover_) failover_->links_changed(*links_, policy_);
  // The first reconcile builds every table at once and leaves freed heap behind (-34 MiB RSS
  // measured with 100k VIPs); hand it back once, after it.
  if (kind == netlink::ChangeKind::initial) trim_after_reconcile_ = true;
  request_reconcile(kind == netlink::ChangeKind::initial ? "start" : "link change");
}

void Daemon::request_reconcile(const char* cause) {
  if (stopped_) return;
  if (reconcile_causes_.find(cause) == std::string::npos)
    reconcile_causes_ += (reconcile_causes_.empty() ? "" : ", ") + std::string(cause);
  if (reconcile_posted_) return;
  reconcile_posted_ = true;
  boost::asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.expired()) return;
    reconcile_posted_ = false;
    reconcile();
  });
}

void Daemon::reconcile() {
  const auto causes = std::move(reconcile_causes_);
  reconcile_causes_.clear();
  if (stopped_) return;
  ++reconciles_;
  const auto verdicts = ownership::decide_all(config_.assignments, ownership_inputs());
  apply_bgp_routes(false);
  if (!links_) return;
  const char* cause = causes.c_str();
  // A backup keeps the handles its failover VIPs would use open: taking over then only swaps the
  // responder's table (opening or closing a packet ring blocks the loop for milliseconds).
  const auto desired = desired_l2(
      policy_, *links_, config_.assignments, verdicts, [this](const std::string& pool, net::Family family) {
        return failover_ && !failover_->stopped() && failover_->owns(pool, family).has_value();
      });

  // 1-5. Handles (new ones open before old ones close), the responder's table, solicited-node
  // memberships, announcements of new bindings, closing handles nothing needs: the L2 plane.
  plane_.apply(desired, links_, config_.model.gratuitous, cause);

  // 6. Per-VIP summary when a VIP's link set changes, naming why links were refused.
  std::map<net::IpAddress, std::vector<int>> vip_links;
  for (const auto& d : desired.decisions) {
    auto selected = d.selected_ifindexes();
    auto previous = vip_links_.find(d.vip);
    if (previous == vip_links_.end() || previous->second != selected) {
      if (selected.empty()) {
        std::string reasons;
        for (const auto& l : selector::select(policy_, *links_, d.vip, d.pool).links)
          reasons += "\n  " + l.name + ": " + l.reason;
        l2_logger()->warn("[{}] VIP of pool {} is answered on no link:{}", d.vip.to_string(), d.pool,
                          reasons);
      }
    }
    vip_links.emplace(d.vip, std::move(selected));
  }
  vip_links_ = std::move(vip_links);
  apply_local_delivery();
  systemd::notify("STATUS=" + status_line());
  if (trim_after_reconcile_) {
    trim_after_reconcile_ = false;
    malloc_trim(0);
  }
}

void Daemon::set_drained(bool drained) {
  if (drained_ == drained) return;
  drained_ = drained;
  if (!failover_) {
    logger()->info("{}: layer2 VIPs are {}", drained ? "drain" : "undrain",
                   drained ? "released" : "owned again");
    request_reconcile(drained ? "drain" : "undrain");
    return;
  }
  if (drained) {
    logger()->info("drain: failover groups hand over (priority 0), other layer2 VIPs are released");
    request_reconcile("drain");
    failover_->shutdown([this] {
      if (stopped_) return;
      logger()->info("drain: failover groups handed over");
      request_reconcile("drain");
    });
  } else {
    logger()->info("undrain: failover groups rejoin as backup, other layer2 VIPs are owned again");
    failover_->resume(links_.get(), policy_);
    request_reconcile("undrain");
  }
}

std::string Daemon::status_line() const {
  std::string bgp;
  if (bgp_) {
    const auto peers = bgp_->status();
    const auto up =
        std::count_if(peers.begin(), peers.end(), [](const auto& p) { return p.state == "Established"; });
    bgp = fmt::format(", {} of {} BGP peer(s) up", up, peers.size());
  }
  std::string failover;
  if (failover_ && !failover_->summary().empty()) failover = ", failover " + failover_->summary();
  return fmt::format("{} VIP(s) answered on {} link(s){}{}{}", plane_.vip_count(), plane_.handle_count(), bgp,
                     failover, drained_ ? ", drained" : "");
}

nlohmann::json Daemon::bgp_status() const {
  auto peers = nlohmann::json::array();
  if (!bgp_) return peers;
  for (const auto& p : bgp_->status())
    peers.push_back({{"peer", p.peer},
                     {"state", p.state},
                     {"uptime_seconds", p.uptime_seconds},
                     {"prefixes_sent", p.prefixes_sent},
                     {"updates_sent", p.updates_sent},
                     {"last_error", p.last_error}});
  return peers;
}

nlohmann::json Daemon::status() const {
  using nlohmann::json;
  const auto now = clock_.now();
  const auto& responder = plane_.responder();
  const auto& conflicts = plane_.last_conflicts();
  json vips = json::array();
  const auto bound = plane_.links_by_vip();
  const auto verdicts = ownership::decide_all(config_.assignments, ownership_inputs());
  for (std::size_t i = 0; i < config_.assignments.size(); ++i) {
    const auto& a = config_.assignments[i];
    json links = json::array();
    l2::BindingCounters total;
    const auto it_links = bound.find(a.vip);
    for (int ifindex : it_links == bound.end() ? std::vector<int>{} : it_links->second) {
      const auto& vip = a.vip;
      links.push_back(link_name(links_.get(), ifindex));
      if (const auto index = responder.find(ifindex, vip); index >= 0) {
        const auto& c = responder.counters(static_cast<std::size_t>(index));
        total.requests += c.requests;
        total.replies += c.replies;
        total.gratuitous += c.gratuitous;
        total.conflicts += c.conflicts;
      }
    }
    json last_conflict = nullptr;
    if (auto it = conflicts.find(a.vip); it != conflicts.end())
      last_conflict = {
          {"mac", netlink::to_string(it->second.mac)},
          {"interface", link_name(links_.get(), it->second.ifindex)},
          {"seconds_ago", std::chrono::duration_cast<std::chrono::seconds>(now - it->second.at).count()}};
    json vip = {{"vip", a.vip.to_string()},
                {"service", a.service},
                {"pool", a.pool},
                {"protocol", config::to_string(a.protocol)},
                {"links", links},
                {"requests", total.requests},
                {"replies", total.replies},
                {"gratuitous", total.gratuitous},
                {"conflicts", total.conflicts},
                {"last_conflict", last_conflict}};
    // "owned": answered (layer2) or announced (bgp); "reason": the source that decided a VIP
    // this node does not own, for `vipctl status`.
    ownership::add_to_json(vip, verdicts[i]);
    vip["reason"] = verdicts[i].owned ? json(nullptr) : json(verdicts[i].deciding_text());
    vips.push_back(std::move(vip));
  }
  json links = json::array();
  for (const auto& l : plane_.link_status())
    links.push_back({{"name", l.name},
                     {"ifindex", l.ifindex},
                     {"vips", l.vips},
                     {"received", l.stats.received},
                     {"sent", l.stats.sent},
                     {"send_errors", l.stats.send_errors},
                     {"kernel_drops", l.stats.kernel_drops},
                     {"multicast_groups", l.multicast_groups}});
  return {{"ok", true},
          {"version", version()},
          {"drained", drained_},
          {"reconciles", reconciles_},
          {"uptime_seconds", std::chrono::duration_cast<std::chrono::seconds>(now - started_).count()},
          {"vips", vips},
          {"links", links},
          {"bgp", bgp_status()},
          {"failover", failover_ ? failover_->status() : json::array()}};
}

nlohmann::json Daemon::control(const nlohmann::json& request) {
  const auto command = request.value("command", std::string());
  if (command == "status") return status();
  if (command == "reload") {
    auto reloaded = reload();
    if (!reloaded) return {{"ok", false}, {"error", reloaded.error()}};
    return {{"ok", true}, {"message", "configuration reloaded: " + status_line()}};
  }
  if (command == "drain" || command == "undrain") {
    set_drained(command == "drain");
    return {{"ok", true}, {"message", status_line()}};
  }
  if (command == "explain") {
    const auto vip = net::IpAddress::parse(request.value("vip", std::string()));
    if (!vip) return {{"ok", false}, {"error", "explain needs \"vip\": an IPv4 or IPv6 address"}};
    if (!links_) return {{"ok", false}, {"error", "the link table is not known yet"}};
    auto explanation =
        explain(config_.model, policy_, *links_, *vip, config_.assignments, ownership_inputs());
    if (!explanation) return {{"ok", false}, {"error", explanation.error()}};
    nlohmann::json response = {{"ok", true},
                               {"table", explanation->table},
                               {"decision", nlohmann::json::parse(explanation->json, nullptr, false)}};
    ownership::add_to_json(response, explanation->verdict);
    return response;
  }
  return {{"ok", false},
          {"error", "unknown command \"" + command + "\" (status, explain, reload, drain, undrain)"}};
}

MetricsSnapshot Daemon::metrics_snapshot() const {
  MetricsSnapshot snapshot;
  snapshot.last_reload_success = last_reload_success_;
  snapshot.last_reload_timestamp_seconds = last_reload_timestamp_;
  const auto& responder = plane_.responder();
  const auto bound = plane_.links_by_vip();
  const auto verdicts = ownership::decide_all(config_.assignments, ownership_inputs());
  for (std::size_t i = 0; i < config_.assignments.size(); ++i) {
    const auto& a = config_.assignments[i];
    bool any = false;
    const auto it_links = bound.find(a.vip);
    for (int ifindex : it_links == bound.end() ? std::vector<int>{} : it_links->second) {
      const auto index = responder.find(ifindex, a.vip);
      if (index < 0) continue;
      const auto& c = responder.counters(static_cast<std::size_t>(index));
      snapshot.vips.push_back({a.vip.to_string(), a.service, a.pool, link_name(links_.get(), ifindex), true,
                               c.requests, c.replies, c.gratuitous, c.conflicts});
      any = true;
    }
    if (!any)
      snapshot.vips.push_back({a.vip.to_string(), a.service, a.pool, "",
                               a.protocol == config::Protocol::layer2 && verdicts[i].owned, 0, 0, 0, 0});
  }
  if (bgp_)
    for (const auto& p : bgp_->status())
      snapshot.bgp.push_back({p.peer, p.state == "Established", p.prefixes_sent, p.updates_sent,
                              p.notifications_sent, p.notifications_received});
  if (failover_) snapshot.failover = failover_->metrics();
  for (const auto& l : plane_.link_status()) {
    for (std::size_t r = 1; r < l2::drop_reason_count; ++r) {
      const auto reason = static_cast<l2::DropReason>(r);
      if (const auto n = responder.drops(l.ifindex, reason); n > 0)
        snapshot.drops.push_back({l.name, std::string(l2::to_string(reason)), n});
    }
  }
  return snapshot;
}

void Daemon::shutdown(std::function<void()> done) {
  if (stopped_) {
    if (done) done();
    return;
  }
  if (failover_ && done) {
    if (handing_over_) {
      // A second stop request: release at once (the groups' second shutdown does that).
      logger()->info("second stop request: releasing failover VIPs now");
      failover_->shutdown({});
      return;
    }
    handing_over_ = true;
    systemd::notify("STOPPING=1");
    logger()->info("handing over failover groups before exiting");
    failover_->shutdown([this, done = std::move(done)]() mutable { finish_shutdown(std::move(done)); });
    return;
  }
  finish_shutdown(std::move(done));
}

void Daemon::finish_shutdown(std::function<void()> done) {
  if (stopped_) {
    if (done) done();
    return;
  }
  stopped_ = true;
  systemd::notify("STOPPING=1");
  watchdog_timer_->cancel();
  if (local_delivery_) local_delivery_->stop();
  plane_.release_all();
  watcher_.reset();
  // Destroying the groups sends nothing: after a handover they are closed already; from the
  // destructor (no handover asked for) peers see a crash, as they should.
  failover_.reset();
  // Last: the VIPs are released above whatever these take to stop.
  control_.reset();
  if (metrics_) metrics_->abandon();
  metrics_.reset();
  if (bgp_) {
    bgp_->stop([done = std::move(done)] {
      if (done) done();
    });
  } else if (done) {
    done();
  }
}

int run_daemon(const DaemonOptions& options) {
  if (!options.log_level.empty() && !log::configure(options.log_level)) {
    std::fprintf(stderr, "vipd: unknown --log-level %s\n", options.log_level.c_str());
    return 2;
  }
  boost::asio::io_context io;
  Daemon daemon(io, options);
  if (auto started = daemon.start(); !started) {
    logger()->critical("cannot start:\n{}", started.error());
    return 1;
  }
  logger()->info("vipd started (config {})", options.config_files.front());

  boost::asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        if (signo == SIGHUP) {
          logger()->info("SIGHUP: reloading configuration");
          (void)daemon.reload();
          signals.async_wait(on_signal);
          return;
        }
        logger()->info("{}: releasing VIPs and exiting", signo == SIGTERM ? "SIGTERM" : "SIGINT");
        daemon.shutdown([&io] { io.stop(); });
        signals.async_wait(on_signal);  // a second SIGTERM cuts a failover handover short
      };
  signals.async_wait(on_signal);
  io.run();
  return 0;
}

}  // namespace vipd::daemon
