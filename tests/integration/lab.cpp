#include "integration/lab.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace vipd::testlab {

bool is_root() {
  return geteuid() == 0;
}

CommandResult run(const std::string& command) {
  CommandResult result;
  const std::string wrapped = "exec 2>&1; " + command;
  FILE* pipe = popen(wrapped.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) result.output.append(buf.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string must(const std::string& command) {
  auto r = run(command);
  if (r.exit_code != 0)
    throw std::runtime_error("command failed (" + std::to_string(r.exit_code) + "): " + command + "\n" +
                             r.output);
  return r.output;
}

std::string unique_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + std::to_string(getpid()) + "x" + std::to_string(counter++);
}

Netns::Netns(std::string name) : name_(std::move(name)) {
  // testlab:: qualified: the members of the same name would wrap these in `ip netns exec`.
  testlab::run("ip netns del " + name_ + " 2>/dev/null");
  testlab::must("ip netns add " + name_);
  testlab::must(wrap("ip link set lo up"));
  testlab::must(
      wrap("sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 "
           "net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.default.accept_ra=0"));
}

Netns::~Netns() {
  testlab::run("for p in $(ip netns pids " + name_ + " 2>/dev/null); do kill -9 $p 2>/dev/null; done");
  testlab::run("ip netns del " + name_);
}

// The whole command runs inside the namespace: `a && b` must not leave `b` in the root namespace.
std::string Netns::wrap(const std::string& command) const {
  std::string quoted = "'";
  for (char c : command) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return "ip netns exec " + name_ + " sh -c " + quoted + "'";
}
CommandResult Netns::run(const std::string& command) const {
  return testlab::run(wrap(command));
}
std::string Netns::must(const std::string& command) const {
  return testlab::must(wrap(command));
}

Switch::Switch(const std::string& prefix) : ns_(prefix + "sw") {
  ns_.must("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1");
  ns_.must("ip link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0");
  ns_.must("ip link set br0 up");
}

std::string Switch::plug(const Netns& ns, const std::string& link, const std::string& mac) {
  const std::string port = "p" + std::to_string(ports_++);
  testlab::must("ip link add " + link + " netns " + ns.name() + " type veth peer name " + port + " netns " +
                ns_.name());
  if (!mac.empty()) ns.must("ip link set " + link + " address " + mac);
  ns_.must("ip link set " + port + " master br0");
  ns_.must("ip link set " + port + " up");
  return port;
}

Process::Process(const Netns* ns, const std::vector<std::string>& argv, const std::string& log_path)
    : log_path_(log_path) {
  std::vector<std::string> full;
  if (ns != nullptr) full = {"ip", "netns", "exec", ns->name()};
  full.insert(full.end(), argv.begin(), argv.end());
  pid_ = fork();
  if (pid_ == 0) {
    const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    std::vector<char*> args;
    for (auto& a : full) args.push_back(a.data());
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
}

Process::~Process() {
  if (!reaped_) stop(SIGKILL, std::chrono::milliseconds(1000));
}

void Process::signal(int signo) const {
  if (pid_ > 0 && !reaped_) kill(pid_, signo);
}

bool Process::running() {
  if (reaped_ || pid_ <= 0) return false;
  const pid_t r = waitpid(pid_, &status_, WNOHANG);
  if (r == pid_) reaped_ = true;
  return !reaped_;
}

int Process::stop(int signal, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  if (!reaped_) {
    kill(pid_, signal);
    if (!wait_until([&] { return !running(); }, timeout)) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status_, 0);
      reaped_ = true;
    }
  }
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) return -WTERMSIG(status_);
  return -1;
}

std::string Process::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::json vipd_status(const std::string& socket) {
#ifdef VIPCTL_BINARY
  const auto r = run(std::string(VIPCTL_BINARY) + " --socket " + socket + " --json status 2>/dev/null");
  if (r.exit_code != 0) return nullptr;
  auto j = nlohmann::json::parse(r.output, nullptr, false);
  return j.is_discarded() || !j.is_object() ? nlohmann::json(nullptr) : j;
#else
  (void)socket;
  return nullptr;
#endif
}

nlohmann::json vip_status(const nlohmann::json& status, const std::string& vip) {
  if (!status.is_object() || !status.contains("vips") || !status["vips"].is_array()) return nullptr;
  for (const auto& v : status["vips"])
    if (v.is_object() && v.value("vip", "") == vip) return v;
  return nullptr;
}

EnterNetns::EnterNetns(const Netns& ns) {
  previous_fd_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  const int fd = open(("/run/netns/" + ns.name()).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
    if (fd >= 0) close(fd);
    throw std::runtime_error("cannot enter namespace " + ns.name());
  }
  close(fd);
}

EnterNetns::~EnterNetns() {
  if (previous_fd_ >= 0) {
    setns(previous_fd_, CLONE_NEWNET);
    close(previous_fd_);
  }
}

}  // namespace vipd::testlab
