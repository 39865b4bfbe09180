#include "vipd/daemon/explain_command.hpp"

#include "vipd/config/loader.hpp"
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
                                         const netlink::LinkSnapshot& links, const net::IpAddress& vip) {
  const config::Pool* pool = pool_of(model, vip);
  if (pool == nullptr)
    return unexpected(vip.to_string() +
                      " is in no pool of the configuration (pools: " + pools_summary(model) + ")");
  Explanation e;
  if (pool->protocol == config::Protocol::bgp) {
    // Links do not matter for BGP: the VIP is announced to peers, no link answers ARP/NDP.
    e.decision.vip = vip;
    e.decision.pool = pool->name;
    e.table = "VIP " + vip.to_string() + " (pool " + pool->name +
              ") is announced over BGP: no link answers ARP/NDP for it, so no link is selected\n";
    e.json = "{\"vip\":\"" + vip.to_string() + "\",\"pool\":\"" + pool->name +
             "\",\"protocol\":\"bgp\",\"links\":[]}";
    return e;
  }
  e.decision = selector::select(policy, links, vip, pool->name);
  e.table = selector::format_table(e.decision, links);
  e.json = selector::to_json(e.decision);
  return e;
}

int run_explain(const std::vector<std::string>& config_files, const std::string& vip_text, bool json,
                std::ostream& out, std::ostream& err) {
  const auto vip = net::IpAddress::parse(vip_text);
  if (!vip) {
    err << "vipd: --explain: \"" << vip_text << "\" is not an IPv4 or IPv6 address\n";
    return 1;
  }
  auto loaded = config::load_files(config_files);
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
  auto explanation = explain(model, *policy, *links, *vip);
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
