// Checks "re:" link patterns at load time, so a bad one is reported with its file position.
// Kept in its own file: GCC 12 reports a false -Wmaybe-uninitialized inside <regex> when built
// with sanitizers, and the pragma below must cover the header (the warning points into it).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <exception>
#include <regex>
#include <string>

#include "regex_check.hpp"

namespace vipd::config::detail {

bool valid_regex(const std::string& pattern) {
  try {
    std::regex compiled(pattern, std::regex::ECMAScript);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace vipd::config::detail
