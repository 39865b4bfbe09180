#pragma once
// The netlink adapter: a one-shot dump of the current namespace's links and addresses, and a
// watcher that follows RTM_NEWLINK/DELLINK/NEWADDR/DELADDR inside a Boost.Asio loop and
// publishes immutable snapshots. Both talk to the namespace the calling thread is in when the
// sockets are created (dump_links(): at the call; Watcher: at start()).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "vipd/common/result.hpp"
#include "vipd/netlink/snapshot.hpp"

namespace vipd::netlink {

// Links (sorted by ifindex) and their IPv4/IPv6 addresses, via rtnetlink dumps (libnl-3).
// A dump interrupted by a concurrent change (NLM_F_DUMP_INTR) is retried.
Result<LinkSnapshot, std::string> dump_links();

enum class ChangeKind {
  initial,   // the first snapshot, from start()
  changed,   // one or more events applied (coalesced)
  resynced,  // the event stream overflowed (ENOBUFS) or failed: everything was re-dumped
};
const char* to_string(ChangeKind kind);

struct WatcherOptions {
  // SO_RCVBUF of the event socket. Large by default so a burst of events (hundreds of links
  // going down together) does not overflow; tests set it tiny to force ENOBUFS.
  int receive_buffer_bytes = 4 * 1024 * 1024;
  // At most this many datagrams are read per wake-up before publishing, so one endless storm
  // cannot starve the rest of the loop.
  int max_datagrams_per_wake = 4096;
};

class Watcher {
 public:
  using Callback = std::function<void(SnapshotPtr, ChangeKind)>;

  Watcher(boost::asio::io_context& io, Callback on_change, WatcherOptions options = {});
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // Opens the sockets in the calling thread's namespace, subscribes to link and address
  // events, dumps, publishes ChangeKind::initial (synchronously) and starts waiting for events.
  Result<void, std::string> start();
  // Stops waiting and closes the sockets; no callback runs afterwards.
  void stop();

  // The last published snapshot (null before start()).
  SnapshotPtr snapshot() const { return current_; }
  std::uint64_t resync_count() const { return resyncs_; }
  // SO_RCVBUF the kernel actually granted (after start()).
  int receive_buffer_bytes() const { return granted_rcvbuf_; }

 private:
  struct Impl;
  void arm();
  void on_readable();
  bool resync();
  void publish(ChangeKind kind);

  std::unique_ptr<Impl> impl_;
  Callback on_change_;
  WatcherOptions options_;
  SnapshotPtr current_;
  std::uint64_t resyncs_ = 0;
  int granted_rcvbuf_ = 0;
};

}  // namespace vipd::netlink
