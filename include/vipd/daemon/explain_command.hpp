#pragma once
// `vipd --explain VIP --config F... [--json]`: one-shot, in the current network namespace.
// Loads the config, finds the VIP's pool, dumps the live link table and prints, for every link,
// SELECTED or the first rule that excludes it, in words (or JSON for scripts).

#include <ostream>
#include <string>
#include <vector>

namespace vipd::daemon {

// 0 when a decision was made (even when no link is selected, and for a VIP of a bgp pool, which
// no link answers for); 1 on config errors, a bad VIP, a VIP in no pool, or a failed link dump.
int run_explain(const std::vector<std::string>& config_files, const std::string& vip, bool json, std::ostream& out,
                std::ostream& err);

}  // namespace vipd::daemon
