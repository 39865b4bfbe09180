#include "vipd/daemon/control_server.hpp"

#include <grp.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "daemon/control_test_util.hpp"

namespace vipd::daemon {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using testing::Client;
using testing::LoopThread;
using testing::TempDir;

// ---- parse_request --------------------------------------------------------------------------

TEST(ParseRequest, AcceptsAnObjectWithAStringCommand) {
  auto r = parse_request(R"({"command":"explain","vip":"10.0.0.1"})");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ((*r)["command"], "explain");
  EXPECT_EQ((*r)["vip"], "10.0.0.1");
}

TEST(ParseRequest, ToleratesCrlfAndSpaces) {
  auto r = parse_request(" {\"command\" : \"status\"} \r");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ((*r)["command"], "status");
}

TEST(ParseRequest, RejectsEachMalformation) {
  struct Case {
    const char* name;
    std::string line;
    const char* error_contains;
  };
  const Case cases[] = {
      {"empty", "", "empty request"},
      {"blank", "  \t", "empty request"},
      {"garbage", "hello", "invalid JSON"},
      {"truncated", R"({"command":"sta)", "invalid JSON"},
      {"two values", R"({"command":"status"} {})", "invalid JSON"},
      {"array", R"(["status"])", "must be a JSON object"},
      {"string", R"("status")", "must be a JSON object"},
      {"no command", R"({"cmd":"status"})", "no \"command\""},
      {"number command", R"({"command":1})", "must be a string"},
      {"null command", R"({"command":null})", "must be a string"},
      {"nul byte", std::string("{\"command\":\"st\0\"}", 17), "invalid JSON"},
  };
  for (const auto& c : cases) {
    auto r = parse_request(c.line);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_NE(r.error().find(c.error_contains), std::string::npos) << c.name << ": " << r.error();
  }
}

TEST(SerializeResponse, IsOneLineAndSurvivesInvalidUtf8) {
  const std::string line =
      serialize_response(json{{"ok", false}, {"error", std::string("bad \xff name\nx")}});
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);  // the error's newline is escaped
  EXPECT_TRUE(json::parse(line).is_object());
}

// ---- the server ------------------------------------------------------------------------------

// Echo handler: answers with the command it got; "boom" throws, "scalar" returns no object,
// "bare" returns an object without "ok".
json echo_handler(const json& request) {
  const std::string command = request["command"];
  if (command == "boom") throw std::runtime_error("handler exploded");
  if (command == "scalar") return 42;
  if (command == "bare") return json{{"x", 1}};
  return json{{"ok", true}, {"echo", command}, {"request", request}};
}

class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    path_ = dir_.path() + "/run/vipd.sock";  // parent created by start()
  }
  void TearDown() override {
    loop_.reset();
    server_.reset();
  }

  void start(ControlOptions options = {}, ControlServer::Handler handler = echo_handler) {
    options.path = path_;
    options.group = "";
    server_ = std::make_unique<ControlServer>(io_, options, std::move(handler));
    auto r = server_->start();
    ASSERT_TRUE(r.ok()) << r.error();
    loop_ = std::make_unique<LoopThread>(io_);
  }

  // One request on a fresh connection; the parsed response.
  json ask(const std::string& line) {
    Client c(path_);
    EXPECT_TRUE(c.connected());
    EXPECT_TRUE(c.send(line + "\n"));
    auto response = c.read_line();
    EXPECT_TRUE(response.has_value()) << "no response to " << line;
    return response ? json::parse(*response) : json();
  }

  // Asks the loop thread for the server's client count until it is `want` or `timeout` passes (a
  // poll with a deadline: the server's own timers decide when it changes). Returns the last count.
  std::size_t wait_clients(std::size_t want, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t count = loop_->run([&] { return server_->client_count(); });
    while (count != want && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(1ms);  // the poll interval, not a guess at how long it takes
      count = loop_->run([&] { return server_->client_count(); });
    }
    return count;
  }

  TempDir dir_;
  std::string path_;
  boost::asio::io_context io_;
  std::unique_ptr<ControlServer> server_;
  std::unique_ptr<LoopThread> loop_;
};

TEST_F(ControlServerTest, AnswersARequestWithTheHandlersObject) {
  start();
  const json r = ask(R"({"command":"explain","vip":"10.0.0.1"})");
  EXPECT_EQ(r["ok"], true);
  EXPECT_EQ(r["echo"], "explain");
  EXPECT_EQ(r["request"]["vip"], "10.0.0.1");
}

TEST_F(ControlServerTest, HandlerRunsOnTheLoopThread) {
  std::atomic<bool> on_loop{false};
  std::thread::id loop_id;
  start({}, [&](const json&) {
    on_loop = std::this_thread::get_id() == loop_id;
    return json{{"ok", true}};
  });
  loop_id = loop_->run([] { return std::this_thread::get_id(); });
  ask(R"({"command":"status"})");
  EXPECT_TRUE(on_loop);
}

TEST_F(ControlServerTest, OneConnectionCarriesSeveralAndPipelinedRequests) {
  start();
  Client c(path_);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send("{\"command\":\"status\"}\n{\"command\":\"drain\"}\n"));
  auto first = c.read_line();
  auto second = c.read_line();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(json::parse(*first)["echo"], "status");
  EXPECT_EQ(json::parse(*second)["echo"], "drain");
  ASSERT_TRUE(c.send("{\"command\":\"undrain\"}\n"));
  auto third = c.read_line();
  ASSERT_TRUE(third);
  EXPECT_EQ(json::parse(*third)["echo"], "undrain");
}

TEST_F(ControlServerTest, HandlerFailuresBecomeErrorResponses) {
  start();
  const json boom = ask(R"({"command":"boom"})");
  EXPECT_EQ(boom["ok"], false);
  EXPECT_NE(boom["error"].get<std::string>().find("handler exploded"), std::string::npos);
  const json scalar = ask(R"({"command":"scalar"})");
  EXPECT_EQ(scalar["ok"], false);
  const json bare = ask(R"({"command":"bare"})");
  EXPECT_EQ(bare["ok"], true);  // "ok" added
  EXPECT_EQ(bare["x"], 1);
  EXPECT_EQ(ask(R"({"command":"status"})")["ok"], true);  // still serving
}

TEST_F(ControlServerTest, GarbageGetsAnErrorAndTheServerKeepsServing) {
  start();
  Client c(path_);
  ASSERT_TRUE(c.send(std::string("\x01\x02 not json at all ") + "\xff\n"));
  auto error = c.read_line();
  ASSERT_TRUE(error);
  const json e = json::parse(*error);
  EXPECT_EQ(e["ok"], false);
  EXPECT_NE(e["error"].get<std::string>().find("invalid JSON"), std::string::npos);
  // The same connection still works (framing is intact), and so does the next client.
  ASSERT_TRUE(c.send("{\"command\":\"status\"}\n"));
  auto again = c.read_line();
  ASSERT_TRUE(again);
  EXPECT_EQ(json::parse(*again)["ok"], true);
  EXPECT_EQ(ask(R"({"command":"status"})")["echo"], "status");
}

TEST_F(ControlServerTest, AHugeLineClosesTheConnection) {
  start();
  Client c(path_);
  // 1 MiB without a newline: the server gives up at 64 KiB and closes; our send may fail then.
  std::thread sender([&] { c.send(std::string(1024 * 1024, 'x'), 5s); });
  std::string got;
  EXPECT_TRUE(c.wait_closed(&got, 5s));
  sender.join();
  if (!got.empty()) {
    EXPECT_NE(got.find("longer than 65536 bytes"), std::string::npos) << got;
  }
  EXPECT_EQ(loop_->run([&] { return server_->client_count(); }), 0u);
  EXPECT_EQ(ask(R"({"command":"status"})")["ok"], true);
}

TEST_F(ControlServerTest, ALineAtTheLimitIsStillRead) {
  ControlOptions options;
  options.max_request_bytes = 100;
  start(options);
  std::string line = R"({"command":"status","pad":")";
  line += std::string(100 - line.size() - 2, 'p') + "\"}";
  ASSERT_EQ(line.size(), 100u);
  EXPECT_EQ(ask(line)["ok"], true);
  Client c(path_);
  ASSERT_TRUE(c.send(line + "p\n"));  // 101 bytes: too long
  std::string got;
  EXPECT_TRUE(c.wait_closed(&got, 5s));
  EXPECT_NE(got.find("longer than 100 bytes"), std::string::npos) << got;
}

TEST_F(ControlServerTest, ASlowClientIsClosedWhileOthersAreServed) {
  ControlOptions options;
  options.request_timeout = 400ms;
  start(options);
  const auto t0 = std::chrono::steady_clock::now();
  Client slow(path_);
  ASSERT_TRUE(slow.send(R"({"command":"sta)"));  // half a line, then nothing
  // Served at once, while the slow client is still waiting for its deadline.
  EXPECT_EQ(ask(R"({"command":"status"})")["ok"], true);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 350ms);
  std::string got;
  EXPECT_TRUE(slow.wait_closed(&got, 5s));
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(elapsed, 350ms);
  EXPECT_LT(elapsed, 3s);
  EXPECT_NE(got.find("timed out"), std::string::npos) << got;
}

TEST_F(ControlServerTest, AnIdleConnectionIsClosedAfterTheTimeout) {
  ControlOptions options;
  options.request_timeout = 200ms;
  start(options);
  Client idle(path_);
  ASSERT_TRUE(idle.send("{\"command\":\"status\"}\n"));
  ASSERT_TRUE(idle.read_line());
  EXPECT_TRUE(idle.wait_closed(nullptr, 5s));  // the deadline re-arms for the next request
}

TEST_F(ControlServerTest, AClientThatNeverReadsItsResponseIsClosed) {
  ControlOptions options;
  options.request_timeout = 300ms;
  start(options, [](const json&) { return json{{"ok", true}, {"blob", std::string(8 * 1024 * 1024, 'b')}}; });
  Client reader_less(path_);
  ASSERT_TRUE(reader_less.send("{\"command\":\"status\"}\n"));
  ASSERT_EQ(wait_clients(1, 5s), 1u);  // stuck writing
  EXPECT_EQ(wait_clients(0, 5s), 0u);  // dropped after the deadline, slot freed
}

TEST_F(ControlServerTest, ClientsBeyondTheLimitGetAnErrorAndAreClosed) {
  ControlOptions options;
  options.max_clients = 2;
  start(options);
  Client a(path_);
  Client b(path_);
  for (Client* c : {&a, &b}) {  // make sure both are accepted and held
    ASSERT_TRUE(c->send("{\"command\":\"status\"}\n"));
    ASSERT_TRUE(c->read_line());
  }
  Client third(path_);
  std::string got;
  EXPECT_TRUE(third.wait_closed(&got, 5s));
  EXPECT_NE(got.find("too many clients"), std::string::npos) << got;
  a.close();
  // Once a slot is free, a new client is served again.
  ASSERT_EQ(wait_clients(1, 5s), 1u);
  EXPECT_EQ(ask(R"({"command":"status"})")["ok"], true);
}

TEST_F(ControlServerTest, AClientThatLeavesBeforeItsAnswerDoesNotHurt) {
  // A response larger than the socket buffer to a client that has gone: EPIPE, not SIGPIPE.
  start({}, [](const json&) { return json{{"ok", true}, {"blob", std::string(4 * 1024 * 1024, 'b')}}; });
  for (int i = 0; i < 5; ++i) {
    Client c(path_);
    ASSERT_TRUE(c.send("{\"command\":\"status\"}\n"));
    c.close();
  }
  const json r = ask(R"({"command":"status"})");
  EXPECT_EQ(r["ok"], true);
  EXPECT_EQ(r["blob"].get<std::string>().size(), 4u * 1024 * 1024);
}

TEST_F(ControlServerTest, StopClosesClientsAndRemovesTheSocket) {
  start();
  Client c(path_);
  ASSERT_TRUE(c.send("{\"command\":\"status\"}\n"));
  ASSERT_TRUE(c.read_line());
  loop_->run([&] {
    server_->stop();
    return 0;
  });
  EXPECT_TRUE(c.wait_closed(nullptr, 5s));
  EXPECT_FALSE(std::filesystem::exists(path_));
  Client late(path_);
  EXPECT_FALSE(late.connected());
}

TEST_F(ControlServerTest, StartAppliesModeAndRemovesAStaleSocket) {
  std::filesystem::create_directories(dir_.path() + "/run");
  {  // a socket file left by a crashed daemon: bound, nobody listening
    boost::asio::local::stream_protocol::acceptor stale(io_);
    stale.open();
    stale.bind(boost::asio::local::stream_protocol::endpoint(path_));
  }
  ASSERT_TRUE(std::filesystem::is_socket(path_));
  ControlOptions options;
  options.mode = 0640;
  start(options);
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(ask(R"({"command":"status"})")["ok"], true);
}

TEST_F(ControlServerTest, StartAppliesAnExistingGroupAndSkipsAMissingOne) {
  group* g = ::getgrnam("nogroup");
  if (g == nullptr || ::geteuid() != 0) GTEST_SKIP() << "needs root and group nogroup";
  const gid_t nogroup = g->gr_gid;
  ControlOptions options;
  options.path = path_;
  options.group = "nogroup";
  ControlServer with_group(io_, options, echo_handler);
  ASSERT_TRUE(with_group.start().ok());
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, nogroup);
  with_group.stop();

  options.group = "vipd-no-such-group";
  ControlServer without(io_, options, echo_handler);
  ASSERT_TRUE(without.start().ok());
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, ::getegid());
}

TEST_F(ControlServerTest, StartRefusesALiveSocketAndANonSocket) {
  start();
  ControlOptions options;
  options.path = path_;
  options.group = "";
  ControlServer second(io_, options, echo_handler);
  auto r = second.start();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find(path_), std::string::npos);
  EXPECT_NE(r.error().find("another process"), std::string::npos);
  EXPECT_EQ(ask(R"({"command":"status"})")["ok"], true);  // the first one is untouched

  const std::string file = dir_.path() + "/plain";
  std::ofstream(file) << "not a socket";
  options.path = file;
  ControlServer third(io_, options, echo_handler);
  r = third.start();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("not a socket"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(file));

  options.path = dir_.path() + "/" + std::string(sizeof(sockaddr_un{}.sun_path), 'x');
  ControlServer fourth(io_, options, echo_handler);
  EXPECT_FALSE(fourth.start().ok());
}

TEST_F(ControlServerTest, DestroyingTheServerWhileClientsWaitIsSafe) {
  start();
  Client c(path_);
  ASSERT_TRUE(c.send(R"({"command")"));
  loop_->run([&] {
    server_.reset();
    return 0;
  });
  EXPECT_TRUE(c.wait_closed(nullptr, 5s));
  // The loop keeps running the aborted handlers without touching the destroyed server.
  EXPECT_EQ(loop_->run([] { return 7; }), 7);
}

}  // namespace
}  // namespace vipd::daemon
