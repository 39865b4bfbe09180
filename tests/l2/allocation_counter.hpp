#pragma once
// Number of global operator new calls so far in this test binary (allocation_counter_test.cpp
// replaces operator new), so a test can prove a hot path allocates nothing.
#include <cstdint>

namespace vipd::l2::test {
std::uint64_t allocation_count() noexcept;
}  // namespace vipd::l2::test
