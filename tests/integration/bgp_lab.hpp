#pragma once
// BGP interop lab (header-only): a peer namespace running a real router (FRR, BIRD or GoBGP) and a
// node namespace running vipd's bgp::Speaker on its own io_context thread. One veth between them:
//   peer 10.99.0.1/24 fd99::1/64  <==>  node 10.99.0.2/24 fd99::2/64
// Every router runs from its own run dir (removed in the destructor); the namespaces' destructors
// kill whatever still runs inside them.

#include <signal.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "integration/lab.hpp"
#include "vipd/bgp/speaker.hpp"

namespace vipd::testlab::bgp {

inline const std::string peer_v4 = "10.99.0.1";
inline const std::string node_v4 = "10.99.0.2";
inline const std::string peer_v6 = "fd99::1";
inline const std::string node_v6 = "fd99::2";

// Two namespaces and the veth between them, addressed as above (no DAD).
struct Link {
  Netns peer{unique_name("bgpp")};
  Netns node{unique_name("bgpn")};
  Link() {
    const std::string pl = unique_name("bp");
    const std::string nl = unique_name("bn");
    testlab::must("ip link add " + pl + " netns " + peer.name() + " type veth peer name " + nl + " netns " +
                  node.name());
    peer.must("ip addr add " + peer_v4 + "/24 dev " + pl);
    peer.must("ip addr add " + peer_v6 + "/64 dev " + pl + " nodad");
    peer.must("ip link set " + pl + " up");
    node.must("ip addr add " + node_v4 + "/24 dev " + nl);
    node.must("ip addr add " + node_v6 + "/64 dev " + nl + " nodad");
    node.must("ip link set " + nl + " up");
    wait_until([&] { return node.run("ping -c1 -W1 " + peer_v4).exit_code == 0; }, std::chrono::seconds(5));
  }
};

struct RouterOptions {
  std::uint32_t node_as = 64512;  // the router's view of the node's AS (64512 = iBGP)
  std::string password;           // TCP MD5
  int hold = 9;
  bool seed_policy = false;   // FRR: the seed's prefix-list + route-map on the node
  bool connects = false;      // BIRD: also connect to the node (default: passive, waits)
  bool ttl_security = false;  // FRR: GTSM, `neighbor <node> ttl-security hops 1` (RFC 5082)
};

// A router in the peer namespace. Queries go through its control socket.
class Router {
 public:
  virtual ~Router() { std::filesystem::remove_all(run_, ec_); }
  virtual bool established() = 0;
  // A valid, best path for `prefix` via `next_hop` in the router's BGP table.
  virtual bool has_route(const std::string& prefix, const std::string& next_hop) = 0;
  // The router's description of the path (text or JSON), for attribute checks.
  virtual std::string route_detail(const std::string& prefix) = 0;
  virtual std::vector<pid_t> pids() = 0;
  const std::string& run_dir() const { return run_; }
  void signal_all(int sig) {
    for (pid_t p : pids()) kill(p, sig);
  }

 protected:
  explicit Router(const std::string& name) : run_("/tmp/vipd-bgp-lab-" + name) {
    std::filesystem::remove_all(run_, ec_);
    std::filesystem::create_directories(run_);
  }
  static void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }
  static pid_t read_pid(const std::string& path) {
    std::ifstream f(path);
    pid_t p = -1;
    f >> p;
    return p;
  }
  std::string run_;
  std::error_code ec_;
};

class Frr : public Router {
 public:
  Frr(const Netns& ns, const RouterOptions& o) : Router(ns.name() + "-frr"), ns_(ns) {
    std::string c = "frr defaults traditional\nhostname lab\n!\n";
    if (o.seed_policy)
      c += "ip prefix-list VIPS seq 5 permit 192.168.10.0/24 ge 24 le 32\n!\n"
           "route-map NODE permit 10\n match ip address prefix-list VIPS\n match peer " +
           node_v4 + "\nexit\n!\n";
    c += "router bgp 64512\n bgp router-id " + peer_v4 +
         "\n no bgp ebgp-requires-policy\n no bgp default ipv4-unicast\n"
         " bgp log-neighbor-changes\n neighbor " +
         node_v4 + " remote-as " + std::to_string(o.node_as) + "\n neighbor " + node_v4 +
         " passive\n neighbor " + node_v4 + " timers " + std::to_string(o.hold / 3) + " " +
         std::to_string(o.hold) + "\n";
    if (!o.password.empty()) c += " neighbor " + node_v4 + " password " + o.password + "\n";
    if (o.ttl_security) c += " neighbor " + node_v4 + " ttl-security hops 1\n";
    c += " address-family ipv4 unicast\n  neighbor " + node_v4 + " activate\n";
    if (o.seed_policy) c += "  neighbor " + node_v4 + " route-map NODE in\n";
    c += " exit-address-family\n address-family ipv6 unicast\n  neighbor " + node_v4 +
         " activate\n exit-address-family\nexit\n!\n";
    write(run_ + "/bgpd.conf", c);
    write(run_ + "/zebra.conf", "hostname lab\n!\n");
    testlab::must("chown -R frr:frr " + run_ + " && chmod 0755 " + run_);
    const std::string common = " -d -P 0 --vty_socket " + run_ + " -z " + run_ + "/zserv.api";
    ns.must("/usr/lib/frr/zebra" + common + " -i " + run_ + "/zebra.pid -f " + run_ +
            "/zebra.conf --log file:" + run_ + "/zebra.log");
    wait_until([&] { return std::filesystem::exists(run_ + "/zserv.api"); }, std::chrono::seconds(5));
    ns.must("/usr/lib/frr/bgpd" + common + " -i " + run_ + "/bgpd.pid -f " + run_ +
            "/bgpd.conf --log file:" + run_ + "/bgpd.log");
    if (!wait_until([&] { return vty("show bgp summary json").exit_code == 0; }, std::chrono::seconds(10)))
      throw std::runtime_error("bgpd did not come up");
  }
  CommandResult vty(const std::string& command) {
    return testlab::run("vtysh --vty_socket " + run_ + " -d bgpd -c '" + command + "'");
  }
  bool established() override {
    return vty("show bgp neighbors " + node_v4 + " json").output.find("\"bgpState\":\"Established\"") !=
           std::string::npos;
  }
  std::string route_detail(const std::string& prefix) override {
    const bool v6 = prefix.find(':') != std::string::npos;
    return vty(std::string("show bgp ") + (v6 ? "ipv6" : "ipv4") + " unicast " + prefix).output;
  }
  bool has_route(const std::string& prefix, const std::string& next_hop) override {
    // Text form: "  <nh> from <peer> (...)" then "Origin incomplete, ..., valid, internal, best (...)".
    const std::string d = route_detail(prefix);
    return d.find(next_hop + " from") != std::string::npos && d.find("valid") != std::string::npos &&
           d.find("best") != std::string::npos;
  }
  bool in_kernel(const std::string& prefix) {
    return ns_.run("ip route show " + prefix + " proto bgp").output.find("via " + node_v4) !=
           std::string::npos;
  }
  std::string log() {
    std::ifstream f(run_ + "/bgpd.log");
    return std::string(std::istreambuf_iterator<char>(f), {});
  }
  std::vector<pid_t> pids() override { return {read_pid(run_ + "/bgpd.pid"), read_pid(run_ + "/zebra.pid")}; }

 private:
  const Netns& ns_;
};

class Bird : public Router {
 public:
  Bird(const Netns& ns, const RouterOptions& o) : Router(ns.name() + "-bird") {
    std::string c = "log \"" + run_ + "/bird.log\" all;\nrouter id " + peer_v4 +
                    ";\nprotocol device { scan time 10; }\n"
                    "protocol kernel kernel4 { ipv4 { import none; export none; }; }\n"
                    "protocol bgp node_v4 {\n  local as 64512;\n  neighbor " +
                    node_v4 + " as " + std::to_string(o.node_as) + ";\n  source address " + peer_v4 +
                    ";\n  direct;\n  hold time " + std::to_string(o.hold) + ";\n  keepalive time " +
                    std::to_string(o.hold / 3) + ";\n  error wait time 1, 10;\n";
    c += o.connects ? "  connect delay time 1;\n  connect retry time 1;\n" : "  passive on;\n";
    if (!o.password.empty()) c += "  password \"" + o.password + "\";\n";
    c += "  ipv4 { import all; export none; };\n  ipv6 { import all; export none; };\n}\n";
    write(run_ + "/bird.conf", c);
    ns.must("bird -c " + run_ + "/bird.conf -s " + run_ + "/bird.ctl -P " + run_ + "/bird.pid");
    if (!wait_until([&] { return birdc("show status").exit_code == 0; }, std::chrono::seconds(5)))
      throw std::runtime_error("bird did not come up");
  }
  CommandResult birdc(const std::string& command) {
    return testlab::run("birdc -s " + run_ + "/bird.ctl " + command);
  }
  bool established() override {
    return std::regex_search(birdc("show protocols all node_v4").output,
                             std::regex("BGP state:\\s+Established"));
  }
  std::string route_detail(const std::string& prefix) override {
    return birdc("show route " + prefix + " all").output;
  }
  bool has_route(const std::string& prefix, const std::string& next_hop) override {
    const std::string d = route_detail(prefix);
    // "<prefix>  unicast [node_v4 ...] * (100) [?]" then "\tvia <nh> on <link>"
    return std::regex_search(d, std::regex("unicast \\[node_v4[^\\]]*\\] \\*")) &&
           d.find("via " + next_hop + " ") != std::string::npos;
  }
  std::vector<pid_t> pids() override { return {read_pid(run_ + "/bird.pid")}; }
};

class Gobgp : public Router {
 public:
  Gobgp(const Netns& ns, const RouterOptions& o) : Router(ns.name() + "-gobgp") {
    std::string c = "[global.config]\n  as = 64512\n  router-id = \"" + peer_v4 +
                    "\"\n  port = 179\n  local-address-list = [\"" + peer_v4 +
                    "\"]\n[[neighbors]]\n"
                    "  [neighbors.config]\n    neighbor-address = \"" +
                    node_v4 + "\"\n    peer-as = " + std::to_string(o.node_as) + "\n";
    if (!o.password.empty()) c += "    auth-password = \"" + o.password + "\"\n";
    c += "  [neighbors.timers.config]\n    hold-time = " + std::to_string(o.hold) +
         "\n    keepalive-interval = " + std::to_string(o.hold / 3) +
         "\n  [neighbors.transport.config]\n    local-address = \"" + peer_v4 +
         "\"\n    passive-mode = true\n  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n"
         "      afi-safi-name = \"ipv4-unicast\"\n  [[neighbors.afi-safis]]\n    "
         "[neighbors.afi-safis.config]\n"
         "      afi-safi-name = \"ipv6-unicast\"\n";
    write(run_ + "/gobgpd.toml", c);
    process_ = std::make_unique<Process>(
        &ns,
        std::vector<std::string>{"gobgpd", "-f", run_ + "/gobgpd.toml", "-p", "--pprof-disable",
                                 "--api-hosts=unix://" + run_ + "/api.sock"},
        run_ + "/gobgpd.log");
    if (!wait_until([&] { return cli("global").exit_code == 0; }, std::chrono::seconds(10)))
      throw std::runtime_error("gobgpd did not come up: " + process_->log());
  }
  ~Gobgp() override { process_->stop(); }
  CommandResult cli(const std::string& args) {
    return testlab::run("gobgp --target unix://" + run_ + "/api.sock " + args);
  }
  bool established() override {
    const auto out = cli("neighbor " + node_v4).output;
    return std::regex_search(out, std::regex("BGP state = established", std::regex::icase));
  }
  std::string route_detail(const std::string& prefix) override {
    const bool v6 = prefix.find(':') != std::string::npos;
    return cli(std::string("global rib -a ") + (v6 ? "ipv6 " : "ipv4 ") + prefix).output;
  }
  bool has_route(const std::string& prefix, const std::string& next_hop) override {
    // "*> 192.168.10.1/32   10.99.0.2   ..." ("*>" = valid and best)
    const std::string d = route_detail(prefix);
    return std::regex_search(
        d, std::regex("\\*>\\s+" + std::regex_replace(prefix, std::regex("\\."), "\\.") + "\\s+" +
                      std::regex_replace(next_hop, std::regex("\\."), "\\.") + "\\s"));
  }
  std::vector<pid_t> pids() override { return {process_->pid()}; }

 private:
  std::unique_ptr<Process> process_;
};

// vipd's Speaker on its own io_context thread inside the node namespace. Every call is posted to
// that thread and waited for.
class NodeSpeaker {
 public:
  NodeSpeaker(const Netns& ns, config::Model model) : model_(std::move(model)) {
    std::promise<void> entered;
    thread_ = std::thread([this, &ns, &entered] {
      EnterNetns enter(ns);
      entered.set_value();
      io_.run();
    });
    entered.get_future().wait();
    call([this] {
      speaker_ = std::make_unique<vipd::bgp::Speaker>(io_, model_);
      speaker_->start();
    });
  }
  ~NodeSpeaker() {
    call([this] { speaker_.reset(); });
    work_.reset();
    io_.stop();
    thread_.join();
  }
  template <class F>
  void call(F f) {
    std::promise<void> done;
    boost::asio::post(io_, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }
  void set_routes(const std::vector<pool::Assignment>& a) {
    call([&] { speaker_->set_routes(a); });
  }
  void reconfigure(const config::Model& m) {
    call([&] { speaker_->reconfigure(m); });
  }
  vipd::bgp::PeerStatus status() {
    vipd::bgp::PeerStatus s;
    call([&] { s = speaker_->status().at(0); });
    return s;
  }
  // Speaker::stop; returns how long until `done` ran (nullopt: not within 3 s).
  std::optional<std::chrono::milliseconds> stop() {
    auto done = std::make_shared<std::promise<void>>();
    auto fut = done->get_future();
    const auto t0 = std::chrono::steady_clock::now();
    call([&] { speaker_->stop([done] { done->set_value(); }); });
    if (fut.wait_for(std::chrono::seconds(3)) != std::future_status::ready) return std::nullopt;
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{io_.get_executor()};
  config::Model model_;
  std::unique_ptr<vipd::bgp::Speaker> speaker_;
  std::thread thread_;
};

}  // namespace vipd::testlab::bgp
