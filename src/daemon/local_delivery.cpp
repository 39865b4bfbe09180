#include "vipd/daemon/local_delivery.hpp"

#include "vipd/common/file.hpp"

#include <fcntl.h>
#include <linux/if_addr.h>
#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "vipd/common/log.hpp"

namespace vipd::daemon {

namespace {

constexpr int format_version = 1;

std::shared_ptr<spdlog::logger> logger() {
  static auto l = log::get("daemon");
  return l;
}

std::vector<net::IpAddress> sorted_unique(std::vector<net::IpAddress> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

bool known_sysctl(std::string_view path) {
  return std::any_of(std::begin(local_delivery_sysctls), std::end(local_delivery_sysctls),
                     [&](const SysctlSetting& s) { return path == s.path; });
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

std::string errno_text(int err) {
  return std::strerror(err);
}

Result<std::string, std::string> read_file(const std::string& path) {
  auto text = file::read_all(path);
  if (!text) return unexpected(errno_text(text.error()));
  return std::move(text).value();
}

// One write(2) of the whole value: procfs sysctls take the value from a single write.
Result<void, std::string> write_sysctl(const std::string& file, const std::string& value) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return unexpected(errno_text(errno));
  const std::string text = value + "\n";
  const bool ok = file::write_all(fd, text);
  const int err = errno;
  ::close(fd);
  if (!ok) return unexpected(errno_text(err));
  return {};
}

// The sysctl key as people type it ("net.ipv4.conf.all.arp_ignore").
std::string sysctl_name(std::string path) {
  std::replace(path.begin(), path.end(), '/', '.');
  return path;
}

}  // namespace

// ---- pure parts ----

AddressDiff diff_addresses(const std::vector<net::IpAddress>& current,
                           const std::vector<net::IpAddress>& wanted) {
  const auto have = sorted_unique(current);
  const auto want = sorted_unique(wanted);
  AddressDiff d;
  std::set_difference(want.begin(), want.end(), have.begin(), have.end(), std::back_inserter(d.add));
  std::set_difference(have.begin(), have.end(), want.begin(), want.end(), std::back_inserter(d.remove));
  return d;
}

bool sysctl_already_strict(std::string_view path, std::string_view current, std::string_view wanted) {
  if (current == wanted) return true;
  if (path.ends_with("/arp_ignore")) return current == "1" || current == "2" || current == "8";
  return false;
}

ParsedLocalDeliveryRecord parse_local_delivery_record(std::string_view text, const std::string& origin) {
  ParsedLocalDeliveryRecord out;
  const auto corrupt = [&](const std::string& why) {
    out.record = {};
    out.warnings.push_back("local-delivery file " + origin + " is corrupt (" + why +
                           "); addresses and sysctls a previous run left behind must be checked by hand");
    return out;
  };
  const auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return corrupt("not valid JSON");
  if (!doc.is_object()) return corrupt("expected a JSON object");
  const auto version = doc.find("version");
  if (version == doc.end() || !version->is_number_integer() || version->get<std::int64_t>() != format_version)
    return corrupt("expected \"version\": " + std::to_string(format_version));
  const auto link = doc.find("link");
  if (link == doc.end() || !link->is_string() || link->get_ref<const std::string&>().empty() ||
      link->get_ref<const std::string&>().size() >= IF_NAMESIZE)
    return corrupt("expected a \"link\" name");
  out.record.link = link->get<std::string>();

  if (const auto addresses = doc.find("addresses"); addresses != doc.end()) {
    if (!addresses->is_array()) return corrupt("\"addresses\" is not an array");
    for (const auto& a : *addresses) {
      std::optional<net::IpAddress> ip;
      if (a.is_string()) ip = net::IpAddress::parse(a.get_ref<const std::string&>());
      if (!ip) {
        out.warnings.push_back("local-delivery file " + origin + ": " +
                               (a.is_string() ? "\"" + a.get_ref<const std::string&>().substr(0, 64) + "\""
                                              : std::string("a JSON ") + a.type_name()) +
                               " is not an IP address; entry dropped");
        continue;
      }
      out.record.addresses.push_back(*ip);
    }
    out.record.addresses = sorted_unique(std::move(out.record.addresses));
  }
  if (const auto sysctls = doc.find("sysctls"); sysctls != doc.end()) {
    if (!sysctls->is_object()) return corrupt("\"sysctls\" is not an object");
    for (const auto& [path, value] : sysctls->items()) {
      // Only the settings vipd itself changes, with short numeric values: the file must never make
      // vipd write arbitrary kernel settings.
      const bool numeric =
          value.is_string() && !value.get_ref<const std::string&>().empty() &&
          value.get_ref<const std::string&>().size() <= 8 &&
          std::all_of(value.get_ref<const std::string&>().begin(), value.get_ref<const std::string&>().end(),
                      [](char c) { return c >= '0' && c <= '9'; });
      if (!known_sysctl(path) || !numeric) {
        out.warnings.push_back("local-delivery file " + origin + ": sysctl entry \"" + path.substr(0, 64) +
                               "\" is not one vipd sets or its value is not a number; entry dropped");
        continue;
      }
      out.record.sysctls.emplace(path, value.get<std::string>());
    }
  }
  return out;
}

std::string format_local_delivery_record(const LocalDeliveryRecord& record) {
  nlohmann::json doc;
  doc["version"] = format_version;
  doc["link"] = record.link;
  doc["addresses"] = nlohmann::json::array();
  for (const auto& a : sorted_unique(record.addresses)) doc["addresses"].push_back(a.to_string());
  doc["sysctls"] = nlohmann::json::object();
  for (const auto& [path, value] : record.sysctls) doc["sysctls"][path] = value;
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// ---- netlink ----

struct LocalDelivery::Netlink {
  struct SockDeleter {
    void operator()(nl_sock* s) const { nl_socket_free(s); }
  };
  struct AddrDeleter {
    void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
  };
  std::unique_ptr<nl_sock, SockDeleter> sock;

  static std::unique_ptr<rtnl_addr, AddrDeleter> make(int ifindex, const net::IpAddress& ip) {
    std::unique_ptr<rtnl_addr, AddrDeleter> a(rtnl_addr_alloc());
    if (!a) return a;
    const int family = ip.is_v4() ? AF_INET : AF_INET6;
    const auto bytes = ip.bytes();
    nl_addr* local = nl_addr_build(family, bytes.data(), bytes.size());
    if (local == nullptr) return nullptr;
    nl_addr_set_prefixlen(local, ip.is_v4() ? 32 : 128);
    rtnl_addr_set_ifindex(a.get(), ifindex);
    rtnl_addr_set_family(a.get(), family);
    const int err = rtnl_addr_set_local(a.get(), local);  // takes its own reference
    nl_addr_put(local);
    if (err < 0) return nullptr;
    rtnl_addr_set_prefixlen(a.get(), ip.is_v4() ? 32 : 128);
    // A VIP must be usable at once: duplicate address detection would hold it "tentative".
    if (ip.is_v6()) rtnl_addr_set_flags(a.get(), IFA_F_NODAD);
    return a;
  }

  enum class AddOutcome { added, existed };
  Result<AddOutcome, std::string> add(int ifindex, const net::IpAddress& ip) {
    auto a = make(ifindex, ip);
    if (!a) return unexpected(std::string("out of memory"));
    const int err = rtnl_addr_add(sock.get(), a.get(), NLM_F_EXCL);
    if (err == -NLE_EXIST) return AddOutcome::existed;
    if (err < 0) return unexpected(std::string(nl_geterror(err)));
    return AddOutcome::added;
  }
  Result<void, std::string> remove(int ifindex, const net::IpAddress& ip) {
    auto a = make(ifindex, ip);
    if (!a) return unexpected(std::string("out of memory"));
    const int err = rtnl_addr_delete(sock.get(), a.get(), 0);
    // Already gone (removed by hand, link deleted): what we wanted.
    if (err < 0 && err != -NLE_NOADDR && err != -NLE_OBJ_NOTFOUND && err != -NLE_NODEV)
      return unexpected(std::string(nl_geterror(err)));
    return {};
  }
};

// ---- the adapter ----

LocalDelivery::LocalDelivery(config::LocalDelivery settings, std::string state_dir, std::string sysctl_root)
    : settings_(std::move(settings)), state_dir_(std::move(state_dir)), sysctl_root_(std::move(sysctl_root)) {
  record_.link = settings_.link;
}

LocalDelivery::~LocalDelivery() {
  stop();
}

std::string LocalDelivery::path() const {
  return (std::filesystem::path(state_dir_) / file_name).string();
}

Result<void, std::string> LocalDelivery::ensure_netlink() {
  if (netlink_) return {};
  auto nl = std::make_unique<Netlink>();
  nl->sock.reset(nl_socket_alloc());
  if (!nl->sock) return unexpected(std::string("netlink: nl_socket_alloc failed"));
  if (const int err = nl_connect(nl->sock.get(), NETLINK_ROUTE); err < 0)
    return unexpected(std::string("netlink: cannot connect: ") + nl_geterror(err));
  netlink_ = std::move(nl);
  return {};
}

Result<void, std::string> LocalDelivery::save() const {
  const std::string target = path();
  if (record_.empty()) {
    // Nothing outstanding: no file, so a later start has nothing to clean.
    if (::unlink(target.c_str()) != 0 && errno != ENOENT)
      return unexpected("cannot remove " + target + ": " + errno_text(errno));
    return {};
  }
  return file::write_atomically(target, format_local_delivery_record(record_), 0644);
}

Result<void, std::string> LocalDelivery::start() {
  if (started_) return {};
  started_ = true;
  // What a previous run left behind (a crash, or a stop that could not finish).
  std::error_code ec;
  if (std::filesystem::exists(path(), ec)) {
    if (auto text = read_file(path()); text) {
      auto parsed = parse_local_delivery_record(*text, path());
      for (const auto& w : parsed.warnings) logger()->warn("{}", w);
      record_ = std::move(parsed.record);
      if (!record_.empty())
        logger()->info(
            "local delivery: cleaning up after the previous run ({} address(es) on {}, {} sysctl(s))",
            record_.addresses.size(), record_.link, record_.sysctls.size());
    } else {
      logger()->warn("local delivery: cannot read {}: {}", path(), text.error());
    }
  }

  std::string errors;
  if (auto removed = remove_all(); !removed) errors = removed.error();
  // Addresses that could not be removed stay recorded under their link (retried by apply and stop).
  if (record_.addresses.empty()) record_.link = settings_.link;
  if (!settings_.enabled) {
    restore_sysctls();  // a previous run's values, if it died with them in force
    if (auto saved = save(); !saved) errors += (errors.empty() ? "" : "\n") + saved.error();
    if (!errors.empty()) return unexpected(errors);
    return {};
  }
  // Stale addresses that could not be removed do not stop local delivery: apply() retries them.
  if (auto enabled = enable_sysctls(); !enabled) {
    errors += (errors.empty() ? "" : "\n") + enabled.error();
    return unexpected(errors);
  }
  active_ = true;
  if (!errors.empty()) return unexpected(errors);
  return {};
}

Result<void, std::string> LocalDelivery::enable_sysctls() {
  // Originals from the record win: after a crash the running values are vipd's own.
  const auto recorded = record_.sysctls;
  std::vector<std::pair<std::string, std::string>> to_set;
  for (const auto& s : local_delivery_sysctls) {
    if (recorded.count(s.path) != 0) {
      to_set.emplace_back(s.path, s.value);
      continue;
    }
    auto current = read_file(sysctl_root_ + "/" + s.path);
    if (!current)
      return unexpected("local delivery: cannot read " + sysctl_name(s.path) + ": " + current.error() +
                        " (without it the kernel would answer ARP for the VIPs on every link)");
    const std::string value = trim(*current);
    if (sysctl_already_strict(s.path, value, s.value)) continue;
    record_.sysctls.emplace(s.path, value);
    to_set.emplace_back(s.path, s.value);
  }
  // Record the originals before changing anything, so a crash in between still restores them.
  if (auto saved = save(); !saved) return unexpected("local delivery: " + saved.error());
  for (const auto& [sysctl, value] : to_set) {
    const std::string file = sysctl_root_ + "/" + sysctl;
    if (auto written = write_sysctl(file, value); !written) {
      std::string message = "local delivery: cannot set " + sysctl_name(sysctl);
      message.append("=").append(value).append(": ").append(written.error());
      message.append(" (needs CAP_NET_ADMIN and a writable ").append(file);
      message.append("; under systemd see ReadWritePaths= in vipd.service)");
      return unexpected(std::move(message));
    }
    logger()->info(
        "local delivery: set {}={} (was {}) so the kernel does not answer ARP for VIPs on {} from other "
        "links; "
        "restored when local delivery stops",
        sysctl_name(sysctl), value, record_.sysctls.at(sysctl), settings_.link);
  }
  return {};
}

void LocalDelivery::restore_sysctls() {
  if (record_.sysctls.empty()) return;
  auto wanted_of = [](const std::string& p) -> std::string {
    for (const auto& s : local_delivery_sysctls)
      if (p == s.path) return s.value;
    return {};
  };
  for (auto it = record_.sysctls.begin(); it != record_.sysctls.end();) {
    const std::string file = sysctl_root_ + "/" + it->first;
    const auto current = read_file(file);
    if (current && trim(*current) != wanted_of(it->first)) {
      // Someone changed it since: theirs wins.
      logger()->warn("local delivery: {} is {} (not vipd's {}), leaving it", sysctl_name(it->first),
                     trim(*current), wanted_of(it->first));
      it = record_.sysctls.erase(it);
      continue;
    }
    if (auto written = write_sysctl(file, it->second); !written) {
      logger()->error("local delivery: cannot restore {}={}: {}", sysctl_name(it->first), it->second,
                      written.error());
      ++it;  // kept in the record: the next start retries
      continue;
    }
    logger()->info("local delivery: restored {}={}", sysctl_name(it->first), it->second);
    it = record_.sysctls.erase(it);
  }
}

Result<void, std::string> LocalDelivery::remove_all() {
  if (record_.addresses.empty()) return {};
  if (auto nl = ensure_netlink(); !nl) return unexpected(nl.error());
  const unsigned ifindex = ::if_nametoindex(record_.link.c_str());
  if (ifindex == 0) {
    // The link is gone, and its addresses with it.
    logger()->info("local delivery: link {} is gone, forgetting {} address(es)", record_.link,
                   record_.addresses.size());
    record_.addresses.clear();
    return {};
  }
  std::string errors;
  std::vector<net::IpAddress> kept;
  for (const auto& ip : record_.addresses) {
    if (auto r = netlink_->remove(static_cast<int>(ifindex), ip); !r) {
      errors += (errors.empty() ? "" : "\n") + std::string("local delivery: cannot remove ") +
                ip.to_string() + " from " + record_.link + ": " + r.error();
      kept.push_back(ip);
      continue;
    }
    logger()->info("local delivery: removed {} from {}", ip.to_string(), record_.link);
  }
  record_.addresses = std::move(kept);
  if (!errors.empty()) return unexpected(errors);
  return {};
}

Result<void, std::string> LocalDelivery::apply(const std::vector<net::IpAddress>& owned) {
  if (!settings_.enabled) return {};
  if (!active_) return unexpected(std::string("local delivery is not active (start failed or not called)"));
  if (record_.link != settings_.link) {
    // Leftovers on another link (a previous run's, or before a link change) go first.
    if (auto r = remove_all(); !r)
      return unexpected(r.error() + "\nlocal delivery: not adding to " + settings_.link +
                        " until they are gone");
    record_.link = settings_.link;
  }
  const auto diff = diff_addresses(record_.addresses, owned);
  if (diff.empty()) return {};
  if (auto nl = ensure_netlink(); !nl) return unexpected(nl.error());
  const unsigned ifindex = ::if_nametoindex(settings_.link.c_str());
  if (ifindex == 0)
    return unexpected("local delivery: link " + settings_.link + " does not exist: " + errno_text(errno));

  std::string errors;
  const auto fail = [&](const std::string& e) { errors += (errors.empty() ? "" : "\n") + e; };
  // Record additions before making them: a crash right after the netlink call still knows them.
  if (!diff.add.empty()) {
    const auto before = record_.addresses;
    record_.addresses = sorted_unique([&] {
      auto all = before;
      all.insert(all.end(), diff.add.begin(), diff.add.end());
      return all;
    }());
    if (auto saved = save(); !saved) {
      record_.addresses = before;
      return unexpected("local delivery: " + saved.error() + "; not adding addresses it could not record");
    }
  }
  for (const auto& ip : diff.add) {
    const auto added = netlink_->add(static_cast<int>(ifindex), ip);
    if (added && *added == Netlink::AddOutcome::added) {
      logger()->info("local delivery: added {}/{} to {}", ip.to_string(), ip.is_v4() ? 32 : 128,
                     settings_.link);
      continue;
    }
    // Not ours to remove later: either it was there already or adding failed.
    record_.addresses.erase(std::remove(record_.addresses.begin(), record_.addresses.end(), ip),
                            record_.addresses.end());
    if (added)
      logger()->info("local delivery: {} is already on {} (not added by vipd, left alone)", ip.to_string(),
                     settings_.link);
    else
      fail("local delivery: cannot add " + ip.to_string() + " to " + settings_.link + ": " + added.error());
  }
  for (const auto& ip : diff.remove) {
    if (auto r = netlink_->remove(static_cast<int>(ifindex), ip); !r) {
      fail("local delivery: cannot remove " + ip.to_string() + " from " + settings_.link + ": " + r.error());
      continue;  // kept in the record, retried next time
    }
    logger()->info("local delivery: removed {} from {}", ip.to_string(), settings_.link);
    record_.addresses.erase(std::remove(record_.addresses.begin(), record_.addresses.end(), ip),
                            record_.addresses.end());
  }
  if (auto saved = save(); !saved) fail("local delivery: " + saved.error());
  if (!errors.empty()) return unexpected(errors);
  return {};
}

Result<void, std::string> LocalDelivery::reconfigure(config::LocalDelivery settings,
                                                     const std::vector<net::IpAddress>& owned) {
  if (!started_) {
    settings_ = std::move(settings);
    record_.link = settings_.link;
    return {};
  }
  std::string errors;
  const auto fail = [&](const std::string& e) { errors += (errors.empty() ? "" : "\n") + e; };
  const bool link_changed = settings.link != settings_.link;
  const bool was_enabled = settings_.enabled;
  settings_ = std::move(settings);
  if (link_changed || !settings_.enabled) {
    if (auto r = remove_all(); !r) fail(r.error());
  }
  if (record_.addresses.empty()) record_.link = settings_.link;
  if (was_enabled && !settings_.enabled) {
    restore_sysctls();
    active_ = false;
    if (auto saved = save(); !saved) fail("local delivery: " + saved.error());
  } else if (!was_enabled && settings_.enabled) {
    if (auto r = enable_sysctls(); !r) {
      fail(r.error());
      active_ = false;
    } else {
      active_ = true;
    }
  }
  if (active_) {
    if (auto r = apply(owned); !r) fail(r.error());
  }
  if (!errors.empty()) return unexpected(errors);
  return {};
}

void LocalDelivery::stop() {
  if (!started_) return;
  if (auto r = remove_all(); !r) logger()->error("{}", r.error());
  restore_sysctls();
  active_ = false;
  if (auto saved = save(); !saved) logger()->error("local delivery: {}", saved.error());
  started_ = false;
  netlink_.reset();
}

}  // namespace vipd::daemon
