#include "vipd/daemon/l2_plane.hpp"

#include <algorithm>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "vipd/common/log.hpp"
#include "vipd/l2/codec.hpp"

namespace vipd::daemon {
namespace {

std::shared_ptr<spdlog::logger> logger() {
  static auto l = log::get("l2");
  return l;
}

std::string format_delay(SteadyDuration d) {
  return fmt::format("{}ms", std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

}  // namespace

struct L2Plane::Wave {
  std::unique_ptr<Timer> timer;
  std::vector<BindingKey> keys;  // bindings that may still belong to this wave
  int remaining = 0;             // bursts left to send
};

L2Plane::L2Plane(l2::LinkIoFactory& factory, Clock& clock) : L2Plane(factory, clock, Options{}) {}

L2Plane::L2Plane(l2::LinkIoFactory& factory, Clock& clock, Options options)
    : factory_(factory), clock_(clock), options_(options), refresh_timer_(clock.make_timer()) {}

L2Plane::~L2Plane() {
  // Timers first: none may fire into a half-destroyed plane.
  waves_.clear();
  retries_.clear();
  refresh_timer_.reset();
  handles_.clear();
}

std::string L2Plane::link_name(int ifindex) const {
  if (links_ != nullptr)
    if (const auto* l = links_->find(ifindex)) return l->name;
  if (auto h = handles_.find(ifindex); h != handles_.end()) return h->second->name();
  return "if" + std::to_string(ifindex);
}

void L2Plane::apply(const DesiredL2& desired, netlink::SnapshotPtr links,
                    const config::Gratuitous& gratuitous, const char* cause) {
  links_ = std::move(links);
  gratuitous_ = gratuitous;
  desired_bindings_ = desired.bindings;
  standby_links_ = desired.standby_links;
  if (gratuitous_.refresh != refresh_period_ || !refresh_timer_->pending()) schedule_refresh();
  reconcile(cause);
}

void L2Plane::reconcile(const char* cause) {
  if (links_ == nullptr) return;
  // 1. Handles: open on newly needed links first so a moved VIP is never unanswered. A backup's
  // standby links stay open too: taking over then only swaps the responder's table.
  std::set<int> needed(standby_links_.begin(), standby_links_.end());
  for (const auto& b : desired_bindings_) needed.insert(b.ifindex);
  std::erase_if(retries_, [&](const auto& r) { return !needed.count(r.first); });
  std::set<int> reopened;  // handles lost earlier and open again now: one log line, not one per VIP
  for (int ifindex : needed) {
    if (handles_.count(ifindex)) continue;
    auto retry = retries_.find(ifindex);
    if (retry != retries_.end() && retry->second.timer->pending()) continue;  // backing off
    const auto name = link_name(ifindex);
    auto handle = factory_.open(
        ifindex, name, [this](int i, std::span<const std::uint8_t> f) { on_frame(i, f); },
        [this, ifindex] { on_read_stopped(ifindex); });
    if (!handle) {
      if (retry == retries_.end()) {
        logger()->error("[{}] cannot open packet handle: {}", name, handle.error());
      } else {
        logger()->debug("[{}] cannot open packet handle (retry): {}", name, handle.error());
      }
      schedule_retry(ifindex, false);
      continue;
    }
    const bool was_lost = retry != retries_.end() && retry->second.read_stopped;
    if (retry != retries_.end()) retries_.erase(retry);
    if (was_lost) {
      reopened.insert(ifindex);  // logged with its VIP count below
    } else {
      logger()->info("[{}] link handle opened", name);
    }
    handles_.emplace(ifindex, std::move(*handle));
  }

  // 2. The responder's table: only bindings whose link has a handle.
  std::vector<l2::LinkInfo> link_infos;
  for (const auto& l : links_->links)
    if (l.has_mac) link_infos.push_back({l.ifindex, l.mac});
  responder_.set_links(std::move(link_infos));
  std::vector<l2::Binding> active;
  std::set<BindingKey> next;
  for (const auto& b : desired_bindings_) {
    if (!handles_.count(b.ifindex)) continue;
    active.push_back(b);
    next.emplace(b.ifindex, b.vip);
  }
  responder_.set_bindings(active);

  // 3. Solicited-node memberships for IPv6 VIPs.
  std::set<std::pair<int, netlink::MacAddress>> groups;
  for (const auto& [ifindex, vip] : next)
    if (vip.is_v6()) groups.emplace(ifindex, l2::solicited_node_mac(l2::to_v6_bytes(vip)));
  for (const auto& g : groups) {
    if (memberships_.count(g)) continue;
    if (auto joined = handles_.at(g.first)->join_multicast(g.second); !joined)
      logger()->warn("[{}] cannot join {}: {}", link_name(g.first), netlink::to_string(g.second),
                     joined.error());
  }
  for (const auto& g : memberships_)
    if (!groups.count(g) && handles_.count(g.first)) (void)handles_.at(g.first)->leave_multicast(g.second);
  memberships_ = std::move(groups);

  // 4. Diff: log, announce new bindings (one wave), stop announcing removed ones.
  for (auto it = bindings_.begin(); it != bindings_.end();) {
    const auto& key = it->first;
    if (next.count(key)) {
      ++it;
      continue;
    }
    const auto lost = retries_.find(key.first);
    if (lost == retries_.end() || !lost->second.read_stopped)
      logger()->info("[{} {}] stopped answering ({})", link_name(key.first), key.second.to_string(), cause);
    it = bindings_.erase(it);  // its wave skips it from now on
  }
  std::vector<BindingKey> added;
  for (const auto& key : next)
    if (!bindings_.count(key)) added.push_back(key);
  std::map<int, std::size_t> answered_again;
  for (int ifindex : reopened) answered_again[ifindex] = 0;
  for (const auto& key : added) {
    bindings_.emplace(key, 0);
    if (reopened.count(key.first)) {
      ++answered_again[key.first];
      continue;
    }
    logger()->info("[{} {}] answering ARP/NDP ({})", link_name(key.first), key.second.to_string(), cause);
  }
  for (const auto& [ifindex, count] : answered_again)
    logger()->info("[{}] link handle reopened: {} VIP(s) answered again", link_name(ifindex), count);
  start_wave(std::move(added));

  // 5. Close handles no binding needs any more.
  for (auto it = handles_.begin(); it != handles_.end();) {
    if (needed.count(it->first)) {
      ++it;
      continue;
    }
    logger()->info("[{}] link handle closed: no VIP selected on it", it->second->name());
    it = handles_.erase(it);
  }
}

void L2Plane::schedule_retry(int ifindex, bool read_stopped) {
  auto& retry = retries_[ifindex];
  if (!retry.timer) {
    retry.timer = clock_.make_timer();
    retry.delay = options_.retry_initial;
  } else {
    retry.delay = std::min(retry.delay * 2, options_.retry_max);
  }
  retry.read_stopped = retry.read_stopped || read_stopped;
  retry.timer->start(retry.delay, [this] { reconcile("retry"); });
}

// A handle that stopped reading is useless (it hears no request): close it now and reopen it after
// the backoff, its VIPs answered and announced again on the new handle.
void L2Plane::on_read_stopped(int ifindex) {
  const auto handle = handles_.find(ifindex);
  if (handle == handles_.end()) return;
  const auto name = handle->second->name();
  std::erase_if(memberships_, [ifindex](const auto& g) { return g.first == ifindex; });  // go with it
  handles_.erase(handle);
  schedule_retry(ifindex, true);
  logger()->error("[{}] link handle stopped reading: closed, reopening in {}", name,
                  format_delay(retries_.at(ifindex).delay));
  reconcile("link handle lost");
}

void L2Plane::reannounce(const std::set<net::IpAddress>& vips) {
  std::vector<BindingKey> keys;
  for (const auto& [key, wave] : bindings_)
    if (vips.count(key.second)) keys.push_back(key);
  start_wave(std::move(keys));
}

void L2Plane::start_wave(std::vector<BindingKey> keys) {
  if (keys.empty() || gratuitous_.count <= 0) return;
  const auto id = ++next_wave_;
  for (const auto& key : keys)
    if (auto b = bindings_.find(key); b != bindings_.end()) b->second = id;  // leaves its older wave
  auto wave = std::make_unique<Wave>();
  wave->keys = std::move(keys);
  wave->remaining = gratuitous_.count;
  waves_.emplace(id, std::move(wave));
  run_wave(id);
}

// One burst of a wave: `count` bursts in all, the first at once, then one every `interval`.
void L2Plane::run_wave(std::uint64_t id) {
  const auto it = waves_.find(id);
  if (it == waves_.end()) return;
  auto& wave = *it->second;
  std::erase_if(wave.keys, [&](const BindingKey& key) {
    const auto b = bindings_.find(key);
    return b == bindings_.end() || b->second != id;
  });
  for (const auto& key : wave.keys) send_gratuitous(key);
  if (--wave.remaining <= 0 || wave.keys.empty()) {
    for (const auto& key : wave.keys) bindings_.at(key) = 0;
    waves_.erase(it);  // last: may destroy the timer whose callback we are in
    return;
  }
  if (!wave.timer) wave.timer = clock_.make_timer();
  wave.timer->start(gratuitous_.interval, [this, id] { run_wave(id); });
}

bool L2Plane::send_gratuitous(const BindingKey& key) {
  auto handle = handles_.find(key.first);
  const auto binding = responder_.find(key.first, key.second);
  if (handle == handles_.end() || binding < 0) return false;
  const auto announcement = responder_.announcement(static_cast<std::size_t>(binding));
  std::uint64_t sent = 0;
  for (std::size_t i = 0; i < announcement.count; ++i) {
    if (auto r = handle->second->send(announcement.frame(i)); r) {
      ++sent;
    } else {
      logger()->warn("[{} {}] gratuitous send failed: {}", handle->second->name(), key.second.to_string(),
                     r.error());
    }
  }
  responder_.count_gratuitous(static_cast<std::size_t>(binding), sent);
  logger()->trace("[{} {}] gratuitous announcement sent ({} frames)", handle->second->name(),
                  key.second.to_string(), sent);
  return sent > 0;
}

void L2Plane::schedule_refresh() {
  refresh_timer_->cancel();
  refresh_period_ = gratuitous_.refresh;
  if (refresh_period_ <= config::Duration::zero()) return;
  refresh_timer_->start(refresh_period_, [this] {
    for (const auto& [key, wave] : bindings_) send_gratuitous(key);
    schedule_refresh();
  });
}

void L2Plane::on_frame(int ifindex, std::span<const std::uint8_t> frame) {
  const auto outcome = responder_.handle(ifindex, frame, reply_buffer_);
  if (outcome.action == l2::Action::reply || outcome.action == l2::Action::reply_and_conflict) {
    auto handle = handles_.find(ifindex);
    if (handle != handles_.end()) {
      if (auto sent = handle->second->send(std::span(reply_buffer_.data(), outcome.reply_size)); !sent)
        logger()->warn("[{}] reply send failed: {}", handle->second->name(), sent.error());
    }
  }
  if (outcome.action == l2::Action::conflict || outcome.action == l2::Action::reply_and_conflict) {
    last_conflict_[outcome.vip] = {outcome.peer_mac, ifindex, clock_.now()};
    if (conflicts_logged_.emplace(outcome.vip, outcome.peer_mac).second)
      logger()->warn("[{} {}] conflict: {} also claims this VIP", link_name(ifindex), outcome.vip.to_string(),
                     netlink::to_string(outcome.peer_mac));
  }
}

void L2Plane::release_all() {
  waves_.clear();
  retries_.clear();
  refresh_timer_->cancel();
  refresh_period_ = {};
  desired_bindings_.clear();
  standby_links_.clear();
  for (const auto& [ifindex, group] : memberships_)
    if (auto h = handles_.find(ifindex); h != handles_.end()) (void)h->second->leave_multicast(group);
  memberships_.clear();
  responder_.set_bindings({});
  for (const auto& [key, wave] : bindings_)
    logger()->info("[{} {}] released (shutdown)", link_name(key.first), key.second.to_string());
  bindings_.clear();
  handles_.clear();
}

std::size_t L2Plane::vip_count() const {
  std::set<net::IpAddress> vips;
  for (const auto& [key, wave] : bindings_) vips.insert(key.second);
  return vips.size();
}

// One pass over the bindings: status and metrics then cost O(VIPs), not O(VIPs x bindings).
std::map<net::IpAddress, std::vector<int>> L2Plane::links_by_vip() const {
  std::map<net::IpAddress, std::vector<int>> bound;
  for (const auto& [key, wave] : bindings_) bound[key.second].push_back(key.first);
  return bound;
}

std::vector<L2Plane::LinkStatus> L2Plane::link_status() const {
  std::map<int, std::size_t> vips;
  std::map<int, std::size_t> groups;
  for (const auto& [key, wave] : bindings_) ++vips[key.first];
  for (const auto& g : memberships_) ++groups[g.first];
  std::vector<LinkStatus> out;
  out.reserve(handles_.size());
  for (const auto& [ifindex, handle] : handles_)
    out.push_back({handle->name(), ifindex, vips[ifindex], handle->stats(), groups[ifindex]});
  return out;
}

}  // namespace vipd::daemon
