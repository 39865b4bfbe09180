#pragma once
// bgp::Speaker: one Session per configured peer, the desired routes computed by AdvertPlan
// (plan.hpp) from the bgp pools' assignments, and the passive listeners (port 179, one per address
// family, with the passive peers' TCP MD5 keys). Runs on one io_context thread; call every member
// from that thread.
//
// Wiring in the daemon:
//   bgp::Speaker speaker(io, model);  speaker.start();
//   speaker.set_routes(allocation.assignments);          // after every allocation change
//   speaker.reconfigure(new_model);                      // on reload, then set_routes(...)
//   speaker.stop([&] { /* all peers got Cease 6/2 */ });  // on SIGTERM, before io.stop()

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "vipd/bgp/plan.hpp"
#include "vipd/bgp/session.hpp"
#include "vipd/config/model.hpp"
#include "vipd/pool/allocator.hpp"

namespace vipd::bgp {

class Speaker {
 public:
  using PeerStatus = bgp::PeerStatus;

  Speaker(boost::asio::io_context& io, const config::Model& model);
  ~Speaker();  // drops sessions without NOTIFICATION; call stop() first for a graceful end
  Speaker(const Speaker&) = delete;
  Speaker& operator=(const Speaker&) = delete;

  void start();
  // Every VIP with protocol bgp is announced as planned by AdvertPlan; only changes are sent.
  void set_routes(const std::vector<pool::Assignment>& assignments);
  // Peers whose session settings changed (same_session_settings) are reset, removed peers are shut
  // down, new ones started; the others keep their session and only get the route changes.
  void reconfigure(const config::Model& model);
  // Cease/Administrative Shutdown ("vipd shutting down") to every peer; `done` runs once every
  // socket is closed (each flush is bounded to 1 s).
  void stop(std::function<void()> done);
  std::vector<PeerStatus> status() const;

 private:
  void push_routes();
  void open_listeners();
  void accept(const std::shared_ptr<boost::asio::ip::tcp::acceptor>& acceptor);
  std::shared_ptr<Session> make_session(const config::Peer& peer);

  boost::asio::io_context& io_;
  config::Model model_;
  std::vector<pool::Assignment> assignments_;
  std::vector<std::shared_ptr<Session>> sessions_;                          // model_.peers order
  std::vector<std::shared_ptr<boost::asio::ip::tcp::acceptor>> listeners_;  // shared with pending accepts
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool started_ = false;
  std::uint64_t seed_ = 1;
};

}  // namespace vipd::bgp
