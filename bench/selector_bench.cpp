// Selector and netlink benchmarks (issue 3 §5):
//  - select_all for 10,000 VIPs over 500 synthetic links (target < 50 ms),
//  - select() of one VIP with every link's reason (what --explain / vipctl explain cost),
//  - a resync (full rtnetlink dump of links + addresses) of a namespace holding 500 veth links
//    (target < 200 ms). Needs root: the bench creates and deletes its own namespace.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "vipd/netlink/watcher.hpp"
#include "vipd/selector/selector.hpp"

namespace {

using namespace vipd;

constexpr std::uint32_t kLowerUp = 0x10000;  // IFF_LOWER_UP (linux/if.h clashes with net/if.h)
constexpr std::uint32_t kUsable = IFF_UP | IFF_BROADCAST | IFF_MULTICAST | IFF_RUNNING | kLowerUp;

netlink::LinkAddress addr(const std::string& text) {
  return {*net::Prefix::parse(text), 0};
}

netlink::Link make_link(int ifindex, std::string name, std::string kind) {
  netlink::Link l;
  l.ifindex = ifindex;
  l.name = std::move(name);
  l.kind = std::move(kind);
  l.flags = kUsable;
  l.operstate = 6;
  l.mtu = 1500;
  l.has_mac = true;
  return l;
}

// 500 links shaped like a busy Kubernetes node: lo, 100 container veths (denied), 10 bonds with 2
// members each, 5 bridges with 20 ports each, and 265 ethernet/VLAN links each with an IPv4 /24,
// an IPv6 /64 and a link-local address.
struct Lab {
  netlink::LinkSnapshot snapshot;
  std::vector<std::string> v4_subnets;  // "10.a.b." prefixes of the addressable links
  std::vector<std::string> v6_subnets;
};

Lab make_lab() {
  Lab lab;
  auto& links = lab.snapshot.links;
  int ifindex = 1;
  auto lo = make_link(ifindex++, "lo", "");
  lo.flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
  lo.addresses = {addr("127.0.0.1/8")};
  links.push_back(lo);
  for (int i = 0; i < 100; ++i) links.push_back(make_link(ifindex++, "veth" + std::to_string(i), "veth"));
  for (int b = 0; b < 10; ++b) {
    const int bond = ifindex++;
    auto l = make_link(bond, "bond" + std::to_string(b), "bond");
    l.addresses = {addr("10.200." + std::to_string(b) + ".1/24")};
    links.push_back(l);
    lab.v4_subnets.push_back("10.200." + std::to_string(b) + ".");
    for (int m = 0; m < 2; ++m) {
      auto member = make_link(ifindex++, "ens" + std::to_string(b) + "f" + std::to_string(m), "");
      member.master_ifindex = bond;
      member.master_kind = "bond";
      links.push_back(member);
    }
  }
  for (int br = 0; br < 5; ++br) {
    const int bridge = ifindex++;
    auto l = make_link(bridge, "br" + std::to_string(br), "bridge");
    l.addresses = {addr("10.201." + std::to_string(br) + ".1/24")};
    links.push_back(l);
    lab.v4_subnets.push_back("10.201." + std::to_string(br) + ".");
    for (int p = 0; p < 20; ++p) {
      auto port = make_link(ifindex++, "tap" + std::to_string(br) + "p" + std::to_string(p), "tun");
      port.master_ifindex = bridge;
      port.master_kind = "bridge";
      links.push_back(port);
    }
  }
  for (int i = 0; links.size() < 500; ++i) {
    auto l = make_link(ifindex++, (i % 2 ? "eth" : "vlan") + std::to_string(i), i % 2 ? "" : "vlan");
    const std::string v4 = "10." + std::to_string(i / 200) + "." + std::to_string(i % 200) + ".";
    const std::string v6 = "fd00:" + std::to_string(i) + "::";
    l.addresses = {addr(v4 + "1/24"), addr(v6 + "1/64"), addr("fe80::" + std::to_string(i) + ":1/64")};
    lab.v4_subnets.push_back(v4);
    lab.v6_subnets.push_back(v6);
    links.push_back(l);
  }
  return lab;
}

config::Model make_model() {
  config::Model m;
  m.interfaces.deny = {"veth*", "docker*", "cali*"};
  config::Pool a;
  a.name = "layer2";
  config::Pool b;
  b.name = "edge";
  b.interfaces = {"eth*", "re:bond[0-9]+", "br*"};
  m.pools = {a, b};
  return m;
}

std::vector<std::pair<net::IpAddress, std::string>> make_vips(const Lab& lab, int count) {
  std::vector<std::pair<net::IpAddress, std::string>> vips;
  for (int i = 0; i < count; ++i) {
    const std::string pool = i % 3 ? "layer2" : "edge";
    std::string text;
    if (i % 10 == 9)
      text =
          lab.v6_subnets[static_cast<std::size_t>(i) % lab.v6_subnets.size()] + std::to_string(100 + i % 100);
    else
      text =
          lab.v4_subnets[static_cast<std::size_t>(i) % lab.v4_subnets.size()] + std::to_string(100 + i % 150);
    vips.emplace_back(*net::IpAddress::parse(text), pool);
  }
  return vips;
}

void BM_SelectAll_10kVips_500Links(benchmark::State& state) {
  const Lab lab = make_lab();
  const auto policy = std::move(selector::Policy::compile(make_model())).value();
  const auto vips = make_vips(lab, 10000);
  std::size_t selected = 0;
  for (auto _ : state) {
    auto decisions = selector::select_all(policy, lab.snapshot, vips);
    selected = 0;
    for (const auto& d : decisions) selected += d.selected.size();
    benchmark::DoNotOptimize(decisions);
  }
  state.counters["links"] = static_cast<double>(lab.snapshot.links.size());
  state.counters["vips"] = static_cast<double>(vips.size());
  state.counters["bindings"] = static_cast<double>(selected);
}
BENCHMARK(BM_SelectAll_10kVips_500Links)->Unit(benchmark::kMillisecond);

void BM_SelectOneWithReasons_500Links(benchmark::State& state) {
  const Lab lab = make_lab();
  const auto policy = std::move(selector::Policy::compile(make_model())).value();
  const auto vip = *net::IpAddress::parse(lab.v4_subnets.back() + "100");
  for (auto _ : state) benchmark::DoNotOptimize(selector::select(policy, lab.snapshot, vip, "layer2"));
}
BENCHMARK(BM_SelectOneWithReasons_500Links)->Unit(benchmark::kMicrosecond);

// A namespace with 250 veth pairs (500 links, each with an IPv4 address), created once.
class VethNamespace {
 public:
  VethNamespace() : name_("vipdbench" + std::to_string(getpid())) {
    std::system(("ip netns del " + name_ + " 2>/dev/null").c_str());
    if (std::system(("ip netns add " + name_).c_str()) != 0) return;
    const std::string batch = "/tmp/" + name_ + ".batch";
    {
      std::ofstream out(batch);
      for (int i = 0; i < 250; ++i) out << "link add va" << i << " type veth peer name vb" << i << "\n";
      for (int i = 0; i < 250; ++i) {
        out << "link set va" << i << " up\nlink set vb" << i << " up\n";
        out << "addr add 10." << 50 + i / 200 << "." << i % 200 << ".1/24 dev va" << i << "\n";
      }
    }
    ok_ = std::system(("ip -n " + name_ + " -batch " + batch + " >/dev/null").c_str()) == 0;
    std::remove(batch.c_str());
  }
  ~VethNamespace() { std::system(("ip netns del " + name_ + " 2>/dev/null").c_str()); }
  bool ok() const { return ok_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  bool ok_ = false;
};

void BM_Resync_500VethLinks(benchmark::State& state) {
  if (geteuid() != 0) {
    state.SkipWithError("needs root (creates its own network namespace)");
    return;
  }
  VethNamespace ns;
  if (!ns.ok()) {
    state.SkipWithError("could not build the veth namespace");
    return;
  }
  const int back = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  const int into = open(("/run/netns/" + ns.name()).c_str(), O_RDONLY | O_CLOEXEC);
  if (back < 0 || into < 0 || setns(into, CLONE_NEWNET) != 0) {
    state.SkipWithError("cannot enter the namespace");
    return;
  }
  std::size_t links = 0;
  for (auto _ : state) {
    auto snap = netlink::dump_links();
    if (!snap) {
      state.SkipWithError(snap.error().c_str());
      break;
    }
    links = snap->links.size();
    benchmark::DoNotOptimize(snap);
  }
  setns(back, CLONE_NEWNET);
  close(back);
  close(into);
  state.counters["links"] = static_cast<double>(links);
}
BENCHMARK(BM_Resync_500VethLinks)->Unit(benchmark::kMillisecond)->Iterations(20);

}  // namespace

BENCHMARK_MAIN();
