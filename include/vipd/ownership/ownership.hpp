#pragma once
// Ownership as data (design §9): whether this node answers (layer2) or announces (bgp) a VIP, and
// why. Every source reports its state as plain values; one pure function combines them, and the
// planes (L2, BGP, local delivery), `vipctl status` and `explain` all read its verdicts.
//
//   layer2 VIP: owned     = not drained (or handing over through its group)
//                           AND (no failover group, or the group's instance for its family is master)
//                           AND every health check gating it is up
//                           AND (no cluster store for its pool, or this node holds its claim)
//   bgp VIP:    announced = not drained AND every health check gating it is up
//                           AND (no cluster store for its pool, or this node holds its claim)
//
// A drained node withdraws its BGP VIPs too: BGP is active-active, so the other nodes keep
// announcing them and routers move the traffic (ECMP) with no gap; a drain that left the routes
// up would keep sending traffic to a node under maintenance. Drain of a pool in a failover group
// is make-before-break: the group hands over (priority 0) and the VIP stays owned until the group
// stops being master, so the admin source defers to the group instead of blocking at once.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "vipd/common/ip.hpp"
#include "vipd/pool/allocator.hpp"

namespace vipd::ownership {

// `config` only says that no service uses an address (explain of a pool address without a service).
enum class Source : std::uint8_t { config, admin, failover, health, cluster };
std::string_view to_string(Source source) noexcept;  // "config", "admin", "failover", "health", "cluster"

enum class Effect : std::uint8_t {
  allows,  // this source lets the node own the VIP
  blocks,  // this source alone keeps the node from owning it
  defers,  // this source's state is carried out by another source (drain of a failover pool)
};
std::string_view to_string(Effect effect) noexcept;  // "allows", "blocks", "defers"

struct Reason {
  Source source = Source::admin;
  std::string state;  // for a person: "drained", "group lan/ipv4 backup", "check web down (0/3)"
  Effect effect = Effect::allows;

  friend bool operator==(const Reason&, const Reason&) = default;
};

struct Verdict {
  bool owned = false;           // layer2: answer ARP/NDP; bgp: announce to peers
  std::vector<Reason> reasons;  // every source with a say, in Source order
  // The first reason that blocks (why the VIP is not owned); nullptr when owned.
  const Reason* deciding() const;
  // "group lan/ipv4 backup (failover)" or "" when owned.
  std::string deciding_text() const;
};

// One failover (VRRP) instance: a group and an address family.
struct GroupState {
  std::string group;  // "lan"
  net::Family family = net::Family::v4;
  std::string state;    // "master", "backup", "initialize", "releasing", "fault", or why it waits
  bool master = false;  // the group owns its VIPs now (master, or releasing until heard)
};

struct CheckState {
  bool up = false;
  std::string detail;  // "up (3/3)", "down: connection refused (0/3)"
};

// Filled by health checks (design §10); absent = no checks configured.
struct HealthInputs {
  std::map<std::string, CheckState> checks;                    // by check name
  std::map<std::string, std::vector<std::string>> by_service;  // service -> checks gating it
  std::map<std::string, std::vector<std::string>> by_pool;     // pool -> checks gating its VIPs
};

struct Claim {
  bool held = false;
  std::string detail;  // "claim held (lease 7f3a)", "claimed by node-b"
};

// Filled by a cluster store (design §12); absent = no cluster store.
struct ClusterInputs {
  std::set<std::string> pools;             // pools whose VIPs the cluster decides
  std::map<net::IpAddress, Claim> claims;  // VIPs this node holds or knows the owner of
};

struct Inputs {
  bool drained = false;
  // Pools named by any failover group: owned only through mastership.
  std::set<std::string> failover_pools;
  // (pool, family) -> the group instance that gates it. A failover pool without an instance for a
  // family (the group has not started) is not owned.
  std::map<std::pair<std::string, net::Family>, GroupState> groups;
  std::optional<HealthInputs> health;
  std::optional<ClusterInputs> cluster;
};

Verdict decide(const pool::Assignment& assignment, const Inputs& inputs);
// For an address of a pool that no service uses: nothing to own.
Verdict unassigned();
// One verdict per assignment, in the same order.
std::vector<Verdict> decide_all(const std::vector<pool::Assignment>& assignments, const Inputs& inputs);

// The explain block for a person:
//   Ownership: owned (answers ARP/NDP on the selected links)
//     admin     serving                 allows
//     failover  group lan/ipv4 master   allows
std::string format_block(const pool::Assignment& assignment, const Verdict& verdict);
// Sets "owned": bool and "ownership": [{"source", "state", "effect"}] on a JSON object.
void add_to_json(nlohmann::json& object, const Verdict& verdict);

}  // namespace vipd::ownership
