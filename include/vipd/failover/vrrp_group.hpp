#pragma once
// One VRRPv3 virtual router (one group, one address family) on a real link: the pure VrrpFsm
// (vrrp_fsm.hpp) plus a raw IP socket (protocol 112) and one timer per FSM timer, made by a
// vipd::Clock (an AsioClock on the io_context unless one is given; unit tests pass a FakeClock, whose
// now() is also the FSM's). Everything runs on the io_context's thread; the class is not thread-safe.
//
// Socket (RFC 5798 §5.1): IPv4 SOCK_RAW bound to the link (SO_BINDTODEVICE), member of 224.0.0.18 on
// it (or unicast to the peers, whose adverts alone are accepted), TTL 255, multicast loop off, TOS
// 0xc0, the source set per packet to the link's primary address (IP_PKTINFO). IPv6 the same with
// ff02::12, hop limit 255 and a link-local source; the hop limit and destination of received adverts
// come from IPV6_RECVHOPLIMIT / IPV6_RECVPKTINFO. The codec checks TTL / hop limit 255 on receipt.
//
// Ownership, as the daemon sees it (on_ownership, always on the io_context thread):
//   true   become master: answer for the group's VIPs and send the gratuitous burst now. Called again
//          while already owning when the FSM asks for a re-announcement (a lower-priority master
//          was heard: split brain), at most once per second.
//   false  release: stop answering. Called once per ownership period.
// Destroying a VrrpGroup calls nothing and sends nothing (a crash as the peers see it): use
// shutdown() for a planned stop.

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "vipd/common/clock.hpp"
#include "vipd/common/ip.hpp"
#include "vipd/common/result.hpp"
#include "vipd/netlink/snapshot.hpp"

namespace vipd::failover {

struct GroupSettings {
  std::string name;       // config failover.vrrp[].name, used in logs and status
  std::string interface;  // the group's link
  std::uint8_t vrid = 1;
  std::uint8_t priority = 100;
  std::chrono::milliseconds advert_interval{1000};  // a multiple of 10 ms, 10 ms - 40.95 s
  bool preempt = true;
  std::chrono::milliseconds preempt_delay{0};
  std::vector<net::IpAddress> addresses;      // this family's VIPs (the advert's address list)
  std::vector<net::IpAddress> unicast_peers;  // empty: multicast
  net::Family family = net::Family::v4;
};

class VrrpGroup {
 public:
  VrrpGroup(boost::asio::io_context& io, GroupSettings settings,
            std::function<void(bool owned)> on_ownership);
  // The same with the timers and `now` of `clock`, which must outlive the group.
  VrrpGroup(boost::asio::io_context& io, GroupSettings settings, std::function<void(bool owned)> on_ownership,
            Clock& clock);
  ~VrrpGroup();
  VrrpGroup(const VrrpGroup&) = delete;
  VrrpGroup& operator=(const VrrpGroup&) = delete;

  // Opens the socket on `ifindex` and starts as backup (or fault, when link_changed(false) came
  // first). `primary_address`: the link's IPv4 primary, or its IPv6 link-local address. Errors: the
  // settings (priority 255, interval, family...) or the socket calls, as text.
  Result<void, std::string> start(int ifindex, const net::IpAddress& primary_address);
  // Carrier or primary address changed. Not usable (or an unspecified address): fault at once, a
  // master releases without waiting for timers. Usable again: backup, master-down timer armed.
  void link_changed(bool usable, const net::IpAddress& primary_address);
  // Live change of the VIP list (next adverts carry it).
  bool set_addresses(std::vector<net::IpAddress> addresses);
  // Planned stop: a master sends priority 0 and keeps owning until the new master's first advert
  // (or 3 x advert), then releases; then the socket closes and done() runs (posted, never inline).
  void shutdown(std::function<void()> done);

  struct Status {
    std::string name;
    std::string state;           // "initialize", "backup", "master", "releasing", "fault"
    std::string master_address;  // empty when unknown
    std::string last_transition_reason;
    std::uint8_t priority = 0;
    std::uint64_t adverts_received = 0;  // valid adverts of our VRID
    std::uint64_t transitions = 0;
    // Transitions into each state, indexed by failover::State (initialize, backup, master,
    // releasing, fault): the metrics' {to} label.
    std::array<std::uint64_t, 5> transitions_to{};
    std::optional<std::chrono::steady_clock::time_point> last_transition;
    // When the last valid advert of our VRID from another router arrived (takeover is measured
    // from it: Master_Down_Interval after the master's last advert).
    std::optional<std::chrono::steady_clock::time_point> last_advert;
  };
  Status status() const;
  bool owned() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // handlers hold weak_ptrs: nothing runs after destruction
};

// What link_changed() needs from the daemon's link table, for one group family. Usable = IFF_UP and
// IFF_RUNNING (carrier) and an address to send from: IPv4, the first non-host-scope IPv4 address in
// the kernel's order (the primary comes before its secondaries); IPv6, the first link-local.
struct LinkView {
  bool usable = false;
  net::IpAddress primary_address;  // unspecified when the link has none of the family
};
LinkView link_view(const netlink::Link& link, net::Family family);

}  // namespace vipd::failover
