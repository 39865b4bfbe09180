// Fuzz target: arbitrary bytes as a config file. load_text must never crash, hang or throw;
// whatever loads must print as native YAML that loads again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "vipd/config/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto r = vipd::config::load_text("fuzz.yaml", text);
  if (r.ok()) {
    // Round trip: the printed model must load again and print identically.
    const std::string printed = vipd::config::to_native_yaml(r->model);
    auto again = vipd::config::load_text("printed.yaml", printed);
    if (!again.ok() || vipd::config::to_native_yaml(again->model) != printed) std::abort();
  } else {
    for (const auto& d : r.error()) (void)d.format();
  }
  return 0;
}
