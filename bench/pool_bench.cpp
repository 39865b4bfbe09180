// vipd_pool benchmarks: allocation of 10,000 services over 100 pools (fresh, with the previous state,
// and a reload that adds services), validation, AddressSet lookups on huge pools, and (when the config
// loader is present) load_text + validate + allocate end to end on generated YAML.

#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "vipd/pool/address_set.hpp"
#include "vipd/pool/allocator.hpp"
#include "vipd/pool/validate.hpp"

#if __has_include("vipd/config/loader.hpp")
#include "vipd/config/loader.hpp"
#define VIPD_BENCH_HAVE_LOADER 1
#endif

namespace {

using namespace vipd;

constexpr int kPools = 100;
constexpr int kServices = 10000;

std::string pool_name(int p) {
  return "pool-" + std::to_string(p);
}
std::string service_name(int s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "svc-%05d", s);
  return buf;
}
std::string pool_cidr(int p) {
  return "10." + std::to_string(p) + ".0.0/16";
}
// Every 10th service has an explicit address (10.P.200.x, above what auto-assignment reaches), so the
// explicit pass and the taken set are exercised.
std::optional<std::string> explicit_address(int s) {
  if (s % 10 != 0) return std::nullopt;
  const int p = s % kPools;
  return "10." + std::to_string(p) + ".200." + std::to_string(1 + (s / kPools) % 250);
}

config::Model make_model(int services) {
  config::Model m;
  for (int p = 0; p < kPools; ++p) {
    config::Pool pool;
    pool.name = pool_name(p);
    pool.protocol = p % 2 ? config::Protocol::bgp : config::Protocol::layer2;
    pool.avoid_buggy_ips = p % 2 == 0;
    const auto cidr = pool_cidr(p);
    pool.addresses.push_back(config::AddressRange{*net::IpRange::parse(cidr), cidr, {}});
    m.pools.push_back(std::move(pool));
  }
  for (int s = 0; s < services; ++s) {
    config::Service svc;
    svc.name = service_name(s);
    svc.pool = pool_name(s % kPools);
    if (auto a = explicit_address(s)) svc.address = net::IpAddress::parse(*a);
    m.services.push_back(std::move(svc));
  }
  return m;
}

void BM_AllocateFresh(benchmark::State& state) {
  const auto model = make_model(kServices);
  for (auto _ : state) {
    auto r = pool::allocate(model, {});
    if (!r.errors.empty()) state.SkipWithError("allocation errors");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * kServices);
}
BENCHMARK(BM_AllocateFresh)->Unit(benchmark::kMillisecond);

void BM_AllocateWithPreviousState(benchmark::State& state) {
  const auto model = make_model(kServices);
  const auto previous = pool::allocate(model, {}).state;
  for (auto _ : state) {
    auto r = pool::allocate(model, previous);
    if (!r.errors.empty() || !r.warnings.empty()) state.SkipWithError("unexpected diagnostics");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * kServices);
}
BENCHMARK(BM_AllocateWithPreviousState)->Unit(benchmark::kMillisecond);

// A reload that grows 9,000 -> 10,000 services: the old 9,000 keep their VIPs, 1,000 are new.
void BM_AllocateReloadGrowth(benchmark::State& state) {
  const auto previous = pool::allocate(make_model(9000), {}).state;
  const auto model = make_model(kServices);
  for (auto _ : state) {
    auto r = pool::allocate(model, previous);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * kServices);
}
BENCHMARK(BM_AllocateReloadGrowth)->Unit(benchmark::kMillisecond);

void BM_Validate(benchmark::State& state) {
  const auto model = make_model(kServices);
  for (auto _ : state) {
    auto d = pool::validate(model);
    if (!d.empty()) state.SkipWithError("validation errors");
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations() * kServices);
}
BENCHMARK(BM_Validate)->Unit(benchmark::kMillisecond);

std::vector<net::IpAddress> random_addresses(net::Family f, net::Uint128 base, int bits, std::size_t n) {
  std::mt19937_64 rng(7);
  std::vector<net::IpAddress> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    // Mostly inside the pool, some just outside it.
    net::Uint128 offset = (net::Uint128{rng()} << 64 | rng()) & ((net::Uint128{1} << (bits + 1)) - 1);
    out.push_back(net::IpAddress::from_value(f, base + offset));
  }
  return out;
}

void run_contains(benchmark::State& state, const pool::AddressSet& set,
                  const std::vector<net::IpAddress>& probes) {
  std::size_t i = 0;
  std::size_t hits = 0;
  for (auto _ : state) {
    hits += set.contains(probes[i]) ? 1 : 0;
    i = (i + 1) & (probes.size() - 1);
  }
  benchmark::DoNotOptimize(hits);
  state.SetItemsProcessed(state.iterations());
}

void BM_ContainsSlash8AvoidBuggy(benchmark::State& state) {
  const std::vector<net::IpRange> ranges{*net::IpRange::parse("10.0.0.0/8")};
  const auto set = pool::AddressSet::from_ranges(ranges, true);
  run_contains(state, set,
               random_addresses(net::Family::v4, net::IpAddress::parse("10.0.0.0")->value(), 24, 4096));
}
BENCHMARK(BM_ContainsSlash8AvoidBuggy);

void BM_ContainsSlash64(benchmark::State& state) {
  const std::vector<net::IpRange> ranges{*net::IpRange::parse("fd00:20::/64")};
  const auto set = pool::AddressSet::from_ranges(ranges, false);
  run_contains(state, set,
               random_addresses(net::Family::v6, net::IpAddress::parse("fd00:20::")->value(), 64, 4096));
}
BENCHMARK(BM_ContainsSlash64);

// O(log ranges): a pool made of N disjoint /28s.
void BM_ContainsManyRanges(benchmark::State& state) {
  std::vector<net::IpRange> ranges;
  const auto base = net::IpAddress::parse("10.0.0.0")->value();
  for (int64_t i = 0; i < state.range(0); ++i) {
    const auto first = net::IpAddress::from_value(net::Family::v4, base + static_cast<net::Uint128>(i) * 32);
    ranges.push_back({first, net::IpAddress::from_value(net::Family::v4, first.value() + 15)});
  }
  const auto set = pool::AddressSet::from_ranges(ranges, false);
  run_contains(state, set, random_addresses(net::Family::v4, base, 20, 4096));
}
BENCHMARK(BM_ContainsManyRanges)->Arg(1)->Arg(100)->Arg(10000);

#ifdef VIPD_BENCH_HAVE_LOADER
std::string make_yaml(int services) {
  std::string y;
  y.reserve(static_cast<std::size_t>(services) * 48 + kPools * 128);
  y += "address-pools:\n";
  for (int p = 0; p < kPools; ++p) {
    y += "  - name: " + pool_name(p) + "\n";
    y += std::string("    protocol: ") + (p % 2 ? "bgp" : "layer2") + "\n";
    y += "    addresses: [" + pool_cidr(p) + "]\n";
    y += std::string("    avoid-buggy-ips: ") + (p % 2 == 0 ? "true" : "false") + "\n";
  }
  y += "services:\n";
  for (int s = 0; s < services; ++s) {
    y += "  - {name: " + service_name(s) + ", pool: " + pool_name(s % kPools);
    if (auto a = explicit_address(s)) y += ", address: " + *a;
    y += "}\n";
  }
  return y;
}

// The loader's share of the end-to-end figure below.
void BM_LoadTextOnly(benchmark::State& state) {
  const auto yaml = make_yaml(kServices);
  for (auto _ : state) {
    auto loaded = config::load_text("bench.yaml", yaml);
    if (!loaded.ok()) {
      state.SkipWithError(("load failed: " + loaded.error().front().format()).c_str());
      break;
    }
    benchmark::DoNotOptimize(loaded);
  }
  state.SetItemsProcessed(state.iterations() * kServices);
}
BENCHMARK(BM_LoadTextOnly)->Unit(benchmark::kMillisecond);

// What `vipd --check` and a reload do: parse, validate the address math, allocate.
void BM_LoadValidateAllocateEndToEnd(benchmark::State& state) {
  const auto yaml = make_yaml(kServices);
  for (auto _ : state) {
    auto loaded = config::load_text("bench.yaml", yaml);
    if (!loaded.ok()) {
      state.SkipWithError(("load failed: " + loaded.error().front().format()).c_str());
      break;
    }
    auto diagnostics = pool::validate(loaded->model);
    auto r = pool::allocate(loaded->model, {});
    if (!diagnostics.empty() || !r.errors.empty()) state.SkipWithError("validation/allocation errors");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * kServices);
  state.counters["yaml_bytes"] = static_cast<double>(yaml.size());
}
BENCHMARK(BM_LoadValidateAllocateEndToEnd)->Unit(benchmark::kMillisecond);
#endif

}  // namespace

BENCHMARK_MAIN();
