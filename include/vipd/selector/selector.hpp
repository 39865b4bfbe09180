#pragma once
// The interface selector (design §4): for a VIP and the live link table, which links may answer
// ARP/NDP, and for every other link the first rule that excluded it. Pure: no netlink, no
// sockets, no logging; the policy is compiled once per config and then cheap per call.

#include <cstdint>
#include <memory>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "vipd/common/ip.hpp"
#include "vipd/common/result.hpp"
#include "vipd/config/model.hpp"
#include "vipd/netlink/snapshot.hpp"

namespace vipd::selector {

// In the order they are checked; a link's decision names the first that applies.
enum class Rule {
  selected,
  denied,                  // 1. a deny pattern matches
  not_in_allow,            // 2. allow given, no pattern matches
  not_in_pool_interfaces,  // 3. the pool's interfaces given, no pattern matches
  loopback,                // 4. link-level capability and state ...
  noarp,
  no_broadcast,  //    (IPv4 VIPs: ARP needs broadcast)
  no_multicast,  //    (IPv6 VIPs: NDP needs multicast)
  admin_down,
  oper_not_up,  //    operstate other than up or unknown
  bond_member,  // 5. enslaved to a bond/team: the master answers
  bridge_port,  //    enslaved to a bridge/OVS, not named exactly in allow
  no_subnet,    // 6. require-subnet and no address on the link holds the VIP
};
const char* to_string(Rule rule);  // "selected", "denied", "not-in-allow", ...

struct LinkDecision {
  int ifindex = 0;
  std::string name;
  bool selected = false;
  Rule rule = Rule::selected;
  std::string reason;  // in words, e.g. which address holds the VIP, or how to fix the exclusion
};

struct Decision {
  net::IpAddress vip;
  std::string pool;                 // "" = no pool (only the global policy applied)
  std::vector<LinkDecision> links;  // every link in ifindex order (empty from select_all's
                                    // Detail::selected_only)
  std::vector<int> selected;        // ifindexes of the selected links, ascending; always filled

  std::vector<int> selected_ifindexes() const { return selected; }
};

// A link-name matcher: shell glob (fnmatch) or "re:<ECMAScript regex>" (full match), tried
// against the link's name and every altname.
class Pattern {
 public:
  static Result<Pattern, std::string> compile(const std::string& text);
  bool matches(const netlink::Link& link) const;
  // A pattern with no glob characters and no "re:" names exactly one link name.
  bool names_exactly(const netlink::Link& link) const;
  const std::string& text() const { return text_; }

 private:
  bool match_one(const std::string& name) const;
  std::string text_;
  bool is_regex_ = false;
  bool is_literal_ = false;
  std::shared_ptr<const std::regex> regex_;  // shared: Pattern stays cheap to copy
};

class Policy {
 public:
  struct PoolPolicy {
    std::string name;
    std::vector<Pattern> interfaces;  // empty = any
    bool require_subnet = true;       // pool override, else the global setting
  };

  // Compiles every glob/regex of the global policy and of each pool. A bad regex is an error
  // naming the file:line:column of the policy (or pool) and the key path of the pattern.
  static Result<Policy, config::Diagnostics> compile(const config::Model& model);

  const std::vector<Pattern>& allow() const { return allow_; }
  const std::vector<Pattern>& deny() const { return deny_; }
  bool require_subnet() const { return require_subnet_; }
  // The pool's policy, or null for a name not in the config ("" = no pool).
  const PoolPolicy* pool(const std::string& name) const;

 private:
  std::vector<Pattern> allow_;
  std::vector<Pattern> deny_;
  bool require_subnet_ = true;
  std::vector<PoolPolicy> pools_;
};

// Decision for one VIP with every link's rule and reason. `pool` is the VIP's pool name; an
// unknown or empty name applies the global policy only.
Decision select(const Policy& policy, const netlink::LinkSnapshot& links, const net::IpAddress& vip,
                const std::string& pool);

enum class Detail {
  selected_only,  // Decision::selected only: what reconcile needs, cheap for many VIPs
  full,           // also Decision::links with reasons, as select() returns
};
// Decisions for many (VIP, pool) pairs, in input order. Rules that do not depend on the VIP are
// evaluated once per (link, pool, family), so the cost per VIP is the subnet check only.
std::vector<Decision> select_all(const Policy& policy, const netlink::LinkSnapshot& links,
                                 const std::vector<std::pair<net::IpAddress, std::string>>& vips,
                                 Detail detail = Detail::selected_only);

// A table for a person: link, kind, state, addresses, master, SELECTED or the reason in words.
std::string format_table(const Decision& decision, const netlink::LinkSnapshot& links);
// {"vip":"..","pool":"..","links":[{"name":..,"ifindex":..,"selected":..,"rule":..,"reason":..}]}
std::string to_json(const Decision& decision);

}  // namespace vipd::selector
