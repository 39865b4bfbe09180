#include "vipd/daemon/version.hpp"

namespace vipd::daemon {

const char* version() {
  return VIPD_VERSION;
}

}  // namespace vipd::daemon
