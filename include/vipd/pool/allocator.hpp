#pragma once
// Deterministic assignment of VIPs to services.

#include <map>
#include <string>
#include <vector>

#include "vipd/common/ip.hpp"
#include "vipd/config/model.hpp"

namespace vipd::pool {

struct Assignment {
  std::string service;
  std::string pool;
  config::Protocol protocol = config::Protocol::layer2;
  net::IpAddress vip;
  bool explicit_address = false;

  friend bool operator==(const Assignment&, const Assignment&) = default;
};

// What is persisted: service name -> VIP.
struct State {
  std::map<std::string, net::IpAddress> allocations;
  friend bool operator==(const State&, const State&) = default;
};

struct AllocationResult {
  std::vector<Assignment> assignments;  // sorted by service name
  State state;                          // what to persist: exactly the assignments
  // Services that got no VIP, with the reason. After validate() found nothing, the only possible
  // one is an exhausted pool (names the service and the pool).
  config::Diagnostics errors;
  // Previous allocations that were dropped (service removed, address no longer in its pool,
  // address now taken by an explicit one, pool now auto-assign: false).
  config::Diagnostics warnings;
};

// Deterministic: explicit addresses first; then services whose previous allocation is still valid
// (inside their pool, usable, not taken) keep it, in service-name order; the rest get the lowest
// free address of their pool (IPv4 before IPv6), in service-name order. Adding a service (even one
// sorting first) never moves an existing VIP, and a restart with the saved state yields the same
// VIPs. Cost: O(S log S + ranges) plus one hash probe per skipped taken address; each pool keeps a
// cursor, so no per-service scan from the pool's start.
AllocationResult allocate(const config::Model& model, const State& previous);

}  // namespace vipd::pool
