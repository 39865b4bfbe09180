#include "vipd/daemon/desired.hpp"

#include <algorithm>
#include <set>
#include <tuple>

namespace vipd::daemon {

namespace {

DesiredL2 select_owned(const selector::Policy& policy, const netlink::LinkSnapshot& links,
                       const std::vector<pool::Assignment>& assignments,
                       const std::function<bool(std::size_t)>& owns, const OwnsPool& standby) {
  DesiredL2 desired;
  std::vector<std::pair<net::IpAddress, std::string>> vips;
  std::vector<bool> owned;
  for (std::size_t i = 0; i < assignments.size(); ++i) {
    const auto& a = assignments[i];
    if (a.protocol != config::Protocol::layer2) continue;
    const bool own = owns(i);
    if (!own && !(standby && standby(a.pool, a.vip.family()))) continue;
    vips.emplace_back(a.vip, a.pool);
    owned.push_back(own);
  }
  // One selection for owned and standby VIPs alike.
  auto decisions = selector::select_all(policy, links, vips);
  std::set<int> standby_links;
  for (std::size_t i = 0; i < decisions.size(); ++i) {
    if (!owned[i]) {
      standby_links.insert(decisions[i].selected.begin(), decisions[i].selected.end());
      continue;
    }
    for (int ifindex : decisions[i].selected) desired.bindings.push_back({ifindex, decisions[i].vip});
    desired.decisions.push_back(std::move(decisions[i]));
  }
  std::sort(desired.bindings.begin(), desired.bindings.end(), [](const l2::Binding& a, const l2::Binding& b) {
    return std::tie(a.ifindex, a.vip) < std::tie(b.ifindex, b.vip);
  });
  desired.standby_links.assign(standby_links.begin(), standby_links.end());
  return desired;
}

}  // namespace

DesiredL2 desired_l2(const selector::Policy& policy, const netlink::LinkSnapshot& links,
                     const std::vector<pool::Assignment>& assignments, const OwnsPool& owns,
                     const OwnsPool& standby) {
  return select_owned(
      policy, links, assignments,
      [&](std::size_t i) { return owns(assignments[i].pool, assignments[i].vip.family()); }, standby);
}

DesiredL2 desired_l2(const selector::Policy& policy, const netlink::LinkSnapshot& links,
                     const std::vector<pool::Assignment>& assignments,
                     const std::vector<ownership::Verdict>& verdicts, const OwnsPool& standby) {
  return select_owned(
      policy, links, assignments, [&](std::size_t i) { return i < verdicts.size() && verdicts[i].owned; },
      standby);
}

DesiredL2 desired_l2(const selector::Policy& policy, const netlink::LinkSnapshot& links,
                     const std::vector<pool::Assignment>& assignments, bool drained) {
  return desired_l2(policy, links, assignments,
                    [drained](const std::string&, net::Family) { return !drained; });
}

}  // namespace vipd::daemon
