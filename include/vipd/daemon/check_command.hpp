#pragma once
// `vipd --check` and `vipd --print-config`: load, validate and allocate without touching the
// network or writing the state dir.

#include <ostream>
#include <string>
#include <vector>

namespace vipd::daemon {

// Prints a readable summary (pools with sizes and protocol, services with their VIPs, peers) and
// returns 0; on errors prints every one of them and returns 1.
int run_check(const std::vector<std::string>& config_files, const std::string& state_dir, std::ostream& out,
              std::ostream& err);

// Prints the merged model as native vipd YAML (converts MetalLB files); 1 on errors.
int run_print_config(const std::vector<std::string>& config_files, std::ostream& out, std::ostream& err);

}  // namespace vipd::daemon
