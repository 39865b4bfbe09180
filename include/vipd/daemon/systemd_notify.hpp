#pragma once
// sd_notify(3) for Type=notify: READY/RELOADING/STOPPING/STATUS and watchdog pings. Every call is a
// no-op when the daemon does not run under systemd (NOTIFY_SOCKET unset).

#include <chrono>
#include <optional>
#include <string>

namespace vipd::daemon::systemd {

void notify(const std::string& state);
// The watchdog period systemd asked for (WatchdogSec=), if any.
std::optional<std::chrono::microseconds> watchdog_interval();

}  // namespace vipd::daemon::systemd
