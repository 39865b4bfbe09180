#pragma once
// `vipd --explain VIP --config F... [--json]`: one-shot, in the current network namespace.
// Loads the config, finds the VIP's pool, dumps the live link table and prints, for every link,
// SELECTED or the first rule that excludes it, in words (or JSON for scripts), then the ownership
// block: whether this node owns the VIP and each source's reason (design §9). The same decision
// serves the control socket's `explain` (vipctl explain) from the daemon's live table and live
// ownership; the one-shot command runs no VRRP, so it shows a failover group's state as unknown.

#include <ostream>
#include <string>
#include <vector>

#include "vipd/common/ip.hpp"
#include "vipd/common/result.hpp"
#include "vipd/config/model.hpp"
#include "vipd/netlink/snapshot.hpp"
#include "vipd/ownership/ownership.hpp"
#include "vipd/pool/allocator.hpp"
#include "vipd/selector/selector.hpp"

namespace vipd::daemon {

struct Explanation {
  selector::Decision decision;  // links empty for a bgp pool (no link answers ARP/NDP)
  ownership::Verdict verdict;   // owned (layer2) / announced (bgp), with every source's reason
  std::string table;            // for a person: the link table (or a note for bgp pools), then ownership
  // selector::to_json (bgp pools: {"vip","pool","protocol":"bgp","links":[]}) plus "owned" and
  // "ownership": [{"source","state","effect"}]
  std::string json;
};

// Finds the VIP's pool by address, decides over `links` and judges ownership from `inputs` (for an
// address no service in `assignments` uses: not owned). Error: the VIP is in no pool (the message
// lists the pools).
Result<Explanation, std::string> explain(const config::Model& model, const selector::Policy& policy,
                                         const netlink::LinkSnapshot& links, const net::IpAddress& vip,
                                         const std::vector<pool::Assignment>& assignments,
                                         const ownership::Inputs& inputs);

// The ownership inputs a one-shot command knows from the config alone: not drained, and every
// failover group's state unknown (it runs no VRRP).
ownership::Inputs offline_ownership_inputs(const config::Model& model,
                                           const std::vector<pool::Assignment>& assignments);

// 0 when a decision was made (even when no link is selected, and for a VIP of a bgp pool, which
// no link answers for); 1 on config errors, a bad VIP, a VIP in no pool, or a failed link dump.
// The state dir (read only) gives services without an address the VIP the daemon allocated them.
int run_explain(const std::vector<std::string>& config_files, const std::string& state_dir,
                const std::string& vip, bool json, std::ostream& out, std::ostream& err);

}  // namespace vipd::daemon
