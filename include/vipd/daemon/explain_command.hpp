#pragma once
// `vipd --explain VIP --config F... [--json]`: one-shot, in the current network namespace.
// Loads the config, finds the VIP's pool, dumps the live link table and prints, for every link,
// SELECTED or the first rule that excludes it, in words (or JSON for scripts). The same decision
// serves the control socket's `explain` (vipctl explain) from the daemon's live table.

#include <ostream>
#include <string>
#include <vector>

#include "vipd/common/ip.hpp"
#include "vipd/common/result.hpp"
#include "vipd/config/model.hpp"
#include "vipd/netlink/snapshot.hpp"
#include "vipd/selector/selector.hpp"

namespace vipd::daemon {

struct Explanation {
  selector::Decision decision;  // links empty for a bgp pool (no link answers ARP/NDP)
  std::string table;            // for a person (selector::format_table, or a note for bgp pools)
  std::string json;             // selector::to_json; bgp pools: {"vip","pool","protocol":"bgp","links":[]}
};

// Finds the VIP's pool by address and decides over `links`. Error: the VIP is in no pool (the
// message lists the pools).
Result<Explanation, std::string> explain(const config::Model& model, const selector::Policy& policy,
                                         const netlink::LinkSnapshot& links, const net::IpAddress& vip);

// 0 when a decision was made (even when no link is selected, and for a VIP of a bgp pool, which
// no link answers for); 1 on config errors, a bad VIP, a VIP in no pool, or a failed link dump.
int run_explain(const std::vector<std::string>& config_files, const std::string& vip, bool json,
                std::ostream& out, std::ostream& err);

}  // namespace vipd::daemon
