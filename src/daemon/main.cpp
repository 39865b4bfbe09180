#include <CLI/CLI.hpp>

#include <iostream>

#include "vipd/daemon/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{"vipd: answers ARP/NDP for virtual IPs on selected links only"};
  app.set_version_flag("--version", std::string("vipd ") + vipd::daemon::version());
  CLI11_PARSE(app, argc, argv);
  return 0;
}
