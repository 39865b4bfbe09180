// BGP codec: packing 10,000 VIPs (a /18 pool) into UPDATEs, decoding the packed messages, framing
// a stream of them, and withdrawing them. The speaker does exactly this on session start, on
// ROUTE-REFRESH and on pool removal.
#include <benchmark/benchmark.h>

#include <vector>

#include "vipd/bgp/codec.hpp"

namespace {

using namespace vipd;
using namespace vipd::bgp;

std::vector<net::Prefix> hosts(net::Family family, std::size_t n) {
  std::vector<net::Prefix> out;
  const net::Uint128 base =
      family == net::Family::v4 ? net::Uint128{0x0a400000} : net::IpAddress::parse("2001:db8::")->value();
  for (std::size_t i = 0; i < n; ++i)
    out.push_back({net::IpAddress::from_value(family, base + i),
                   static_cast<std::uint8_t>(net::max_prefix_length(family))});
  return out;
}

RouteAttributes attributes() {
  RouteAttributes ra;
  ra.next_hop_v4 = net::IpAddress::parse("10.99.0.2");
  ra.next_hop_v6 = net::IpAddress::parse("2001:db8:99::2");
  ra.local_pref = 100;
  ra.communities = {0xffffff02};
  ra.large_communities = {{64512, 1, 1}};
  return ra;
}

void BM_Announce(benchmark::State& state) {
  const auto family = state.range(0) == 4 ? net::Family::v4 : net::Family::v6;
  const auto prefixes = hosts(family, static_cast<std::size_t>(state.range(1)));
  const auto ra = attributes();
  std::size_t messages = 0;
  for (auto _ : state) {
    auto r = build_announcements(ra, prefixes);
    messages = r.value().size();
    benchmark::DoNotOptimize(r);
  }
  state.counters["updates"] = static_cast<double>(messages);
  state.SetItemsProcessed(state.iterations() * state.range(1));
}
BENCHMARK(BM_Announce)->Args({4, 10000})->Args({6, 10000})->Unit(benchmark::kMicrosecond);

void BM_Withdraw(benchmark::State& state) {
  const auto prefixes = hosts(net::Family::v4, 10000);
  for (auto _ : state) benchmark::DoNotOptimize(build_withdrawals(prefixes));
  state.SetItemsProcessed(state.iterations() * 10000);
}
BENCHMARK(BM_Withdraw)->Unit(benchmark::kMicrosecond);

// Framing + decoding the 10k-prefix burst as the receiving side of a session would.
void BM_FrameAndParse(benchmark::State& state) {
  const auto family = state.range(0) == 4 ? net::Family::v4 : net::Family::v6;
  const auto messages = build_announcements(attributes(), hosts(family, 10000)).value();
  Bytes stream;
  for (const auto& m : messages) stream.insert(stream.end(), m.begin(), m.end());
  for (auto _ : state) {
    std::span<const std::uint8_t> rest(stream);
    std::size_t prefixes = 0;
    while (!rest.empty()) {
      const auto frame = next_frame(rest);
      const auto parsed = parse_message(*frame.value());
      const auto& u = std::get<UpdateMessage>(parsed.value());
      prefixes += u.nlri.size() + (u.attributes.mp_reach ? u.attributes.mp_reach->nlri.size() : 0);
      rest = rest.subspan(frame.value()->message.size());
    }
    benchmark::DoNotOptimize(prefixes);
  }
  state.SetItemsProcessed(state.iterations() * 10000);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(stream.size()));
}
BENCHMARK(BM_FrameAndParse)->Arg(4)->Arg(6)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
