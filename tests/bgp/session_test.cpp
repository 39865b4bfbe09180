// bgp::Session with a FakeClock against a scripted peer on 127.0.0.1 (no root, no router): the
// socket I/O is real, every timer (keepalive, hold, connect retry) fires only when the test
// advances the clock, by exactly the interval under test.
#include "vipd/bgp/session.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <chrono>
#include <optional>
#include <variant>
#include <vector>

#include "vipd/bgp/codec.hpp"
#include "vipd/common/fake_clock.hpp"

namespace vipd::bgp {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using asio::ip::tcp;

constexpr std::array<AfiSafi, 2> kFamilies{ipv4_unicast, ipv6_unicast};

class SessionClock : public ::testing::Test {
 protected:
  void SetUp() override {
    acceptor_.open(tcp::v4());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    acceptor_.listen();
    peer_.name = "lab";
    peer_.peer_address = *net::IpAddress::parse("127.0.0.1");
    peer_.peer_port = acceptor_.local_endpoint().port();
    peer_.peer_asn = 64512;
    peer_.my_asn = 64512;
    peer_.hold_time = 9s;
    peer_.router_id = *net::IpAddress::parse("10.0.0.1");
  }
  void TearDown() override {
    if (session_) session_->abort();
    boost::system::error_code ec;
    socket_.close(ec);
    run_until([] { return false; }, 20ms);  // the aborted handlers complete
  }

  // Runs the loop until `done` holds or `timeout` of real time passes. Only socket I/O needs the
  // loop: the session's timers are the fake clock's.
  template <class Done>
  bool run_until(Done done, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(5ms);
    }
    return done();
  }

  // Starts the session and accepts its connection as the peer.
  void connect() {
    session_ = Session::create(io_, peer_, 1, clock_);
    bool accepted = false;
    acceptor_.async_accept(socket_, [&](const boost::system::error_code& ec) { accepted = !ec; });
    session_->start();
    ASSERT_TRUE(run_until([&] { return accepted; })) << "the session never connected";
    read();
  }
  void read() {
    socket_.async_read_some(asio::buffer(chunk_), [this](const boost::system::error_code& ec, std::size_t n) {
      if (ec) {
        peer_closed_ = true;
        return;
      }
      in_.insert(in_.end(), chunk_.begin(), chunk_.begin() + static_cast<std::ptrdiff_t>(n));
      read();
    });
  }
  // The next whole message the session sent, UPDATEs skipped (the table is empty: they are the
  // End-of-RIB markers), or nullopt (none within the deadline).
  std::optional<Message> next_message() {
    std::optional<Message> message;
    bool taken = false;
    run_until([&] {
      if (taken) return true;
      auto frame = next_frame(std::span<const std::uint8_t>(in_));
      if (!frame || !*frame) return false;
      auto parsed = parse_message(**frame);
      const auto size = (*frame)->message.size();
      in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(size));
      if (parsed && std::holds_alternative<UpdateMessage>(parsed.value())) return false;  // End-of-RIB
      if (parsed) message = std::move(parsed).value();
      taken = true;
      return true;
    });
    return message;
  }
  void send(const Bytes& bytes) { asio::write(socket_, asio::buffer(bytes)); }

  // OPEN / OPEN + KEEPALIVE / KEEPALIVE: the session is Established.
  void establish() {
    ASSERT_NO_FATAL_FAILURE(connect());
    const auto open = next_message();
    ASSERT_TRUE(open && std::holds_alternative<OpenMessage>(*open));
    EXPECT_EQ(std::get<OpenMessage>(*open).hold_time, 9);
    send(build_open(make_open(64512, 9, 0x0a000002, kFamilies)));
    send(build_keepalive());
    const auto keepalive = next_message();
    ASSERT_TRUE(keepalive && std::holds_alternative<KeepaliveMessage>(*keepalive));
    ASSERT_TRUE(run_until([&] { return session_->status().state == "Established"; }))
        << session_->status().state;
  }

  asio::io_context io_;
  FakeClock clock_;
  tcp::acceptor acceptor_{io_};
  tcp::socket socket_{io_};
  std::array<std::uint8_t, 4096> chunk_{};
  Bytes in_;
  bool peer_closed_ = false;
  config::Peer peer_;
  std::shared_ptr<Session> session_;
};

TEST_F(SessionClock, KeepaliveEveryThirdOfTheHoldTime) {
  ASSERT_NO_FATAL_FAILURE(establish());
  for (int i = 0; i < 2; ++i) {  // the peer stays silent: 6 s, within its 9 s hold time
    clock_.advance(3s);          // one keepalive interval (9 s / 3)
    const auto keepalive = next_message();
    ASSERT_TRUE(keepalive.has_value()) << "no KEEPALIVE after " << 3 * (i + 1) << " s";
    EXPECT_TRUE(std::holds_alternative<KeepaliveMessage>(*keepalive));
  }
  EXPECT_EQ(session_->status().state, "Established");
  EXPECT_EQ(session_->status().notifications_sent[4], 0u);
}

TEST_F(SessionClock, HoldTimerExpiresExactlyAtTheHoldTime) {
  ASSERT_NO_FATAL_FAILURE(establish());
  // The peer goes silent. One millisecond short of the hold time the session is still up (it has
  // sent its own KEEPALIVEs at 3 s and 6 s, no NOTIFICATION).
  clock_.advance(9s - 1ms);
  auto status = session_->status();
  EXPECT_EQ(status.state, "Established");
  EXPECT_EQ(status.notifications_sent[4], 0u);
  for (int i = 0; i < 2; ++i) {
    const auto m = next_message();
    ASSERT_TRUE(m.has_value()) << "KEEPALIVE " << i;
    EXPECT_TRUE(std::holds_alternative<KeepaliveMessage>(*m)) << "message " << i;
  }

  clock_.advance(1ms);
  status = session_->status();
  EXPECT_NE(status.state, "Established");
  EXPECT_EQ(status.notifications_sent[4], 1u);
  EXPECT_NE(status.last_error.find("hold timer expired"), std::string::npos) << status.last_error;
  const auto m = next_message();
  ASSERT_TRUE(m.has_value()) << "no NOTIFICATION on the wire";
  ASSERT_TRUE(std::holds_alternative<NotificationMessage>(*m));
  EXPECT_EQ(std::get<NotificationMessage>(*m).code, 4);  // Hold Timer Expired
  EXPECT_EQ(std::get<NotificationMessage>(*m).subcode, 0);
  EXPECT_TRUE(run_until([&] { return peer_closed_; })) << "the session kept the connection";
}

}  // namespace
}  // namespace vipd::bgp
