#pragma once
// Builds config::Model values directly, so pool tests do not depend on the YAML loader.

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vipd/common/ip.hpp"
#include "vipd/config/model.hpp"

namespace vipd::pool::testing {

inline net::IpAddress ip(std::string_view text) {
  auto a = net::IpAddress::parse(text);
  if (!a) {
    ADD_FAILURE() << "bad address in test: " << text;
    std::abort();
  }
  return *a;
}

inline config::AddressRange range(std::string_view text, config::SourceLocation where = {}) {
  auto r = net::IpRange::parse(text);
  if (!r) {
    ADD_FAILURE() << "bad range in test: " << text;
    std::abort();
  }
  return config::AddressRange{*r, std::string(text), std::move(where)};
}

inline config::Pool make_pool(std::string name, const std::vector<std::string>& ranges,
                              bool avoid_buggy = false, bool auto_assign = true,
                              config::Protocol protocol = config::Protocol::layer2) {
  config::Pool p;
  p.name = std::move(name);
  p.protocol = protocol;
  p.avoid_buggy_ips = avoid_buggy;
  p.auto_assign = auto_assign;
  for (const auto& r : ranges) p.addresses.push_back(range(r));
  return p;
}

inline config::Service make_service(std::string name, std::string pool,
                                    std::optional<std::string> address = {},
                                    config::SourceLocation where = {}) {
  config::Service s;
  s.name = std::move(name);
  s.pool = std::move(pool);
  if (address) s.address = ip(*address);
  s.where = std::move(where);
  return s;
}

}  // namespace vipd::pool::testing
