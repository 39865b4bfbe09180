#pragma once
// `vipctl [--socket P] [--json] [--timeout S] status|explain VIP|reload|drain|undrain`
// Exit codes: 0 ok; 1 the daemon answered ok:false (its error on stderr); 2 cannot reach the
// daemon (no socket, refused, timed out, not JSON; the message names the socket path);
// 64 usage error.

#include <iosfwd>

namespace vipd::vipctl {

inline constexpr const char* default_socket = "/run/vipd/vipd.sock";

enum ExitCode : int { exit_ok = 0, exit_daemon_error = 1, exit_unreachable = 2, exit_usage = 64 };

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace vipd::vipctl
