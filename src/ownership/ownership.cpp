#include "vipd/ownership/ownership.hpp"

#include <algorithm>

namespace vipd::ownership {
namespace {

std::string family_text(net::Family family) {
  return family == net::Family::v4 ? "ipv4" : "ipv6";
}

// The checks gating one VIP: its service's, then its pool's, each name once.
std::vector<std::string> gating_checks(const pool::Assignment& a, const HealthInputs& health) {
  std::vector<std::string> names;
  auto add = [&](const std::map<std::string, std::vector<std::string>>& by, const std::string& key) {
    if (auto it = by.find(key); it != by.end())
      for (const auto& n : it->second)
        if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  };
  add(health.by_service, a.service);
  add(health.by_pool, a.pool);
  return names;
}

}  // namespace

std::string_view to_string(Source source) noexcept {
  switch (source) {
    case Source::config:
      return "config";
    case Source::admin:
      return "admin";
    case Source::failover:
      return "failover";
    case Source::health:
      return "health";
    case Source::cluster:
      return "cluster";
  }
  return "?";
}

std::string_view to_string(Effect effect) noexcept {
  switch (effect) {
    case Effect::allows:
      return "allows";
    case Effect::blocks:
      return "blocks";
    case Effect::defers:
      return "defers";
  }
  return "?";
}

const Reason* Verdict::deciding() const {
  for (const auto& r : reasons)
    if (r.effect == Effect::blocks) return &r;
  return nullptr;
}

std::string Verdict::deciding_text() const {
  const auto* r = deciding();
  if (r == nullptr) return {};
  return std::string(to_string(r->source)) + ": " + r->state;
}

Verdict decide(const pool::Assignment& a, const Inputs& in) {
  Verdict v;
  const bool layer2 = a.protocol == config::Protocol::layer2;
  const bool gated = layer2 && in.failover_pools.count(a.pool) > 0;

  // Admin: a drained node owns nothing, except that a failover pool is handed over by its group
  // (make-before-break), so drain defers to the group there.
  if (!in.drained)
    v.reasons.push_back({Source::admin, "serving", Effect::allows});
  else if (gated)
    v.reasons.push_back({Source::admin, "drained: handed over through the failover group", Effect::defers});
  else
    v.reasons.push_back({Source::admin, "drained", Effect::blocks});

  if (gated) {
    const auto it = in.groups.find({a.pool, a.vip.family()});
    if (it == in.groups.end()) {
      v.reasons.push_back({Source::failover,
                           "pool " + a.pool + " has no running " + family_text(a.vip.family()) + " group",
                           Effect::blocks});
    } else {
      const auto& g = it->second;
      v.reasons.push_back({Source::failover, "group " + g.group + "/" + family_text(g.family) + " " + g.state,
                           g.master ? Effect::allows : Effect::blocks});
    }
  }

  if (in.health) {
    for (const auto& name : gating_checks(a, *in.health)) {
      const auto it = in.health->checks.find(name);
      if (it == in.health->checks.end()) {
        v.reasons.push_back({Source::health, "check " + name + " has no result yet", Effect::blocks});
        continue;
      }
      const auto& c = it->second;
      std::string state = "check " + name + " " + (c.up ? "up" : "down");
      if (!c.detail.empty()) state += " (" + c.detail + ")";
      v.reasons.push_back({Source::health, std::move(state), c.up ? Effect::allows : Effect::blocks});
    }
  }

  if (in.cluster && in.cluster->pools.count(a.pool)) {
    const auto it = in.cluster->claims.find(a.vip);
    if (it == in.cluster->claims.end())
      v.reasons.push_back({Source::cluster, "no claim held", Effect::blocks});
    else
      v.reasons.push_back({Source::cluster,
                           it->second.detail.empty() ? (it->second.held ? "claim held" : "claim not held")
                                                     : it->second.detail,
                           it->second.held ? Effect::allows : Effect::blocks});
  }

  v.owned = v.deciding() == nullptr;
  return v;
}

Verdict unassigned() {
  Verdict v;
  v.reasons.push_back({Source::config, "no service uses this address", Effect::blocks});
  return v;
}

std::vector<Verdict> decide_all(const std::vector<pool::Assignment>& assignments, const Inputs& inputs) {
  std::vector<Verdict> out;
  out.reserve(assignments.size());
  for (const auto& a : assignments) out.push_back(decide(a, inputs));
  return out;
}

std::string format_block(const pool::Assignment& a, const Verdict& v) {
  const bool layer2 = a.protocol == config::Protocol::layer2;
  std::string out = "Ownership: ";
  if (layer2)
    out += v.owned ? "owned (answers ARP/NDP on the selected links)" : "not owned (silent on every link)";
  else
    out += v.owned ? "announced to BGP peers" : "withdrawn from BGP peers";
  if (!v.owned) out += ": " + v.deciding_text();
  out += "\n";
  std::size_t source_width = 0;
  std::size_t state_width = 0;
  for (const auto& r : v.reasons) {
    source_width = std::max(source_width, to_string(r.source).size());
    state_width = std::max(state_width, r.state.size());
  }
  for (const auto& r : v.reasons) {
    const auto source = std::string(to_string(r.source));
    out += "  " + source + std::string(source_width - source.size() + 2, ' ') + r.state +
           std::string(state_width - r.state.size() + 2, ' ') + std::string(to_string(r.effect)) + "\n";
  }
  return out;
}

void add_to_json(nlohmann::json& object, const Verdict& v) {
  auto reasons = nlohmann::json::array();
  for (const auto& r : v.reasons)
    reasons.push_back({{"source", to_string(r.source)}, {"state", r.state}, {"effect", to_string(r.effect)}});
  object["owned"] = v.owned;
  object["ownership"] = std::move(reasons);
}

}  // namespace vipd::ownership
