// Fuzzes the allocation state file decoder (<state-dir>/allocations.json): whatever the bytes, it must
// return (never throw or crash), and what it accepts must survive format_state -> parse_state
// unchanged, with no new warnings.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "vipd/pool/state_store.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto first = vipd::pool::parse_state(text, "fuzz");
  const auto again = vipd::pool::parse_state(vipd::pool::format_state(first.state), "fuzz");
  if (!again.warnings.empty() || again.state != first.state) std::abort();
  return 0;
}
