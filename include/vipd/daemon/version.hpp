#pragma once

namespace vipd::daemon {

const char* version();

}  // namespace vipd::daemon
