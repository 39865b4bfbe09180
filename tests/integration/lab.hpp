#pragma once
// A tiny harness for namespace labs: every test builds its own namespaces (unique names, torn
// down in destructors even when an assertion fails) and runs real tools inside them. Nothing here
// touches the root namespace's links.

#include <sys/types.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>
#include <string>
#include <vector>

namespace vipd::testlab {

bool is_root();

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout + stderr
};

// Runs `sh -c command` and captures its output.
CommandResult run(const std::string& command);
// Runs and throws std::runtime_error (with the output) when the exit code is not 0.
std::string must(const std::string& command);

// "<prefix><pid>x<n>": unique per process and call, short enough for netns names.
std::string unique_name(const std::string& prefix);

// A network namespace created on construction and deleted (with every process inside it killed)
// on destruction. New namespaces get lo up, no DAD and no router solicitations.
class Netns {
 public:
  explicit Netns(std::string name);
  ~Netns();
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  const std::string& name() const { return name_; }
  // "ip netns exec <name> sh -c <command>": shell lists and pipes stay inside the namespace
  std::string wrap(const std::string& command) const;
  CommandResult run(const std::string& command) const;
  std::string must(const std::string& command) const;

 private:
  std::string name_;
};

// A switch namespace holding one bridge (no STP, no forward delay, no multicast snooping).
// plug() creates a veth whose one end (`link`) lives in `ns` and whose other end is a bridge port.
class Switch {
 public:
  explicit Switch(const std::string& prefix);
  const Netns& ns() const { return ns_; }
  // Returns the bridge-side port name.
  std::string plug(const Netns& ns, const std::string& link, const std::string& mac = "");
  std::string bridge() const { return "br0"; }

 private:
  Netns ns_;
  int ports_ = 0;
};

// A background process (started through `ip netns exec` when ns is given), output to a file.
class Process {
 public:
  Process(const Netns* ns, const std::vector<std::string>& argv, const std::string& log_path);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int signo) const;
  bool running();
  // Sends `signal`, waits up to `timeout`, then SIGKILL. Returns the exit status (or -signal).
  int stop(int signal = 15, std::chrono::milliseconds timeout = std::chrono::seconds(3));
  std::string log() const;

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
  std::string log_path_;
};

// Polls `predicate` every 10 ms until it holds or `timeout` passes.
template <class Predicate>
bool wait_until(Predicate predicate, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    struct timespec ts {
      0, 10'000'000
    };
    nanosleep(&ts, nullptr);
  }
  return predicate();
}

// The same, for ASSERT_TRUE / EXPECT_TRUE: on timeout the failure names `what` and the timeout.
// Tests wait for state this way (a status field, the router's table, a capture file), never for
// a fixed time or a log line.
template <class Predicate>
::testing::AssertionResult wait_until(Predicate predicate, std::chrono::milliseconds timeout,
                                      const std::string& what) {
  if (wait_until(std::move(predicate), timeout)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "timed out after " << timeout.count() << " ms waiting for " << what;
}

// `vipctl --socket <socket> --json status`: the daemon's status (vips[].owned/links/requests/
// replies/gratuitous/conflicts, links[], bgp[], failover[], drained), or null when vipctl fails
// (daemon not up yet, or vipctl not built). A Unix socket by path: no namespace to enter.
nlohmann::json vipd_status(const std::string& socket);
// The entry of `vip` in a status' vips[], or null.
nlohmann::json vip_status(const nlohmann::json& status, const std::string& vip);

// Enters a namespace in the calling thread (setns) and returns to the previous one on destruction.
class EnterNetns {
 public:
  explicit EnterNetns(const Netns& ns);
  ~EnterNetns();
  EnterNetns(const EnterNetns&) = delete;
  EnterNetns& operator=(const EnterNetns&) = delete;

 private:
  int previous_fd_ = -1;
};

}  // namespace vipd::testlab
