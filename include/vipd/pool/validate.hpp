#pragma once
// Address-math validation of a loaded model (the loader checks names and references; this checks
// what needs interval arithmetic).

#include "vipd/config/model.hpp"

namespace vipd::pool {

// Errors, each at the offending element's SourceLocation with its key path:
//  - two pools overlap: "address-pools[1].addresses[0]", naming both pools, both ranges and the
//    other range's file:line:col;
//  - a service's explicit address outside its pool, or a .0/.255 address in an avoid-buggy-ips pool
//    ("services[2].address");
//  - two services on one address ("services[3].address", naming the other service);
//  - a service without address in an auto-assign: false pool ("services[4]");
//  - a service naming an unknown pool ("services[5].pool"; the loader normally catches this first).
config::Diagnostics validate(const config::Model& model);

}  // namespace vipd::pool
