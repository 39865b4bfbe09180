// Fuzzes the VRRPv3 codec and feeds what it accepts to a state machine.
// 1. The input as a whole IPv4 packet (IPv4 raw socket view).
// 2. The input as an IPv6 VRRP payload from fe80::77:ff:fe00:11 to ff02::12, hop limit 255 (the
//    addresses of the captured keepalived advert in the corpus).
// 3. The same payload with its checksum recomputed, so that mutations reach the count and address
//    paths instead of stopping at bad_checksum.
// Accepted adverts must survive a write/parse round trip. Then the input bytes script an FSM (one
// event per byte, parsed adverts as AdvertReceived) and its timer invariants are checked.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <vector>

#include "vipd/failover/vrrp_codec.hpp"
#include "vipd/failover/vrrp_fsm.hpp"

namespace {

using namespace vipd::failover;
namespace net = vipd::net;

void check(bool condition) {
  if (!condition) std::abort();
}

void round_trip(const ReceivedAdvert& received) {
  std::array<std::uint8_t, vrrp_max_message_size> out{};
  const auto size = write_vrrp_message(out, received.advert, received.source, received.destination);
  check(size == vrrp_message_size(received.advert));
  auto again = parse_vrrp_message(std::span<const std::uint8_t>(out.data(), size), received.source,
                                  received.destination);
  check(again.ok() && again.value() == received.advert);
  if (received.advert.family == net::Family::v4) {
    std::array<std::uint8_t, vrrp_max_ipv4_packet_size> packet{};
    const auto n = write_ipv4_packet(packet, received.advert, received.source, received.destination);
    check(n == ipv4_min_header_size + size);
    auto parsed = parse_ipv4_packet(std::span<const std::uint8_t>(packet.data(), n));
    check(parsed.ok() && parsed->advert == received.advert && parsed->source == received.source);
  }
}

void check_invariants(const VrrpFsm& fsm) {
  const bool master_down = fsm.deadline(TimerKind::master_down).has_value();
  const bool advert = fsm.deadline(TimerKind::advert).has_value();
  const bool preempt = fsm.deadline(TimerKind::preempt_delay).has_value();
  const bool handover = fsm.deadline(TimerKind::handover).has_value();
  switch (fsm.state()) {
    case State::initialize:
    case State::fault:
      check(!master_down && !advert && !preempt && !handover);
      break;
    case State::backup:
      check(master_down && !advert && !handover);
      break;
    case State::master:
      check(advert && !master_down && !preempt && !handover);
      break;
    case State::releasing:
      check(handover && !advert && !master_down && !preempt);
      break;
  }
}

void drive_fsm(std::span<const std::uint8_t> script, const std::vector<ReceivedAdvert>& adverts,
               net::Family family) {
  VrrpConfig config;
  config.vrid = adverts.empty() ? 77 : adverts.front().advert.vrid;
  config.priority = 100;
  config.advert_interval = Centiseconds(10);
  config.preempt_delay = std::chrono::milliseconds(script.empty() ? 0 : (script[0] & 1) * 500);
  config.primary_address =
      family == net::Family::v4 ? *net::IpAddress::parse("10.77.0.50") : *net::IpAddress::parse("fe80::50");
  auto created = VrrpFsm::create(config);
  check(created.ok());
  VrrpFsm fsm = std::move(created).value();
  TimePoint now{};
  std::size_t next_advert = 0;
  for (std::size_t i = 0; i < script.size() && i < 256; ++i) {
    const std::uint8_t b = script[i];
    now += std::chrono::milliseconds(b >> 3);
    Event event;
    switch (b % 10) {
      case 0:
        event = Startup{};
        break;
      case 1:
        event = Shutdown{};
        break;
      case 2:
        event = MasterDownTimerExpired{};
        break;
      case 3:
        event = AdvertTimerExpired{};
        break;
      case 4:
        event = PreemptDelayExpired{};
        break;
      case 5:
        event = HandoverTimerExpired{};
        break;
      case 6:
        event = LinkDown{};
        break;
      case 7:
        event = LinkUp{};
        break;
      case 8:
        fsm.advance(now);
        check_invariants(fsm);
        continue;
      default:
        if (adverts.empty()) continue;
        event = AdvertReceived::from(adverts[next_advert++ % adverts.size()]);
        break;
    }
    fsm.handle(event, now);
    check_invariants(fsm);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  std::vector<ReceivedAdvert> v4;
  std::vector<ReceivedAdvert> v6;

  if (auto packet = parse_ipv4_packet(input)) {
    check(packet->ttl == vrrp_required_ttl);
    round_trip(packet.value());
    v4.push_back(std::move(packet).value());
  }

  const auto source = *net::IpAddress::parse("fe80::77:ff:fe00:11");
  const auto group = vrrp_multicast_group(net::Family::v6);
  if (auto payload = parse_ipv6_payload(input, source, group, vrrp_required_ttl)) {
    round_trip(payload.value());
    v6.push_back(std::move(payload).value());
  }
  check(!parse_ipv6_payload(input, source, group, 64).ok());  // wrong hop limit never passes

  if (size >= vrrp_header_size) {
    std::vector<std::uint8_t> fixed(input.begin(), input.end());
    fixed[6] = 0;
    fixed[7] = 0;
    const auto sum = vrrp_checksum(source, group, fixed);
    fixed[6] = static_cast<std::uint8_t>(sum >> 8);
    fixed[7] = static_cast<std::uint8_t>(sum & 0xff);
    check(vrrp_checksum(source, group, fixed) == 0);
    if (auto payload = parse_ipv6_payload(fixed, source, group, vrrp_required_ttl)) {
      round_trip(payload.value());
      v6.push_back(std::move(payload).value());
    }
  }

  drive_fsm(input, v4, net::Family::v4);
  drive_fsm(input, v6, net::Family::v6);
  return 0;
}
