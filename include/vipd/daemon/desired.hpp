#pragma once
// The pure step between inputs and the responder: which (link, VIP) pairs should be answered now.
// Re-run on every input change (netlink event, reload, drain); the daemon diffs the result.

#include <string>
#include <vector>

#include "vipd/l2/responder.hpp"
#include "vipd/netlink/snapshot.hpp"
#include "vipd/pool/allocator.hpp"
#include "vipd/selector/selector.hpp"

namespace vipd::daemon {

struct DesiredL2 {
  std::vector<l2::Binding> bindings;           // sorted by (ifindex, vip)
  std::vector<selector::Decision> decisions;   // one per owned layer2 VIP, for logs and explain
};

// Owned layer2 VIPs (all assignments of layer2 pools unless `drained`) bound to the links the
// selector picks for each.
DesiredL2 desired_l2(const selector::Policy& policy, const netlink::LinkSnapshot& links,
                     const std::vector<pool::Assignment>& assignments, bool drained);

}  // namespace vipd::daemon
