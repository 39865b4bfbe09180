// Responder::handle() cost per frame: ARP and NS, hits (reply written) and misses (not owned),
// with 1,000 and 100,000 bindings (half IPv4, half IPv6, spread over 4 links). Frames cycle over
// 1,024 different targets so the lookup is not always the same cache line.
#include <benchmark/benchmark.h>

#include <vector>

#include "vipd/l2/responder.hpp"

namespace {

using namespace vipd;
using namespace vipd::l2;

constexpr MacAddress peer{0x02, 0x99, 0, 0, 0, 1};
constexpr int links = 4;

net::IpAddress v4(std::uint32_t i) {
  return net::IpAddress::v4(0x0a000000 + i);
}
net::IpAddress v6(std::uint32_t i) {
  return net::IpAddress::from_value(net::Family::v6, (net::Uint128{0xfd00} << 112) + i);
}

Responder make_responder(std::uint32_t bindings) {
  Responder r;
  std::vector<LinkInfo> l;
  for (int i = 1; i <= links; ++i) l.push_back({i, {0x02, 0, 0, 0, 0, static_cast<std::uint8_t>(i)}});
  r.set_links(l);
  std::vector<Binding> b;
  for (std::uint32_t i = 0; i < bindings / 2; ++i) {
    b.push_back({static_cast<int>(1 + i % links), v4(i)});
    b.push_back({static_cast<int>(1 + i % links), v6(i)});
  }
  r.set_bindings(b);
  return r;
}

struct Frame {
  int ifindex;
  std::vector<std::uint8_t> bytes;
};

std::vector<Frame> arp_frames(std::uint32_t bindings, bool hit) {
  std::vector<Frame> out;
  for (std::uint32_t k = 0; k < 1024; ++k) {
    const std::uint32_t i = (k * 7919u) % (bindings / 2);
    const auto target = hit ? v4(i) : net::IpAddress::v4(0x0b000000 + i);
    std::vector<std::uint8_t> f(max_frame_size);
    f.resize(write_arp_frame(f, broadcast_mac, peer,
                             {ArpOp::request, peer, {192, 0, 2, 1}, zero_mac, to_v4_bytes(target)}));
    out.push_back({static_cast<int>(1 + i % links), std::move(f)});
  }
  return out;
}

std::vector<Frame> ns_frames(std::uint32_t bindings, bool hit) {
  std::vector<Frame> out;
  for (std::uint32_t k = 0; k < 1024; ++k) {
    const std::uint32_t i = (k * 7919u) % (bindings / 2);
    NdPacket ns;
    ns.type = icmpv6_neighbor_solicitation;
    ns.source = to_v6_bytes(*net::IpAddress::parse("fd99::1"));
    ns.target = to_v6_bytes(
        hit ? v6(i) : net::IpAddress::from_value(net::Family::v6, (net::Uint128{0xfd01} << 112) + i));
    ns.destination = solicited_node_address(ns.target);
    ns.has_source_lla = true;
    ns.source_lla = peer;
    std::vector<std::uint8_t> f(max_frame_size);
    f.resize(write_nd_frame(f, solicited_node_mac(ns.target), peer, ns));
    out.push_back({static_cast<int>(1 + i % links), std::move(f)});
  }
  return out;
}

void run(benchmark::State& state, bool arp, bool hit) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  Responder r = make_responder(n);
  const auto frames = arp ? arp_frames(n, hit) : ns_frames(n, hit);
  std::array<std::uint8_t, max_frame_size> reply{};
  std::size_t k = 0;
  std::uint64_t replies = 0;
  for (auto _ : state) {
    const Frame& f = frames[k++ & 1023];
    const Outcome o = r.handle(f.ifindex, f.bytes, reply);
    replies += o.reply_size != 0;
    benchmark::DoNotOptimize(o);
  }
  if ((replies != 0) != hit) state.SkipWithError("unexpected outcome");
  state.SetItemsProcessed(state.iterations());
}

void BM_ArpHit(benchmark::State& s) {
  run(s, true, true);
}
void BM_ArpMiss(benchmark::State& s) {
  run(s, true, false);
}
void BM_NsHit(benchmark::State& s) {
  run(s, false, true);
}
void BM_NsMiss(benchmark::State& s) {
  run(s, false, false);
}

BENCHMARK(BM_ArpHit)->Arg(1000)->Arg(100000);
BENCHMARK(BM_ArpMiss)->Arg(1000)->Arg(100000);
BENCHMARK(BM_NsHit)->Arg(1000)->Arg(100000);
BENCHMARK(BM_NsMiss)->Arg(1000)->Arg(100000);

}  // namespace

BENCHMARK_MAIN();
