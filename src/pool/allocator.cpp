#include "vipd/pool/allocator.hpp"

#include <algorithm>
#include <numeric>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "vipd/pool/address_set.hpp"

namespace vipd::pool {

namespace {

using config::Diagnostic;
using config::Severity;
using net::Family;
using net::IpAddress;

std::string service_path(std::size_t i) {
  return "services[" + std::to_string(i) + "]";
}

// A pool being allocated from. The cursor only moves forward: every address below it is either
// taken or was handed out, so each service costs O(log ranges) plus the taken addresses skipped.
struct Slot {
  const config::Pool* pool = nullptr;
  AddressSet set;
  bool started = false;
  std::optional<IpAddress> cursor;  // next candidate; nullopt once exhausted

  std::optional<IpAddress> after(const IpAddress& a) const {
    const net::Uint128 max = a.is_v4() ? net::Uint128{0xffffffffU} : ~net::Uint128{0};
    std::optional<IpAddress> n;
    if (a.value() != max) n = set.next_usable(IpAddress::from_value(a.family(), a.value() + 1));
    if (!n && a.is_v4()) n = set.first_usable(Family::v6);  // IPv4 first, then IPv6
    return n;
  }

  std::optional<IpAddress> next_free(const std::unordered_set<IpAddress>& taken) {
    if (!started) {
      started = true;
      cursor = set.first_usable(Family::v4);
      if (!cursor) cursor = set.first_usable(Family::v6);
    }
    while (cursor) {
      const IpAddress c = *cursor;
      cursor = after(c);
      if (!taken.contains(c)) return c;
    }
    return std::nullopt;
  }
};

}  // namespace

AllocationResult allocate(const config::Model& model, const State& previous) {
  AllocationResult result;
  const auto& services = model.services;

  std::unordered_map<std::string, Slot> slots;
  slots.reserve(model.pools.size());
  for (const auto& pool : model.pools) {
    Slot slot;
    slot.pool = &pool;
    slot.set = AddressSet::from_pool(pool);
    slots.emplace(pool.name, std::move(slot));
  }

  // Service-name order (file order breaks ties) makes every pass deterministic.
  std::vector<std::size_t> order(services.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return services[a].name < services[b].name; });

  std::vector<Slot*> slot_of(services.size(), nullptr);
  std::vector<std::optional<IpAddress>> vip(services.size());
  std::unordered_set<IpAddress> taken;
  taken.reserve(services.size() * 2);
  std::unordered_map<IpAddress, std::size_t> owner;

  auto error = [&](std::size_t s, std::string path, std::string message) {
    result.errors.push_back(
        Diagnostic{Severity::error, services[s].where, std::move(path), std::move(message)});
  };
  auto take = [&](std::size_t s, const IpAddress& a) {
    vip[s] = a;
    taken.insert(a);
    owner.emplace(a, s);
  };

  // Pass 0: which services take part (known pool, unique name).
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::size_t s = order[k];
    const auto& svc = services[s];
    if (k > 0 && services[order[k - 1]].name == svc.name) {
      error(s, service_path(s) + ".name", "duplicate service name \"" + svc.name + "\"");
      continue;
    }
    auto it = slots.find(svc.pool);
    if (it == slots.end()) {
      error(s, service_path(s) + ".pool",
            "service \"" + svc.name + "\" names unknown pool \"" + svc.pool + "\"");
      continue;
    }
    slot_of[s] = &it->second;
  }

  // Pass 1: explicit addresses win.
  for (const std::size_t s : order) {
    const auto& svc = services[s];
    if (slot_of[s] == nullptr || !svc.address) continue;
    const auto& a = *svc.address;
    if (!slot_of[s]->set.contains(a)) {
      error(s, service_path(s) + ".address",
            "\"" + a.to_string() + "\" is not a usable address of pool \"" + svc.pool + "\"");
    } else if (auto o = owner.find(a); o != owner.end()) {
      error(
          s, service_path(s) + ".address",
          "\"" + a.to_string() + "\" is already the address of service \"" + services[o->second].name + "\"");
    } else {
      take(s, a);
    }
  }

  // Pass 2: previous allocations that still fit are kept, so VIPs never move.
  for (const std::size_t s : order) {
    const auto& svc = services[s];
    Slot* slot = slot_of[s];
    if (slot == nullptr || svc.address) continue;
    auto prev = previous.allocations.find(svc.name);
    if (prev == previous.allocations.end()) continue;
    const IpAddress& a = prev->second;
    std::string reason;
    if (!slot->pool->auto_assign) {
      reason = "pool \"" + svc.pool + "\" has auto-assign: false";
    } else if (!slot->set.contains(a)) {
      reason = "it is not a usable address of pool \"" + svc.pool + "\"";
    } else if (auto o = owner.find(a); o != owner.end()) {
      reason = "it is now the address of service \"" + services[o->second].name + "\"";
    } else {
      take(s, a);
      continue;
    }
    result.warnings.push_back(Diagnostic{
        Severity::warning, svc.where, service_path(s),
        "previous allocation " + a.to_string() + " of service \"" + svc.name + "\" dropped: " + reason});
  }

  // Pass 3: the rest get the lowest free address of their pool.
  for (const std::size_t s : order) {
    const auto& svc = services[s];
    Slot* slot = slot_of[s];
    if (slot == nullptr || vip[s] || svc.address) continue;
    if (!slot->pool->auto_assign) {
      error(s, service_path(s),
            "service \"" + svc.name + "\" has no address, but pool \"" + svc.pool +
                "\" has auto-assign: false");
      continue;
    }
    if (auto a = slot->next_free(taken)) {
      take(s, *a);
    } else {
      error(s, service_path(s),
            "pool \"" + svc.pool + "\" is exhausted: no free address for service \"" + svc.name + "\" (" +
                net::to_string(slot->set.size()) + " usable addresses, all in use)");
    }
  }

  // Previous entries for services that no longer exist.
  {
    std::unordered_set<std::string_view> names;
    names.reserve(services.size());
    for (const auto& svc : services) names.insert(svc.name);
    for (const auto& [name, a] : previous.allocations)
      if (!names.contains(name))
        result.warnings.push_back(Diagnostic{Severity::warning,
                                             {},
                                             "",
                                             "previous allocation " + a.to_string() + " of service \"" +
                                                 name + "\" dropped: the service no longer exists"});
  }

  result.assignments.reserve(services.size());
  for (const std::size_t s : order) {
    if (!vip[s]) continue;
    const auto& svc = services[s];
    result.assignments.push_back(
        Assignment{svc.name, svc.pool, slot_of[s]->pool->protocol, *vip[s], svc.address.has_value()});
    result.state.allocations.emplace_hint(result.state.allocations.end(), svc.name, *vip[s]);
  }
  return result;
}

}  // namespace vipd::pool
