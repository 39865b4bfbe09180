#pragma once
// Everything derived from the config files that the daemon and the one-shot commands need:
// the model after load + address validation + allocation. Building it touches no network.

#include <string>
#include <vector>

#include "vipd/common/result.hpp"
#include "vipd/config/model.hpp"
#include "vipd/pool/allocator.hpp"

namespace vipd::daemon {

struct LoadedConfig {
  config::Model model;
  config::Diagnostics warnings;
  std::vector<pool::Assignment> assignments;  // sorted by service name
  pool::State state;                          // allocations to persist
  std::vector<std::string> state_warnings;    // from reading the state dir
};

// Loads and merges the files, validates addresses and allocates VIPs against the state dir's
// previous allocations (read only here). Errors: every diagnostic found.
Result<LoadedConfig, config::Diagnostics> load_config(const std::vector<std::string>& config_files,
                                                      const std::string& state_dir);

}  // namespace vipd::daemon
