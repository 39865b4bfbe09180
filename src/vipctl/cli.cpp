#include "vipctl/cli.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <ostream>
#include <string>

#include "vipctl/client.hpp"
#include "vipctl/render.hpp"

namespace vipd::vipctl {

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"vipctl: query and control a running vipd over its control socket"};
  app.name("vipctl");
  std::string socket = default_socket;
  bool json_output = false;
  double timeout_seconds = 30;
  std::string vip;
  app.add_option("--socket,-s", socket, "control socket path")->capture_default_str();
  app.add_flag("--json,-j", json_output, "print the daemon's JSON instead of tables");
  app.add_option("--timeout", timeout_seconds, "seconds to wait for the daemon's answer")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.require_subcommand(1, 1);
  auto* status = app.add_subcommand("status", "VIPs, links, counters, conflicts");
  auto* explain = app.add_subcommand(
      "explain", "the interface selector's decision for one VIP, and why this node owns it or not");
  explain->add_option("vip", vip, "the VIP")->required();
  auto* reload = app.add_subcommand("reload", "validate and apply the configuration files again");
  auto* drain = app.add_subcommand("drain", "stop owning this node's layer2 VIPs");
  auto* undrain = app.add_subcommand("undrain", "resume owning this node's layer2 VIPs");
  for (auto* sub : {status, explain, reload, drain, undrain})
    sub->fallthrough();  // options after the command

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, out, err);
    return code == 0 ? exit_ok : exit_usage;
  }

  auto* command = app.get_subcommands().front();
  nlohmann::json request{{"command", command->get_name()}};
  if (command == explain) request["vip"] = vip;

  const auto timeout = std::chrono::milliseconds(static_cast<long long>(timeout_seconds * 1000));
  auto response = exchange(socket, request, timeout);
  if (!response) {
    err << "vipctl: " << response.error().message << "\n";
    return exit_unreachable;
  }
  const nlohmann::json& r = *response;
  const auto ok = r.find("ok");
  if (ok == r.end() || !ok->is_boolean() || !ok->get<bool>()) {
    if (json_output) out << r.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    const auto error = r.find("error");
    std::string text = error != r.end() ? format_cell(*error) : "the daemon refused the request";
    if (text.empty() || text.back() != '\n') text.push_back('\n');
    err << text;
    return exit_daemon_error;
  }

  if (json_output) {
    const auto decision = r.find("decision");
    const nlohmann::json& shown = command == explain && decision != r.end() ? *decision : r;
    out << shown.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else if (command == status) {
    out << render_status(r);
  } else if (command == explain) {
    out << render_explain(r);
  } else {
    out << render_message(r);
  }
  return exit_ok;
}

}  // namespace vipd::vipctl
