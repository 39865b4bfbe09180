// Asio side of the speaker: sessions per peer, passive listeners, reloads (see speaker.hpp).
#include "vipd/bgp/speaker.hpp"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "vipd/common/log.hpp"

namespace vipd::bgp {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr std::string_view shutdown_message = "vipd shutting down";
constexpr std::string_view reset_message = "vipd: peer configuration changed";
constexpr std::string_view removed_message = "vipd: peer removed from configuration";

std::optional<net::IpAddress> endpoint_address(const tcp::endpoint& e) {
  const auto a = e.address();
  if (a.is_v4()) return net::IpAddress::v4(a.to_v4().to_uint());
  const auto v6 = a.to_v6();
  if (v6.is_v4_mapped())
    return net::IpAddress::v4(asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_uint());
  const auto b = v6.to_bytes();
  return net::IpAddress::v6_bytes(std::span<const std::uint8_t, 16>(b.data(), 16));
}
}  // namespace

Speaker::Speaker(asio::io_context& io, const config::Model& model) : io_(io), model_(model) {
  for (const auto& peer : model_.peers) sessions_.push_back(make_session(peer));
}

Speaker::~Speaker() {
  *alive_ = false;
  boost::system::error_code ec;
  for (auto& l : listeners_) l->close(ec);
  for (auto& s : sessions_) s->abort();
}

std::shared_ptr<Session> Speaker::make_session(const config::Peer& peer) {
  return Session::create(io_, peer, seed_++ * 0x9e3779b97f4a7c15ULL);
}

void Speaker::start() {
  started_ = true;
  open_listeners();
  push_routes();
  for (auto& s : sessions_) s->start();
}

void Speaker::set_routes(const std::vector<pool::Assignment>& assignments) {
  assignments_ = assignments;
  push_routes();
}

void Speaker::push_routes() {
  const AdvertPlan plan(model_, assignments_);
  for (auto& s : sessions_) s->set_routes(plan.routes_for(s->peer().name));
}

void Speaker::reconfigure(const config::Model& model) {
  std::vector<std::shared_ptr<Session>> next;
  std::vector<std::shared_ptr<Session>> retired;
  for (const auto& peer : model.peers) {
    auto it = std::find_if(sessions_.begin(), sessions_.end(),
                           [&](const auto& s) { return s && s->peer().name == peer.name; });
    if (it != sessions_.end() && same_session_settings((*it)->peer(), peer)) {
      next.push_back(std::move(*it));
      continue;
    }
    if (it != sessions_.end()) {
      log::get("bgp")->info("[bgp {} AS{}] settings changed, resetting the session",
                            peer.peer_address.to_string(), peer.peer_asn);
      auto old = std::move(*it);
      old->stop(reset_message, [old] {});
    }
    next.push_back(make_session(peer));
    if (started_) next.back()->start();
  }
  for (auto& s : sessions_) {
    if (!s) continue;
    log::get("bgp")->info("[bgp {} AS{}] removed from the configuration", s->peer().peer_address.to_string(),
                          s->peer().peer_asn);
    auto old = std::move(s);
    old->stop(removed_message, [old] {});
  }
  sessions_ = std::move(next);
  model_ = model;
  if (started_) open_listeners();
  push_routes();
}

void Speaker::open_listeners() {
  boost::system::error_code ec;
  for (auto& l : listeners_) l->close(ec);
  listeners_.clear();
  for (const auto family : {net::Family::v4, net::Family::v6}) {
    std::vector<const config::Peer*> passive;
    for (const auto& p : model_.peers)
      if (p.passive && p.peer_address.family() == family) passive.push_back(&p);
    if (passive.empty()) continue;
    auto acceptor = std::make_shared<tcp::acceptor>(io_);
    const tcp::endpoint local(family == net::Family::v4 ? tcp::v4() : tcp::v6(), 179);
    acceptor->open(local.protocol(), ec);
    if (!ec && family == net::Family::v6) acceptor->set_option(asio::ip::v6_only(true), ec);
    if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    // The SYN-ACK leaves with the listener's TTL, before the connection is matched to a peer: a
    // GTSM peer drops anything below 254, so the listener sends with 255 (as FRR's does).
    const bool gtsm =
        std::any_of(passive.begin(), passive.end(), [](const config::Peer* p) { return p->gtsm; });
    if (!ec && gtsm && !set_outgoing_ttl(acceptor->native_handle(), family, 255))
      ec = boost::system::error_code(errno, boost::system::system_category());
    for (const auto* p : passive)
      if (!ec && !p->password.empty() &&
          !set_tcp_md5(acceptor->native_handle(), p->peer_address, p->password))
        ec = boost::system::error_code(errno, boost::system::system_category());
    if (!ec) acceptor->bind(local, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      log::get("bgp")->error("[bgp] cannot listen on port 179 for passive peers: {}", ec.message());
      continue;
    }
    log::get("bgp")->info("[bgp] listening on {} port 179 for {} passive peer(s)",
                          family == net::Family::v4 ? "IPv4" : "IPv6", passive.size());
    listeners_.push_back(acceptor);
    accept(acceptor);
  }
}

void Speaker::accept(const std::shared_ptr<tcp::acceptor>& acceptor) {
  acceptor->async_accept(
      [this, acceptor, alive = alive_](const boost::system::error_code& ec, tcp::socket socket) {
        if (!*alive || ec == asio::error::operation_aborted || !acceptor->is_open()) return;
        if (!ec) {
          boost::system::error_code e2;
          const auto remote = socket.remote_endpoint(e2);
          const auto address = e2 ? std::nullopt : endpoint_address(remote);
          auto it = std::find_if(sessions_.begin(), sessions_.end(), [&](const auto& s) {
            return address && s->peer().passive && s->peer().peer_address == *address;
          });
          if (it == sessions_.end()) {
            log::get("bgp")->warn("[bgp] refusing connection from unconfigured {}",
                                  address ? address->to_string() : "?");
            socket.close(e2);
          } else {
            (*it)->adopt(std::move(socket));
          }
        }
        accept(acceptor);
      });
}

void Speaker::stop(std::function<void()> done) {
  boost::system::error_code ec;
  for (auto& l : listeners_) l->close(ec);
  listeners_.clear();
  started_ = false;
  auto remaining = std::make_shared<std::size_t>(sessions_.size());
  auto finished = std::make_shared<std::function<void()>>(std::move(done));
  if (sessions_.empty()) {
    if (*finished) asio::post(io_, std::move(*finished));
    return;
  }
  for (auto& s : sessions_)
    s->stop(shutdown_message, [remaining, finished, s] {
      if (--*remaining == 0 && *finished) (*finished)();
    });
}

std::vector<PeerStatus> Speaker::status() const {
  std::vector<PeerStatus> out;
  out.reserve(sessions_.size());
  for (const auto& s : sessions_) out.push_back(s->status());
  return out;
}

}  // namespace vipd::bgp
