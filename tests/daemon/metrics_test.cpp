#include "vipd/daemon/metrics.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

#include "daemon/control_test_util.hpp"
#include "vipd/daemon/version.hpp"

namespace vipd::daemon {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using testing::LoopThread;
using ::testing::Not;

MetricsSnapshot sample() {
  MetricsSnapshot s;
  s.vips.push_back({"10.77.0.100", "web", "lab", "eth0", true, 3, 2, 6, 1});
  s.vips.push_back({"10.77.0.100", "web", "lab", "eth1", true, 4, 4, 6, 0});
  s.vips.push_back({"fd00:77::100", "api", "lab6", "", false, 0, 0, 0, 0});  // no link
  s.drops.push_back({"eth0", "not_selected", 17});
  s.drops.push_back({"eth1", "kernel", 2});
  s.last_reload_success = false;
  s.last_reload_timestamp_seconds = 1700000000;
  return s;
}

TEST(RenderSnapshot, HasEveryFamilyWithItsLabels) {
  const std::string text = render_snapshot(sample());
  EXPECT_THAT(text, HasSubstr("# TYPE vipd_l2_requests_received_total counter\n"));
  EXPECT_THAT(text, HasSubstr("vipd_l2_requests_received_total{vip=\"10.77.0.100\",interface=\"eth0\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("vipd_l2_requests_received_total{vip=\"10.77.0.100\",interface=\"eth1\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("vipd_l2_responses_sent_total{vip=\"10.77.0.100\",interface=\"eth0\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("vipd_l2_gratuitous_sent_total{vip=\"10.77.0.100\",interface=\"eth1\"} 6\n"));
  EXPECT_THAT(text, HasSubstr("vipd_l2_conflicts_total{vip=\"10.77.0.100\",interface=\"eth0\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE vipd_l2_drops_total counter\n"));
  EXPECT_THAT(text, HasSubstr("vipd_l2_drops_total{interface=\"eth0\",reason=\"not_selected\"} 17\n"));
  EXPECT_THAT(text, HasSubstr("vipd_l2_drops_total{interface=\"eth1\",reason=\"kernel\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE vipd_vip_owned gauge\n"));
  EXPECT_THAT(text, HasSubstr("vipd_vip_owned{vip=\"10.77.0.100\",service=\"web\",pool=\"lab\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("vipd_vip_owned{vip=\"fd00:77::100\",service=\"api\",pool=\"lab6\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("vipd_config_last_reload_success 0\n"));
  EXPECT_THAT(text, HasSubstr("vipd_config_last_reload_timestamp_seconds 1700000000\n"));
  EXPECT_THAT(text, HasSubstr("vipd_build_info{version=\"" + std::string(version()) + "\"} 1\n"));
}

TEST(RenderSnapshot, OneOwnedSeriesPerVipAndNoCountersForALinklessVip) {
  MetricsSnapshot s = sample();
  s.vips[0].owned = false;  // owned on one of its links is owned
  const std::string text = render_snapshot(s);
  EXPECT_THAT(text, HasSubstr("vipd_vip_owned{vip=\"10.77.0.100\",service=\"web\",pool=\"lab\"} 1\n"));
  std::size_t count = 0;
  for (auto pos = text.find("vipd_vip_owned{vip=\"10.77.0.100\""); pos != std::string::npos;
       pos = text.find("vipd_vip_owned{vip=\"10.77.0.100\"", pos + 1))
    ++count;
  EXPECT_EQ(count, 1u);
  EXPECT_THAT(text, Not(HasSubstr("vipd_l2_requests_received_total{vip=\"fd00:77::100\"")));
  EXPECT_THAT(render_snapshot(MetricsSnapshot{}), HasSubstr("vipd_config_last_reload_success 1\n"));
}

TEST(RenderSnapshot, EscapesLabelValues) {
  MetricsSnapshot s;
  s.vips.push_back({"10.0.0.1", "we\"b\\x", "p", "eth0", true, 1, 1, 1, 0});
  EXPECT_THAT(render_snapshot(s), HasSubstr("service=\"we\\\"b\\\\x\""));
}

// A provider whose answer the test controls, recording the thread it ran on.
struct FakeDaemon {
  std::atomic<std::uint64_t> requests{5};
  std::atomic<int> calls{0};
  std::atomic<bool> fail{false};
  std::thread::id ran_on;
  MetricsSnapshot snapshot() {
    ++calls;
    ran_on = std::this_thread::get_id();
    if (fail) throw std::runtime_error("state unavailable");
    MetricsSnapshot s;
    s.vips.push_back({"10.0.0.1", "web", "lab", "eth0", true, requests.load(), 0, 0, 0});
    return s;
  }
};

TEST(Metrics, RenderTextTakesTheSnapshotOnTheLoopThread) {
  boost::asio::io_context io;
  FakeDaemon daemon;
  Metrics metrics(io, "", [&] { return daemon.snapshot(); });
  LoopThread loop(io);
  const std::string text = metrics.render_text();
  EXPECT_THAT(text, HasSubstr("vipd_l2_requests_received_total{vip=\"10.0.0.1\",interface=\"eth0\"} 5\n"));
  EXPECT_EQ(daemon.ran_on, loop.id());
  daemon.requests = 9;
  EXPECT_THAT(metrics.render_text(), HasSubstr("interface=\"eth0\"} 9\n"));
  // From the loop thread itself (a handler asking): called directly, no self-deadlock.
  daemon.requests = 11;
  EXPECT_THAT(loop.run([&] { return metrics.render_text(); }), HasSubstr("interface=\"eth0\"} 11\n"));
}

TEST(Metrics, AStoppedLoopServesTheLastGoodSnapshotAfterTheTimeout) {
  boost::asio::io_context io;
  FakeDaemon daemon;
  Metrics metrics(
      io, "", [&] { return daemon.snapshot(); }, 200ms);
  {
    LoopThread loop(io);
    EXPECT_THAT(metrics.render_text(), HasSubstr("interface=\"eth0\"} 5\n"));
  }  // the loop is gone now
  daemon.requests = 9;
  const auto t0 = std::chrono::steady_clock::now();
  const std::string text = metrics.render_text();
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_THAT(text, HasSubstr("interface=\"eth0\"} 5\n"));
  EXPECT_GE(elapsed, 150ms);
  EXPECT_LT(elapsed, 2s);
}

TEST(Metrics, ANeverRunLoopGivesAnEmptySnapshotNotAHang) {
  boost::asio::io_context io;
  FakeDaemon daemon;
  Metrics metrics(
      io, "", [&] { return daemon.snapshot(); }, 100ms);
  const std::string text = metrics.render_text();
  EXPECT_THAT(text, HasSubstr("vipd_build_info"));
  EXPECT_THAT(text, Not(HasSubstr("10.0.0.1")));
  EXPECT_EQ(daemon.calls, 0);
  // Repeated scrapes while the loop is stuck queue one provider call, not one each.
  metrics.render_text();
  metrics.render_text();
  EXPECT_EQ(io.poll(), 1u);
  EXPECT_EQ(daemon.calls, 1);
}

TEST(Metrics, AFailingProviderKeepsTheLastGoodSnapshot) {
  boost::asio::io_context io;
  FakeDaemon daemon;
  Metrics metrics(
      io, "", [&] { return daemon.snapshot(); }, 2s);
  LoopThread loop(io);
  EXPECT_THAT(metrics.render_text(), HasSubstr("interface=\"eth0\"} 5\n"));
  daemon.fail = true;
  daemon.requests = 9;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THAT(metrics.render_text(), HasSubstr("interface=\"eth0\"} 5\n"));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);  // answered, not timed out
}

// Minimal HTTP/1.0 GET over a TCP socket: the whole response, or "" on failure.
std::string http_get(int port, const std::string& target) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) {
    const std::string request = "GET " + target + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
      char buf[4096];
      ssize_t n;
      while ((n = ::recv(fd, buf, sizeof(buf), 0)) > 0) response.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return response;
}

TEST(Metrics, ServesTheExpositionOverHttp) {
  boost::asio::io_context io;
  FakeDaemon daemon;
  Metrics metrics(io, "127.0.0.1:0", [&] { return daemon.snapshot(); });
  auto started = metrics.start();
  ASSERT_TRUE(started.ok()) << started.error();
  ASSERT_GT(metrics.port(), 0);
  LoopThread loop(io);
  const std::string response = http_get(metrics.port(), "/metrics");
  EXPECT_THAT(response, HasSubstr("200 OK"));
  EXPECT_THAT(response,
              HasSubstr("vipd_l2_requests_received_total{vip=\"10.0.0.1\",interface=\"eth0\"} 5\n"));
  EXPECT_THAT(response, HasSubstr("vipd_vip_owned{vip=\"10.0.0.1\",service=\"web\",pool=\"lab\"} 1\n"));
  EXPECT_THAT(response, HasSubstr("vipd_build_info{version=\""));
  EXPECT_EQ(daemon.ran_on, loop.id());
  const int port = metrics.port();
  metrics.stop();
  EXPECT_EQ(metrics.port(), 0);
  EXPECT_EQ(http_get(port, "/metrics"), "");  // nobody listens any more
}

TEST(Metrics, ScrapesWhileTheLoopIsStoppedStillAnswer) {
  boost::asio::io_context io;
  FakeDaemon daemon;
  Metrics metrics(
      io, "127.0.0.1:0", [&] { return daemon.snapshot(); }, 200ms);
  ASSERT_TRUE(metrics.start().ok());
  EXPECT_THAT(http_get(metrics.port(), "/metrics"), HasSubstr("vipd_config_last_reload_success 1\n"));
}

TEST(Metrics, DisabledWhenListenIsEmpty) {
  boost::asio::io_context io;
  Metrics metrics(io, "", [] { return MetricsSnapshot{}; });
  EXPECT_TRUE(metrics.start().ok());
  EXPECT_EQ(metrics.port(), 0);
}

TEST(Metrics, BadListenAddressesAreErrorsNamingThem) {
  boost::asio::io_context io;
  // Hold a port so that binding it again fails.
  const int holder = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(holder, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(holder, 1), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(holder, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string busy = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

  for (const std::string& listen : {std::string("nonsense"), std::string("127.0.0.1"), std::string("9477"),
                                    std::string("127.0.0.1:99999"), std::string("127.0.0.1:9477s"),
                                    std::string("127.0.0.1:1,127.0.0.1:2"), std::string("::1:9477"),
                                    std::string("[10.0.0.1]:9477"), std::string("192.0.2.1:9477"), busy}) {
    Metrics metrics(io, listen, [] { return MetricsSnapshot{}; });
    auto r = metrics.start();
    ASSERT_FALSE(r.ok()) << listen;
    EXPECT_THAT(r.error(), HasSubstr("\"" + listen + "\"")) << listen;
  }
  ::close(holder);
}

}  // namespace
}  // namespace vipd::daemon
