#include "vipd/pool/validate.hpp"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "vipd/pool/address_set.hpp"

namespace vipd::pool {

namespace {

// The address value's own position when the loader recorded it, else the service entry's.
const config::SourceLocation& address_location(const config::Service& service) {
  return service.address_where.line > 0 ? service.address_where : service.where;
}

using config::Diagnostic;
using config::Severity;

std::string where_text(const config::SourceLocation& w) {
  if (w.file.empty()) return "";
  std::string out = w.file;
  if (w.line > 0) {
    out += ":" + std::to_string(w.line);
    if (w.column > 0) out += ":" + std::to_string(w.column);
  }
  return out;
}

// " (file:1:2, key.path)" or " (key.path)" when the location is unknown.
std::string reference(const config::SourceLocation& w, const std::string& path) {
  const auto at = where_text(w);
  return " (" + (at.empty() ? path : at + ", " + path) + ")";
}

std::string pool_path(std::size_t i) {
  return "address-pools[" + std::to_string(i) + "]";
}
std::string range_path(std::size_t pool, std::size_t range) {
  return pool_path(pool) + ".addresses[" + std::to_string(range) + "]";
}
std::string service_path(std::size_t i) {
  return "services[" + std::to_string(i) + "]";
}

struct RangeRef {
  net::Family family;
  net::Uint128 first;
  net::Uint128 last;
  std::size_t pool;
  std::size_t range;
};

// Sweep over every range of every pool in address order. `latest[p]` is pool p's range with the
// greatest end seen so far: if that one does not reach the current range, no range of p does. So
// the active set is at most one range per pool and each pair of pools is reported once.
void check_overlaps(const config::Model& model, config::Diagnostics& out) {
  std::vector<RangeRef> refs;
  for (std::size_t p = 0; p < model.pools.size(); ++p) {
    const auto& pool = model.pools[p];
    for (std::size_t r = 0; r < pool.addresses.size(); ++r) {
      const auto& range = pool.addresses[r].range;
      if (range.first.family() != range.last.family() || range.last < range.first) continue;
      refs.push_back({range.first.family(), range.first.value(), range.last.value(), p, r});
    }
  }
  std::sort(refs.begin(), refs.end(), [](const RangeRef& a, const RangeRef& b) {
    if (a.family != b.family) return a.family < b.family;
    if (a.first != b.first) return a.first < b.first;
    return a.pool < b.pool;
  });

  std::vector<const RangeRef*> latest(model.pools.size(), nullptr);
  std::vector<std::size_t> active;  // pools with an entry in `latest` for the current family
  std::set<std::pair<std::size_t, std::size_t>> reported;
  net::Family family = net::Family::v4;
  for (const auto& ref : refs) {
    if (ref.family != family) {
      for (auto p : active) latest[p] = nullptr;
      active.clear();
      family = ref.family;
    }
    for (auto q : active) {
      const RangeRef* other = latest[q];
      if (q == ref.pool || other->last < ref.first) continue;
      const std::pair<std::size_t, std::size_t> pair{std::min(q, ref.pool), std::max(q, ref.pool)};
      if (!reported.insert(pair).second) continue;
      // Point at the pool written later; name the earlier one and where it is.
      const RangeRef& later = ref.pool > q ? ref : *other;
      const RangeRef& earlier = ref.pool > q ? *other : ref;
      const auto& lp = model.pools[later.pool];
      const auto& ep = model.pools[earlier.pool];
      const auto& lr = lp.addresses[later.range];
      const auto& er = ep.addresses[earlier.range];
      out.push_back(Diagnostic{Severity::error, lr.where, range_path(later.pool, later.range),
                               "pool \"" + lp.name + "\" range \"" + lr.text + "\" overlaps pool \"" +
                                   ep.name + "\" range \"" + er.text + "\"" +
                                   reference(er.where, range_path(earlier.pool, earlier.range)) +
                                   " (pools must not share addresses)"});
    }
    if (latest[ref.pool] == nullptr) {
      active.push_back(ref.pool);
      latest[ref.pool] = &ref;
    } else if (latest[ref.pool]->last < ref.last) {
      latest[ref.pool] = &ref;
    }
  }
}

void check_services(const config::Model& model, config::Diagnostics& out) {
  std::unordered_map<std::string, std::size_t> pool_index;
  for (std::size_t p = 0; p < model.pools.size(); ++p) pool_index.emplace(model.pools[p].name, p);
  std::vector<AddressSet> sets;
  sets.reserve(model.pools.size());
  for (const auto& pool : model.pools) sets.push_back(AddressSet::from_pool(pool));

  std::unordered_map<net::IpAddress, std::size_t> owner;  // address -> first service using it
  for (std::size_t s = 0; s < model.services.size(); ++s) {
    const auto& svc = model.services[s];
    auto it = pool_index.find(svc.pool);
    if (it == pool_index.end()) {
      out.push_back(Diagnostic{Severity::error, svc.where, service_path(s) + ".pool",
                               "service \"" + svc.name + "\" names unknown pool \"" + svc.pool + "\""});
      continue;
    }
    const auto& pool = model.pools[it->second];
    const auto& set = sets[it->second];
    if (!svc.address) {
      if (!pool.auto_assign)
        out.push_back(
            Diagnostic{Severity::error, svc.where, service_path(s),
                       "service \"" + svc.name + "\" has no address, but pool \"" + pool.name +
                           "\" has auto-assign: false (give the service an address from the pool)"});
      continue;
    }
    const auto& addr = *svc.address;
    const std::string path = service_path(s) + ".address";
    if (!set.contains(addr)) {
      std::string message;
      const bool in_ranges =
          std::any_of(pool.addresses.begin(), pool.addresses.end(),
                      [&](const config::AddressRange& r) { return r.range.contains(addr); });
      if (in_ranges && pool.avoid_buggy_ips && AddressSet::is_buggy(addr)) {
        message = "\"" + addr.to_string() + "\" is excluded by avoid-buggy-ips in pool \"" + pool.name +
                  "\" (addresses ending in .0 or .255 are not used)";
      } else {
        std::string ranges;
        for (const auto& r : pool.addresses) ranges += (ranges.empty() ? "" : ", ") + r.text;
        message = "\"" + addr.to_string() + "\" is not inside pool \"" + pool.name + "\" (" +
                  (ranges.empty() ? std::string("the pool has no addresses") : ranges) + ")";
      }
      out.push_back(Diagnostic{Severity::error, address_location(svc), path, message});
      continue;
    }
    auto [first, inserted] = owner.emplace(addr, s);
    if (!inserted) {
      const auto& other = model.services[first->second];
      out.push_back(Diagnostic{Severity::error, address_location(svc), path,
                               "\"" + addr.to_string() + "\" is already the address of service \"" +
                                   other.name + "\"" + reference(other.where, service_path(first->second)) +
                                   " (each service needs its own address)"});
    }
  }
}

}  // namespace

config::Diagnostics validate(const config::Model& model) {
  config::Diagnostics out;
  check_overlaps(model, out);
  check_services(model, out);
  return out;
}

}  // namespace vipd::pool
