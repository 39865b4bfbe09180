#include "vipd/netlink/watcher.hpp"

#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/rtnl.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#include <boost/asio/posix/stream_descriptor.hpp>

#include "vipd/common/log.hpp"
#include "vipd/netlink/table.hpp"

namespace vipd::netlink {
namespace {

struct SockDeleter {
  void operator()(nl_sock* sk) const { nl_socket_free(sk); }
};
using SockPtr = std::unique_ptr<nl_sock, SockDeleter>;

std::string nl_error(const char* what, int err) {
  return std::string(what) + ": " + nl_geterror(err);
}

int apply_to_table(nl_msg* msg, void* arg) {
  static_cast<LinkTable*>(arg)->apply(nlmsg_hdr(msg));
  return NL_OK;
}

Result<SockPtr, std::string> open_request_socket() {
  SockPtr sk(nl_socket_alloc());
  if (!sk) return unexpected(std::string("nl_socket_alloc failed"));
  if (int err = nl_connect(sk.get(), NETLINK_ROUTE); err < 0)
    return unexpected(nl_error("netlink connect", err));
  nl_socket_enable_msg_peek(sk.get());  // dump datagrams can exceed one page
  return sk;
}

// Dumps links, then addresses, into `table` (cleared first). Retries when the kernel reports
// that the dump was interrupted by a concurrent change.
Result<void, std::string> dump_into(nl_sock* sk, LinkTable& table) {
  nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, apply_to_table, &table);
  constexpr int attempts = 10;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    table.clear();
    bool interrupted = false;
    for (int type : {RTM_GETLINK, RTM_GETADDR}) {
      if (int err = nl_rtgen_request(sk, type, AF_UNSPEC, NLM_F_DUMP); err < 0)
        return unexpected(nl_error("netlink dump request", err));
      const int err = nl_recvmsgs_default(sk);
      if (err == -NLE_DUMP_INTR) {
        interrupted = true;
        break;
      }
      if (err < 0) return unexpected(nl_error(type == RTM_GETLINK ? "link dump" : "address dump", err));
    }
    if (!interrupted) return {};
  }
  return unexpected(std::string("link dump interrupted by concurrent changes ") + std::to_string(attempts) +
                    " times in a row");
}

}  // namespace

Result<LinkSnapshot, std::string> dump_links() {
  auto sk = open_request_socket();
  if (!sk) return unexpected(sk.error());
  LinkTable table;
  if (auto r = dump_into(sk->get(), table); !r) return unexpected(r.error());
  return table.snapshot(1);
}

const char* to_string(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::initial:
      return "initial";
    case ChangeKind::changed:
      return "changed";
    case ChangeKind::resynced:
      return "resynced";
  }
  return "?";
}

struct Watcher::Impl {
  explicit Impl(boost::asio::io_context& io) : descriptor(io) {}
  ~Impl() {
    // libnl owns the fd and closes it in nl_socket_free.
    if (descriptor.is_open()) descriptor.release();
  }

  boost::asio::posix::stream_descriptor descriptor;
  SockPtr events;    // multicast subscriber
  SockPtr requests;  // dumps (kept open so a resync dumps the namespace start() ran in)
  LinkTable table;
  bool changed = false;
  bool discard = false;      // while draining after an overflow
  bool need_resync = false;  // a resync failed: try again at the next wake-up
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);

  static int on_event(nl_msg* msg, void* arg) {
    auto* impl = static_cast<Impl*>(arg);
    if (!impl->discard && impl->table.apply(nlmsg_hdr(msg))) impl->changed = true;
    return NL_OK;
  }
};

Watcher::Watcher(boost::asio::io_context& io, Callback on_change, WatcherOptions options)
    : impl_(std::make_unique<Impl>(io)), on_change_(std::move(on_change)), options_(options) {}

Watcher::~Watcher() {
  stop();
}

Result<void, std::string> Watcher::start() {
  auto logger = log::get("netlink");
  if (impl_->events || !impl_->alive)
    return unexpected(std::string("netlink watcher already started (or stopped)"));
  SockPtr events(nl_socket_alloc());
  if (!events) return unexpected(std::string("nl_socket_alloc failed"));
  nl_socket_disable_seq_check(events.get());  // multicast events carry seq 0
  nl_socket_enable_msg_peek(events.get());
  nl_socket_modify_cb(events.get(), NL_CB_VALID, NL_CB_CUSTOM, &Impl::on_event, impl_.get());
  if (int err = nl_connect(events.get(), NETLINK_ROUTE); err < 0)
    return unexpected(nl_error("netlink connect", err));
  // Subscribe before dumping: events queued during the dump are applied after it, and since
  // every event carries the object's full state, the table converges.
  if (int err =
          nl_socket_add_memberships(events.get(), RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, 0);
      err < 0)
    return unexpected(nl_error("netlink subscribe", err));
  if (int err = nl_socket_set_nonblocking(events.get()); err < 0)
    return unexpected(nl_error("netlink nonblocking", err));
  const int fd = nl_socket_get_fd(events.get());
  const int wanted = options_.receive_buffer_bytes;
  // SO_RCVBUFFORCE (CAP_NET_ADMIN) may exceed net.core.rmem_max; fall back to SO_RCVBUF.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &wanted, sizeof wanted) != 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &wanted, sizeof wanted);
  socklen_t len = sizeof granted_rcvbuf_;
  getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted_rcvbuf_, &len);

  auto requests = open_request_socket();
  if (!requests) return unexpected(requests.error());
  if (auto r = dump_into(requests->get(), impl_->table); !r) return unexpected(r.error());

  impl_->events = std::move(events);
  impl_->requests = std::move(*requests);
  boost::system::error_code ec;
  impl_->descriptor.assign(fd, ec);
  if (ec) return unexpected("netlink socket into the event loop: " + ec.message());
  logger->info("watching links: {} links, receive buffer {} bytes", impl_->table.size(), granted_rcvbuf_);
  publish(ChangeKind::initial);
  arm();
  return {};
}

void Watcher::stop() {
  if (!impl_) return;
  impl_->alive.reset();
  if (impl_->descriptor.is_open()) {
    boost::system::error_code ec;
    impl_->descriptor.cancel(ec);
    impl_->descriptor.release();
  }
  impl_->events.reset();
  impl_->requests.reset();
}

void Watcher::arm() {
  std::weak_ptr<bool> alive = impl_->alive;
  impl_->descriptor.async_wait(boost::asio::posix::descriptor_base::wait_read,
                               [this, alive](const boost::system::error_code& ec) {
                                 if (alive.expired() || ec) return;
                                 on_readable();
                               });
}

void Watcher::on_readable() {
  impl_->changed = false;
  bool overflow = false;
  std::string failure;
  // Drain everything pending, then publish once (coalescing a burst into one snapshot).
  for (int i = 0; i < options_.max_datagrams_per_wake; ++i) {
    const int err = nl_recvmsgs_default(impl_->events.get());
    if (err == -NLE_AGAIN) break;
    if (err == -NLE_NOMEM) {  // libnl's mapping of ENOBUFS: the kernel dropped events
      overflow = true;
      break;
    }
    if (err < 0) {
      failure = nl_geterror(err);
      break;
    }
  }
  if (overflow || !failure.empty() || impl_->need_resync) {
    auto logger = log::get("netlink");
    if (overflow)
      logger->warn(
          "event socket overflowed (ENOBUFS, receive buffer {} bytes): re-dumping links and addresses",
          granted_rcvbuf_);
    else if (!failure.empty())
      logger->warn("reading link events failed ({}): re-dumping links and addresses", failure);
    if (resync()) publish(ChangeKind::resynced);
  } else if (impl_->changed) {
    publish(ChangeKind::changed);
  }
  if (impl_->alive) arm();
}

bool Watcher::resync() {
  // Events still queued predate the dump below; drop them. Later ones apply on top of it.
  impl_->discard = true;
  for (int i = 0; i < options_.max_datagrams_per_wake; ++i) {
    const int err = nl_recvmsgs_default(impl_->events.get());
    if (err == -NLE_AGAIN) break;
  }
  impl_->discard = false;
  ++resyncs_;
  if (auto r = dump_into(impl_->requests.get(), impl_->table); !r) {
    log::get("netlink")->error("re-dump failed: {}; will retry at the next event", r.error());
    impl_->need_resync = true;
    return false;
  }
  impl_->need_resync = false;
  return true;
}

void Watcher::publish(ChangeKind kind) {
  const std::uint64_t generation = current_ ? current_->generation + 1 : 1;
  auto next = std::make_shared<LinkSnapshot>(impl_->table.snapshot(generation));
  // Events that change nothing we record (statistics, carrier flaps already reverted) are not
  // worth a re-selection.
  if (kind == ChangeKind::changed && current_ && current_->links == next->links) return;
  current_ = std::move(next);
  log::get("netlink")->debug("snapshot {} ({}): {} links", current_->generation, to_string(kind),
                             current_->links.size());
  if (on_change_) on_change_(current_, kind);
}

}  // namespace vipd::netlink
