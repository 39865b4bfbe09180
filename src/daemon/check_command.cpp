#include "vipd/daemon/check_command.hpp"

#include <fmt/format.h>

#include "vipd/config/loader.hpp"
#include "vipd/daemon/loaded_config.hpp"
#include "vipd/pool/address_set.hpp"

namespace vipd::daemon {
namespace {

void print_diagnostics(const config::Diagnostics& diagnostics, std::ostream& err) {
  for (const auto& d : diagnostics) err << d.format() << '\n';
}

std::string join(const std::vector<std::string>& items, const char* separator = ", ") {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

}  // namespace

int run_check(const std::vector<std::string>& config_files, const std::string& state_dir, std::ostream& out,
              std::ostream& err) {
  auto loaded = load_config(config_files, state_dir);
  if (!loaded) {
    print_diagnostics(loaded.error(), err);
    err << fmt::format("{} error(s); configuration rejected\n", loaded.error().size());
    return 1;
  }
  print_diagnostics(loaded->warnings, err);
  for (const auto& w : loaded->state_warnings) err << "warning: state: " << w << '\n';
  const auto& model = loaded->model;

  out << fmt::format("configuration OK: {} pool(s), {} service(s), {} peer(s)\n", model.pools.size(),
                     model.services.size(), model.peers.size());
  out << "\nPools:\n";
  out << fmt::format("  {:<16} {:<8} {:>12}  {}\n", "NAME", "PROTOCOL", "ADDRESSES", "RANGES");
  for (const auto& pool : model.pools) {
    std::vector<std::string> ranges;
    for (const auto& r : pool.addresses) ranges.push_back(r.text);
    std::string extras;
    if (pool.avoid_buggy_ips) extras += " avoid-buggy-ips";
    if (!pool.auto_assign) extras += " auto-assign=false";
    if (!pool.interfaces.empty()) extras += " interfaces=[" + join(pool.interfaces) + "]";
    out << fmt::format("  {:<16} {:<8} {:>12}  {}{}\n", pool.name, config::to_string(pool.protocol),
                       net::to_string(pool::AddressSet::from_pool(pool).size()), join(ranges), extras);
  }
  out << "\nServices:\n";
  if (loaded->assignments.empty()) out << "  (none)\n";
  for (const auto& a : loaded->assignments)
    out << fmt::format("  {:<16} {:<40} pool {} ({}){}\n", a.service, a.vip.to_string(), a.pool,
                       config::to_string(a.protocol), a.explicit_address ? "" : ", allocated");
  out << "\nPeers:\n";
  if (model.peers.empty()) out << "  (none)\n";
  for (const auto& p : model.peers)
    out << fmt::format("  {:<16} {} port {} peer-asn {} my-asn {} hold {}s{}{}{}\n", p.name,
                       p.peer_address.to_string(), p.peer_port, p.peer_asn, p.my_asn,
                       p.hold_time.count() / 1000, p.password.empty() ? "" : " md5", p.gtsm ? " gtsm" : "",
                       p.next_hop_v6 ? " next-hop-v6 " + p.next_hop_v6->to_string() : std::string());
  if (!model.failover.vrrp.empty()) {
    out << "\nFailover (VRRPv3):\n";
    for (const auto& g : model.failover.vrrp)
      out << fmt::format(
          "  {:<16} interface {} vrid {} priority {} advert {}ms preempt {}{} pools [{}]{}\n", g.name,
          g.interface, g.vrid, g.priority, g.advert_interval.count(), g.preempt ? "yes" : "no",
          g.preempt_delay.count() > 0 ? fmt::format(" (delay {}ms)", g.preempt_delay.count()) : "",
          join(g.pools), g.unicast_peers.empty() ? std::string(" multicast") : " unicast to " + [&] {
            std::string peers;
            for (const auto& p : g.unicast_peers) peers += (peers.empty() ? "" : ", ") + p.to_string();
            return peers;
          }());
  }
  if (!model.interfaces.allow.empty() || !model.interfaces.deny.empty())
    out << fmt::format("\nInterfaces: allow [{}] deny [{}] require-subnet {}\n", join(model.interfaces.allow),
                       join(model.interfaces.deny), model.interfaces.require_subnet ? "true" : "false");
  return 0;
}

int run_print_config(const std::vector<std::string>& config_files, std::ostream& out, std::ostream& err) {
  auto loaded = config::load_files(config_files);
  if (!loaded) {
    print_diagnostics(loaded.error(), err);
    return 1;
  }
  print_diagnostics(loaded->warnings, err);
  out << config::to_native_yaml(loaded->model);
  return 0;
}

}  // namespace vipd::daemon
