#pragma once
// Helpers shared by the config tests.

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "vipd/config/loader.hpp"

namespace vipd::config::test_util {

// Every diagnostic as the user sees it: "file:line:col: error: path: message".
inline std::vector<std::string> formatted(const Diagnostics& ds) {
  std::vector<std::string> out;
  for (const auto& d : ds) out.push_back(d.format());
  return out;
}

// The model of a text that must load; each error becomes a test failure.
inline Model load_ok(const std::string& text) {
  auto r = load_text("t.yaml", text);
  if (!r) {
    for (const auto& d : r.error()) ADD_FAILURE() << d.format();
    return {};
  }
  return std::move(r).value().model;
}

}  // namespace vipd::config::test_util
