#pragma once
// Private to vipd_config.
#include <string>

namespace vipd::config::detail {

// True if `pattern` compiles as an ECMAScript regular expression.
bool valid_regex(const std::string& pattern);

}  // namespace vipd::config::detail
