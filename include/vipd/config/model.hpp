#pragma once
// The one configuration model that native vipd YAML, MetalLB's legacy ConfigMap and MetalLB's
// CRDs all load into. Plain values; every element remembers where it came from so later
// validation (pools, selector) can point at file:line:column.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vipd/common/ip.hpp"

namespace vipd::config {

using Duration = std::chrono::milliseconds;

struct SourceLocation {
  std::string file;
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based; 0 = unknown
};

enum class Severity { error, warning, note };

// One message for a person: "file:line:col: error: address-pools[1].addresses[0]: ...".
struct Diagnostic {
  Severity severity = Severity::error;
  SourceLocation where;
  std::string path;     // key path, e.g. "address-pools[1].addresses[0]"
  std::string message;  // what is wrong, the offending value, what was expected

  std::string format() const;
};
using Diagnostics = std::vector<Diagnostic>;

enum class Protocol { layer2, bgp };
const char* to_string(Protocol p);

// BGP ORIGIN (RFC 4271 §5.1.1) of an advertisement; routers show igp as `i`, egp `e`, incomplete `?`.
enum class BgpOrigin { igp, egp, incomplete };
const char* to_string(BgpOrigin o);

struct LargeCommunity {
  std::uint32_t global_admin = 0;
  std::uint32_t local1 = 0;
  std::uint32_t local2 = 0;
  friend bool operator==(const LargeCommunity&, const LargeCommunity&) = default;
};

struct BgpAdvertisement {
  std::uint8_t aggregation_length = 32;
  std::uint8_t aggregation_length_v6 = 128;
  std::optional<std::uint32_t> localpref;         // iBGP LOCAL_PREF; default 100 when unset
  BgpOrigin origin = BgpOrigin::incomplete;       // as MetalLB (and the seed's router shows `?`)
  std::vector<std::uint32_t> communities;         // RFC 1997, resolved from names/aliases
  std::vector<LargeCommunity> large_communities;  // RFC 8092
  std::vector<std::string> peers;                 // peer names/addresses; empty = all peers
  SourceLocation where;
};

struct AddressRange {
  net::IpRange range;
  std::string text;  // as written ("192.168.10.0/24", "a-b")
  SourceLocation where;
};

struct Pool {
  std::string name;
  Protocol protocol = Protocol::layer2;
  std::vector<AddressRange> addresses;
  bool avoid_buggy_ips = false;
  bool auto_assign = true;
  std::vector<BgpAdvertisement> bgp_advertisements;
  std::vector<std::string> interfaces;  // vipd: per-pool allowlist (globs / "re:"), empty = any
  std::optional<bool> require_subnet;   // vipd: overrides interfaces.require-subnet
  SourceLocation where;
};

struct Peer {
  std::string name;  // defaults to the peer address as text
  net::IpAddress peer_address;
  std::uint32_t peer_asn = 0;
  std::uint32_t my_asn = 0;
  std::uint16_t peer_port = 179;
  Duration hold_time = std::chrono::seconds(90);
  std::optional<Duration> keepalive_time;  // default hold/3
  std::optional<net::IpAddress> router_id;
  std::optional<net::IpAddress> source_address;
  std::string password;  // TCP MD5 (RFC 2385); empty = none
  bool ebgp_multihop = false;
  bool passive = false;                       // vipd: also listen for the peer's connection
  bool gtsm = false;                          // vipd: RFC 5082 (send TTL 255, accept only TTL >= 254)
  std::optional<net::IpAddress> next_hop_v6;  // vipd: MP_REACH next hop for IPv6 prefixes (global)
  std::string bfd_profile;
  SourceLocation where;
};

// Global link policy for layer2 answering (and VRRP).
struct InterfacePolicy {
  std::vector<std::string> allow;  // globs or "re:<regex>"; empty = every link passing the rules
  std::vector<std::string> deny;
  bool require_subnet = true;
  SourceLocation where;
};

struct Service {
  std::string name;
  std::string pool;
  std::optional<net::IpAddress> address;  // explicit; otherwise allocated
  SourceLocation where;
  SourceLocation address_where;  // of the address value (errors about it point there)
};

struct Gratuitous {
  int count = 5;
  Duration interval = std::chrono::seconds(1);
  Duration refresh = Duration::zero();  // 0 = no periodic refresh
};

struct VrrpGroup {
  std::string name;
  std::string interface;
  std::uint8_t vrid = 0;
  std::uint8_t priority = 100;
  Duration advert_interval = std::chrono::seconds(1);  // centisecond steps, 10ms..40.95s
  bool preempt = true;
  Duration preempt_delay = Duration::zero();
  std::vector<std::string> pools;
  std::vector<net::IpAddress> unicast_peers;
  SourceLocation where;
};

struct Failover {
  std::vector<VrrpGroup> vrrp;
};

struct LocalDelivery {
  bool enabled = false;
  std::string link = "lo";
};

struct Control {
  std::string socket = "/run/vipd/vipd.sock";
};

struct Metrics {
  std::string listen = "127.0.0.1:9477";  // empty disables
};

struct Model {
  InterfacePolicy interfaces;
  std::vector<Peer> peers;
  std::vector<Pool> pools;
  std::map<std::string, std::string> communities;  // alias -> "a:b" or "large:a:b:c"
  std::vector<Service> services;
  Gratuitous gratuitous;
  Failover failover;
  LocalDelivery local_delivery;
  Control control;
  Metrics metrics;
  std::string log_level = "info";

  const Pool* find_pool(const std::string& name) const;
};

}  // namespace vipd::config
