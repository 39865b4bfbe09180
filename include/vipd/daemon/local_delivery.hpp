#pragma once
// Local delivery (issue 5 §4): while `local-delivery: {enabled: true, link: lo}` is on, every owned
// VIP is added to the link as /32 or /128 (IPv6 with IFA_F_NODAD) so the host accepts its traffic,
// and removed when released or on stop. Because Linux would then answer ARP for those addresses on
// every interface (arp_ignore=0), net.ipv4.conf.all.arp_ignore=1 and arp_announce=2 are set while it
// is on and the previous values restored afterwards. (IPv6 needs nothing: Linux answers a Neighbour
// Solicitation only for addresses on the receiving link.)
//
// What vipd added, and the sysctl values it replaced, are kept in <state-dir>/local-delivery.json
// (atomic write) so that after a crash the next start() removes the stale addresses and restores the
// operator's original sysctls rather than the ones vipd had set.
//
// Netlink and sysctl I/O happen in the calling thread's network namespace: the netlink socket is
// opened by start() and stays in the namespace it was opened in.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vipd/common/ip.hpp"
#include "vipd/common/result.hpp"
#include "vipd/config/model.hpp"

namespace vipd::daemon {

// ---- pure parts (no I/O) ----

struct AddressDiff {
  std::vector<net::IpAddress> add;     // wanted, not present; sorted
  std::vector<net::IpAddress> remove;  // present, not wanted; sorted
  bool empty() const { return add.empty() && remove.empty(); }
};
// Duplicates in either input are ignored.
AddressDiff diff_addresses(const std::vector<net::IpAddress>& current,
                           const std::vector<net::IpAddress>& wanted);

// The sysctls local delivery sets, as paths under /proc/sys, and the value it wants.
struct SysctlSetting {
  const char* path;   // "net/ipv4/conf/all/arp_ignore"
  const char* value;  // "1"
};
// arp_ignore=1: answer ARP only for addresses on the receiving link (not for VIPs on lo);
// arp_announce=2: never use a lo address as ARP sender on another link.
inline constexpr SysctlSetting local_delivery_sysctls[] = {
    {"net/ipv4/conf/all/arp_ignore", "1"},
    {"net/ipv4/conf/all/arp_announce", "2"},
};
// Whether `current` (the running value) already gives what `wanted` asks for, so vipd leaves it
// alone: arp_ignore 1, 2 or 8 all keep the kernel from answering for lo addresses on other links
// (3 does not: it still answers for scope-global addresses); arp_announce 2 is the strictest.
bool sysctl_already_strict(std::string_view path, std::string_view current, std::string_view wanted);

// <state-dir>/local-delivery.json:
//   {"version": 1, "link": "lo", "addresses": ["192.168.20.100", "fd00:20::100"],
//    "sysctls": {"net/ipv4/conf/all/arp_ignore": "0"}}
// addresses: what vipd added to `link` and has not removed yet; sysctls: the values vipd replaced
// (the operator's originals), present only while vipd's values are in force.
struct LocalDeliveryRecord {
  std::string link;
  std::vector<net::IpAddress> addresses;       // sorted, unique
  std::map<std::string, std::string> sysctls;  // path under /proc/sys -> original value

  bool empty() const { return addresses.empty() && sysctls.empty(); }
  friend bool operator==(const LocalDeliveryRecord&, const LocalDeliveryRecord&) = default;
};

struct ParsedLocalDeliveryRecord {
  LocalDeliveryRecord record;
  std::vector<std::string> warnings;  // corrupt file or entries: dropped, named here
};
// Never throws. A corrupt file yields an empty record and one warning naming `origin`; a bad
// address or sysctl entry is dropped with a warning (sysctl paths outside local_delivery_sysctls too:
// the file must not make vipd write arbitrary kernel settings).
ParsedLocalDeliveryRecord parse_local_delivery_record(std::string_view text, const std::string& origin);
std::string format_local_delivery_record(const LocalDeliveryRecord& record);  // JSON, trailing newline

// ---- the adapter ----

class LocalDelivery {
 public:
  static constexpr const char* file_name = "local-delivery.json";

  // sysctl_root: where /proc/sys is (tests point it at a temporary directory).
  LocalDelivery(config::LocalDelivery settings, std::string state_dir, std::string sysctl_root = "/proc/sys");
  ~LocalDelivery();  // calls stop()
  LocalDelivery(const LocalDelivery&) = delete;
  LocalDelivery& operator=(const LocalDelivery&) = delete;

  // Cleans up after a previous run (removes the addresses it recorded, restores the sysctls it
  // recorded) and, when enabled, sets arp_ignore/arp_announce (logged). Call once, before apply().
  // On error nothing is added later (apply() refuses): VIPs on the link without arp_ignore would
  // make the kernel answer ARP for them on every interface.
  Result<void, std::string> start();

  // Makes the link hold exactly `owned` (of the addresses vipd manages): adds the missing ones,
  // removes released ones. A no-op when disabled. Addresses that were already on the link before
  // vipd added them are left alone (never recorded, never removed). Errors name each address;
  // every address is still attempted.
  Result<void, std::string> apply(const std::vector<net::IpAddress>& owned);

  // Applies new settings (reload): a changed link moves the addresses, disabling removes them and
  // restores the sysctls, enabling sets the sysctls; then applies `owned`.
  Result<void, std::string> reconfigure(config::LocalDelivery settings,
                                        const std::vector<net::IpAddress>& owned);

  // Removes every address vipd added and restores the sysctls; idempotent.
  void stop();

  const config::LocalDelivery& settings() const { return settings_; }
  bool active() const { return active_; }  // started, enabled, sysctls in force
  // Addresses vipd added and currently manages, sorted.
  const std::vector<net::IpAddress>& added() const { return record_.addresses; }
  std::string path() const;

 private:
  struct Netlink;

  Result<void, std::string> enable_sysctls();
  void restore_sysctls();
  Result<void, std::string> remove_all();
  Result<void, std::string> save() const;
  Result<void, std::string> ensure_netlink();

  config::LocalDelivery settings_;
  std::string state_dir_;
  std::string sysctl_root_;
  LocalDeliveryRecord record_;
  std::unique_ptr<Netlink> netlink_;
  bool started_ = false;
  bool active_ = false;
};

}  // namespace vipd::daemon
