#include "vipd/selector/selector.hpp"

#include <fnmatch.h>
#include <linux/if.h>

#include <algorithm>
#include <array>
#include <map>
#include <tuple>

namespace vipd::selector {

const char* to_string(Rule rule) {
  switch (rule) {
    case Rule::selected:
      return "selected";
    case Rule::denied:
      return "denied";
    case Rule::not_in_allow:
      return "not-in-allow";
    case Rule::not_in_pool_interfaces:
      return "not-in-pool-interfaces";
    case Rule::loopback:
      return "loopback";
    case Rule::noarp:
      return "noarp";
    case Rule::no_broadcast:
      return "no-broadcast";
    case Rule::no_multicast:
      return "no-multicast";
    case Rule::admin_down:
      return "admin-down";
    case Rule::oper_not_up:
      return "oper-not-up";
    case Rule::bond_member:
      return "bond-member";
    case Rule::bridge_port:
      return "bridge-port";
    case Rule::no_subnet:
      return "no-subnet";
  }
  return "?";
}

// ---- patterns -------------------------------------------------------------------------------

Result<Pattern, std::string> Pattern::compile(const std::string& text) {
  Pattern p;
  p.text_ = text;
  if (text.rfind("re:", 0) == 0) {
    p.is_regex_ = true;
    try {
      p.regex_ = std::make_shared<const std::regex>(text.substr(3), std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return unexpected("\"" + text + "\" is not a valid regular expression: " + e.what());
    }
  } else {
    if (text.empty()) return unexpected(std::string("an empty interface pattern matches no link"));
    p.is_literal_ = text.find_first_of("*?[\\") == std::string::npos;
  }
  return p;
}

bool Pattern::match_one(const std::string& name) const {
  if (is_regex_) return std::regex_match(name, *regex_);
  if (is_literal_) return name == text_;
  return fnmatch(text_.c_str(), name.c_str(), 0) == 0;
}

bool Pattern::matches(const netlink::Link& link) const {
  if (match_one(link.name)) return true;
  return std::any_of(link.altnames.begin(), link.altnames.end(),
                     [&](const std::string& n) { return match_one(n); });
}

bool Pattern::names_exactly(const netlink::Link& link) const {
  if (!is_literal_) return false;
  return link.name == text_ ||
         std::find(link.altnames.begin(), link.altnames.end(), text_) != link.altnames.end();
}

// ---- policy ---------------------------------------------------------------------------------

Result<Policy, config::Diagnostics> Policy::compile(const config::Model& model) {
  Policy policy;
  config::Diagnostics errors;
  auto add = [&](std::vector<Pattern>& out, const std::vector<std::string>& texts,
                 const config::SourceLocation& where, const std::string& path) {
    for (std::size_t i = 0; i < texts.size(); ++i) {
      auto p = Pattern::compile(texts[i]);
      if (p) {
        out.push_back(std::move(*p));
      } else {
        errors.push_back(config::Diagnostic{config::Severity::error, where,
                                            path + "[" + std::to_string(i) + "]", p.error()});
      }
    }
  };
  add(policy.allow_, model.interfaces.allow, model.interfaces.where, "interfaces.allow");
  add(policy.deny_, model.interfaces.deny, model.interfaces.where, "interfaces.deny");
  policy.require_subnet_ = model.interfaces.require_subnet;
  for (std::size_t i = 0; i < model.pools.size(); ++i) {
    const auto& pool = model.pools[i];
    PoolPolicy pp;
    pp.name = pool.name;
    pp.require_subnet = pool.require_subnet.value_or(model.interfaces.require_subnet);
    add(pp.interfaces, pool.interfaces, pool.where, "address-pools[" + std::to_string(i) + "].interfaces");
    policy.pools_.push_back(std::move(pp));
  }
  if (!errors.empty()) return unexpected(std::move(errors));
  return policy;
}

const Policy::PoolPolicy* Policy::pool(const std::string& name) const {
  for (const auto& p : pools_)
    if (p.name == name) return &p;
  return nullptr;
}

// ---- evaluation -----------------------------------------------------------------------------

namespace {

bool any_matches(const std::vector<Pattern>& patterns, const netlink::Link& link) {
  return std::any_of(patterns.begin(), patterns.end(), [&](const Pattern& p) { return p.matches(link); });
}

bool any_names_exactly(const std::vector<Pattern>& patterns, const netlink::Link& link) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const Pattern& p) { return p.names_exactly(link); });
}

constexpr std::uint8_t oper_unknown = 0;  // IF_OPER_UNKNOWN: drivers that do not report state
constexpr std::uint8_t oper_up = 6;       // IF_OPER_UP

bool is_bond_master(const std::string& kind) {
  return kind == "bond" || kind == "team";
}
bool is_bridge_master(const std::string& kind) {
  return kind == "bridge" || kind == "openvswitch";
}

// The first rule, among those that do not depend on the VIP's address, that excludes `link`.
Rule static_rule(const Policy& policy, const Policy::PoolPolicy* pool, const netlink::Link& link,
                 net::Family family) {
  if (any_matches(policy.deny(), link)) return Rule::denied;
  if (!policy.allow().empty() && !any_matches(policy.allow(), link)) return Rule::not_in_allow;
  if (pool && !pool->interfaces.empty() && !any_matches(pool->interfaces, link))
    return Rule::not_in_pool_interfaces;
  if (link.flags & IFF_LOOPBACK) return Rule::loopback;
  if (link.flags & IFF_NOARP) return Rule::noarp;
  if (family == net::Family::v4 && !(link.flags & IFF_BROADCAST)) return Rule::no_broadcast;
  if (family == net::Family::v6 && !(link.flags & IFF_MULTICAST)) return Rule::no_multicast;
  if (!(link.flags & IFF_UP)) return Rule::admin_down;
  if (link.operstate != oper_up && link.operstate != oper_unknown) return Rule::oper_not_up;
  if (link.master_ifindex != 0) {
    if (is_bond_master(link.master_kind)) return Rule::bond_member;
    // An OVS internal port (kind openvswitch) is the bridge's own interface, also enslaved to
    // the datapath: it holds the bridge's IP and must answer (MetalLB #871).
    if (is_bridge_master(link.master_kind) && link.kind != "openvswitch" &&
        !any_names_exactly(policy.allow(), link) && !(pool && any_names_exactly(pool->interfaces, link)))
      return Rule::bridge_port;
  }
  return Rule::selected;
}

// An address prefix as (network, mask) in the family's numeric width: one AND and one compare.
struct Net {
  net::Uint128 network;
  net::Uint128 mask;
};

net::Uint128 mask_of(net::Family family, int length) {
  const int width = net::max_prefix_length(family);
  if (length <= 0) return 0;
  const net::Uint128 all = width == 128 ? ~net::Uint128{0} : (net::Uint128{1} << width) - 1;
  return length >= width ? all : all ^ ((net::Uint128{1} << (width - length)) - 1);
}

// Addresses that can hold a VIP of `family`: same family, IPv6 link-local excluded.
bool counts_for_subnet(const netlink::LinkAddress& a, net::Family family) {
  return a.prefix.address.family() == family && !a.prefix.address.is_v6_link_local();
}

// Everything about (pool, family) that is the same for every VIP.
struct Prepared {
  bool require_subnet = true;
  std::vector<Rule> rules;  // per snapshot index: static rule
  struct Candidate {
    std::size_t index;
    int ifindex;
    std::size_t first_net, end_net;
  };
  std::vector<Candidate> candidates;  // links passing every static rule, ifindex order
  std::vector<Net> nets;
};

Prepared prepare(const Policy& policy, const netlink::LinkSnapshot& snap, const std::string& pool_name,
                 net::Family family) {
  const Policy::PoolPolicy* pool = policy.pool(pool_name);
  Prepared p;
  p.require_subnet = pool ? pool->require_subnet : policy.require_subnet();
  p.rules.reserve(snap.links.size());
  for (std::size_t i = 0; i < snap.links.size(); ++i) {
    const auto& link = snap.links[i];
    const Rule r = static_rule(policy, pool, link, family);
    p.rules.push_back(r);
    if (r != Rule::selected) continue;
    Prepared::Candidate c{i, link.ifindex, p.nets.size(), 0};
    for (const auto& a : link.addresses) {
      if (!counts_for_subnet(a, family)) continue;
      const net::Uint128 mask = mask_of(family, a.prefix.length);
      p.nets.push_back(Net{a.prefix.address.value() & mask, mask});
    }
    c.end_net = p.nets.size();
    p.candidates.push_back(c);
  }
  return p;
}

bool holds(const Prepared& p, const Prepared::Candidate& c, net::Uint128 vip) {
  for (std::size_t n = c.first_net; n < c.end_net; ++n)
    if ((vip & p.nets[n].mask) == p.nets[n].network) return true;
  return false;
}

std::string join_patterns(const std::vector<Pattern>& patterns) {
  std::string out;
  for (const auto& p : patterns) {
    if (!out.empty()) out += ", ";
    out += p.text();
  }
  return out;
}

const char* oper_name(std::uint8_t state) {
  switch (state) {
    case 0:
      return "unknown";
    case 1:
      return "notpresent";
    case 2:
      return "down";
    case 3:
      return "lowerlayerdown";
    case 4:
      return "testing";
    case 5:
      return "dormant";
    case 6:
      return "up";
  }
  return "?";
}

std::string master_name(const netlink::LinkSnapshot& snap, const netlink::Link& link) {
  const auto* m = snap.find(link.master_ifindex);
  return m ? m->name : "ifindex " + std::to_string(link.master_ifindex);
}

std::string reason_text(Rule rule, const Policy& policy, const Policy::PoolPolicy* pool,
                        const std::string& pool_name, const netlink::LinkSnapshot& snap,
                        const netlink::Link& link, const net::IpAddress& vip, bool require_subnet) {
  const net::Family family = vip.family();
  switch (rule) {
    case Rule::selected: {
      if (!require_subnet)
        return "passes every rule (require-subnet is off" +
               (pool_name.empty() ? std::string() : " for pool " + pool_name) + ")";
      for (const auto& a : link.addresses)
        if (counts_for_subnet(a, family) && a.prefix.contains(vip))
          return "address " + a.prefix.to_string() + " holds " + vip.to_string();
      return "selected";
    }
    case Rule::denied:
      for (const auto& p : policy.deny())
        if (p.matches(link)) return "matches interfaces.deny pattern \"" + p.text() + "\"";
      return "matches interfaces.deny";
    case Rule::not_in_allow:
      return "matches no interfaces.allow pattern (" + join_patterns(policy.allow()) + ")";
    case Rule::not_in_pool_interfaces:
      return "matches none of pool " + pool_name + "'s interfaces (" +
             (pool ? join_patterns(pool->interfaces) : "") + ")";
    case Rule::loopback:
      return "loopback link";
    case Rule::noarp:
      return "NOARP flag set: no address resolution happens on this link";
    case Rule::no_broadcast:
      return "no BROADCAST flag: ARP requests for an IPv4 VIP cannot arrive on this link";
    case Rule::no_multicast:
      return "no MULTICAST flag: neighbour solicitations for an IPv6 VIP cannot arrive on this link";
    case Rule::admin_down:
      return "administratively down (ip link set " + link.name + " up)";
    case Rule::oper_not_up:
      return std::string("operational state is ") + oper_name(link.operstate) +
             " (no carrier or lower link down)";
    case Rule::bond_member:
      return "member of " + link.master_kind + " " + master_name(snap, link) + ": the " + link.master_kind +
             " answers, not its members";
    case Rule::bridge_port: {
      const std::string what = link.master_kind == "openvswitch" ? "Open vSwitch datapath" : "bridge";
      return "port of " + what + " " + master_name(snap, link) +
             ": the bridge's own interface answers; name " + link.name +
             " exactly in interfaces.allow to answer on this port";
    }
    case Rule::no_subnet: {
      std::string text = "no address on this link holds " + vip.to_string() + " (require-subnet";
      std::string have;
      bool link_local_only = false;
      for (const auto& a : link.addresses) {
        if (a.prefix.address.family() != family) continue;
        if (a.prefix.address.is_v6_link_local()) {
          link_local_only = have.empty();
          continue;
        }
        link_local_only = false;
        if (!have.empty()) have += ", ";
        have += a.prefix.to_string();
      }
      if (!have.empty()) text += "; it has " + have;
      if (link_local_only) text += "; IPv6 link-local addresses do not count";
      text += ")";
      if (pool_name.empty() || !pool)
        text += " — set interfaces.require-subnet: false if this VLAN carries no IP";
      else
        text += " — set require-subnet: false on pool " + pool_name + " if this VLAN carries no IP";
      return text;
    }
  }
  return "?";
}

Decision decide(const Policy& policy, const netlink::LinkSnapshot& snap, const Prepared& p,
                const net::IpAddress& vip, const std::string& pool_name, Detail detail) {
  Decision d;
  d.vip = vip;
  d.pool = pool_name;
  const net::Uint128 value = vip.value();
  std::vector<bool> held;
  if (detail == Detail::full) held.assign(snap.links.size(), false);
  for (const auto& c : p.candidates) {
    if (!p.require_subnet || holds(p, c, value)) {
      d.selected.push_back(c.ifindex);
      if (detail == Detail::full) held[c.index] = true;
    }
  }
  if (detail == Detail::full) {
    const Policy::PoolPolicy* pool = policy.pool(pool_name);
    d.links.reserve(snap.links.size());
    for (std::size_t i = 0; i < snap.links.size(); ++i) {
      const auto& link = snap.links[i];
      Rule rule = p.rules[i];
      if (rule == Rule::selected && !held[i]) rule = Rule::no_subnet;
      d.links.push_back(
          LinkDecision{link.ifindex, link.name, rule == Rule::selected, rule,
                       reason_text(rule, policy, pool, pool_name, snap, link, vip, p.require_subnet)});
    }
  }
  return d;
}

}  // namespace

Decision select(const Policy& policy, const netlink::LinkSnapshot& links, const net::IpAddress& vip,
                const std::string& pool) {
  const Prepared p = prepare(policy, links, pool, vip.family());
  return decide(policy, links, p, vip, pool, Detail::full);
}

std::vector<Decision> select_all(const Policy& policy, const netlink::LinkSnapshot& links,
                                 const std::vector<std::pair<net::IpAddress, std::string>>& vips,
                                 Detail detail) {
  std::map<std::pair<std::string, net::Family>, Prepared> prepared;
  std::vector<Decision> out;
  out.reserve(vips.size());
  for (const auto& [vip, pool] : vips) {
    auto key = std::make_pair(pool, vip.family());
    auto it = prepared.find(key);
    if (it == prepared.end()) it = prepared.emplace(key, prepare(policy, links, pool, vip.family())).first;
    out.push_back(decide(policy, links, it->second, vip, pool, detail));
  }
  return out;
}

// ---- output ---------------------------------------------------------------------------------

namespace {

std::string link_state(const netlink::Link& link) {
  return std::string(link.flags & IFF_UP ? "up" : "down") + "/" + oper_name(link.operstate);
}

std::string link_addresses(const netlink::Link& link) {
  std::string out;
  for (const auto& a : link.addresses) {
    if (!out.empty()) out += ",";
    out += a.prefix.to_string();
  }
  return out.empty() ? "-" : out;
}

// Display width: the em dash in reasons counts as one column.
std::size_t width(const std::string& s) {
  std::size_t w = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++w;
  return w;
}

void json_string(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20) {
          static const char* hex = "0123456789abcdef";
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

}  // namespace

std::string format_table(const Decision& decision, const netlink::LinkSnapshot& links) {
  std::vector<std::array<std::string, 6>> rows;
  rows.push_back({"LINK", "KIND", "ADMIN/OPER", "ADDRESSES", "MASTER", "DECISION"});
  for (const auto& ld : decision.links) {
    const netlink::Link* link = links.find(ld.ifindex);
    std::array<std::string, 6> row;
    row[0] = ld.name;
    row[1] = link && !link->kind.empty() ? link->kind : "-";
    row[2] = link ? link_state(*link) : "-";
    row[3] = link ? link_addresses(*link) : "-";
    row[4] = "-";
    if (link && link->master_ifindex != 0) {
      const auto* m = links.find(link->master_ifindex);
      row[4] = (m ? m->name : std::to_string(link->master_ifindex)) +
               (link->master_kind.empty() ? "" : " (" + link->master_kind + ")");
    }
    row[5] = ld.selected ? "SELECTED: " + ld.reason : "excluded: " + ld.reason;
    rows.push_back(std::move(row));
  }
  std::array<std::size_t, 6> widths{};
  for (const auto& row : rows)
    for (std::size_t c = 0; c + 1 < row.size(); ++c) widths[c] = std::max(widths[c], width(row[c]));

  std::string out = "VIP " + decision.vip.to_string() +
                    (decision.pool.empty() ? std::string(" (in no pool)") : " (pool " + decision.pool + ")") +
                    ": " + std::to_string(decision.selected.size()) +
                    (decision.selected.size() == 1 ? " link" : " links") + " selected\n";
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      out += row[c];
      if (c + 1 < row.size()) out += std::string(widths[c] - width(row[c]) + 2, ' ');
    }
    out += '\n';
  }
  return out;
}

std::string to_json(const Decision& decision) {
  std::string out = "{\"vip\":";
  json_string(out, decision.vip.to_string());
  out += ",\"pool\":";
  json_string(out, decision.pool);
  out += ",\"links\":[";
  for (std::size_t i = 0; i < decision.links.size(); ++i) {
    const auto& ld = decision.links[i];
    if (i) out += ',';
    out += "{\"name\":";
    json_string(out, ld.name);
    out += ",\"ifindex\":" + std::to_string(ld.ifindex);
    out += std::string(",\"selected\":") + (ld.selected ? "true" : "false");
    out += ",\"rule\":";
    json_string(out, to_string(ld.rule));
    out += ",\"reason\":";
    json_string(out, ld.reason);
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace vipd::selector
