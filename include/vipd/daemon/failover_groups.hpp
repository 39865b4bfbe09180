#pragma once
// The daemon's side of failover (design §6): one failover::VrrpGroup per `failover.vrrp[]` entry
// and address family that has VIPs, and the ownership gate reconcile asks before answering.
//
//   plan_failover(model, assignments)   pure: which VRRP instances the config asks for
//   FailoverGroups::configure(plan)     start / update / retire instances (on start and reload)
//   FailoverGroups::links_changed(...)  every netlink snapshot: start once the link has an address,
//                                       fault at once on carrier or address loss
//   FailoverGroups::owns(pool, family)  nullopt = the pool is in no group (always owned);
//                                       otherwise true only while this node is master
//   FailoverGroups::shutdown(done)      planned stop / drain: priority 0, keep answering until the
//                                       new master is heard (bounded by 3 x advert), then release
//
// Ownership changes reach the daemon through on_change, posted to the io_context: never from
// inside links_changed() or configure(), so the daemon needs no re-entrancy guard (design §9).

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "vipd/config/model.hpp"
#include "vipd/daemon/metrics.hpp"
#include "vipd/failover/vrrp_group.hpp"
#include "vipd/netlink/snapshot.hpp"
#include "vipd/ownership/ownership.hpp"
#include "vipd/pool/allocator.hpp"
#include "vipd/selector/selector.hpp"

namespace vipd::daemon {

// One VRRP instance: a group and one address family.
struct FailoverInstance {
  failover::GroupSettings settings;  // settings.addresses = that family's VIPs of the group's pools
  std::vector<std::string> pools;
};

// Pure. Instances in config order, IPv4 before IPv6; a family without VIPs in the group gets no
// instance (its adverts would carry an empty list and own nothing). Unicast peers of the other
// family are left out of an instance.
std::vector<FailoverInstance> plan_failover(const config::Model& model,
                                            const std::vector<pool::Assignment>& assignments);

// True when two instances differ at most in their VIP list (a live set_addresses() suffices).
bool same_vrrp_settings(const failover::GroupSettings& a, const failover::GroupSettings& b);

std::string_view family_name(net::Family family);  // "ipv4", "ipv6"

class FailoverGroups {
 public:
  struct Change {
    std::string group;
    net::Family family = net::Family::v4;
    std::vector<std::string> pools;
    bool owned = false;
    bool reannounce = false;  // already owned: a lower-priority master was heard, announce again
  };

  FailoverGroups(boost::asio::io_context& io, std::function<void(const Change&)> on_change);
  ~FailoverGroups();
  FailoverGroups(const FailoverGroups&) = delete;
  FailoverGroups& operator=(const FailoverGroups&) = delete;

  // `gated` = every pool named by a group (owned only through mastership, even without VIPs).
  // Unchanged instances keep running (new VIP list applied live); changed or removed ones hand
  // over gracefully; new ones start when the link is known.
  void configure(std::vector<FailoverInstance> plan, std::set<std::string> gated,
                 const netlink::LinkSnapshot* links, const selector::Policy& policy);
  void links_changed(const netlink::LinkSnapshot& links, const selector::Policy& policy);

  std::optional<bool> owns(const std::string& pool, net::Family family) const;
  // This source's part of the ownership inputs (design §9): the pools the groups gate and, per
  // (pool, family), the state of the instance that gates it.
  void report(ownership::Inputs& inputs) const;
  bool empty() const { return instances_.empty() && gated_.empty(); }

  // Planned stop of every instance; `done` runs (posted) when all have released. Afterwards the
  // instances stay stopped (never master) until resume().
  void shutdown(std::function<void()> done);
  void resume(const netlink::LinkSnapshot* links, const selector::Policy& policy);
  bool stopped() const { return stopped_; }

  nlohmann::json status() const;
  std::vector<MetricsSnapshot::FailoverGroup> metrics() const;
  // "lan/ipv4 master, lan/ipv6 backup"
  std::string summary() const;

 private:
  struct Instance;
  using Key = std::pair<std::string, net::Family>;

  std::unique_ptr<Instance> make_instance(FailoverInstance spec);
  void attach_group(Instance& instance);
  void update_link(Instance& instance, const netlink::LinkSnapshot& links, const selector::Policy& policy);
  void retire(std::unique_ptr<Instance> instance);
  void post_change(Change change);

  boost::asio::io_context& io_;
  std::function<void(const Change&)> on_change_;
  std::map<Key, std::unique_ptr<Instance>> instances_;
  std::vector<std::unique_ptr<Instance>> retiring_;  // handing over after a reload removed them
  std::set<std::string> gated_;
  bool stopped_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vipd::daemon
