#include "vipd/daemon/failover_groups.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "vipd/common/log.hpp"

namespace vipd::daemon {
namespace {

std::shared_ptr<spdlog::logger> logger() {
  static auto l = log::get("failover");
  return l;
}

// Records why a group is not running; true when the reason is new (snapshots repeat, logs should not).
bool note_reason(std::string& recorded, std::string reason) {
  if (recorded == reason) return false;
  recorded = std::move(reason);
  return true;
}

std::string key_text(const std::string& group, net::Family family) {
  return group + "/" + std::string(family_name(family));
}

}  // namespace

std::string_view family_name(net::Family family) {
  return family == net::Family::v4 ? "ipv4" : "ipv6";
}

std::vector<FailoverInstance> plan_failover(const config::Model& model,
                                            const std::vector<pool::Assignment>& assignments) {
  std::vector<FailoverInstance> plan;
  for (const auto& group : model.failover.vrrp) {
    for (const auto family : {net::Family::v4, net::Family::v6}) {
      FailoverInstance instance;
      auto& s = instance.settings;
      s.name = group.name;
      s.interface = group.interface;
      s.vrid = group.vrid;
      s.priority = group.priority;
      s.advert_interval = std::chrono::duration_cast<std::chrono::milliseconds>(group.advert_interval);
      s.preempt = group.preempt;
      s.preempt_delay = std::chrono::duration_cast<std::chrono::milliseconds>(group.preempt_delay);
      s.family = family;
      for (const auto& peer : group.unicast_peers)
        if (peer.family() == family) s.unicast_peers.push_back(peer);
      instance.pools = group.pools;
      for (const auto& a : assignments) {
        if (a.protocol != config::Protocol::layer2 || a.vip.family() != family) continue;
        if (std::find(group.pools.begin(), group.pools.end(), a.pool) != group.pools.end())
          s.addresses.push_back(a.vip);
      }
      std::sort(s.addresses.begin(), s.addresses.end());
      s.addresses.erase(std::unique(s.addresses.begin(), s.addresses.end()), s.addresses.end());
      if (!s.addresses.empty()) plan.push_back(std::move(instance));
    }
  }
  return plan;
}

bool same_vrrp_settings(const failover::GroupSettings& a, const failover::GroupSettings& b) {
  return a.name == b.name && a.interface == b.interface && a.vrid == b.vrid && a.priority == b.priority &&
         a.advert_interval == b.advert_interval && a.preempt == b.preempt &&
         a.preempt_delay == b.preempt_delay && a.unicast_peers == b.unicast_peers && a.family == b.family;
}

struct FailoverGroups::Instance {
  FailoverInstance spec;
  std::unique_ptr<failover::VrrpGroup> group;
  int ifindex = 0;  // the link it was started on; 0 = not started
  bool owned = false;
  std::string waiting_for;  // why it has not started (logged once per reason)
};

FailoverGroups::FailoverGroups(boost::asio::io_context& io, std::function<void(const Change&)> on_change)
    : io_(io), on_change_(std::move(on_change)) {}

FailoverGroups::~FailoverGroups() {
  // alive_ goes with this object: handover callbacks still queued on the io_context see it expired.
  // Destroying a VrrpGroup calls nothing back; the daemon is going away too.
  instances_.clear();
  retiring_.clear();
}

std::unique_ptr<FailoverGroups::Instance> FailoverGroups::make_instance(FailoverInstance spec) {
  auto instance = std::make_unique<Instance>();
  instance->spec = std::move(spec);
  attach_group(*instance);
  return instance;
}

// A fresh, unstarted VrrpGroup for `instance` (Instances live behind unique_ptrs: the address the
// callback holds stays valid while the instance moves between maps).
void FailoverGroups::attach_group(Instance& instance) {
  Instance* raw = &instance;
  instance.ifindex = 0;
  instance.owned = false;
  instance.group =
      std::make_unique<failover::VrrpGroup>(io_, instance.spec.settings, [this, raw](bool owned) {
        const bool reannounce = owned && raw->owned;
        raw->owned = owned;
        // A retiring instance gates nothing any more: its successor (or no group) decides.
        const bool current = std::any_of(instances_.begin(), instances_.end(),
                                         [raw](const auto& entry) { return entry.second.get() == raw; });
        if (!current) return;
        post_change({raw->spec.settings.name, raw->spec.settings.family, raw->spec.pools, owned, reannounce});
      });
}

void FailoverGroups::update_link(Instance& instance, const netlink::LinkSnapshot& links,
                                 const selector::Policy& policy) {
  const auto& s = instance.spec.settings;
  const auto name = key_text(s.name, s.family);
  const netlink::Link* link = links.find(s.interface);
  if (link != nullptr && instance.ifindex != 0 && link->ifindex != instance.ifindex) {
    // The link was deleted and re-created: the socket is bound to the old one. Start again.
    logger()->warn("[failover {}] link {} re-created (ifindex {} -> {}): restarting the group", name,
                   s.interface, instance.ifindex, link->ifindex);
    const bool was_owned = instance.owned;
    instance.group.reset();
    attach_group(instance);
    if (was_owned) post_change({s.name, s.family, instance.spec.pools, false, false});
  }
  if (link == nullptr) {
    if (instance.ifindex != 0) {
      instance.group->link_changed(false, {});
    } else if (note_reason(instance.waiting_for, "link")) {
      logger()->warn("[failover {}] link {} does not exist: waiting for it (backup, owns nothing)", name,
                     s.interface);
    }
    return;
  }
  const auto view = failover::link_view(*link, s.family);
  bool usable = view.usable;
  std::string refused;
  if (usable) {
    // The group's link must pass the same link rules as an answering link (deny/allow, bond or
    // bridge port, admin/oper state): check it for its own primary address.
    const auto decision = selector::select(policy, links, view.primary_address, "");
    const auto it = std::find_if(decision.links.begin(), decision.links.end(),
                                 [&](const auto& l) { return l.ifindex == link->ifindex; });
    // Rules about the link itself only: the subnet rule is about VIPs (an IPv6 group sends from its
    // link-local address, which no configured prefix holds).
    if (it != decision.links.end() && !it->selected && it->rule != selector::Rule::no_subnet) {
      usable = false;
      refused = it->reason;
    }
  }
  if (instance.ifindex == 0) {
    if (!refused.empty()) {
      if (note_reason(instance.waiting_for, "policy:" + refused))
        logger()->error(
            "[failover {}] link {} is refused by the interface policy ({}): the group stays backup", name,
            s.interface, refused);
      return;
    }
    if (view.primary_address.is_unspecified()) {
      if (note_reason(instance.waiting_for, "address"))
        logger()->warn("[failover {}] link {} has no {} address to send adverts from: waiting", name,
                       s.interface, s.family == net::Family::v4 ? "IPv4" : "IPv6 link-local");
      return;
    }
    instance.group->link_changed(usable, view.primary_address);
    if (auto started = instance.group->start(link->ifindex, view.primary_address); !started) {
      if (note_reason(instance.waiting_for, "start:" + started.error()))
        logger()->error("[failover {}] cannot start: {}", name, started.error());
      return;
    }
    instance.ifindex = link->ifindex;
    instance.waiting_for.clear();
    return;
  }
  if (!refused.empty())
    logger()->warn("[failover {}] link {} is now refused by the interface policy ({}): fault", name,
                   s.interface, refused);
  instance.group->link_changed(usable, view.primary_address);
}

void FailoverGroups::retire(std::unique_ptr<Instance> instance) {
  if (instance->ifindex == 0) return;  // never started: nothing to hand over
  Instance* raw = instance.get();
  retiring_.push_back(std::move(instance));
  raw->group->shutdown([this, raw, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.expired()) return;
    std::erase_if(retiring_, [raw](const auto& i) { return i.get() == raw; });
  });
}

void FailoverGroups::configure(std::vector<FailoverInstance> plan, std::set<std::string> gated,
                               const netlink::LinkSnapshot* links, const selector::Policy& policy) {
  gated_ = std::move(gated);
  std::map<Key, std::unique_ptr<Instance>> next;
  std::vector<Change> released;
  for (auto& spec : plan) {
    Key key{spec.settings.name, spec.settings.family};
    auto it = instances_.find(key);
    if (it != instances_.end() && same_vrrp_settings(it->second->spec.settings, spec.settings)) {
      auto instance = std::move(it->second);
      instances_.erase(it);
      if (instance->spec.settings.addresses != spec.settings.addresses &&
          !instance->group->set_addresses(spec.settings.addresses))
        logger()->error("[failover {}] cannot carry {} VIPs in one advert (at most 255)",
                        key_text(key.first, key.second), spec.settings.addresses.size());
      instance->spec = std::move(spec);
      next.emplace(key, std::move(instance));
      continue;
    }
    if (it != instances_.end()) {
      logger()->info("[failover {}] settings changed: handing over and restarting the group",
                     key_text(key.first, key.second));
      if (it->second->owned)
        released.push_back({key.first, key.second, it->second->spec.pools, false, false});
      retire(std::move(it->second));
      instances_.erase(it);
    }
    next.emplace(key, make_instance(std::move(spec)));
  }
  for (auto& [key, instance] : instances_) {
    logger()->info("[failover {}] removed from the configuration: handing over",
                   key_text(key.first, key.second));
    retire(std::move(instance));
  }
  instances_ = std::move(next);
  for (auto& change : released) post_change(std::move(change));
  if (links != nullptr && !stopped_)
    for (auto& [key, instance] : instances_) update_link(*instance, *links, policy);
}

void FailoverGroups::links_changed(const netlink::LinkSnapshot& links, const selector::Policy& policy) {
  if (stopped_) return;
  for (auto& [key, instance] : instances_) update_link(*instance, links, policy);
}

std::optional<bool> FailoverGroups::owns(const std::string& pool, net::Family family) const {
  if (!gated_.count(pool)) return std::nullopt;
  for (const auto& [key, instance] : instances_) {
    if (key.second != family) continue;
    const auto& pools = instance->spec.pools;
    if (std::find(pools.begin(), pools.end(), pool) != pools.end()) return instance->owned;
  }
  return false;
}

// Ownership is updated at once (owns() and report() see it); the daemon hears of it on the next
// loop turn, so no change ever calls back into it from inside configure() or links_changed().
void FailoverGroups::post_change(Change change) {
  boost::asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_), change = std::move(change)] {
    if (alive.expired()) return;
    on_change_(change);
  });
}

void FailoverGroups::report(ownership::Inputs& inputs) const {
  inputs.failover_pools.insert(gated_.begin(), gated_.end());
  for (const auto& [key, instance] : instances_) {
    std::string state = instance->group ? instance->group->status().state : std::string("initialize");
    if (!instance->waiting_for.empty() && !instance->owned) state += " (" + instance->waiting_for + ")";
    for (const auto& pool : instance->spec.pools)
      inputs.groups.emplace(std::make_pair(pool, key.second),
                            ownership::GroupState{key.first, key.second, state, instance->owned});
  }
}

void FailoverGroups::shutdown(std::function<void()> done) {
  stopped_ = true;
  auto remaining = std::make_shared<std::size_t>(instances_.size() + 1);
  // The groups stay as they are once released (closed sockets, state and last transition kept for
  // status); resume() replaces them with fresh ones.
  auto finish = [remaining, done = std::move(done)] {
    if (--*remaining != 0) return;
    if (done) done();
  };
  for (auto& [key, instance] : instances_) instance->group->shutdown(finish);
  boost::asio::post(io_, finish);
}

void FailoverGroups::resume(const netlink::LinkSnapshot* links, const selector::Policy& policy) {
  if (!stopped_) return;
  stopped_ = false;
  // A handover still in progress is abandoned (its done never runs): fresh groups start as backup.
  for (auto& [key, instance] : instances_) attach_group(*instance);
  if (links != nullptr)
    for (auto& [key, instance] : instances_) update_link(*instance, *links, policy);
}

nlohmann::json FailoverGroups::status() const {
  auto out = nlohmann::json::array();
  const auto now = std::chrono::steady_clock::now();
  for (const auto& [key, instance] : instances_) {
    const auto& s = instance->spec.settings;
    const auto st = instance->group->status();
    auto vips = nlohmann::json::array();
    for (const auto& a : s.addresses) vips.push_back(a.to_string());
    nlohmann::json since = nullptr;
    if (st.last_transition)
      since = std::chrono::duration_cast<std::chrono::seconds>(now - *st.last_transition).count();
    out.push_back({{"group", s.name},
                   {"family", family_name(s.family)},
                   {"interface", s.interface},
                   {"vrid", s.vrid},
                   {"priority", s.priority},
                   {"advert_interval_ms", s.advert_interval.count()},
                   {"state", st.state},
                   {"owned", instance->owned},
                   {"master_address", st.master_address},
                   {"last_transition_reason", st.last_transition_reason},
                   {"last_transition_seconds_ago", since},
                   {"adverts_received", st.adverts_received},
                   {"transitions", st.transitions},
                   {"waiting_for", instance->waiting_for},
                   {"pools", instance->spec.pools},
                   {"vips", vips}});
  }
  return out;
}

std::vector<MetricsSnapshot::FailoverGroup> FailoverGroups::metrics() const {
  std::vector<MetricsSnapshot::FailoverGroup> out;
  for (const auto& [key, instance] : instances_) {
    const auto st = instance->group->status();
    out.push_back({key.first, std::string(family_name(key.second)), instance->owned, st.adverts_received,
                   st.transitions_to});
  }
  return out;
}

std::string FailoverGroups::summary() const {
  std::string out;
  for (const auto& [key, instance] : instances_) {
    if (!out.empty()) out += ", ";
    out += key_text(key.first, key.second) + " " + instance->group->status().state;
  }
  return out;
}

}  // namespace vipd::daemon
