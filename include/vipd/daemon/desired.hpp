#pragma once
// The pure step between inputs and the responder: which (link, VIP) pairs should be answered now.
// Re-run on every input change (netlink event, reload, drain); the daemon diffs the result.

#include <functional>
#include <string>
#include <vector>

#include "vipd/l2/responder.hpp"
#include "vipd/netlink/snapshot.hpp"
#include "vipd/ownership/ownership.hpp"
#include "vipd/pool/allocator.hpp"
#include "vipd/selector/selector.hpp"

namespace vipd::daemon {

struct DesiredL2 {
  std::vector<l2::Binding> bindings;          // sorted by (ifindex, vip)
  std::vector<selector::Decision> decisions;  // one per owned layer2 VIP, for logs and explain
  std::vector<int> standby_links;             // ascending: links standby VIPs would be answered on
};

// Whether this node owns a layer2 pool's VIPs of one family now (drain, failover mastership).
using OwnsPool = std::function<bool(const std::string& pool, net::Family family)>;

// Owned layer2 VIPs bound to the links the selector picks for each. VIPs `standby` accepts but
// `owns` does not (a failover backup's) only contribute their links to standby_links.
DesiredL2 desired_l2(const selector::Policy& policy, const netlink::LinkSnapshot& links,
                     const std::vector<pool::Assignment>& assignments, const OwnsPool& owns,
                     const OwnsPool& standby = {});
// Owned = the ownership model's verdict for the assignment at the same index (design §9).
DesiredL2 desired_l2(const selector::Policy& policy, const netlink::LinkSnapshot& links,
                     const std::vector<pool::Assignment>& assignments,
                     const std::vector<ownership::Verdict>& verdicts, const OwnsPool& standby = {});
// Every layer2 VIP is owned unless `drained`.
DesiredL2 desired_l2(const selector::Policy& policy, const netlink::LinkSnapshot& links,
                     const std::vector<pool::Assignment>& assignments, bool drained);

}  // namespace vipd::daemon
