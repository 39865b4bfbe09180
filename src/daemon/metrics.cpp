#include "vipd/daemon/metrics.hpp"

#include <boost/asio/post.hpp>

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <array>
#include <charconv>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <utility>

#include "vipd/common/ip.hpp"
#include "vipd/common/log.hpp"
#include "vipd/daemon/version.hpp"
#include "vipd/failover/vrrp_fsm.hpp"

namespace vipd::daemon {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

ClientMetric counter(std::vector<ClientMetric::Label> labels, std::uint64_t value) {
  ClientMetric m;
  m.label = std::move(labels);
  m.counter.value = static_cast<double>(value);
  return m;
}

ClientMetric gauge(std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = value;
  return m;
}

std::vector<MetricFamily> build_families(const MetricsSnapshot& s) {
  MetricFamily requests{"vipd_l2_requests_received_total",
                        "ARP requests and neighbour solicitations received for a VIP on a link",
                        MetricType::Counter,
                        {}};
  MetricFamily replies{"vipd_l2_responses_sent_total",
                       "ARP replies and neighbour advertisements sent for a VIP",
                       MetricType::Counter,
                       {}};
  MetricFamily gratuitous{"vipd_l2_gratuitous_sent_total",
                          "Gratuitous ARP / unsolicited NA sent for a VIP",
                          MetricType::Counter,
                          {}};
  MetricFamily conflicts{
      "vipd_l2_conflicts_total", "Other MACs claiming a VIP this node owns", MetricType::Counter, {}};
  MetricFamily drops{"vipd_l2_drops_total", "Frames dropped on a link, by reason", MetricType::Counter, {}};
  MetricFamily owned{"vipd_vip_owned", "1 when this node owns (answers for) the VIP", MetricType::Gauge, {}};

  // vipd_vip_owned is per VIP, the snapshot is per (VIP, interface): one series per VIP, first seen.
  std::map<std::string, std::size_t> owned_index;
  for (const auto& v : s.vips) {
    // A VIP with no link has no per-link counters to report unless the daemon still carries some.
    const bool any = v.requests != 0 || v.replies != 0 || v.gratuitous != 0 || v.conflicts != 0;
    if (!v.interface.empty() || any) {
      requests.metric.push_back(counter({{"vip", v.vip}, {"interface", v.interface}}, v.requests));
      replies.metric.push_back(counter({{"vip", v.vip}, {"interface", v.interface}}, v.replies));
      gratuitous.metric.push_back(counter({{"vip", v.vip}, {"interface", v.interface}}, v.gratuitous));
      conflicts.metric.push_back(counter({{"vip", v.vip}, {"interface", v.interface}}, v.conflicts));
    }
    const auto [it, inserted] = owned_index.try_emplace(v.vip, owned.metric.size());
    if (inserted) {
      owned.metric.push_back(
          gauge({{"vip", v.vip}, {"service", v.service}, {"pool", v.pool}}, v.owned ? 1 : 0));
    } else if (v.owned) {
      owned.metric[it->second].gauge.value = 1;
    }
  }
  for (const auto& d : s.drops)
    drops.metric.push_back(counter({{"interface", d.interface}, {"reason", d.reason}}, d.count));

  MetricFamily bgp_up{
      "vipd_bgp_session_up", "1 when the BGP session with the peer is Established", MetricType::Gauge, {}};
  MetricFamily bgp_prefixes{"vipd_bgp_announced_prefixes",
                            "Prefixes the peer currently holds from this node",
                            MetricType::Gauge,
                            {}};
  MetricFamily bgp_updates{
      "vipd_bgp_updates_sent_total", "BGP UPDATE messages sent to the peer", MetricType::Counter, {}};
  MetricFamily bgp_notifications{"vipd_bgp_notifications_total",
                                 "BGP NOTIFICATION messages by direction (sent, received) and error code",
                                 MetricType::Counter,
                                 {}};
  for (const auto& p : s.bgp) {
    bgp_up.metric.push_back(gauge({{"peer", p.peer}}, p.up ? 1 : 0));
    bgp_prefixes.metric.push_back(gauge({{"peer", p.peer}}, static_cast<double>(p.announced_prefixes)));
    bgp_updates.metric.push_back(counter({{"peer", p.peer}}, p.updates_sent));
    for (std::size_t code = 0; code < p.notifications_sent.size(); ++code) {
      // Codes never seen stay absent: a scrape lists what happened, not 16 zeros per peer.
      if (p.notifications_sent[code] != 0)
        bgp_notifications.metric.push_back(
            counter({{"peer", p.peer}, {"direction", "sent"}, {"code", std::to_string(code)}},
                    p.notifications_sent[code]));
      if (p.notifications_received[code] != 0)
        bgp_notifications.metric.push_back(
            counter({{"peer", p.peer}, {"direction", "received"}, {"code", std::to_string(code)}},
                    p.notifications_received[code]));
    }
  }

  MetricFamily fo_master{"vipd_failover_master",
                         "1 while this node is VRRP master of the group (owns its VIPs)",
                         MetricType::Gauge,
                         {}};
  MetricFamily fo_transitions{"vipd_failover_transitions_total",
                              "VRRP state changes of the group, by new state",
                              MetricType::Counter,
                              {}};
  MetricFamily fo_adverts{"vipd_failover_adverts_received_total",
                          "Valid VRRP adverts of the group's VRID received from other routers",
                          MetricType::Counter,
                          {}};
  static_assert(std::tuple_size_v<decltype(MetricsSnapshot::FailoverGroup::transitions_to)> ==
                failover::state_count);
  for (const auto& g : s.failover) {
    fo_master.metric.push_back(gauge({{"group", g.group}, {"family", g.family}}, g.master ? 1 : 0));
    fo_adverts.metric.push_back(counter({{"group", g.group}, {"family", g.family}}, g.adverts_received));
    for (std::size_t to = 0; to < failover::state_count; ++to)
      fo_transitions.metric.push_back(
          counter({{"group", g.group},
                   {"family", g.family},
                   {"to", std::string(failover::to_string(static_cast<failover::State>(to)))}},
                  g.transitions_to[to]));
  }

  MetricFamily reload_ok{"vipd_config_last_reload_success",
                         "1 when the last configuration load or reload succeeded",
                         MetricType::Gauge,
                         {gauge({}, s.last_reload_success ? 1 : 0)}};
  MetricFamily reload_ts{"vipd_config_last_reload_timestamp_seconds",
                         "Unix time of the last successful configuration load or reload",
                         MetricType::Gauge,
                         {gauge({}, s.last_reload_timestamp_seconds)}};
  MetricFamily build{
      "vipd_build_info", "vipd build information", MetricType::Gauge, {gauge({{"version", version()}}, 1)}};

  std::vector<MetricFamily> out;
  for (auto* f :
       {&requests, &replies, &gratuitous, &conflicts, &drops, &owned, &bgp_up, &bgp_prefixes, &bgp_updates,
        &bgp_notifications, &fo_master, &fo_transitions, &fo_adverts, &reload_ok, &reload_ts, &build})
    out.push_back(std::move(*f));
  return out;
}

std::string serialize(const std::vector<MetricFamily>& families) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

// "1.2.3.4:9477" or "[::1]:9477" -> civetweb's listening_ports value, or an error. Anything else
// civetweb would accept ("9477", "9477s", lists) is refused: vipd binds exactly one address.
Result<std::string, std::string> parse_listen(const std::string& listen) {
  std::string_view host;
  std::string_view port;
  if (!listen.empty() && listen.front() == '[') {
    const auto close = listen.find("]:");
    if (close == std::string::npos)
      return unexpected("metrics listen \"" + listen + "\": expected [IPv6]:port");
    host = std::string_view(listen).substr(1, close - 1);
    port = std::string_view(listen).substr(close + 2);
    const auto ip = net::IpAddress::parse(host);
    if (!ip || !ip->is_v6())
      return unexpected("metrics listen \"" + listen + "\": not an IPv6 address in brackets");
  } else {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos)
      return unexpected("metrics listen \"" + listen + "\": expected address:port");
    host = std::string_view(listen).substr(0, colon);
    port = std::string_view(listen).substr(colon + 1);
    const auto ip = net::IpAddress::parse(host);
    if (!ip || !ip->is_v4())
      return unexpected("metrics listen \"" + listen + "\": not an IPv4 address (write IPv6 as [addr]:port)");
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535)
    return unexpected("metrics listen \"" + listen + "\": port must be 0-65535");
  return listen;
}

}  // namespace

std::string render_snapshot(const MetricsSnapshot& snapshot) {
  return serialize(build_families(snapshot));
}

// Shared between the scrape threads and the io_context thread. Outlives Metrics while a posted
// provider call is pending, which then finds `stopped` and does nothing.
struct Metrics::Core : std::enable_shared_from_this<Metrics::Core> {
  Core(boost::asio::io_context& io_ctx, std::function<MetricsSnapshot()> snapshot_provider,
       std::chrono::milliseconds provider_timeout)
      : io(io_ctx), provider(std::move(snapshot_provider)), timeout(provider_timeout) {}

  // Runs on the io_context thread.
  void run_provider() {
    {
      std::lock_guard lock(mutex);
      if (stopped) {
        in_flight = false;
        cv.notify_all();
        return;
      }
    }
    std::optional<MetricsSnapshot> fresh;
    try {
      fresh = provider();
    } catch (const std::exception& e) {  // never across the loop: serve the last good snapshot
      log::get("metrics")->error("snapshot failed, serving the last good one: {}", e.what());
    }
    std::lock_guard lock(mutex);
    in_flight = false;
    if (fresh) last = std::move(*fresh);
    ++generation;
    cv.notify_all();
  }

  // Any thread: a snapshot taken on the io_context thread, or the last good one after the timeout.
  MetricsSnapshot fetch() {
    if (io.get_executor().running_in_this_thread()) {
      run_provider();
      std::lock_guard lock(mutex);
      return last;
    }
    std::unique_lock lock(mutex);
    if (stopped) return last;
    const std::uint64_t target = generation + 1;
    if (!in_flight) {  // one pending call at most, however many scrapes wait on it
      in_flight = true;
      boost::asio::post(io, [self = shared_from_this()] { self->run_provider(); });
    }
    cv.wait_for(lock, timeout, [&] { return generation >= target || stopped; });
    return last;
  }

  boost::asio::io_context& io;
  const std::function<MetricsSnapshot()> provider;
  const std::chrono::milliseconds timeout;
  std::mutex mutex;
  std::condition_variable cv;
  MetricsSnapshot last;  // last good snapshot
  std::uint64_t generation = 0;
  bool in_flight = false;
  bool stopped = false;
};

class Metrics::Collector : public prometheus::Collectable {
 public:
  explicit Collector(std::shared_ptr<Core> core) : core_(std::move(core)) {}
  std::vector<MetricFamily> Collect() const override { return build_families(core_->fetch()); }

 private:
  std::shared_ptr<Core> core_;
};

Metrics::Metrics(boost::asio::io_context& io, std::string listen, std::function<MetricsSnapshot()> provider,
                 std::chrono::milliseconds provider_timeout)
    : listen_(std::move(listen)),
      core_(std::make_shared<Core>(io, std::move(provider), provider_timeout)),
      collector_(std::make_shared<Collector>(core_)) {}

Metrics::~Metrics() {
  stop();
  std::lock_guard lock(core_->mutex);
  core_->stopped = true;  // a provider call still queued on the loop must not run after us
}

Result<void, std::string> Metrics::start() {
  if (listen_.empty() || exposer_) return {};
  auto address = parse_listen(listen_);
  if (!address) return unexpected(address.error());
  {
    std::lock_guard lock(core_->mutex);
    core_->stopped = false;
  }
  try {
    // Two threads: a scrape never waits behind another for long; the timeout bounds slow clients.
    exposer_ = std::make_unique<prometheus::Exposer>(std::vector<std::string>{
        "listening_ports", *address, "num_threads", "2", "request_timeout_ms", "5000"});
  } catch (const std::exception& e) {
    return unexpected("metrics listen \"" + listen_ + "\": cannot bind (" + e.what() + ")");
  }
  exposer_->RegisterCollectable(collector_);
  log::get("metrics")->info("serving http://{}/metrics", listen_);
  return {};
}

void Metrics::stop() {
  if (!exposer_) return;
  {
    std::lock_guard lock(core_->mutex);
    core_->stopped = true;  // releases scrapes waiting for the loop, so the join below is quick
    core_->cv.notify_all();
  }
  exposer_.reset();
}

void Metrics::abandon() {
  {
    std::lock_guard lock(core_->mutex);
    core_->stopped = true;
    core_->cv.notify_all();
  }
  (void)exposer_.release();  // intentionally leaked: its threads end with the process
}

std::string Metrics::render_text() {
  return serialize(collector_->Collect());
}

int Metrics::port() const {
  if (!exposer_) return 0;
  const auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

}  // namespace vipd::daemon
