// vipd: the node daemon and its one-shot commands (--check, --print-config, --explain).
#include <CLI/CLI.hpp>

#include <iostream>

#include "vipd/common/log.hpp"
#include "vipd/daemon/check_command.hpp"
#include "vipd/daemon/daemon.hpp"
#include "vipd/daemon/explain_command.hpp"
#include "vipd/daemon/version.hpp"

namespace {

int run(int argc, char** argv) {
  CLI::App app{"vipd: answers ARP/NDP for virtual IPs only on the links it is allowed to"};
  app.footer(R"(Examples:
  vipd --check --config /etc/vipd/vipd.yaml         validate, print pools, services and their VIPs
  vipd --check --config metallb-configmap.yaml      MetalLB ConfigMaps and CRDs are read too
  vipd --print-config --config metallb-crds.yaml    convert to native vipd YAML
  vipd --explain 192.168.20.100 --config /etc/vipd/vipd.yaml [--json]
                                                    which links would answer for a VIP, and why
  vipd --config /etc/vipd/vipd.yaml                 run in the foreground (systemd: Type=notify)

Signals: SIGHUP reloads the configuration (a bad one is rejected and the running one kept);
SIGTERM/SIGINT release every VIP and exit.)");

  std::vector<std::string> config_files;
  std::string state_dir = "/var/lib/vipd";
  std::string log_level;
  std::string explain_vip;
  bool check = false;
  bool print_config = false;
  bool json = false;

  app.set_version_flag("--version", std::string("vipd ") + vipd::daemon::version());
  app.add_option("-c,--config", config_files, "configuration file (repeatable; documents merge)")
      ->check(CLI::ExistingFile);
  app.add_option("--state-dir", state_dir, "directory holding persisted VIP allocations")
      ->capture_default_str();
  app.add_option("--log-level", log_level,
                 "trace, debug, info, warn, error (overrides log-level: in config)");
  auto* check_flag = app.add_flag("--check", check, "validate the configuration, print a summary, exit");
  auto* print_flag =
      app.add_flag("--print-config", print_config, "print the merged configuration as native YAML");
  auto* explain_opt = app.add_option(
      "--explain", explain_vip,
      "show which links answer for VIP and why, and whether this node owns it (ownership reasons)");
  app.add_flag("--json", json, "with --explain: print JSON");
  check_flag->excludes(print_flag)->excludes(explain_opt);
  print_flag->excludes(explain_opt);
  CLI11_PARSE(app, argc, argv);

  if (config_files.empty()) config_files.push_back("/etc/vipd/vipd.yaml");

  if (check) return vipd::daemon::run_check(config_files, state_dir, std::cout, std::cerr);
  if (print_config) return vipd::daemon::run_print_config(config_files, std::cout, std::cerr);
  if (!explain_vip.empty())
    return vipd::daemon::run_explain(config_files, state_dir, explain_vip, json, std::cout, std::cerr);

  vipd::daemon::DaemonOptions options{config_files, state_dir, log_level};
  return vipd::daemon::run_daemon(options);
}

}  // namespace

int main(int argc, char** argv) {
  // The commands report their errors themselves; an exception reaching here is a bug, reported as
  // one line and exit status 1 rather than std::terminate's abort.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "vipd: fatal: " << e.what() << '\n';
    return 1;
  }
}
