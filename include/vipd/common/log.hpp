#pragma once
// One named logger per subsystem ("config", "netlink", "selector", "l2", "daemon", ...).
// Log lines carry their context in the message: "[l2 eth0 192.168.20.100] ...".

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace vipd::log {

// Returns the logger for a subsystem, creating it on first use with the process-wide settings.
std::shared_ptr<spdlog::logger> get(const std::string& subsystem);

// Configures every logger (existing and future): level name ("trace".."critical", "off") and
// whether stderr is journald (JOURNAL_STREAM set: no timestamps, "<N>" syslog priority prefixes).
// Returns false for an unknown level name.
bool configure(const std::string& level);

}  // namespace vipd::log
