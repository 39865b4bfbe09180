// vipctl: see cli.hpp for the command line and exit codes.
#include <iostream>

#include "vipctl/cli.hpp"

int main(int argc, char** argv) {
  return vipd::vipctl::run(argc, argv, std::cout, std::cerr);
}
