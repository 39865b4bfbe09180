#include "vipd/daemon/explain_command.hpp"

#include <nlohmann/json.hpp>

#include "vipd/config/loader.hpp"
#include "vipd/daemon/failover_groups.hpp"
#include "vipd/daemon/loaded_config.hpp"
#include "vipd/netlink/watcher.hpp"

namespace vipd::daemon {
namespace {

void print_diagnostics(const config::Diagnostics& diagnostics, std::ostream& err) {
  for (const auto& d : diagnostics) err << d.format() << '\n';
}

const config::Pool* pool_of(const config::Model& model, const net::IpAddress& vip) {
  for (const auto& pool : model.pools)
    for (const auto& range : pool.addresses)
      if (range.range.contains(vip)) return &pool;
  return nullptr;
}

std::string pools_summary(const config::Model& model) {
  std::string out;
  for (const auto& pool : model.pools) {
    if (!out.empty()) out += "; ";
    out += pool.name + " (" + config::to_string(pool.protocol) + "):";
    for (const auto& range : pool.addresses) out += " " + range.text;
  }
  return out.empty() ? "none configured" : out;
}

}  // namespace

Result<Explanation, std::string> explain(const config::Model& model, const selector::Policy& policy,
                                         const netlink::LinkSnapshot& links, const net::IpAddress& vip,
                                         const std::vector<pool::Assignment>& assignments,
                                         const ownership::Inputs& inputs) {
  const config::Pool* pool = pool_of(model, vip);
  if (pool == nullptr)
    return unexpected(vip.to_string() +
                      " is in no pool of the configuration (pools: " + pools_summary(model) + ")");
  Explanation e;
  const auto assigned = std::find_if(assignments.begin(), assignments.end(),
                                     [&](const pool::Assignment& a) { return a.vip == vip; });
  e.verdict = assigned == assignments.end() ? ownership::unassigned() : ownership::decide(*assigned, inputs);
  const auto ownership_block = assigned == assignments.end()
                                   ? "Ownership: not owned: no service uses this address\n"
                                   : ownership::format_block(*assigned, e.verdict);
  // The ownership members go after the selector's, whose fields keep their names and order.
  auto with_ownership = [&](std::string decision_json) {
    nlohmann::json members = nlohmann::json::object();
    ownership::add_to_json(members, e.verdict);
    decision_json.pop_back();  // the closing brace
    return decision_json + ",\"owned\":" + members["owned"].dump() +
           ",\"ownership\":" + members["ownership"].dump() + "}";
  };
  if (pool->protocol == config::Protocol::bgp) {
    // Links do not matter for BGP: the VIP is announced to peers, no link answers ARP/NDP.
    e.decision.vip = vip;
    e.decision.pool = pool->name;
    e.table = "VIP " + vip.to_string() + " (pool " + pool->name +
              ") is announced over BGP: no link answers ARP/NDP for it, so no link is selected\n";
    e.table += "\n" + ownership_block;
    e.json = with_ownership("{\"vip\":\"" + vip.to_string() + "\",\"pool\":\"" + pool->name +
                            "\",\"protocol\":\"bgp\",\"links\":[]}");
    return e;
  }
  e.decision = selector::select(policy, links, vip, pool->name);
  e.table = selector::format_table(e.decision, links) + "\n" + ownership_block;
  e.json = with_ownership(selector::to_json(e.decision));
  return e;
}

ownership::Inputs offline_ownership_inputs(const config::Model& model,
                                           const std::vector<pool::Assignment>& assignments) {
  ownership::Inputs inputs;
  for (const auto& g : model.failover.vrrp) inputs.failover_pools.insert(g.pools.begin(), g.pools.end());
  for (const auto& instance : plan_failover(model, assignments))
    for (const auto& p : instance.pools)
      inputs.groups[{p, instance.settings.family}] = {
          instance.settings.name, instance.settings.family,
          "state unknown here (vipd --explain runs no VRRP; vipctl explain shows the live state)", false};
  return inputs;
}

int run_explain(const std::vector<std::string>& config_files, const std::string& state_dir,
                const std::string& vip_text, bool json, std::ostream& out, std::ostream& err) {
  const auto vip = net::IpAddress::parse(vip_text);
  if (!vip) {
    err << "vipd: --explain: \"" << vip_text << "\" is not an IPv4 or IPv6 address\n";
    return 1;
  }
  auto loaded = load_config(config_files, state_dir);
  if (!loaded) {
    print_diagnostics(loaded.error(), err);
    return 1;
  }
  print_diagnostics(loaded->warnings, err);
  const auto& model = loaded->model;
  auto policy = selector::Policy::compile(model);
  if (!policy) {
    print_diagnostics(policy.error(), err);
    return 1;
  }
  if (pool_of(model, *vip) == nullptr) {  // checked before the dump: no netlink for a bad request
    err << "vipd: " << vip->to_string()
        << " is in no pool of the configuration (pools: " << pools_summary(model) << ")\n";
    return 1;
  }
  auto links = netlink::dump_links();
  if (!links) {
    err << "vipd: cannot read the link table: " << links.error() << '\n';
    return 1;
  }
  auto explanation = explain(model, *policy, *links, *vip, loaded->assignments,
                             offline_ownership_inputs(model, loaded->assignments));
  if (!explanation) {
    err << "vipd: " << explanation.error() << '\n';
    return 1;
  }
  if (json)
    out << explanation->json << '\n';
  else
    out << explanation->table;
  return 0;
}

}  // namespace vipd::daemon
