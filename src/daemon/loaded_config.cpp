#include "vipd/daemon/loaded_config.hpp"

#include "vipd/config/loader.hpp"
#include "vipd/pool/state_store.hpp"
#include "vipd/pool/validate.hpp"

namespace vipd::daemon {

Result<LoadedConfig, config::Diagnostics> load_config(const std::vector<std::string>& config_files,
                                                      const std::string& state_dir) {
  auto loaded = config::load_files(config_files);
  if (!loaded) return unexpected(loaded.error());

  LoadedConfig result;
  result.model = std::move(loaded->model);
  result.warnings = std::move(loaded->warnings);

  if (auto errors = pool::validate(result.model); !errors.empty()) return unexpected(std::move(errors));

  pool::State previous;
  if (!state_dir.empty()) {
    auto stored = pool::StateStore(state_dir).load();
    previous = std::move(stored.state);
    result.state_warnings = std::move(stored.warnings);
  }
  auto allocation = pool::allocate(result.model, previous);
  if (!allocation.errors.empty()) return unexpected(std::move(allocation.errors));
  for (auto& w : allocation.warnings) result.warnings.push_back(std::move(w));
  result.assignments = std::move(allocation.assignments);
  result.state = std::move(allocation.state);
  return result;
}

}  // namespace vipd::daemon
