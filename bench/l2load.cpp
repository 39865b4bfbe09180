// vipd-l2load: an ARP / NDP load generator for the layer-2 benchmark (bench/l2_bench.sh).
//
// Runs in the client namespace on one interface with AF_PACKET sockets and builds its own frames.
//   closed loop: one request at a time at a fixed rate; latency = kernel RX timestamp of the reply
//                (SO_TIMESTAMPNS) - clock read right before sendto(); prints p50/p90/p99/max.
//   open loop:   one thread sends flat out, another counts replies; prints sent/s, answered/s, loss.
//   watch:       a failover probe: one request every --interval-ms for --duration-ms (or until SIGTERM /
//                SIGINT), records which MACs answered each request and when; prints who answered,
//                unanswered probes, probes answered by two MACs and the gap when the answering MAC changes.
// Requests carry a per-request tag the responder must echo: the sender IP (ARP) or the IPv6 source
// (NS) cycles through `--tags` consecutive addresses from `--source`; the reply goes back to it.
// Every loop is bounded in count and time. Besides the human lines, one machine-readable line:
//   RESULT mode=arp loop=closed rate=1000 sent=.. answered=.. lost=.. p50_us=.. p90_us=.. p99_us=.. max_us=..

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "vipd/common/ip.hpp"

namespace {

using Mac = std::array<std::uint8_t, 6>;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "vipd-l2load: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(2);
}

std::int64_t ns_of(const timespec& ts) {
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}
std::int64_t now_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return ns_of(ts);
}

void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
std::uint16_t get16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}

// ICMPv6 checksum over the pseudo-header (RFC 4443 2.3) and the message.
std::uint16_t icmp6_checksum(const std::uint8_t* src, const std::uint8_t* dst, const std::uint8_t* msg,
                             std::size_t len) {
  std::uint32_t sum = 0;
  auto add = [&](const std::uint8_t* p, std::size_t n) {
    for (std::size_t i = 0; i + 1 < n; i += 2) sum += get16(p + i);
    if (n % 2) sum += static_cast<std::uint32_t>(p[n - 1]) << 8;
  };
  add(src, 16);
  add(dst, 16);
  sum += static_cast<std::uint32_t>(len);
  sum += 58;
  add(msg, len);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

enum class Mode { arp, ns };

struct Setup {
  Mode mode = Mode::arp;
  int ifindex = 0;
  Mac mac{};
  vipd::net::IpAddress target;
  vipd::net::IpAddress source;  // first tag address
  int tags = 16;
};

// The tag-th source address: `source` + tag.
vipd::net::IpAddress tag_address(const Setup& s, int tag) {
  return vipd::net::IpAddress::from_value(s.source.family(), s.source.value() + static_cast<unsigned>(tag));
}

// One request frame per tag, built once.
std::vector<std::vector<std::uint8_t>> build_requests(const Setup& s) {
  std::vector<std::vector<std::uint8_t>> frames;
  for (int tag = 0; tag < s.tags; ++tag) {
    const auto src = tag_address(s, tag);
    std::vector<std::uint8_t> f;
    if (s.mode == Mode::arp) {
      f.assign(42, 0);
      std::fill(f.begin(), f.begin() + 6, 0xff);  // broadcast
      std::copy(s.mac.begin(), s.mac.end(), f.begin() + 6);
      put16(&f[12], 0x0806);
      put16(&f[14], 1);       // htype Ethernet
      put16(&f[16], 0x0800);  // ptype IPv4
      f[18] = 6;
      f[19] = 4;
      put16(&f[20], 1);  // request
      std::copy(s.mac.begin(), s.mac.end(), f.begin() + 22);
      std::copy(src.bytes().begin(), src.bytes().end(), f.begin() + 28);
      std::copy(s.target.bytes().begin(), s.target.bytes().end(), f.begin() + 38);
    } else {
      f.assign(86, 0);
      const auto t = s.target.bytes();
      // Solicited-node group ff02::1:ffXX:XXXX and its MAC 33:33:ff:XX:XX:XX.
      std::array<std::uint8_t, 16> group{0xff, 0x02, 0, 0,    0,    0,     0,     0,
                                         0,    0,    0, 0x01, 0xff, t[13], t[14], t[15]};
      const Mac dmac{0x33, 0x33, 0xff, t[13], t[14], t[15]};
      std::copy(dmac.begin(), dmac.end(), f.begin());
      std::copy(s.mac.begin(), s.mac.end(), f.begin() + 6);
      put16(&f[12], 0x86dd);
      f[14] = 0x60;       // version 6
      put16(&f[18], 32);  // payload: NS 24 + SLLA option 8
      f[20] = 58;         // next header ICMPv6
      f[21] = 255;        // hop limit
      std::copy(src.bytes().begin(), src.bytes().end(), f.begin() + 22);
      std::copy(group.begin(), group.end(), f.begin() + 38);
      f[54] = 135;                                    // NS, code 0
      std::copy(t.begin(), t.end(), f.begin() + 62);  // target
      f[78] = 1;                                      // option: source link-layer address
      f[79] = 1;                                      // length 8 bytes
      std::copy(s.mac.begin(), s.mac.end(), f.begin() + 80);
      put16(&f[56], icmp6_checksum(&f[22], &f[38], &f[54], 32));
    }
    frames.push_back(std::move(f));
  }
  return frames;
}

// The tag a reply answers, or -1 when it is not a reply to us.
int match_reply(const Setup& s, const std::uint8_t* f, std::size_t n) {
  if (s.mode == Mode::arp) {
    if (n < 42 || get16(f + 12) != 0x0806 || get16(f + 20) != 2) return -1;
    if (!std::equal(s.mac.begin(), s.mac.end(), f + 32)) return -1;  // target MAC = ours
    if (!std::equal(s.target.bytes().begin(), s.target.bytes().end(), f + 28)) return -1;  // sender = target
    const auto tip = vipd::net::IpAddress::v4_bytes(std::span<const std::uint8_t, 4>(f + 38, 4));
    const auto d = tip.value() - s.source.value();
    return tip.value() >= s.source.value() && d < static_cast<unsigned>(s.tags) ? static_cast<int>(d) : -1;
  }
  if (n < 78 || get16(f + 12) != 0x86dd || f[20] != 58 || f[54] != 136) return -1;
  if (!std::equal(s.target.bytes().begin(), s.target.bytes().end(), f + 62)) return -1;  // NA target
  const auto dst = vipd::net::IpAddress::v6_bytes(std::span<const std::uint8_t, 16>(f + 38, 16));
  if (dst.value() < s.source.value()) return -1;
  const auto d = dst.value() - s.source.value();
  return d < static_cast<unsigned>(s.tags) ? static_cast<int>(d) : -1;
}

Mac interface_mac(const std::string& name) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq ifr{};
  std::snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name.c_str());
  if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) die("SIOCGIFHWADDR " + name);
  close(fd);
  Mac mac{};
  std::memcpy(mac.data(), ifr.ifr_hwaddr.sa_data, 6);
  return mac;
}

int tx_socket(const Setup& s) {
  const int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);  // protocol 0: never receives
  if (fd < 0) die("socket(AF_PACKET) for sending");
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_ifindex = s.ifindex;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) die("bind tx");
  return fd;
}

// `all_arp`: let ARP requests through too (the watch mode records gratuitous ARP requests).
int rx_socket(const Setup& s, bool all_arp = false) {
  const std::uint16_t proto = s.mode == Mode::arp ? ETH_P_ARP : ETH_P_IPV6;
  const int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(proto));
  if (fd < 0) die("socket(AF_PACKET) for receiving");
  // Only replies reach us: ARP op 2, or IPv6 next header 58 with ICMPv6 type 136.
  std::vector<sock_filter> code;
  if (s.mode == Mode::arp && all_arp) {
    code = {BPF_STMT(BPF_RET | BPF_K, 0xffff)};
  } else if (s.mode == Mode::arp) {
    code = {BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, 0xffff), BPF_STMT(BPF_RET | BPF_K, 0)};
  } else {
    code = {BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 20), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 58, 0, 3),
            BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 54), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 136, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, 0xffff),      BPF_STMT(BPF_RET | BPF_K, 0)};
  }
  sock_fprog prog{static_cast<unsigned short>(code.size()), code.data()};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) != 0) die("SO_ATTACH_FILTER");
  const int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) != 0) die("SO_TIMESTAMPNS");
  setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));  // best effort (Linux >= 4.20)
  const int rcvbuf = 8 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(proto);
  addr.sll_ifindex = s.ifindex;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) die("bind rx");
  return fd;
}

// Drops what is queued on the socket (replies to warm-up or earlier runs).
void flush(int fd) {
  std::array<std::uint8_t, 2048> buf{};
  while (recv(fd, buf.data(), buf.size(), MSG_DONTWAIT) > 0) {
  }
}

std::uint64_t kernel_drops(int fd) {
  tpacket_stats st{};
  socklen_t len = sizeof(st);
  if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) != 0) return 0;
  return st.tp_drops;
}

struct Reply {
  int tag = -1;
  std::int64_t rx_ns = 0;  // CLOCK_REALTIME, from the kernel
};

// Waits up to `timeout_ns` for one reply to us; nullopt on timeout.
std::optional<Reply> receive(const Setup& s, int fd, std::int64_t timeout_ns) {
  const std::int64_t deadline = now_ns(CLOCK_MONOTONIC) + timeout_ns;
  std::array<std::uint8_t, 2048> buf{};
  alignas(cmsghdr) std::array<char, 256> control{};
  for (;;) {
    const std::int64_t left = deadline - now_ns(CLOCK_MONOTONIC);
    if (left <= 0) return std::nullopt;
    // ppoll has nanosecond resolution; poll's milliseconds would dominate microsecond latencies.
    pollfd p{fd, POLLIN, 0};
    timespec ts{static_cast<time_t>(left / 1'000'000'000), static_cast<long>(left % 1'000'000'000)};
    const int r = ppoll(&p, 1, &ts, nullptr);
    if (r < 0 && errno != EINTR) die("ppoll");
    if (r <= 0) continue;
    iovec iov{buf.data(), buf.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    const ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
    if (n <= 0) continue;
    const int tag = match_reply(s, buf.data(), static_cast<std::size_t>(n));
    if (tag < 0) continue;
    Reply reply{tag, 0};
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        timespec t{};
        std::memcpy(&t, CMSG_DATA(c), sizeof(t));
        reply.rx_ns = ns_of(t);
      }
    }
    if (reply.rx_ns == 0) reply.rx_ns = now_ns(CLOCK_REALTIME);
    return reply;
  }
}

void sleep_until(std::int64_t mono_ns) {
  timespec ts{static_cast<time_t>(mono_ns / 1'000'000'000), static_cast<long>(mono_ns % 1'000'000'000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto i = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, i == 0 ? 0 : i - 1)];
}

const char* mode_name(Mode m) {
  return m == Mode::arp ? "arp" : "ns";
}

int closed_loop(const Setup& s, int rate, int count, int warmup, int timeout_ms, double max_seconds,
                const std::string& label) {
  const auto frames = build_requests(s);
  const int tx = tx_socket(s);
  const int rx = rx_socket(s);
  const std::int64_t timeout_ns = std::int64_t{timeout_ms} * 1'000'000;
  const std::int64_t period_ns = 1'000'000'000 / std::max(1, rate);
  const std::int64_t hard_deadline = now_ns(CLOCK_MONOTONIC) + static_cast<std::int64_t>(max_seconds * 1e9);

  // Warm-up: the responder learns our neighbour entries, caches get hot; not measured.
  for (int i = 0; i < warmup && now_ns(CLOCK_MONOTONIC) < hard_deadline; ++i) {
    const auto& f = frames[static_cast<std::size_t>(i % s.tags)];
    if (send(tx, f.data(), f.size(), 0) < 0) die("send");
    receive(s, rx, timeout_ns);
    sleep_until(now_ns(CLOCK_MONOTONIC) + period_ns);
  }
  flush(rx);

  std::vector<double> latencies_us;
  latencies_us.reserve(static_cast<std::size_t>(count));
  int sent = 0;
  int answered = 0;
  int stray = 0;  // replies carrying another request's tag (late answers)
  std::int64_t next = now_ns(CLOCK_MONOTONIC);
  for (int i = 0; i < count; ++i) {
    if (now_ns(CLOCK_MONOTONIC) >= hard_deadline) break;
    sleep_until(next);
    next += period_ns;
    const int tag = i % s.tags;
    const auto& f = frames[static_cast<std::size_t>(tag)];
    const std::int64_t tx_ns = now_ns(CLOCK_REALTIME);
    if (send(tx, f.data(), f.size(), 0) < 0) die("send");
    ++sent;
    // Wait for this request's reply; a reply with another tag is a late one and is skipped.
    const std::int64_t wait_until = now_ns(CLOCK_MONOTONIC) + timeout_ns;
    for (;;) {
      const std::int64_t left = wait_until - now_ns(CLOCK_MONOTONIC);
      if (left <= 0) break;
      const auto reply = receive(s, rx, left);
      if (!reply) break;
      if (reply->tag != tag) {
        ++stray;
        continue;
      }
      ++answered;
      latencies_us.push_back(static_cast<double>(reply->rx_ns - tx_ns) / 1000.0);
      break;
    }
    // Pacing stays anchored to the schedule unless we fell behind by more than a period.
    if (now_ns(CLOCK_MONOTONIC) > next + period_ns) next = now_ns(CLOCK_MONOTONIC);
  }
  std::sort(latencies_us.begin(), latencies_us.end());
  const double p50 = percentile(latencies_us, 50), p90 = percentile(latencies_us, 90),
               p99 = percentile(latencies_us, 99), mx = latencies_us.empty() ? 0 : latencies_us.back();
  std::printf(
      "%s closed loop %d req/s to %s: sent %d, answered %d, lost %d, latency p50 %.1f us, p90 %.1f us, "
      "p99 %.1f us, max %.1f us\n",
      mode_name(s.mode), rate, s.target.to_string().c_str(), sent, answered, sent - answered, p50, p90, p99,
      mx);
  std::printf(
      "RESULT label=%s mode=%s loop=closed rate=%d sent=%d answered=%d lost=%d stray=%d p50_us=%.1f "
      "p90_us=%.1f p99_us=%.1f max_us=%.1f rx_drops=%llu\n",
      label.c_str(), mode_name(s.mode), rate, sent, answered, sent - answered, stray, p50, p90, p99, mx,
      static_cast<unsigned long long>(kernel_drops(rx)));
  close(tx);
  close(rx);
  return answered > 0 ? 0 : 1;
}

int open_loop(const Setup& s, int count, double duration_s, int grace_ms, const std::string& label) {
  const auto frames = build_requests(s);
  const int tx = tx_socket(s);
  const int rx = rx_socket(s);
  // Prime the responder's neighbour entries so the first requests are not slow-path.
  for (const auto& f : frames) {
    if (send(tx, f.data(), f.size(), 0) < 0) die("send");
  }
  sleep_until(now_ns(CLOCK_MONOTONIC) + 100'000'000);
  flush(rx);

  std::atomic<bool> sending_done{false};
  std::atomic<std::int64_t> receive_deadline{0};
  std::uint64_t answered = 0;
  std::thread receiver([&] {
    std::array<std::uint8_t, 2048> buf{};
    for (;;) {
      const std::int64_t dl = receive_deadline.load();
      if (sending_done.load() && dl != 0 && now_ns(CLOCK_MONOTONIC) >= dl) break;
      pollfd p{rx, POLLIN, 0};
      if (poll(&p, 1, 10) <= 0) continue;
      for (;;) {
        const ssize_t n = recv(rx, buf.data(), buf.size(), MSG_DONTWAIT);
        if (n <= 0) break;
        if (match_reply(s, buf.data(), static_cast<std::size_t>(n)) >= 0) ++answered;
      }
    }
  });

  std::uint64_t sent = 0, send_errors = 0;
  const std::int64_t start = now_ns(CLOCK_MONOTONIC);
  const std::int64_t end = start + static_cast<std::int64_t>(duration_s * 1e9);
  for (std::uint64_t i = 0; i < static_cast<std::uint64_t>(count); ++i) {
    if ((i & 63) == 0 && now_ns(CLOCK_MONOTONIC) >= end) break;
    const auto& f = frames[i % static_cast<std::uint64_t>(s.tags)];
    if (send(tx, f.data(), f.size(), 0) < 0) {
      ++send_errors;  // ENOBUFS under pressure: counted, not retried
      continue;
    }
    ++sent;
  }
  const std::int64_t stop = now_ns(CLOCK_MONOTONIC);
  receive_deadline = stop + std::int64_t{grace_ms} * 1'000'000;
  sending_done = true;
  receiver.join();

  const double secs = static_cast<double>(stop - start) / 1e9;
  const double sent_rate = secs > 0 ? static_cast<double>(sent) / secs : 0;
  const double answered_rate = secs > 0 ? static_cast<double>(answered) / secs : 0;
  const std::uint64_t lost = answered >= sent ? 0 : sent - answered;
  const double loss_pct = sent ? 100.0 * static_cast<double>(lost) / static_cast<double>(sent) : 0;
  std::printf(
      "%s open loop to %s for %.2f s: sent %llu (%.0f/s), answered %llu (%.0f/s), lost %llu (%.2f%%), "
      "send errors %llu\n",
      mode_name(s.mode), s.target.to_string().c_str(), secs, static_cast<unsigned long long>(sent), sent_rate,
      static_cast<unsigned long long>(answered), answered_rate, static_cast<unsigned long long>(lost),
      loss_pct, static_cast<unsigned long long>(send_errors));
  std::printf(
      "RESULT label=%s mode=%s loop=open sent=%llu answered=%llu lost=%llu duration_s=%.3f sent_per_s=%.0f "
      "answered_per_s=%.0f loss_pct=%.3f send_errors=%llu rx_drops=%llu\n",
      label.c_str(), mode_name(s.mode), static_cast<unsigned long long>(sent),
      static_cast<unsigned long long>(answered), static_cast<unsigned long long>(lost), secs, sent_rate,
      answered_rate, loss_pct, static_cast<unsigned long long>(send_errors),
      static_cast<unsigned long long>(kernel_drops(rx)));
  close(tx);
  close(rx);
  return answered > 0 ? 0 : 1;
}

// ---- watch mode: failover probe ----------------------------------------------------------------

volatile sig_atomic_t g_stop_signal = 0;
void on_stop_signal(int sig) {
  g_stop_signal = sig;
}

// What one received frame says about the target.
struct Seen {
  enum Kind { none, reply, announce } kind = none;
  int tag = -1;  // reply: the request tag it answers
  Mac mac{};     // who answers / announces for the target
};

// Replies to our tagged requests, and announcements (gratuitous ARP with sender = target, unsolicited
// NA for the target) that were not addressed to us.
Seen classify(const Setup& s, const std::uint8_t* f, std::size_t n) {
  Seen seen;
  if (s.mode == Mode::arp) {
    if (n < 42 || get16(f + 12) != 0x0806) return seen;
    if (!std::equal(s.target.bytes().begin(), s.target.bytes().end(), f + 28))
      return seen;                                // sender = target
    std::copy(f + 22, f + 28, seen.mac.begin());  // sender MAC
    const int tag = match_reply(s, f, n);
    if (tag >= 0) {
      seen.kind = Seen::reply;
      seen.tag = tag;
    } else if (std::equal(s.target.bytes().begin(), s.target.bytes().end(), f + 38)) {
      seen.kind = Seen::announce;  // gratuitous: target IP = sender IP = the VIP (request or reply)
    }
    return seen;
  }
  if (n < 78 || get16(f + 12) != 0x86dd || f[20] != 58 || f[54] != 136) return seen;
  if (!std::equal(s.target.bytes().begin(), s.target.bytes().end(), f + 62)) return seen;
  // The answering MAC: the target link-layer address option when present, else the Ethernet source.
  std::copy(f + 6, f + 12, seen.mac.begin());
  if (n >= 86 && f[78] == 2 && f[79] == 1) std::copy(f + 80, f + 86, seen.mac.begin());
  const int tag = match_reply(s, f, n);
  if (tag >= 0) {
    seen.kind = Seen::reply;
    seen.tag = tag;
  } else if ((f[58] & 0x40) == 0) {
    seen.kind = Seen::announce;  // unsolicited NA (S flag clear); solicited ones to others are not ours
  }
  return seen;
}

std::string mac_text(const Mac& m) {
  char buf[18];
  std::snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return buf;
}

constexpr int max_watch_macs = 64;  // one bit each in a request's answer mask

struct WatchMac {
  Mac mac{};
  std::int64_t first_ns = -1, last_ns = -1;  // replies, offsets from the start
  std::uint64_t replies = 0;
  std::uint64_t announces = 0;
  std::int64_t first_announce_ns = -1;
};

struct WatchRequest {
  std::int64_t tx_ns = 0;         // offset from the start
  std::uint64_t answered_by = 0;  // bit per MAC index
};

struct WatchReply {
  int mac = 0;
  std::int64_t rx_ns = 0;  // offset from the start
};

class Watcher {
 public:
  Watcher(const Setup& s, std::size_t expected_requests) : s_(s) {
    requests_.reserve(expected_requests);
    replies_.reserve(expected_requests * 2);
    last_seq_of_tag_.assign(static_cast<std::size_t>(s.tags), -1);
  }

  void sent(std::int64_t tx_ns) {
    last_seq_of_tag_[requests_.size() % last_seq_of_tag_.size()] =
        static_cast<std::int64_t>(requests_.size());
    requests_.push_back({tx_ns, 0});
  }

  void received(const Seen& seen, std::int64_t rx_ns) {
    const int m = mac_index(seen.mac);
    if (m < 0) {
      ++overflow_;
      return;
    }
    auto& mac = macs_[static_cast<std::size_t>(m)];
    if (seen.kind == Seen::announce) {
      if (mac.first_announce_ns < 0) mac.first_announce_ns = rx_ns;
      ++mac.announces;
      return;
    }
    // A tag names the latest request sent with it: replies come back within tags x interval.
    const std::int64_t seq = last_seq_of_tag_[static_cast<std::size_t>(seen.tag)];
    if (seq < 0) {
      ++stray_;
      return;
    }
    requests_[static_cast<std::size_t>(seq)].answered_by |= std::uint64_t{1} << m;
    if (mac.first_ns < 0) mac.first_ns = rx_ns;
    mac.last_ns = rx_ns;
    ++mac.replies;
    replies_.push_back({m, rx_ns});
  }

  int report(const std::string& label, int interval_ms, std::int64_t start_real_ns, std::int64_t sending_ns,
             int stop_signal, std::uint64_t rx_drops) const {
    // Offsets in ms; -1 stands for "never" (an unset offset).
    const auto ms = [](std::int64_t ns) { return ns < 0 ? -1.0 : static_cast<double>(ns) / 1e6; };
    std::uint64_t answered = 0, by_two = 0;
    std::size_t run = 0, longest_run = 0;
    std::vector<std::string> changes;  // who answered, each time the set of answering MACs changes
    std::uint64_t previous = ~std::uint64_t{0};
    for (const auto& r : requests_) {
      if (r.answered_by != 0) ++answered;
      if (__builtin_popcountll(r.answered_by) >= 2) ++by_two;
      run = r.answered_by == 0 ? run + 1 : 0;
      longest_run = std::max(longest_run, run);
      if (r.answered_by != previous) {
        std::string who;
        for (int m = 0; m < static_cast<int>(macs_.size()); ++m)
          if (r.answered_by >> m & 1)
            who += (who.empty() ? "" : "+") + mac_text(macs_[static_cast<std::size_t>(m)].mac);
        char line[256];
        std::snprintf(line, sizeof(line), "  %9.1f ms  %s", ms(r.tx_ns),
                      who.empty() ? "(no answer)" : who.c_str());
        changes.push_back(line);
        previous = r.answered_by;
      }
    }
    const std::uint64_t sent = requests_.size();

    // The first MAC to answer, and the next MAC to answer after it (the takeover).
    int first = -1, next = -1;
    for (const auto& r : replies_) {
      if (first < 0) first = r.mac;
      if (r.mac != first) {
        next = r.mac;
        break;
      }
    }
    double gap_ms = -1, switch_at_ms = -1, overlap_ms = 0;
    if (next >= 0) {
      const std::int64_t switch_ns = macs_[static_cast<std::size_t>(next)].first_ns;
      std::int64_t last_old_before = -1;
      for (const auto& r : replies_)
        if (r.mac == first && r.rx_ns < switch_ns) last_old_before = std::max(last_old_before, r.rx_ns);
      switch_at_ms = ms(switch_ns);
      gap_ms = last_old_before < 0 ? -1 : ms(switch_ns - last_old_before);
      // The old MAC also answered the probe the new one first answered: no gap at all for a client.
      for (const auto& r : requests_) {
        if ((r.answered_by >> next & 1) == 0) continue;
        if (r.answered_by >> first & 1) gap_ms = 0;
        break;
      }
      const std::int64_t old_last = macs_[static_cast<std::size_t>(first)].last_ns;
      overlap_ms = old_last > switch_ns ? ms(old_last - switch_ns) : 0;
    }
    // Longest time without any reply, including a tail that never healed (up to the last send).
    std::int64_t max_silence = 0, prev_rx = -1, last_rx = -1;
    for (const auto& r : replies_) {
      if (prev_rx >= 0) max_silence = std::max(max_silence, r.rx_ns - prev_rx);
      prev_rx = std::max(prev_rx, r.rx_ns);
      last_rx = prev_rx;
    }
    if (last_rx >= 0 && sending_ns > last_rx) max_silence = std::max(max_silence, sending_ns - last_rx);

    std::printf(
        "watch %s every %d ms for %.1f ms%s: sent %llu, answered %llu, unanswered %llu (longest run %zu), "
        "answered by two MACs %llu, MACs %zu\n",
        s_.target.to_string().c_str(), interval_ms, ms(sending_ns), stop_signal ? " (stopped by signal)" : "",
        static_cast<unsigned long long>(sent), static_cast<unsigned long long>(answered),
        static_cast<unsigned long long>(sent - answered), longest_run,
        static_cast<unsigned long long>(by_two), macs_.size());
    for (std::size_t m = 0; m < macs_.size(); ++m) {
      const auto& w = macs_[m];
      std::printf(
          "  mac%zu %s: replies %llu, first %.1f ms, last %.1f ms, announcements %llu (first %.1f ms)\n", m,
          mac_text(w.mac).c_str(), static_cast<unsigned long long>(w.replies), ms(w.first_ns), ms(w.last_ns),
          static_cast<unsigned long long>(w.announces), ms(w.first_announce_ns));
    }
    if (next >= 0)
      std::printf("  switch %s -> %s at %.1f ms: gap %.1f ms, old MAC kept answering %.1f ms after\n",
                  mac_text(macs_[static_cast<std::size_t>(first)].mac).c_str(),
                  mac_text(macs_[static_cast<std::size_t>(next)].mac).c_str(), switch_at_ms, gap_ms,
                  overlap_ms);
    std::printf("  answering MACs over time (probe send times):\n");
    const std::size_t shown = std::min<std::size_t>(changes.size(), 40);
    for (std::size_t i = 0; i < shown; ++i) std::printf("%s\n", changes[i].c_str());
    if (shown < changes.size()) std::printf("  ... %zu more changes\n", changes.size() - shown);

    std::printf(
        "RESULT label=%s mode=watch proto=%s target=%s interval_ms=%d duration_ms=%.1f sent=%llu "
        "answered=%llu unanswered=%llu max_unanswered_run=%zu answered_by_two=%llu macs=%zu gap_ms=%.1f "
        "switch_at_ms=%.1f overlap_ms=%.1f max_silence_ms=%.1f changes=%zu stray=%llu rx_drops=%llu "
        "signal=%d start_unix_us=%lld",
        label.c_str(), mode_name(s_.mode), s_.target.to_string().c_str(), interval_ms, ms(sending_ns),
        static_cast<unsigned long long>(sent), static_cast<unsigned long long>(answered),
        static_cast<unsigned long long>(sent - answered), longest_run,
        static_cast<unsigned long long>(by_two), macs_.size(), gap_ms, switch_at_ms, overlap_ms,
        ms(max_silence), changes.empty() ? std::size_t{0} : changes.size() - 1,
        static_cast<unsigned long long>(stray_ + overflow_), static_cast<unsigned long long>(rx_drops),
        stop_signal, static_cast<long long>(start_real_ns / 1000));
    for (std::size_t m = 0; m < macs_.size(); ++m) {
      const auto& w = macs_[m];
      std::printf(
          " mac%zu=%s mac%zu_replies=%llu mac%zu_first_ms=%.1f mac%zu_last_ms=%.1f mac%zu_announces=%llu "
          "mac%zu_first_announce_ms=%.1f",
          m, mac_text(w.mac).c_str(), m, static_cast<unsigned long long>(w.replies), m, ms(w.first_ns), m,
          ms(w.last_ns), m, static_cast<unsigned long long>(w.announces), m, ms(w.first_announce_ns));
    }
    std::printf("\n");
    return 0;
  }

 private:
  int mac_index(const Mac& mac) {
    for (std::size_t i = 0; i < macs_.size(); ++i)
      if (macs_[i].mac == mac) return static_cast<int>(i);
    if (macs_.size() >= max_watch_macs) return -1;
    macs_.push_back({});
    macs_.back().mac = mac;
    return static_cast<int>(macs_.size() - 1);
  }

  const Setup& s_;
  std::vector<WatchRequest> requests_;
  std::vector<WatchReply> replies_;
  std::vector<WatchMac> macs_;
  std::vector<std::int64_t> last_seq_of_tag_;
  std::uint64_t stray_ = 0, overflow_ = 0;
};

// One request every `interval_ms` until `duration_ms` or SIGTERM/SIGINT (blocked by main() and only
// let in while waiting in ppoll, so a signal never interrupts a half-recorded frame), then up to
// `grace_ms` more for late replies (at most 50 ms once stopped by a signal).
int watch_loop(const Setup& s, int interval_ms, int duration_ms, int grace_ms, const std::string& label,
               const sigset_t& wait_mask) {
  const auto frames = build_requests(s);
  const int tx = tx_socket(s);
  const int rx = rx_socket(s, /*all_arp=*/true);
  flush(rx);
  const std::int64_t period_ns = std::int64_t{interval_ms} * 1'000'000;
  Watcher watcher(s, static_cast<std::size_t>(duration_ms / interval_ms + 2));

  const std::int64_t start_real = now_ns(CLOCK_REALTIME);
  const std::int64_t start_mono = now_ns(CLOCK_MONOTONIC);
  const std::int64_t send_end = start_mono + std::int64_t{duration_ms} * 1'000'000;
  std::printf("watching %s on ifindex %d every %d ms for at most %d ms\n", s.target.to_string().c_str(),
              s.ifindex, interval_ms, duration_ms);
  std::fflush(stdout);

  std::array<std::uint8_t, 2048> buf{};
  alignas(cmsghdr) std::array<char, 256> control{};
  const auto drain = [&] {
    for (;;) {
      iovec iov{buf.data(), buf.size()};
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control.data();
      msg.msg_controllen = control.size();
      const ssize_t n = recvmsg(rx, &msg, MSG_DONTWAIT);
      if (n <= 0) return;
      const Seen seen = classify(s, buf.data(), static_cast<std::size_t>(n));
      if (seen.kind == Seen::none) continue;
      std::int64_t rx_real = 0;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          timespec t{};
          std::memcpy(&t, CMSG_DATA(c), sizeof(t));
          rx_real = ns_of(t);
        }
      }
      if (rx_real == 0) rx_real = now_ns(CLOCK_REALTIME);
      watcher.received(seen, rx_real - start_real);
    }
  };
  // Waits for frames until `until_mono`; false once a stop signal arrived.
  const auto wait_until = [&](std::int64_t until_mono) {
    const std::int64_t left = std::max<std::int64_t>(0, until_mono - now_ns(CLOCK_MONOTONIC));
    pollfd p{rx, POLLIN, 0};
    timespec ts{static_cast<time_t>(left / 1'000'000'000), static_cast<long>(left % 1'000'000'000)};
    const int r = ppoll(&p, 1, &ts, &wait_mask);
    if (r < 0 && errno != EINTR) die("ppoll");
    if (r > 0) drain();
    return g_stop_signal == 0;
  };

  std::int64_t next_send = start_mono;
  std::int64_t sending_ns = 0;
  std::uint64_t seq = 0;
  for (;;) {
    const std::int64_t now = now_ns(CLOCK_MONOTONIC);
    if (now >= send_end) break;
    if (now >= next_send) {
      const auto& f = frames[seq % static_cast<std::uint64_t>(s.tags)];
      const std::int64_t tx_real = now_ns(CLOCK_REALTIME);
      watcher.sent(tx_real - start_real);
      if (send(tx, f.data(), f.size(), 0) < 0 && errno != ENOBUFS) die("send");
      ++seq;
      next_send += period_ns;
      if (now > next_send) next_send = now + period_ns;  // fell behind: no burst to catch up
      continue;
    }
    if (!wait_until(std::min(next_send, send_end))) break;
  }
  sending_ns = now_ns(CLOCK_REALTIME) - start_real;
  const int grace = g_stop_signal ? std::min(grace_ms, 50) : grace_ms;
  const std::int64_t grace_end = now_ns(CLOCK_MONOTONIC) + std::int64_t{grace} * 1'000'000;
  while (now_ns(CLOCK_MONOTONIC) < grace_end) wait_until(grace_end);
  drain();
  const int rc = watcher.report(label, interval_ms, start_real, sending_ns, g_stop_signal, kernel_drops(rx));
  close(tx);
  close(rx);
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "vipd-l2load: ARP/NS load generator (closed loop latency, open loop throughput, failover watch)"};
  std::string iface, mode_text = "arp", loop = "closed", target_text, source_text, label = "-";
  int rate = 1000, count = 5000, warmup = 50, timeout_ms = 100, tags = 16, grace_ms = 300;
  int interval_ms = 10, duration_ms = 10'000;
  double duration_s = 2.0, max_seconds = 0;
  app.add_option("-i,--interface", iface, "interface to send on (in this namespace)")->required();
  app.add_option("-m,--mode", mode_text, "arp or ns")->check(CLI::IsMember({"arp", "ns"}));
  app.add_option(
         "-l,--loop", loop,
         "closed (paced, latency), open (flat out, throughput) or watch (failover probe: who answers)")
      ->check(CLI::IsMember({"closed", "open", "watch"}));
  app.add_option("-t,--target", target_text, "address to resolve (IPv4 for arp, IPv6 for ns)")->required();
  app.add_option("-s,--source", source_text,
                 "first tag address (sender IP / IPv6 source); --tags consecutive addresses are used")
      ->required();
  app.add_option("--tags", tags,
                 "number of distinct source addresses (reply matching; default 16, watch 256)")
      ->check(CLI::Range(1, 256));
  app.add_option("-r,--rate", rate, "closed loop: requests per second")->check(CLI::Range(1, 1'000'000));
  app.add_option("-n,--count", count, "closed loop: requests; open loop: upper bound")
      ->check(CLI::Range(1, 100'000'000));
  app.add_option("--warmup", warmup, "closed loop: unmeasured requests first")->check(CLI::Range(0, 100'000));
  app.add_option("--timeout-ms", timeout_ms, "closed loop: wait per reply")->check(CLI::Range(1, 10'000));
  app.add_option("-d,--duration", duration_s, "open loop: seconds of sending")
      ->check(CLI::Range(0.01, 600.0));
  app.add_option("--grace-ms", grace_ms,
                 "open loop / watch: keep counting after the last send (default 300 / 100)")
      ->check(CLI::Range(0, 10'000));
  app.add_option("--interval-ms", interval_ms, "watch: one request every N ms")->check(CLI::Range(1, 10'000));
  app.add_option("--duration-ms", duration_ms, "watch: stop sending after N ms (or at SIGTERM/SIGINT)")
      ->check(CLI::Range(1, 3'600'000));
  app.add_option("--max-seconds", max_seconds, "hard limit for the whole run (default: derived)");
  app.add_option("--label", label, "free text copied into the RESULT line");
  CLI11_PARSE(app, argc, argv);

  // Watch: SIGTERM/SIGINT end the probe with a report; they are only let in while waiting in ppoll.
  sigset_t stop_signals, wait_mask;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  if (loop == "watch") {
    sigprocmask(SIG_BLOCK, &stop_signals, &wait_mask);
    sigdelset(&wait_mask, SIGTERM);
    sigdelset(&wait_mask, SIGINT);
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    if (app.count("--tags") == 0) tags = 256;  // a tag then repeats every 256 probes (2.56 s at 10 ms)
    if (app.count("--grace-ms") == 0) grace_ms = 100;
  }

  Setup s;
  s.mode = mode_text == "arp" ? Mode::arp : Mode::ns;
  s.tags = tags;
  s.ifindex = static_cast<int>(if_nametoindex(iface.c_str()));
  if (s.ifindex == 0) die("interface " + iface);
  s.mac = interface_mac(iface);
  const auto target = vipd::net::IpAddress::parse(target_text);
  const auto source = vipd::net::IpAddress::parse(source_text);
  const auto family = s.mode == Mode::arp ? vipd::net::Family::v4 : vipd::net::Family::v6;
  if (!target || !source || target->family() != family || source->family() != family) {
    std::fprintf(stderr, "vipd-l2load: --target and --source must be %s addresses\n",
                 s.mode == Mode::arp ? "IPv4" : "IPv6");
    return 2;
  }
  s.target = *target;
  s.source = *source;
  if (loop == "watch") return watch_loop(s, interval_ms, duration_ms, grace_ms, label, wait_mask);
  if (loop == "closed") {
    if (max_seconds <= 0) max_seconds = 5.0 + 2.0 * (count + warmup) / rate;
    return closed_loop(s, rate, count, warmup, timeout_ms, max_seconds, label);
  }
  if (app.count("--count") == 0) count = 100'000'000;  // open loop: bounded by --duration
  return open_loop(s, count, duration_s, grace_ms, label);
}
