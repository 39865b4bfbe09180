#include "vipd/daemon/desired.hpp"

#include <algorithm>
#include <tuple>

namespace vipd::daemon {

DesiredL2 desired_l2(const selector::Policy& policy, const netlink::LinkSnapshot& links,
                     const std::vector<pool::Assignment>& assignments, const OwnsPool& owns) {
  DesiredL2 desired;
  std::vector<std::pair<net::IpAddress, std::string>> vips;
  for (const auto& a : assignments)
    if (a.protocol == config::Protocol::layer2 && owns(a.pool, a.vip.family())) vips.emplace_back(a.vip, a.pool);
  desired.decisions = selector::select_all(policy, links, vips);
  for (const auto& decision : desired.decisions)
    for (int ifindex : decision.selected_ifindexes()) desired.bindings.push_back({ifindex, decision.vip});
  std::sort(desired.bindings.begin(), desired.bindings.end(), [](const l2::Binding& a, const l2::Binding& b) {
    return std::tie(a.ifindex, a.vip) < std::tie(b.ifindex, b.vip);
  });
  return desired;
}

DesiredL2 desired_l2(const selector::Policy& policy, const netlink::LinkSnapshot& links,
                     const std::vector<pool::Assignment>& assignments, bool drained) {
  return desired_l2(policy, links, assignments, [drained](const std::string&, net::Family) { return !drained; });
}

}  // namespace vipd::daemon
